/* TCP/IP (net/, lwIP): bring-up from core/main.c, and what apps ask of it
 * beyond the socket calls (<sys/socket.h>, <netdb.h>, <poll.h>). */
#ifndef KESTREL_NET_H
#define KESTREL_NET_H
#include <stdint.h>

/* Starts the stack over every registered net device and configures each
 * (static from --ip, else DHCP). Returns at once: DHCP completes in the
 * background, so apps that never touch the network do not wait for it. */
void net_boot(void);

/* Waits until an interface has an address (lease or static), at most
 * timeout_ns: 0, or -ETIMEDOUT. For clients; servers may listen at once. */
int net_wait_configured(uint64_t timeout_ns);

/* close, read and write on a socket descriptor (the C library's calls
 * route descriptors from VFS_FD_END up here): -1 with errno on failure. */
int net_fd_close(int fd);
long net_fd_read(int fd, void *buf, unsigned long len);
long net_fd_write(int fd, const void *buf, unsigned long len);

#endif
