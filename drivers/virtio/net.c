/* virtio-net (section 5.1) on any transport, behind the net-device
 * interface: receive queue 0 with posted 2 KiB buffers (mergeable when the
 * device offers it), transmit queue 1 with copied frames. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "spinlock.h"
#include "virtio.h"

#define VIRTIO_NET_F_CSUM (1ull << 0)
#define VIRTIO_NET_F_GUEST_CSUM (1ull << 1)
#define VIRTIO_NET_F_MTU (1ull << 3)
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_MRG_RXBUF (1ull << 15)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define VIRTIO_NET_S_LINK_UP 1
#define BUF_SIZE 2048
#define QUEUE_MAX 256
#define ETH_MAX 1514

struct vnet {
    struct virtio_dev v;
    struct virtqueue rxq, txq;
    struct spinlock rx_lock, tx_lock;
    unsigned hdr_len;
    uint8_t *rx_bufs; /* QUEUE_MAX buffers of BUF_SIZE */
    struct netdev n;
};

static unsigned count;

static int post_rx(struct vnet *d, uint8_t *buf)
{
    struct vq_buf b = { buf, BUF_SIZE, true };
    return vq_add(&d->rxq, &b, 1, buf, NULL);
}

static void rx_drain(struct vnet *d)
{
    int posted = 0;
    for (;;) {
        uint32_t len;
        uint64_t f = spin_lock_irqsave(&d->rx_lock);
        uint8_t *buf = vq_get_used(&d->rxq, &len);
        spin_unlock_irqrestore(&d->rx_lock, f);
        if (!buf)
            break;
        /* num_buffers > 1 (a frame spread over buffers) cannot happen with
         * 2 KiB buffers and no large-receive features: such frames are dropped. */
        uint16_t nbuf = d->hdr_len >= 12 ? (uint16_t)(buf[10] | buf[11] << 8) : 1;
        if (len < d->hdr_len + 14 || len - d->hdr_len > ETH_MAX || nbuf != 1) {
            d->n.rx_dropped++;
        } else {
            d->n.rx_frames++;
            if (d->n.rx)
                d->n.rx(&d->n, buf + d->hdr_len, len - d->hdr_len, d->n.rx_arg);
        }
        f = spin_lock_irqsave(&d->rx_lock);
        post_rx(d, buf);
        spin_unlock_irqrestore(&d->rx_lock, f);
        posted = 1;
    }
    if (posted) {
        uint64_t f = spin_lock_irqsave(&d->rx_lock);
        virtio_kick(&d->v, 0, &d->rxq);
        spin_unlock_irqrestore(&d->rx_lock, f);
    }
}

static void tx_reclaim(struct vnet *d)
{
    uint32_t len;
    void *buf;
    uint64_t f = spin_lock_irqsave(&d->tx_lock);
    while ((buf = vq_get_used(&d->txq, &len)))
        pages_free(buf, 1);
    spin_unlock_irqrestore(&d->tx_lock, f);
}

static void net_interrupt(void *arg)
{
    struct vnet *d = arg;
    rx_drain(d);
    tx_reclaim(d);
}

static int net_transmit(struct netdev *n, const void *frame, size_t len)
{
    struct vnet *d = n->priv;
    if (len < 14 || len > ETH_MAX)
        return -22;
    tx_reclaim(d);
    uint8_t *buf = pages_alloc(1, PAGE_SIZE);
    if (!buf)
        return -12;
    memset(buf, 0, d->hdr_len);
    memcpy(buf + d->hdr_len, frame, len);
    struct vq_buf b = { buf, (uint32_t)(d->hdr_len + len), false };
    uint64_t f = spin_lock_irqsave(&d->tx_lock);
    int head = vq_add(&d->txq, &b, 1, buf, NULL);
    if (head >= 0)
        virtio_kick(&d->v, 1, &d->txq);
    spin_unlock_irqrestore(&d->tx_lock, f);
    if (head < 0) {
        pages_free(buf, 1);
        return -11;
    }
    n->tx_frames++;
    return 0;
}

