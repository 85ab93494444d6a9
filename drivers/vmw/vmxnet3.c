/* VMXNET3 (PCI 15ad:07b0), VMware's paravirtual NIC, behind the net-device
 * interface: revision negotiation, the driver-shared area, one tx queue
 * (ring and completion ring) and one rx queue (rings 1 and 2 and their
 * completion ring), one interrupt (MSI-X, MSI or INTx) with auto-masking,
 * link state from GET_LINK and link events. MTU 1500. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "errno.h"
#include "irq_param.h"
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "pci.h"
#include "sched.h"
#include "cmdline.h"
#include "spinlock.h"
#include "sync.h"
#include "vmxnet3_ring.h"

/* BAR0 (pass-through registers) */
#define PT_IMR 0x0
#define PT_TXPROD 0x600
#define PT_RXPROD 0x800
#define PT_RXPROD2 0xa00
/* BAR1 (virtual device registers) */
#define VD_VRRS 0x0
#define VD_UVRS 0x8
#define VD_DSAL 0x10
#define VD_DSAH 0x18
#define VD_CMD 0x20
#define VD_MACL 0x28
#define VD_MACH 0x30
#define VD_ICR 0x38
#define VD_ECR 0x40

#define CMD_ACTIVATE_DEV 0xcafe0000u
#define CMD_QUIESCE_DEV 0xcafe0001u
#define CMD_RESET_DEV 0xcafe0002u
#define CMD_UPDATE_RX_MODE 0xcafe0003u
#define CMD_GET_LINK 0xf00d0002u

/* Driver-shared area (revision 1 layout), offsets in bytes. */
#define DS_MAGIC 0
#define DS_DRIVER_VERSION 8
#define DS_GOS 12
#define DS_REV_SPT 16
#define DS_UPT_SPT 20
#define DS_UPT_FEATURES 24
#define DS_QUEUE_DESC_PA 40
#define DS_QUEUE_DESC_LEN 52
#define DS_MTU 56
#define DS_MAX_RX_SG 60
#define DS_NUM_TXQ 62
#define DS_NUM_RXQ 63
#define DS_AUTO_MASK 80
#define DS_NUM_INTRS 81
#define DS_EVENT_INTR 82
#define DS_MOD_LEVELS 83
#define DS_INTR_CTRL 108
#define DS_RX_MODE 120
#define DS_ECR 696
#define DS_MAGIC_REV1 0xbabefee1u
/* Queue descriptors: tx at 0, rx at 256. */
#define QD_SIZE 256
#define TQ_RING 16
#define TQ_COMP 32
#define TQ_RING_SIZE 56
#define TQ_COMP_SIZE 64
#define TQ_INTR 72
#define RQ_UPDATE_PROD 0
#define RQ_RING0 16
#define RQ_RING1 24
#define RQ_COMP 32
#define RQ_RING0_SIZE 56
#define RQ_RING1_SIZE 60
#define RQ_COMP_SIZE 64
#define RQ_INTR 72

#define RXM_UCAST 0x1
#define RXM_BCAST 0x4
#define RXM_ALL_MULTI 0x8
#define ECR_RQERR 0x1
#define ECR_TQERR 0x2
#define ECR_LINK 0x4
#define GOS_BITS_64 2

#define OUR_REVISIONS 0x1 /* the revision-1 layout is what this driver speaks */
#define TX_SIZE 64
#define RX1_SIZE 128
#define RX2_SIZE 32
#define BUF_SIZE 2048
#define ETH_MAX 1514
#define MTU 1500

struct vmx {
    struct pci_info pci;
    volatile uint8_t *pt, *vd;
    uint8_t *shared, *qdesc;
    enum pci_irq_kind irq_kind;
    unsigned revision;
    struct spinlock tx_lock, rx_lock;
    struct vmx_txq tx;
    uint8_t *tx_bufs;
    struct vmx_rxq rx;
    uint8_t *rx_bufs[2];
    uint32_t rx_fill[2]; /* the index after the last one reposted */
    uint8_t frame_buf[BUF_SIZE];
    struct vmx_frame frame;
    bool warned;
    /* A queue error stops the device's queues: the restart thread resets
     * the device and brings the rings back (Linux does the same). */
    struct semaphore restart;
    unsigned restarts, tx_lost;
    unsigned inject_after; /* vmxnet3.inject_queue_error=N: a fault for the tests */
    struct netdev n;
};

