/* Private to net/: one record per network interface. */
#ifndef KESTREL_NET_INTERNAL_H
#define KESTREL_NET_INTERNAL_H
#include <stdbool.h>
#include "lwip/netif.h"
#include "lwip/tcpip.h"
#include "netdev.h"

struct net_if {
    struct netif netif;
    struct netdev *dev;
    char name[8]; /* eth0, eth1, ... in registration order */
    bool is_static, reported;
    struct tcpip_callback_msg *link_msg; /* posted on a link change */
    uint8_t tx_frame[1536 + 9000 - 1500]; /* a chained frame flattened for transmit */
};

/* Adds nif to the stack and starts its receive path; core lock held.
 * 0, 1 if an app already receives the device's frames itself, -1 on error. */
int net_if_add(struct net_if *nif, netif_status_callback_fn status);

#endif
