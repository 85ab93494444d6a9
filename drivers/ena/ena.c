/* AWS Elastic Network Adapter (PCI 1d0f:ec20, 1d0f:ec21, 1d0f:0ec2,
 * 1d0f:1ec2) behind the net-device interface. The device logic is in
 * ena_admin.c, ena_ring.c and ena_port.c (pure, host-tested against a
 * device model); this file adds the PCI function: register BAR 0, the
 * read-less register path when the PCI revision asks for it, MSI-X (entry
 * 0 for admin completions and the AENQ, entry 1 + q for queue pair q, sent
 * to CPU q), a lock per queue and direction, and a service thread that
 * drains the AENQ, watches the keep-alive and rebuilds every pair after a
 * reset. One queue pair per CPU up to what the device, the MSI-X table and
 * ENA_QP_MAX allow; with fewer than two MSI-X entries one pair, polled.
 * Transmit takes the pair of the CPU it runs on. Receive checksum results
 * are honoured (a frame the device found corrupt is dropped); transmit
 * checksums stay the stack's (docs/cloud.md). MTU 1500. When the device
 * offers low-latency queues and has memory BAR 2, the transmit rings live
 * there (LLQ); BAR 2 is mapped uncached, as the kernel has no
 * write-combining mapping: each 64-bit store is its own PCIe write,
 * correct but slower than the references' write-combined bursts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cpu.h"
#include "ena_com.h"
#include "errno.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "pci.h"
#include "sched.h"
#include "spinlock.h"
#include "sync.h"

#define RING_DEPTH 256
#define SERVICE_PERIOD_NS 1000000000ull /* the device sends a keep-alive a second */
#define PCI_COMMAND_INTX_DISABLE 0x0400

struct ena;
/* What a queue pair's interrupt handler is given. */
struct ena_vec {
    struct ena *d;
    unsigned q;
};

struct ena {
    struct pci_info pci;
    volatile uint8_t *regs;
    volatile uint8_t *mem;   /* BAR 2: LLQ device memory, or NULL */
    struct ena_port *port;
    /* Per pair: tx covers its transmit ring and counters, rx its receive
     * ring. Order: every tx lock by pair, then every rx lock, then
     * rx_deliver. */
    struct spinlock tx_lock[ENA_QP_MAX], rx_lock[ENA_QP_MAX];
    /* The net-device interface promises its receiver one frame at a time:
     * the netif bridge counts with plain increments and a raw-frame
     * application's callback is not written for two CPUs at once. Pairs
     * interrupt different CPUs, so their deliveries take turns here; lwIP
     * itself would cope (its pools and mailbox are under locks). */
    struct spinlock rx_deliver;
    struct semaphore wake; /* the admin/AENQ interrupt, or a ring asking for a reset */
    bool msix;
    struct ena_vec vec[ENA_QP_MAX];
    struct netdev n;
};

static unsigned count;

static uint32_t bus_read(void *ctx, unsigned off)
{
    struct ena *d = ctx;
    return *(volatile uint32_t *)(d->regs + off);
}

static void bus_write(void *ctx, unsigned off, uint32_t v)
{
    struct ena *d = ctx;
    *(volatile uint32_t *)(d->regs + off) = v;
}

static void bus_write_mem(void *ctx, unsigned off, const void *src, size_t len)
{
    struct ena *d = ctx;
    volatile uint64_t *dst = (volatile uint64_t *)(d->mem + off);
    const uint64_t *s = src;
    for (size_t i = 0; i < len / 8; i++)
        dst[i] = s[i];
}

static uint64_t bus_now(void *ctx)
{
    (void)ctx;
    return clock_monotonic_ns();
}

static void bus_relax(void *ctx)
{
    (void)ctx;
    thread_sleep_ns(20000);
}

static uint64_t bus_dma(void *ctx, const volatile void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p; /* identity mapped */
}

/* Under the pair's rx lock (interrupts off). */
static void deliver(void *arg, const uint8_t *frame, size_t len)
{
    struct ena *d = arg;
    spin_lock_raw(&d->rx_deliver);
    if (len < 14 || len > ENA_MTU + 14) {
        d->n.rx_dropped++;
    } else {
        d->n.rx_frames++;
        if (d->n.rx)
            d->n.rx(&d->n, frame, len, d->n.rx_arg);
    }
    spin_unlock_raw(&d->rx_deliver);
}