static unsigned count;

static void pt_write(struct vmx *d, unsigned off, uint32_t v) { *(volatile uint32_t *)(d->pt + off) = v; }
static uint32_t vd_read(struct vmx *d, unsigned off) { return *(volatile uint32_t *)(d->vd + off); }
static void vd_write(struct vmx *d, unsigned off, uint32_t v) { *(volatile uint32_t *)(d->vd + off) = v; }
static uint64_t phys(const void *p) { return (uint64_t)(uintptr_t)p; }

static void put8(uint8_t *base, unsigned off, uint8_t v) { base[off] = v; }
static void put16(uint8_t *base, unsigned off, uint16_t v) { memcpy(base + off, &v, 2); }
static void put32(uint8_t *base, unsigned off, uint32_t v) { memcpy(base + off, &v, 4); }
static void put64(uint8_t *base, unsigned off, uint64_t v) { memcpy(base + off, &v, 8); }

static uint32_t command(struct vmx *d, uint32_t cmd)
{
    vd_write(d, VD_CMD, cmd);
    return vd_read(d, VD_CMD);
}

/* Set commands have no status to read back (QEMU complains if asked). */
static void command_set(struct vmx *d, uint32_t cmd) { vd_write(d, VD_CMD, cmd); }

static void update_link(struct vmx *d)
{
    uint32_t link = command(d, CMD_GET_LINK);
    bool up = link & 1;
    if (up == d->n.link_up)
        return;
    pr_info("vmxnet3: %s link %s\n", d->n.name, up ? "up" : "down");
    netdev_set_link(&d->n, up);
}

static void deliver(struct vmx *d, const uint8_t *frame, size_t len)
{
    if (len < 14 || len > ETH_MAX) {
        d->n.rx_dropped++;
        return;
    }
    d->n.rx_frames++;
    if (d->n.rx)
        d->n.rx(&d->n, frame, len, d->n.rx_arg);
}

static void rx_drain(struct vmx *d)
{
    bool reposted[2] = { false, false };
    uint64_t f = spin_lock_irqsave(&d->rx_lock);
    for (;;) {
        struct vmx_rx_result res;
        enum vmx_rx_kind k = vmx_rx_next(&d->rx, &res);
        if (k == VMX_RX_NONE)
            break;
        if (k == VMX_RX_BAD) {
            if (!d->warned)
                pr_warn("vmxnet3: %s: bad receive completion (%s), frame dropped\n", d->n.name, res.why);
            d->warned = true;
            d->n.rx_dropped++;
            d->frame.active = false;
        } else {
            const uint8_t *data = d->rx_bufs[res.ring] + (size_t)res.idx * BUF_SIZE;
            unsigned drops = d->frame.drops;
            long len = vmx_frame_add(&d->frame, &res, data);
            d->n.rx_dropped += d->frame.drops - drops;
            if (len > 0) {
                /* The callback may transmit: the rx lock is not the tx lock. */
                deliver(d, d->frame.buf, (size_t)len);
            }
        }
        if (res.repost) {
            vmx_rx_repost(&d->rx, res.ring, res.idx);
            d->rx_fill[res.ring] = (res.idx + 1) % d->rx.r[res.ring].size;
            reposted[res.ring] = true;
        }
    }
    if (d->qdesc[QD_SIZE + RQ_UPDATE_PROD]) {
        if (reposted[0])
            pt_write(d, PT_RXPROD, d->rx_fill[0]);
        if (reposted[1])
            pt_write(d, PT_RXPROD2, d->rx_fill[1]);
    }
    spin_unlock_irqrestore(&d->rx_lock, f);
}

static void tx_reclaim_locked(struct vmx *d)
{
    for (;;) {
        int r = vmx_tx_complete(&d->tx);
        if (r == -EAGAIN)
            return;
        if (r == -EIO && !d->warned) {
            pr_warn("vmxnet3: %s: tx completion for no descriptor in flight, ignored\n", d->n.name);
            d->warned = true;
        }
    }
}

