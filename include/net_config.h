/* Parsing of the network options (--ip=IF,ADDR,NETMASK, --defaultgw=ADDR,
 * --nameserver=ADDR): pure, shared with host tests and the fuzzer. */
#ifndef KESTREL_NET_CONFIG_H
#define KESTREL_NET_CONFIG_H
#include <stdint.h>

#define NET_IFNAME_MAX 16

struct net_static_ip {
    char ifname[NET_IFNAME_MAX];
    uint32_t addr, netmask; /* host byte order */
};

/* Dotted-quad IPv4 ("10.0.2.15") to host byte order: 0, or -1 if malformed. */
int net_parse_ipv4(const char *s, uint32_t *out);
/* "eth0,10.0.2.15,255.255.255.0": 0, or -1 if malformed (bad name, bad
 * address, a netmask whose ones are not contiguous). */
int net_parse_static_ip(const char *s, struct net_static_ip *out);
/* Formats a host-order address into buf (at least 16 bytes). */
const char *net_format_ipv4(uint32_t addr, char *buf);

#endif