static void io_poll(struct ena *d, unsigned q)
{
    struct ena_port *p = d->port;
    if (q >= ENA_QP_MAX)
        return;
    uint64_t f = spin_lock_irqsave(&d->rx_lock[q]);
    if (q < p->nqp) {
        struct ena_qp *qp = p->qp[q];
        uint64_t dropped = qp->rx_dropped;
        ena_port_rx_poll(p, q, deliver, d);
        /* The device's drops (checksum errors, bad completions) show on
         * the net device too. */
        if (qp->rx_dropped != dropped) {
            spin_lock_raw(&d->rx_deliver);
            d->n.rx_dropped += qp->rx_dropped - dropped;
            spin_unlock_raw(&d->rx_deliver);
        }
    }
    spin_unlock_irqrestore(&d->rx_lock[q], f);
    f = spin_lock_irqsave(&d->tx_lock[q]);
    ena_port_tx_reclaim(p, q);
    spin_unlock_irqrestore(&d->tx_lock[q], f);
    if (p->com.reset_wanted)
        sem_up(&d->wake);
    else
        ena_port_unmask(p, q);
}

static void io_interrupt(struct int_frame *frame, void *arg)
{
    (void)frame;
    struct ena_vec *v = arg;
    io_poll(v->d, v->q);
}

static void admin_interrupt(struct int_frame *frame, void *arg)
{
    (void)frame;
    struct ena *d = arg;
    sem_up(&d->wake);
}

static int ena_transmit(struct netdev *n, const void *frame, size_t len)
{
    struct ena *d = n->priv;
    /* The pair of the CPU we are on (the thread may move on before the
     * lock is taken: then it shares another CPU's pair, still correct). */
    unsigned np = d->port->nqp, q = np ? this_cpu()->id % np : 0;
    uint64_t f = spin_lock_irqsave(&d->tx_lock[q]);
    int rc = ena_port_xmit(d->port, q, frame, len);
    spin_unlock_irqrestore(&d->tx_lock[q], f);
    if (rc == 0)
        __atomic_fetch_add(&n->tx_frames, 1, __ATOMIC_RELAXED);
    return rc;
}

static uint64_t lock_all_tx(struct ena *d)
{
    uint64_t f = irq_save();
    for (unsigned q = 0; q < ENA_QP_MAX; q++)
        spin_lock_raw(&d->tx_lock[q]);
    return f;
}

static void unlock_all_tx(struct ena *d, uint64_t f)
{
    for (unsigned q = ENA_QP_MAX; q-- > 0;)
        spin_unlock_raw(&d->tx_lock[q]);
    irq_restore(f);
}

static const char *reason_name(unsigned r)
{
    switch (r) {
    case ENA_RESET_KEEP_ALIVE_TO: return "keep-alive time-out";
    case ENA_RESET_ADMIN_TO: return "admin command time-out";
    case ENA_RESET_MISS_TX_CMPL: return "transmit completions missing";
    case ENA_RESET_INV_RX_REQ_ID: return "bad receive request id";
    case ENA_RESET_INV_TX_REQ_ID: return "bad transmit request id";
    case ENA_RESET_GENERIC: return "device fatal error";
    default: return "other";
    }
}

/* Stops the data path (the handlers see the port down), then resets and
 * rebuilds every pair; the net device stays registered and carries on. */
static void restart(struct ena *d)
{
    struct ena_port *p = d->port;
    unsigned reason = p->com.reset_reason ? p->com.reset_reason : ENA_RESET_GENERIC;
    uint64_t ft = lock_all_tx(d);
    for (unsigned q = 0; q < ENA_QP_MAX; q++)
        spin_lock_raw(&d->rx_lock[q]);
    p->up = false;
    for (unsigned q = ENA_QP_MAX; q-- > 0;)
        spin_unlock_raw(&d->rx_lock[q]);
    unlock_all_tx(d, ft);
    netdev_set_link(&d->n, false);
    p->resets++;
    pr_warn("ena: %s: resetting the device (%s)\n", d->n.name, reason_name(reason));
    for (unsigned attempt = 0; attempt < 5; attempt++) {
        if (ena_port_up(p, reason) == 0) {
            pr_info("ena: %s: device reset, %u queue pair(s) rebuilt (reset %u)\n", d->n.name, p->nqp, p->resets);
            netdev_set_link(&d->n, p->link_up);
            return;
        }
        thread_sleep_ns(1000000000ull << attempt);
    }
    pr_err("ena: %s: the device did not come back after a reset; no network\n", d->n.name);
}

static void *service_thread(void *arg)
{
    struct ena *d = arg;
    for (;;) {
        sem_down_timeout(&d->wake, SERVICE_PERIOD_NS);
        struct ena_port *p = d->port;
        if (!p->up)
            continue;
        struct ena_aenq_events ev;
        /* The stall check reads every transmit ring: under their locks. */
        uint64_t f = lock_all_tx(d);
        bool reset = ena_port_service(p, &ev);
        unlock_all_tx(d, f);
        if (ev.link_changes && p->link_up != d->n.link_up) {
            pr_info("ena: %s link %s\n", d->n.name, p->link_up ? "up" : "down");
            netdev_set_link(&d->n, p->link_up);
        }
        if (ev.warnings || ev.unknown)
            pr_warn("ena: %s: device events: %u warnings, %u of unknown groups\n", d->n.name, ev.warnings,
                    ev.unknown);
        if (reset) {
            restart(d);
            continue;
        }
        /* Without MSI-X this is the only poll; with it, it catches an
         * interrupt lost while a queue was masked. */
        for (unsigned q = 0; q < p->nqp; q++)
            io_poll(d, q);
        if (ev.more)
            sem_up(&d->wake);
    }
    return NULL;
}

