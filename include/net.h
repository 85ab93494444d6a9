/* TCP/IP (net/, lwIP): bring-up from core/main.c, and what apps ask of it
 * beyond the socket calls (<sys/socket.h>, <netdb.h>, <poll.h>). */
#ifndef KESTREL_NET_H
#define KESTREL_NET_H
#include <stdint.h>

/* Starts the stack over every registered net device and configures each
 * (static from --ip, else DHCP). Returns at once: DHCP completes in the
 * background, so apps that never touch the network do not wait for it. */
void net_boot(void);

/* Starts the stack with only its loopback interface when net_boot did not
 * (no NIC, or --nonet): a program's socket then reaches 127.0.0.1, as on
 * Linux. Returns at once when the stack runs: 0, or -ENOMEM. */
int net_start_loopback(void);

/* Waits until an interface has an address (lease or static), at most
 * timeout_ns: 0, or -ETIMEDOUT. For clients; servers may listen at once. */
int net_wait_configured(uint64_t timeout_ns);

/* The DNS server the stack uses (--nameserver, else DHCP's): IPv4 in host
 * order, 0 while there is none. */
uint32_t net_dns_server(void);

/* An interface got its IPv4 address (lease or static): what a hypervisor's
 * tools channel reports (drivers/vmw/tools.c). Listeners run in the
 * stack's thread and must not block; at most NET_ADDR_LISTENERS. */
#include <stdbool.h>
struct net_addr_info {
    unsigned index; /* eth0 = 0 */
    uint8_t mac[6];
    uint32_t addr, netmask; /* host order */
    bool dhcp;
};
#define NET_ADDR_LISTENERS 4
int net_on_address(void (*fn)(const struct net_addr_info *a));

/* close, read and write on a socket descriptor (the C library's calls
 * route descriptors from VFS_FD_END up here): -1 with errno on failure. */
int net_fd_close(int fd);
long net_fd_read(int fd, void *buf, unsigned long len);
long net_fd_write(int fd, const void *buf, unsigned long len);

#endif
