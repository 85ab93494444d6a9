/* netfront: Xen virtual NICs (device/vif/N) behind the net-device
 * interface, with rx-copy (the backend copies into pages we granted once)
 * and one transmit page per slot, also granted once. One queue, no
 * scatter-gather or segmentation offload: every frame fits one page.
 * Responses are checked (id, status, offset + length) before use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "spinlock.h"
#include "xen.h"
#include "xen_front.h"
#include "xen_ring.h"

#define ETH_MAX 1514
#define CONNECT_TIMEOUT_NS 30000000000ull

#define SLOTS 256

struct netfront {
    struct xenbus_device *xb;
    struct xen_front_ring tx, rx;
    unsigned port;
    struct spinlock tx_lock, rx_lock;
    uint8_t *tx_pages, *rx_pages;
    int tx_gref[SLOTS], rx_gref[SLOTS];
    bool tx_busy[SLOTS], rx_posted[SLOTS];
    uint16_t tx_free[SLOTS];
    unsigned tx_nfree;
    bool skip_next; /* the rest of a multi-part frame we do not take */
    unsigned long bad_responses;
    struct netdev n;
};

static unsigned count;

static void post_rx(struct netfront *f, uint16_t id)
{
    struct netif_rx_request *q = xen_ring_entry(&f->rx, f->rx.req_prod_pvt++);
    q->id = id;
    q->pad = 0;
    q->gref = (uint32_t)f->rx_gref[id];
    f->rx_posted[id] = true;
}

static void rx_drain(struct netfront *f)
{
    uint64_t fl = spin_lock_irqsave(&f->rx_lock);
    bool posted = false;
    do {
        uint32_t n = xen_ring_responses(&f->rx);
        for (uint32_t i = 0; i < n; i++) {
            struct netif_rx_response r;
            memcpy(&r, xen_ring_entry(&f->rx, f->rx.rsp_cons + i), sizeof(r));
            if (!netif_rx_response_ok(&r, f->rx_posted, SLOTS, PAGE_SIZE)) {
                f->bad_responses++;
                continue;
            }
            f->rx_posted[r.id] = false;
            bool skip = f->skip_next;
            f->skip_next = (r.flags & (NETRXF_more_data | NETRXF_extra_info)) != 0;
            if (skip || f->skip_next || r.status < 14 || r.status > ETH_MAX) {
                f->n.rx_dropped++;
            } else {
                f->n.rx_frames++;
                if (f->n.rx)
                    f->n.rx(&f->n, f->rx_pages + (size_t)r.id * PAGE_SIZE + r.offset, (size_t)r.status, f->n.rx_arg);
            }
            post_rx(f, r.id);
            posted = true;
        }
        f->rx.rsp_cons += n;
    } while (xen_ring_final_check(&f->rx));
    bool notify = posted && xen_ring_push(&f->rx);
    spin_unlock_irqrestore(&f->rx_lock, fl);
    if (notify)
        evtchn_notify(f->port);
}

/* tx_lock held. */
static void tx_reclaim(struct netfront *f)
{
    do {
        uint32_t n = xen_ring_responses(&f->tx);
        for (uint32_t i = 0; i < n; i++) {
            struct netif_tx_response r;
            memcpy(&r, xen_ring_entry(&f->tx, f->tx.rsp_cons + i), sizeof(r));
            if (r.status == NETIF_RSP_NULL) /* a slot used for extra info */
                continue;
            if (!netif_tx_response_ok(&r, f->tx_busy, SLOTS)) {
                f->bad_responses++;
                continue;
            }
            f->tx_busy[r.id] = false;
            f->tx_free[f->tx_nfree++] = r.id;
        }
        f->tx.rsp_cons += n;
    } while (xen_ring_final_check(&f->tx));
}

static void interrupt(unsigned port, void *arg)
{
    (void)port;
    struct netfront *f = arg;
    rx_drain(f);
    uint64_t fl = spin_lock_irqsave(&f->tx_lock);
    tx_reclaim(f);
    spin_unlock_irqrestore(&f->tx_lock, fl);
}

static int transmit(struct netdev *n, const void *frame, size_t len)
{
    struct netfront *f = n->priv;
    if (len < 14 || len > ETH_MAX)
        return -22;
    uint64_t fl = spin_lock_irqsave(&f->tx_lock);
    tx_reclaim(f);
    if (f->tx_nfree == 0 || xen_ring_full(&f->tx)) {
        spin_unlock_irqrestore(&f->tx_lock, fl);
        return -11;
    }
    uint16_t id = f->tx_free[--f->tx_nfree];
    f->tx_busy[id] = true;
    memcpy(f->tx_pages + (size_t)id * PAGE_SIZE, frame, len);
    struct netif_tx_request *q = xen_ring_entry(&f->tx, f->tx.req_prod_pvt++);
    q->gref = (uint32_t)f->tx_gref[id];
    q->offset = 0;
    q->flags = 0;
    q->id = id;
    q->size = (uint16_t)len;
    bool notify = xen_ring_push(&f->tx);
    spin_unlock_irqrestore(&f->tx_lock, fl);
    if (notify)
        evtchn_notify(f->port);
    n->tx_frames++;
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        char *end;
        unsigned long v = strtoul(s, &end, 16);
        if (end == s || v > 255 || (i < 5 && *end != ':') || (i == 5 && *end))
            return -1;
        mac[i] = (uint8_t)v;
        s = end + 1;
    }
    return 0;
}