static void vmx_interrupt(struct int_frame *frame, void *arg)
{
    struct vmx *d = arg;
    if (d->irq_kind == PCI_IRQ_INTX && vd_read(d, VD_ICR) == 0)
        return; /* a shared line: not ours */
    uint32_t ecr;
    memcpy(&ecr, d->shared + DS_ECR, 4);
    if (ecr) {
        vd_write(d, VD_ECR, ecr);
        if (ecr & ECR_LINK)
            update_link(d);
        if (ecr & ~(ECR_LINK | ECR_RQERR | ECR_TQERR))
            pr_warn("vmxnet3: %s: device event %#x\n", d->n.name, ecr);
    }
    if (d->inject_after && d->n.rx_frames >= d->inject_after) {
        d->inject_after = 0;
        ecr |= ECR_TQERR;
        pr_warn("vmxnet3: %s: injecting a transmit queue error (vmxnet3.inject_queue_error)\n", d->n.name);
    }
    if (ecr & (ECR_RQERR | ECR_TQERR)) {
        pr_warn("vmxnet3: %s: %s queue error; resetting the device\n", d->n.name, ecr & ECR_TQERR ? "transmit" : "receive");
        sem_up(&d->restart);
        return; /* interrupts stay masked until the restart */
    }
    rx_drain(d);
    uint64_t f = spin_lock_irqsave(&d->tx_lock);
    tx_reclaim_locked(d);
    spin_unlock_irqrestore(&d->tx_lock, f);
    pt_write(d, PT_IMR, 0); /* auto-masked when it fired */
}

static int vmx_transmit(struct netdev *n, const void *frame, size_t len)
{
    struct vmx *d = n->priv;
    if (len < 14 || len > ETH_MAX)
        return -EINVAL;
    uint64_t f = spin_lock_irqsave(&d->tx_lock);
    tx_reclaim_locked(d);
    uint32_t i = d->tx.next;
    int rc = -EBUSY;
    if (!d->tx.owned[i] && d->tx.in_flight < d->tx.size) {
        uint8_t *buf = d->tx_bufs + (size_t)i * BUF_SIZE;
        memcpy(buf, frame, len);
        rc = vmx_tx_post(&d->tx, phys(buf), (uint32_t)len);
        if (rc >= 0)
            pt_write(d, PT_TXPROD, d->tx.next);
    }
    spin_unlock_irqrestore(&d->tx_lock, f);
    if (rc < 0)
        return rc;
    n->tx_frames++;
    return 0;
}

static volatile uint8_t *map_bar(const struct pci_info *p, unsigned i)
{
    const struct pci_bar *b = &p->bars[i];
    if (b->io || !b->addr || b->size < 0x1000)
        return NULL;
    return ioremap(b->addr, 0x1000);
}

static int alloc_queues(struct vmx *d)
{
    d->shared = pages_alloc(1, 4096);
    d->qdesc = pages_alloc(1, 4096);
    d->tx.ring = pages_alloc(1, 4096);
    d->tx.comp = pages_alloc(1, 4096);
    d->tx_bufs = pages_alloc(TX_SIZE * BUF_SIZE / 4096, 4096);
    d->rx.r[0].ring = pages_alloc(RX1_SIZE * 16 / 4096 + 1, 4096);
    d->rx.r[1].ring = pages_alloc(1, 4096);
    d->rx.comp = pages_alloc((RX1_SIZE + RX2_SIZE) * 16 / 4096 + 1, 4096);
    d->rx_bufs[0] = pages_alloc(RX1_SIZE * BUF_SIZE / 4096, 4096);
    d->rx_bufs[1] = pages_alloc(RX2_SIZE * BUF_SIZE / 4096, 4096);
    if (!d->shared || !d->qdesc || !d->tx.ring || !d->tx.comp || !d->tx_bufs || !d->rx.r[0].ring ||
        !d->rx.r[1].ring || !d->rx.comp || !d->rx_bufs[0] || !d->rx_bufs[1])
        return -ENOMEM;
    d->tx.size = d->tx.comp_size = TX_SIZE;
    vmx_txq_init(&d->tx);
    uint32_t sizes[2] = { RX1_SIZE, RX2_SIZE };
    for (unsigned k = 0; k < 2; k++) {
        struct vmx_rx_ring *r = &d->rx.r[k];
        r->size = sizes[k];
        r->buf_len = BUF_SIZE;
        r->addr = calloc(r->size, sizeof(*r->addr));
        r->owned = calloc(r->size, sizeof(*r->owned));
        r->posted_gen = calloc(r->size, 1);
        if (!r->addr || !r->owned || !r->posted_gen)
            return -ENOMEM;
        for (uint32_t i = 0; i < r->size; i++)
            r->addr[i] = phys(d->rx_bufs[k] + (size_t)i * BUF_SIZE);
    }
    d->rx.qid = 0;
    d->rx.nqueues = 1;
    d->rx.comp_size = RX1_SIZE + RX2_SIZE;
    vmx_rxq_init(&d->rx);
    d->frame.buf = d->frame_buf;
    d->frame.cap = sizeof(d->frame_buf);
    return 0;
}