/* Where pair q's interrupt goes: CPU q when it is online and addressable,
 * else the one CPU device interrupts go to. */
static uint32_t pair_target(unsigned q)
{
    if (q < ncpus && q < MAX_CPUS && cpus[q] && cpus[q]->online && cpus[q]->apic_id < 0xff)
        return cpus[q]->apic_id;
    return irq_target_apic_id();
}

/* Entry 0 for the admin queue and the AENQ, then one per pair, at most
 * want pairs. The MSI-X entries enabled (admin included), 0 for none:
 * with fewer than two the device is polled. */
static unsigned setup_msix(struct ena *d, unsigned want)
{
    int table = pci_msix_count(&d->pci);
    if (table < 2)
        return 0;
    if (want > (unsigned)table - 1)
        want = (unsigned)table - 1;
    int va = irq_alloc_vector();
    if (va < 0)
        return 0;
    irq_set_handler((unsigned)va, admin_interrupt, d);
    if (pci_msix_enable(&d->pci, ENA_MSIX_ADMIN, (unsigned)va) < 0) {
        irq_set_handler((unsigned)va, NULL, NULL);
        return 0;
    }
    unsigned got = 0;
    for (unsigned q = 0; q < want; q++) {
        int vq = irq_alloc_vector();
        if (vq < 0)
            break;
        d->vec[q] = (struct ena_vec){ d, q };
        irq_set_handler((unsigned)vq, io_interrupt, &d->vec[q]);
        if (pci_msix_enable_to(&d->pci, ENA_MSIX_IO + q, (unsigned)vq, pair_target(q)) < 0 &&
            pci_msix_enable(&d->pci, ENA_MSIX_IO + q, (unsigned)vq) < 0) {
            irq_set_handler((unsigned)vq, NULL, NULL);
            break;
        }
        got++;
    }
    if (!got) {
        irq_set_handler((unsigned)va, NULL, NULL);
        return 0;
    }
    pci_write16(&d->pci, 0x04, (uint16_t)(pci_read16(&d->pci, 0x04) | PCI_COMMAND_INTX_DISABLE));
    return 1 + got;
}

static int alloc_admin(struct ena_port *p)
{
    p->com.aq.sq = pages_alloc(1, 4096);
    p->com.aq.cq = pages_alloc(1, 4096);
    p->com.aenq.q = pages_alloc(1, 4096);
    p->com.mmio_resp = pages_alloc(1, 4096);
    if (!p->com.aq.sq || !p->com.aq.cq || !p->com.aenq.q || !p->com.mmio_resp)
        return -ENOMEM;
    p->depth = RING_DEPTH;
    return 0;
}

static size_t pages(size_t bytes) { return (bytes + 4095) / 4096; }

static struct ena_qp *alloc_pair(void)
{
    struct ena_qp *qp = calloc(1, sizeof(*qp));
    if (!qp)
        return NULL;
    qp->tx.sq = pages_alloc(pages(RING_DEPTH * sizeof(struct ena_tx_desc)), 4096);
    qp->tx.cq = pages_alloc(pages(RING_DEPTH * sizeof(struct ena_tx_cdesc)), 4096);
    qp->rx.sq = pages_alloc(pages(RING_DEPTH * sizeof(struct ena_rx_desc)), 4096);
    qp->rx.cq = pages_alloc(pages(RING_DEPTH * sizeof(struct ena_rx_cdesc)), 4096);
    qp->tx_bufs = pages_alloc(pages(RING_DEPTH * ENA_BUF_SIZE), 4096);
    qp->rx_bufs = pages_alloc(pages(RING_DEPTH * ENA_BUF_SIZE), 4096);
    if (!qp->tx.sq || !qp->tx.cq || !qp->rx.sq || !qp->rx.cq || !qp->tx_bufs || !qp->rx_bufs)
        return NULL; /* what was taken stays taken: attach fails or uses fewer pairs */
    return qp;
}