static int net_attach(struct device *dev)
{
    if (virtio_device_id(dev) != VIRTIO_ID_NET)
        return -1;
    struct vnet *d = calloc(1, sizeof(*d));
    if (!d || virtio_transport_init(&d->v, dev) < 0) {
        free(d);
        return -1;
    }
    struct virtio_dev *v = &d->v;
    uint64_t want = VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS | VIRTIO_NET_F_MRG_RXBUF | VIRTIO_NET_F_GUEST_CSUM |
                    VIRTIO_NET_F_CSUM | VIRTIO_F_EVENT_IDX;
    if (virtio_negotiate(v, want) < 0)
        return -1;
    /* The header has num_buffers with mergeable buffers or VERSION_1. */
    d->hdr_len = (v->features & (VIRTIO_NET_F_MRG_RXBUF | VIRTIO_F_VERSION_1)) ? 12 : 10;
    if (v->features & VIRTIO_NET_F_MAC) {
        for (int i = 0; i < 6; i++)
            d->n.mac[i] = (uint8_t)virtio_config_read(v, (unsigned)i, 1);
    } else {
        static const uint8_t local[6] = { 0x02, 0x4b, 0x45, 0x53, 0x54, 0x00 }; /* locally administered */
        memcpy(d->n.mac, local, 6);
        d->n.mac[5] = (uint8_t)count;
    }
    d->n.link_up = !(v->features & VIRTIO_NET_F_STATUS) || (virtio_config_read(v, 6, 2) & VIRTIO_NET_S_LINK_UP);
    d->n.mtu = 1500;
    if (v->features & VIRTIO_NET_F_GUEST_CSUM)
        d->n.offloads |= NETDEV_OFFLOAD_RX_CSUM;
    if (v->features & VIRTIO_NET_F_CSUM)
        d->n.offloads |= NETDEV_OFFLOAD_TX_CSUM;
    if (v->ops->setup_irq(v, net_interrupt, d) < 0) {
        virtio_fail(v, "no interrupt");
        return -1;
    }
    if (virtio_queue_create(v, 0, QUEUE_MAX, &d->rxq) < 0 || virtio_queue_create(v, 1, QUEUE_MAX, &d->txq) < 0) {
        virtio_fail(v, "cannot set up the queues");
        return -1;
    }
    unsigned nrx = d->rxq.size;
    d->rx_bufs = pages_alloc((size_t)nrx * BUF_SIZE / PAGE_SIZE, PAGE_SIZE);
    if (!d->rx_bufs) {
        virtio_fail(v, "no memory for receive buffers");
        return -1;
    }
    for (unsigned i = 0; i < nrx; i++)
        post_rx(d, d->rx_bufs + (size_t)i * BUF_SIZE);
    d->n.transmit = net_transmit;
    d->n.priv = d;
    snprintf(d->n.name, sizeof(d->n.name), "vnet%u", count++);
    virtio_driver_ok(v);
    virtio_kick(v, 0, &d->rxq);
    pr_info("virtio-net: %s over %s, rx %u/tx %u, header %u%s\n", d->n.name, v->ops->name, d->rxq.size,
            d->txq.size, d->hdr_len, (v->features & VIRTIO_NET_F_MRG_RXBUF) ? ", mergeable rx" : "");
    return netdev_register(&d->n);
}

static const struct pci_id net_ids[] = { { 0x1af4, 0x1000 }, { 0x1af4, 0x1041 }, { 0, 0 } };

DEVICE_DRIVER(virtio_net_pci) = { "virtio-net", BUS_PCI, net_ids, false, net_attach };
DEVICE_DRIVER(virtio_net_mmio) = { "virtio-net", BUS_MMIO, NULL, true, net_attach };
