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

#endif
