/* Kestrel's lwIP hooks (LWIP_HOOK_FILENAME): lwIP includes this after its
 * own headers in the files that call a hook. */
#ifndef KESTREL_LWIP_HOOKS_H
#define KESTREL_LWIP_HOOKS_H
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"

int net_tcp_timewait_reuse(struct pbuf *p, struct netif *inp);
u32_t net_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port);

#endif
