/* The one netif over the net-device interface: every NIC driver that
 * registers a struct netdev carries TCP/IP with no network code of its own.
 * Frames arrive in interrupt context and are copied into pool pbufs queued
 * to the tcpip thread; frames leave through the driver's copying transmit. */
#include <string.h>
#include "log.h"
#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/pbuf.h"
#include "lwip/tcpip.h"
#include "net_internal.h"
#include "netif/ethernet.h"

#define ETH_HDR 14
#define ETH_MAX_FRAME (ETH_HDR + 4 + 9000) /* a VLAN tag and jumbo MTU at most */

static void receive(struct netdev *n, const void *frame, size_t len, void *arg)
{
    struct net_if *nif = arg;
    if (len < ETH_HDR || len > ETH_HDR + 4 + (size_t)n->mtu) {
        n->rx_dropped++;
        return;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        n->rx_dropped++;
        return;
    }
    pbuf_take(p, frame, (u16_t)len);
    if (nif->netif.input(p, &nif->netif) != ERR_OK) {
        pbuf_free(p);
        n->rx_dropped++;
    }
}

/* In the tcpip thread: lwIP follows the device's link state (DHCP starts or
 * restarts on link-up). */
static void link_changed(void *arg)
{
    struct net_if *nif = arg;
    bool up = nif->dev->link_up;
    if (up == netif_is_link_up(&nif->netif))
        return;
    pr_info("net: %s (%s): link %s\n", nif->name, nif->dev->name, up ? "up" : "down");
    if (up)
        netif_set_link_up(&nif->netif);
    else
        netif_set_link_down(&nif->netif);
}

/* Possibly in interrupt context: one preallocated message per interface
 * (a change while one is queued is read by it, since it reads the state). */
static void link_watch(struct netdev *n, bool up, void *arg)
{
    (void)n;
    (void)up;
    struct net_if *nif = arg;
    tcpip_callbackmsg_trycallback_fromisr(nif->link_msg);
}

/* Called with the core lock held, so one frame at a time per netif. */
static err_t link_output(struct netif *netif, struct pbuf *p)
{
    struct net_if *nif = netif->state;
    const void *frame = p->payload;
    if (p->next) {
        if (p->tot_len > sizeof(nif->tx_frame))
            return ERR_BUF;
        pbuf_copy_partial(p, nif->tx_frame, p->tot_len, 0);
        frame = nif->tx_frame;
    }
    int rc = nif->dev->transmit(nif->dev, frame, p->tot_len);
    return rc < 0 ? ERR_IF : ERR_OK;
}

static err_t netif_setup(struct netif *netif)
{
    struct net_if *nif = netif->state;
    struct netdev *dev = nif->dev;
    netif->name[0] = 'e';
    netif->name[1] = 't';
    netif->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(netif->hwaddr, dev->mac, ETH_HWADDR_LEN);
    netif->mtu = dev->mtu;
    netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    netif->output = etharp_output;
    netif->output_ip6 = ethip6_output;
    netif->linkoutput = link_output;
    netif->hostname = "kestrel";
    /* The NIC checks what it receives: do not sum it all again. Transmit
     * sums stay ours: the net-device interface has no per-frame offload. */
    u16_t csum = NETIF_CHECKSUM_ENABLE_ALL;
    if (dev->offloads & NETDEV_OFFLOAD_RX_CSUM)
        csum &= (u16_t) ~(NETIF_CHECKSUM_CHECK_IP | NETIF_CHECKSUM_CHECK_UDP | NETIF_CHECKSUM_CHECK_TCP |
                          NETIF_CHECKSUM_CHECK_ICMP);
    NETIF_SET_CHECKSUM_CTRL(netif, csum);
    return ERR_OK;
}

/* With the core lock held (in the tcpip thread). */
int net_if_add(struct net_if *nif, netif_status_callback_fn status)
{
    ip4_addr_t zero = { 0 };
    if (nif->dev->rx)
        return 1; /* the app took the device for raw frames first */
    if (!netif_add(&nif->netif, &zero, &zero, &zero, nif, netif_setup, tcpip_input))
        return -1;
    netif_set_status_callback(&nif->netif, status);
    /* IPv6: the link-local address from the MAC (EUI-64), and SLAAC from
     * a router's advertisement; both go through duplicate detection once
     * the link is up (lwIP's nd6 timer, once a second). */
    netif_create_ip6_linklocal_address(&nif->netif, 1);
    netif_set_ip6_autoconfig_enabled(&nif->netif, 1);
    netif_set_up(&nif->netif);
    /* lwIP routes nothing through a netif whose link is down and starts
     * DHCP only once it comes up: no frame is sent into a link that drops
     * it (VirtualBox's e1000 ignores transmit for 5 s after a reset). */
    nif->link_msg = tcpip_callbackmsg_new(link_changed, nif);
    if (!nif->link_msg)
        return -1;
    netdev_set_link_watch(nif->dev, link_watch, nif);
    if (nif->dev->link_up)
        netif_set_link_up(&nif->netif);
    else
        pr_info("net: %s (%s): link down, waiting for it before sending\n", nif->name, nif->dev->name);
    netdev_set_receive(nif->dev, receive, nif);
    return 0;
}