static void fill_shared(struct vmx *d)
{
    uint8_t *s = d->shared, *q = d->qdesc;
    put32(s, DS_MAGIC, DS_MAGIC_REV1);
    put32(s, DS_DRIVER_VERSION, 0x00010000);
    put32(s, DS_GOS, GOS_BITS_64);
    put32(s, DS_REV_SPT, OUR_REVISIONS);
    put32(s, DS_UPT_SPT, 1);
    put64(s, DS_UPT_FEATURES, 0);
    put64(s, DS_QUEUE_DESC_PA, phys(q));
    put32(s, DS_QUEUE_DESC_LEN, 2 * QD_SIZE);
    put32(s, DS_MTU, MTU);
    put16(s, DS_MAX_RX_SG, 1);
    put8(s, DS_NUM_TXQ, 1);
    put8(s, DS_NUM_RXQ, 1);
    put8(s, DS_AUTO_MASK, 1);
    put8(s, DS_NUM_INTRS, 1);
    put8(s, DS_EVENT_INTR, 0);
    put8(s, DS_MOD_LEVELS, 0); /* adaptive moderation would add latency to every echo */
    put32(s, DS_INTR_CTRL, 0); /* interrupts enabled */
    put32(s, DS_RX_MODE, RXM_UCAST | RXM_BCAST | RXM_ALL_MULTI);
    put64(q, TQ_RING, phys((const void *)d->tx.ring));
    put64(q, TQ_COMP, phys((const void *)d->tx.comp));
    put32(q, TQ_RING_SIZE, TX_SIZE);
    put32(q, TQ_COMP_SIZE, TX_SIZE);
    put8(q, TQ_INTR, 0);
    uint8_t *rq = q + QD_SIZE;
    put64(rq, RQ_RING0, phys((const void *)d->rx.r[0].ring));
    put64(rq, RQ_RING1, phys((const void *)d->rx.r[1].ring));
    put64(rq, RQ_COMP, phys((const void *)d->rx.comp));
    put32(rq, RQ_RING0_SIZE, RX1_SIZE);
    put32(rq, RQ_RING1_SIZE, RX2_SIZE);
    put32(rq, RQ_COMP_SIZE, RX1_SIZE + RX2_SIZE);
    put8(rq, RQ_INTR, 0);
}

/* Rings as new, the device pointed at them and activated: at attach and
 * after a queue error. Frames in the transmit ring are lost (counted). */
static int activate(struct vmx *d)
{
    uint64_t ft = spin_lock_irqsave(&d->tx_lock);
    spin_lock_raw(&d->rx_lock);
    d->tx_lost += d->tx.in_flight;
    memset((void *)d->tx.comp, 0, TX_SIZE * sizeof(*d->tx.comp));
    vmx_txq_init(&d->tx);
    memset((void *)d->rx.comp, 0, (RX1_SIZE + RX2_SIZE) * sizeof(*d->rx.comp));
    for (unsigned k = 0; k < 2; k++)
        memset(d->rx.r[k].owned, 0, d->rx.r[k].size * sizeof(*d->rx.r[k].owned));
    vmx_rxq_init(&d->rx);
    d->rx_fill[0] = d->rx_fill[1] = 0;
    d->frame.active = false;
    fill_shared(d);
    uint64_t pa = phys(d->shared);
    vd_write(d, VD_DSAL, (uint32_t)pa);
    vd_write(d, VD_DSAH, (uint32_t)(pa >> 32));
    uint32_t st = command(d, CMD_ACTIVATE_DEV);
    if (st == 0) {
        pt_write(d, PT_RXPROD, 0);
        pt_write(d, PT_RXPROD2, 0);
        command_set(d, CMD_UPDATE_RX_MODE);
    }
    spin_unlock_raw(&d->rx_lock);
    spin_unlock_irqrestore(&d->tx_lock, ft);
    if (st != 0) {
        pr_err("vmxnet3: %s: activation refused (%#x)\n", d->n.name, st);
        return -EIO;
    }
    pt_write(d, PT_IMR, 0);
    return 0;
}