static int ena_attach(struct device *dev)
{
    struct ena *d = calloc(1, sizeof(*d));
    struct ena_port *p = calloc(1, sizeof(*p));
    if (!d || !p)
        return -ENOMEM;
    d->pci = dev->pci;
    d->port = p;
    snprintf(d->n.name, sizeof(d->n.name), "ena%u", count++);
    pci_enable(&d->pci);
    const struct pci_bar *b = &d->pci.bars[0];
    if (b->io || !b->addr || b->size < 0x1000) {
        pr_err("ena: %02x:%02x.%x: registers not in memory BAR 0\n", d->pci.bus, d->pci.dev, d->pci.fn);
        return -ENODEV;
    }
    uint64_t bar_size = b->size > 0x100000 ? 0x100000 : b->size;
    d->regs = ioremap(b->addr, bar_size);
    if (!d->regs || alloc_admin(p) < 0)
        return -ENOMEM;
    p->com.bar_size = (uint32_t)bar_size;
    p->com.bus = (struct ena_bus){ bus_read, bus_write, bus_now, bus_relax, bus_dma, NULL, d };
    const struct pci_bar *mb = &d->pci.bars[ENA_MEM_BAR];
    if (!mb->io && mb->addr && mb->size >= 0x1000) {
        uint64_t msize = mb->size > 0x1000000 ? 0x1000000 : mb->size;
        d->mem = ioremap(mb->addr, msize);
        if (d->mem) {
            p->com.mem_bar_size = (uint32_t)msize;
            p->com.bus.write_mem = bus_write_mem;
        }
    }
    /* Revision bit 0 clear: register reads go through the read-less path. */
    p->com.readless = !(d->pci.revision & ENA_PCI_REV_NO_READLESS);
    sem_init(&d->wake, 0);
    /* Pairs for every CPU (the device may offer fewer: known only after
     * bring-up, so the memory of one per CPU up to the cap is taken now). */
    unsigned want = ncpus < ENA_QP_MAX ? ncpus : ENA_QP_MAX;
    if (!want)
        want = 1;
    unsigned entries = setup_msix(d, want);
    d->msix = entries >= 2;
    if (d->msix)
        want = entries - 1;
    else
        want = 1;
    p->ncpus = ncpus;
    p->msix_entries = entries;
    for (unsigned q = 0; q < want; q++) {
        p->qp[q] = alloc_pair();
        if (!p->qp[q])
            break;
        p->qp_mem = q + 1;
    }
    if (!p->qp_mem)
        return -ENOMEM;
    if (!d->msix)
        pr_warn("ena: %s: no MSI-X; polling every second\n", d->n.name);
    int rc = ena_port_up(p, ENA_RESET_NORMAL);
    if (rc < 0) {
        pr_err("ena: %s: bring-up failed (%d)\n", d->n.name, rc);
        return rc;
    }
    memcpy(d->n.mac, p->com.mac, 6);
    d->n.mtu = ENA_MTU;
    d->n.link_up = p->link_up;
    d->n.transmit = ena_transmit;
    d->n.priv = d;
    /* Receive checksum results are not passed on: the interface has no
     * per-frame "checked" mark, and the device checks only some frames
     * (IPv4 headers, TCP/UDP it marks checked), so the stack keeps
     * checking every frame; what the device found bad is dropped here. */
    if (!thread_create("ena-service", service_thread, d, 0))
        return -ENOMEM;
    uint32_t v = p->com.version, cv = p->com.controller_version;
    pr_info("ena: %s %04x:%04x version %u.%u, controller %u.%u.%u, mac %02x:%02x:%02x:%02x:%02x:%02x, "
            "max mtu %u, %u queue pairs offered (%u used, %u CPUs), rings %u, %s registers, %s, %s\n",
            d->n.name, d->pci.vendor, d->pci.device, (v >> 8) & 0xff, v & 0xff, (cv >> 16) & 0xff,
            (cv >> 8) & 0xff, cv & 0xff, d->n.mac[0], d->n.mac[1], d->n.mac[2], d->n.mac[3], d->n.mac[4],
            d->n.mac[5], p->com.max_mtu, p->com.max_queues, p->nqp, ncpus, p->depth,
            p->com.readless ? "read-less" : "direct", d->msix ? "msi-x" : "polled",
            p->com.llq.on ? "transmit LLQ in BAR 2 (uncached)" : "host-memory queues");
    pr_info("ena: %s offloads offered: tx %#x, rx %#x (receive checksum errors dropped; transmit sums stay "
            "the stack's)\n",
            d->n.name, p->com.offload_tx, p->com.offload_rx);
    if (p->com.llq.on)
        pr_info("ena: %s LLQ: %u-byte entries, %u descriptor(s) before a header of up to %u bytes\n", d->n.name,
                p->com.llq.entry_size, p->com.llq.descs_before, p->com.llq.max_header);
    return netdev_register(&d->n);
}

static const struct pci_id ena_ids[] = {
    { 0x1d0f, 0x0ec2 }, { 0x1d0f, 0x1ec2 }, { 0x1d0f, 0xec20 }, { 0x1d0f, 0xec21 }, { 0, 0 },
};

DEVICE_DRIVER(ena) = { "ena", BUS_PCI, ena_ids, false, ena_attach };