static int grant_pages(struct netfront *f, uint8_t *pages, int *grefs, bool readonly)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        grefs[i] = gnttab_grant((unsigned)f->xb->backend_id, ((uint64_t)(uintptr_t)pages >> 12) + i, readonly);
        if (grefs[i] < 0)
            return -1;
    }
    return 0;
}

/* Rings, channel and what we can do (rx-copy, no scatter-gather or
 * offloads), then Connected. */
static int publish(struct netfront *f, int tx_ref, int rx_ref)
{
    struct xenbus_key keys[] = { { "tx-ring-ref", "" },     { "rx-ring-ref", "" },       { "event-channel", "" },
                                 { "request-rx-copy", "1" }, { "feature-rx-notify", "1" }, { "feature-sg", "0" },
                                 { "feature-gso-tcpv4", "0" }, { "feature-no-csum-offload", "1" } };
    snprintf(keys[0].value, sizeof(keys[0].value), "%d", tx_ref);
    snprintf(keys[1].value, sizeof(keys[1].value), "%d", rx_ref);
    snprintf(keys[2].value, sizeof(keys[2].value), "%u", f->port);
    return xenbus_publish(f->xb, keys, sizeof(keys) / sizeof(keys[0]), XenbusStateConnected);
}

static int attach(struct xenbus_device *xb)
{
    struct netfront *f = calloc(1, sizeof(*f));
    void *tx_ring = pages_alloc(1, PAGE_SIZE), *rx_ring = pages_alloc(1, PAGE_SIZE);
    if (!f || !tx_ring || !rx_ring)
        return -1;
    f->xb = xb;
    char mac[32], path[96];
    snprintf(path, sizeof(path), "%s/mac", xb->nodename);
    if (xs_read(XS_NO_TX, path, mac, sizeof(mac)) < 0 || parse_mac(mac, f->n.mac) < 0) {
        pr_err("netfront: %s: no usable MAC\n", xb->nodename);
        return -1;
    }
    xen_ring_init(&f->tx, tx_ring, sizeof(struct netif_tx_request));
    xen_ring_init(&f->rx, rx_ring, sizeof(struct netif_rx_request));
    f->tx_pages = pages_alloc(SLOTS, PAGE_SIZE);
    f->rx_pages = pages_alloc(SLOTS, PAGE_SIZE);
    if (!f->tx_pages || !f->rx_pages || grant_pages(f, f->tx_pages, f->tx_gref, true) < 0 ||
        grant_pages(f, f->rx_pages, f->rx_gref, false) < 0) {
        pr_err("netfront: %s: out of grant references or memory\n", xb->nodename);
        return -1;
    }
    for (unsigned i = 0; i < SLOTS; i++)
        f->tx_free[f->tx_nfree++] = (uint16_t)i;
    int tx_ref = gnttab_grant((unsigned)xb->backend_id, (uint64_t)(uintptr_t)tx_ring >> 12, false);
    int rx_ref = gnttab_grant((unsigned)xb->backend_id, (uint64_t)(uintptr_t)rx_ring >> 12, false);
    int port = evtchn_alloc_unbound((unsigned)xb->backend_id);
    if (tx_ref < 0 || rx_ref < 0 || port <= 0)
        return -1;
    f->port = (unsigned)port;
    if (xenbus_wait_backend(xb, 1u << XenbusStateInitWait | 1u << XenbusStateConnected, CONNECT_TIMEOUT_NS) < 0) {
        pr_err("netfront: %s: backend never reached InitWait\n", xb->nodename);
        return -1;
    }
    for (unsigned i = 0; i < f->rx.size && i < SLOTS; i++)
        post_rx(f, (uint16_t)i);
    xen_ring_push(&f->rx);
    evtchn_bind(f->port, interrupt, f);
    if (publish(f, tx_ref, rx_ref) < 0) {
        pr_err("netfront: %s: cannot publish the rings\n", xb->nodename);
        return -1;
    }
    if (xenbus_wait_backend(xb, 1u << XenbusStateConnected, CONNECT_TIMEOUT_NS) < 0) {
        pr_err("netfront: %s: backend did not connect\n", xb->nodename);
        return -1;
    }
    evtchn_notify(f->port);
    f->n.link_up = true;
    f->n.mtu = 1500;
    f->n.transmit = transmit;
    f->n.priv = f;
    snprintf(f->n.name, sizeof(f->n.name), "xnet%u", count++);
    pr_info("netfront: %s: mac %s, rx %u/tx %u\n", f->n.name, mac, f->rx.size, f->tx.size);
    xb->priv = f;
    return netdev_register(&f->n);
}

XENBUS_DRIVER(netfront_driver) = { "vif", attach };