static void *restart_thread(void *arg)
{
    struct vmx *d = arg;
    for (;;) {
        sem_down(&d->restart);
        command_set(d, CMD_QUIESCE_DEV);
        command_set(d, CMD_RESET_DEV);
        d->restarts++;
        if (activate(d) == 0) {
            pr_info("vmxnet3: %s: device reset, queues back (restart %u)\n", d->n.name, d->restarts);
            update_link(d);
        }
    }
    return NULL;
}

/* Revision and UPT version: the highest both sides speak. */
static int negotiate(struct vmx *d)
{
    uint32_t offered = vd_read(d, VD_VRRS);
    d->revision = vmx_pick_revision(offered, OUR_REVISIONS);
    if (!d->revision) {
        pr_err("vmxnet3: device offers revisions %#x, none this driver speaks (%#x)\n", offered, OUR_REVISIONS);
        return -ENODEV;
    }
    vd_write(d, VD_VRRS, 1u << (d->revision - 1));
    uint32_t upt = vd_read(d, VD_UVRS);
    if (!(upt & 1)) {
        pr_err("vmxnet3: device offers UPT versions %#x, not 1\n", upt);
        return -ENODEV;
    }
    vd_write(d, VD_UVRS, 1);
    pr_debug("vmxnet3: device offers revisions %#x, UPT %#x; using %u\n", offered, upt, d->revision);
    return 0;
}

static int vmx_attach(struct device *dev)
{
    struct vmx *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->pci = dev->pci;
    pci_enable(&d->pci);
    d->pt = map_bar(&d->pci, 0);
    d->vd = map_bar(&d->pci, 1);
    if (!d->pt || !d->vd) {
        pr_err("vmxnet3: %02x:%02x.%x: registers not in memory BARs 0 and 1\n", d->pci.bus, d->pci.dev,
               d->pci.fn);
        return -ENODEV;
    }
    if (negotiate(d) < 0)
        return -ENODEV;
    command_set(d, CMD_RESET_DEV);
    uint32_t macl = vd_read(d, VD_MACL), mach = vd_read(d, VD_MACH);
    memcpy(d->n.mac, &macl, 4);
    memcpy(d->n.mac + 4, &mach, 2);
    if (alloc_queues(d) < 0) {
        pr_err("vmxnet3: no memory for the rings\n");
        return -ENOMEM;
    }
    snprintf(d->n.name, sizeof(d->n.name), "vmx%u", count++);
    if (pci_attach_irq(&d->pci, vmw_irq_allowed("vmxnet3.irq"), vmx_interrupt, d, &d->irq_kind) < 0) {
        pr_err("vmxnet3: no interrupt\n");
        return -EIO;
    }
    sem_init(&d->restart, 0);
    const char *inj = cmdline_param(kernel_options(), "vmxnet3.inject_queue_error", 0);
    d->inject_after = inj ? (unsigned)strtoul(inj, NULL, 10) : 0;
    if (!thread_create("vmxnet3-restart", restart_thread, d, 0))
        return -ENOMEM;
    if (activate(d) < 0)
        return -EIO;
    d->n.mtu = MTU;
    d->n.transmit = vmx_transmit;
    d->n.priv = d;
    uint32_t link = command(d, CMD_GET_LINK);
    d->n.link_up = link & 1;
    pr_info("vmxnet3: %s revision %u, %s, mac %02x:%02x:%02x:%02x:%02x:%02x, link %s %u Mbps, rx %u+%u x %u, tx %u\n",
            d->n.name, d->revision, pci_irq_kind_name(d->irq_kind), d->n.mac[0], d->n.mac[1], d->n.mac[2],
            d->n.mac[3], d->n.mac[4], d->n.mac[5], d->n.link_up ? "up" : "down", link >> 16, RX1_SIZE, RX2_SIZE,
            BUF_SIZE, TX_SIZE);
    return netdev_register(&d->n);
}

static const struct pci_id vmx_ids[] = { { 0x15ad, 0x07b0 }, { 0, 0 } };

DEVICE_DRIVER(vmw_vmxnet3) = { "vmxnet3", BUS_PCI, vmx_ids, false, vmx_attach };
