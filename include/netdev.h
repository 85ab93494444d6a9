/* The net-device interface: one shape for virtio-net, vmxnet3, netfront
 * (and e1000 later). The TCP/IP stack and raw-frame apps see only this. */
#ifndef KESTREL_NETDEV_H
#define KESTREL_NETDEV_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETDEV_OFFLOAD_RX_CSUM 0x1 /* the device checks receive checksums */
#define NETDEV_OFFLOAD_TX_CSUM 0x2 /* the device can fill transmit checksums */

struct netdev;
/* Called in interrupt context with a frame that is only valid during the call. */
typedef void (*netdev_rx_fn)(struct netdev *n, const void *frame, size_t len, void *arg);
/* Called (possibly in interrupt context) when the link goes up or down. */
typedef void (*netdev_link_fn)(struct netdev *n, bool up, void *arg);

struct netdev {
    char name[16];
    uint8_t mac[6];
    uint16_t mtu;
    bool link_up;
    uint32_t offloads;
    int (*transmit)(struct netdev *n, const void *frame, size_t len); /* copies; 0 or <0 */
    netdev_rx_fn rx;
    void *rx_arg;
    netdev_link_fn link_watch;
    void *link_arg;
    void *priv;
    uint64_t rx_frames, tx_frames, rx_dropped;
};

int netdev_register(struct netdev *n);
unsigned netdev_count(void);
struct netdev *netdev_get(unsigned index);
void netdev_set_receive(struct netdev *n, netdev_rx_fn fn, void *arg);
/* Drivers report link changes here (interrupt context allowed): link_up is
 * updated and the watcher, if any, told. */
void netdev_set_link(struct netdev *n, bool up);
void netdev_set_link_watch(struct netdev *n, netdev_link_fn fn, void *arg);

#endif
