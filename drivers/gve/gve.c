/* gVNIC (PCI 1ae0:0042), Google Compute Engine's virtual NIC, behind the
 * net-device interface: BAR0 registers (big-endian), BAR1 the MSI-X table,
 * BAR2 the doorbells. The command flow, rings and every check on what the
 * device writes live in gve_aq.c, gve_ring.c and gve_dev.c (host-tested
 * against a device model); this file adds PCI, MSI-X (one vector per
 * notification block, the management vector last; pair q's two blocks sent
 * to CPU q), a lock per queue, the reset thread and the netdev. One queue
 * pair per CPU as the device, the MSI-X table and the page limit allow
 * (gve_plan_queues); transmit takes the pair of the CPU it runs on. Queue
 * format: GQI-QPL only; DQO is not supported. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cpu.h"
#include "errno.h"
#include "gve.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "netdev.h"
#include "pci.h"
#include "sched.h"
#include "spinlock.h"
#include "sync.h"

struct gve;
/* What a notification block's interrupt handler is given. */
struct gve_vec {
    struct gve *g;
    unsigned q;
};

struct gve {
    struct pci_info pci;
    volatile uint8_t *regs;
    volatile uint32_t *dbs;
    struct gve_io io;
    struct gve_dev dev;
    /* Per queue; order: every tx lock by queue, every rx lock, rx_deliver. */
    struct spinlock tx_lock[GVE_QMAX], rx_lock[GVE_QMAX];
    /* The net-device interface promises its receiver one frame at a time
     * (the netif bridge counts with plain increments; a raw-frame
     * application's callback is not written for two CPUs at once), and
     * receive queues interrupt different CPUs: deliveries take turns. */
    struct spinlock rx_deliver;
    struct gve_vec vec[GVE_QMAX];
    bool vectors;            /* MSI-X entries programmed (once, for the plan's pairs) */
    bool running;            /* the queues exist: the data path may touch them */
    struct semaphore reset;  /* the reset thread's wake-up */
    unsigned resets;
    bool warned;
    bool registered;         /* the netdev exists: link changes may be reported */
    bool in_thread;          /* admin-queue waits may sleep (the reset thread) */
    struct netdev n;
};

static unsigned count;

static uint32_t io_read32(void *ctx, unsigned off)
{
    struct gve *g = ctx;
    return __builtin_bswap32(*(volatile uint32_t *)(g->regs + off));
}

static void io_write(void *ctx, unsigned off, uint32_t v, unsigned width)
{
    struct gve *g = ctx;
    if (width == 1)
        *(volatile uint8_t *)(g->regs + off) = (uint8_t)v;
    else if (width == 2)
        *(volatile uint16_t *)(g->regs + off) = __builtin_bswap16((uint16_t)v);
    else
        *(volatile uint32_t *)(g->regs + off) = __builtin_bswap32(v);
}

static void io_doorbell(void *ctx, uint32_t index, uint32_t v)
{
    struct gve *g = ctx;
    g->dbs[index] = __builtin_bswap32(v);
}

/* At attach the admin queue is polled with a busy wait; the reset thread sleeps. */
static void io_sleep_ms(void *ctx, unsigned ms)
{
    struct gve *g = ctx;
    if (g->in_thread)
        thread_sleep_ns((uint64_t)ms * 1000000);
    else
        clock_delay_ns((uint64_t)ms * 1000000);
}

static void *io_alloc_pages(void *ctx, size_t n) { return pages_alloc(n, GVE_PAGE); }

static void schedule_reset(struct gve *g, const char *why)
{
    if (!__atomic_exchange_n(&g->running, false, __ATOMIC_SEQ_CST))
        return; /* already down */
    pr_warn("gve: %s: %s; resetting the device\n", g->n.name, why);
    sem_up(&g->reset);
}

/* Under a receive queue's lock (interrupts off). */
static void deliver(void *arg, const uint8_t *frame, size_t len)
{
    struct gve *g = arg;
    spin_lock_raw(&g->rx_deliver);
    g->n.rx_frames++;
    if (g->n.rx)
        g->n.rx(&g->n, frame, len, g->n.rx_arg);
    spin_unlock_raw(&g->rx_deliver);
}

static void rx_poll(struct gve *g, unsigned q)
{
    uint64_t f = spin_lock_irqsave(&g->rx_lock[q]);
    int r = 0;
    uint32_t dropped = g->dev.rx[q].dropped;
    if (g->running)
        r = gve_dev_rx_poll(&g->dev, q, deliver, g);
    if (g->dev.rx[q].dropped != dropped) {
        spin_lock_raw(&g->rx_deliver);
        g->n.rx_dropped += g->dev.rx[q].dropped - dropped;
        spin_unlock_raw(&g->rx_deliver);
    }
    spin_unlock_irqrestore(&g->rx_lock[q], f);
    if (r < 0)
        schedule_reset(g, g->dev.why ? g->dev.why : "receive ring broken");
}

static void tx_reap(struct gve *g, unsigned q)
{
    uint64_t f = spin_lock_irqsave(&g->tx_lock[q]);
    int r = g->running ? gve_dev_tx_reap(&g->dev, q) : 0;
    spin_unlock_irqrestore(&g->tx_lock[q], f);
    if (r == -EIO && !g->warned) {
        g->warned = true;
        pr_warn("gve: %s: transmit completion counter past what was posted, ignored\n", g->n.name);
    }
}

static void tx_interrupt(struct int_frame *frame, void *arg)
{
    struct gve_vec *v = arg;
    struct gve *g = v->g;
    if (!g->running)
        return;
    gve_dev_irq_mask(&g->dev, gve_tx_block(&g->dev, v->q));
    tx_reap(g, v->q);
    gve_dev_irq_ack(&g->dev, gve_tx_block(&g->dev, v->q));
}

static void rx_interrupt(struct int_frame *frame, void *arg)
{
    struct gve_vec *v = arg;
    struct gve *g = v->g;
    if (!g->running)
        return;
    unsigned b = gve_rx_block(&g->dev, v->q);
    gve_dev_irq_mask(&g->dev, b);
    rx_poll(g, v->q);
    if (!g->running)
        return; /* the reset re-arms it */
    gve_dev_irq_ack(&g->dev, b);
    rx_poll(g, v->q); /* frames written between the poll and the ack raise no interrupt */
}

static void update_link(struct gve *g)
{
    if (!g->registered)
        return;
    bool up = gve_dev_link_up(&g->dev);
    if (up == g->n.link_up)
        return;
    pr_info("gve: %s link %s\n", g->n.name, up ? "up" : "down");
    netdev_set_link(&g->n, up);
}

static void mgmt_interrupt(struct int_frame *frame, void *arg)
{
    struct gve *g = arg;
    uint32_t st = g->io.read32(g, GVE_REG_DEVICE_STATUS);
    if (st & GVE_DEV_STATUS_RESET)
        schedule_reset(g, "device asked for a reset");
    update_link(g);
}

static int gve_transmit(struct netdev *n, const void *frame, size_t len)
{
    struct gve *g = n->priv;
    /* The pair of the CPU we are on (a thread moved on before the lock is
     * taken only shares another CPU's pair). The plan's count, not the
     * live one: it is fixed once planned, and a queue the device does not
     * hold now refuses inside the lock. */
    unsigned nq = g->dev.plan.nq, q = nq ? this_cpu()->id % nq : 0;
    uint64_t f = spin_lock_irqsave(&g->tx_lock[q]);
    int r = g->running ? gve_dev_transmit(&g->dev, q, frame, len) : -EIO;
    spin_unlock_irqrestore(&g->tx_lock[q], f);
    if (r == 0)
        __atomic_fetch_add(&n->tx_frames, 1, __ATOMIC_RELAXED);
    return r;
}

static int attach_vectors(struct gve *g);

static int bring_up(struct gve *g)
{
    int err = gve_dev_probe(&g->dev);
    /* Interrupts once the pairs are planned: the management vector comes
     * after the blocks, so where it goes depends on their number. */
    if (!err && !g->vectors) {
        err = attach_vectors(g);
        if (err)
            g->dev.why = "no MSI-X vectors for the planned queues";
        else
            g->vectors = true;
    }
    if (!err)
        err = gve_dev_up(&g->dev);
    if (err) {
        pr_err("gve: %02x:%02x.%x: %s (%d)\n", g->pci.bus, g->pci.dev, g->pci.fn,
               g->dev.why ? g->dev.why : "bring-up failed", err);
        if (g->dev.aq.failures)
            pr_err("gve: last admin command %#x, status %#x\n", g->dev.aq.last_opcode, g->dev.aq.last_status);
        return err;
    }
    __atomic_store_n(&g->running, true, __ATOMIC_SEQ_CST);
    return 0;
}

static void *reset_thread(void *arg)
{
    struct gve *g = arg;
    g->in_thread = true;
    for (;;) {
        sem_down(&g->reset);
        /* The interrupt handlers saw running go false: wait out any in flight. */
        uint64_t f = irq_save();
        for (unsigned q = 0; q < GVE_QMAX; q++)
            spin_lock_raw(&g->tx_lock[q]);
        for (unsigned q = 0; q < GVE_QMAX; q++)
            spin_lock_raw(&g->rx_lock[q]);
        for (unsigned q = GVE_QMAX; q-- > 0;)
            spin_unlock_raw(&g->rx_lock[q]);
        for (unsigned q = GVE_QMAX; q-- > 0;)
            spin_unlock_raw(&g->tx_lock[q]);
        irq_restore(f);
        g->resets++;
        /* A bring-up that fails right after a reset gets two more tries, a
         * second apart, each from a fresh reset. */
        for (unsigned attempt = 0; attempt < 3; attempt++) {
            if (attempt)
                thread_sleep_ns(1000000000ull);
            if (gve_dev_reset(&g->dev) < 0) {
                pr_err("gve: %s: device never confirmed its reset; giving it up\n", g->n.name);
                break;
            }
            if (bring_up(g) == 0) {
                pr_info("gve: %s: device reset, queues back (reset %u)\n", g->n.name, g->resets);
                update_link(g);
                break;
            }
        }
    }
    return NULL;
}

static volatile uint8_t *map_bar(const struct pci_info *p, unsigned i, uint64_t min)
{
    const struct pci_bar *b = &p->bars[i];
    if (b->io || !b->addr || b->size < min)
        return NULL;
    return ioremap(b->addr, b->size);
}

static unsigned msix_table_size(const struct pci_info *p)
{
    uint8_t cap = pci_find_cap(p, PCI_CAP_MSIX, 0);
    return cap ? (pci_read16(p, (uint16_t)(cap + 2)) & 0x7ff) + 1u : 0;
}

/* Where pair q's blocks interrupt: CPU q when it is online and addressable,
 * else the one CPU device interrupts go to. */
static uint32_t pair_target(unsigned q)
{
    if (q < ncpus && q < MAX_CPUS && cpus[q] && cpus[q]->online && cpus[q]->apic_id < 0xff)
        return cpus[q]->apic_id;
    return irq_target_apic_id();
}

/* Entry b for notification block b (transmit queue q is block q, receive
 * queue q block nq + q), the management vector right after them. */
static int attach_vectors(struct gve *g)
{
    unsigned nq = g->dev.plan.nq, nblocks = g->dev.plan.nblocks;
    for (unsigned e = 0; e <= nblocks; e++) {
        int vec = irq_alloc_vector();
        if (vec < 0)
            return -EIO;
        unsigned q = e < nq ? e : e - nq;
        if (e == nblocks) {
            irq_set_handler((unsigned)vec, mgmt_interrupt, g);
        } else {
            g->vec[q] = (struct gve_vec){ g, q };
            irq_set_handler((unsigned)vec, e < nq ? tx_interrupt : rx_interrupt, &g->vec[q]);
        }
        int r = e == nblocks ? -1 : pci_msix_enable_to(&g->pci, e, (unsigned)vec, pair_target(q));
        if (r < 0 && pci_msix_enable(&g->pci, e, (unsigned)vec) < 0)
            return -EIO;
    }
    return 0;
}

static int gve_attach(struct device *dev)
{
    struct gve *g = calloc(1, sizeof(*g));
    if (!g)
        return -ENOMEM;
    g->pci = dev->pci;
    pci_enable(&g->pci);
    g->regs = map_bar(&g->pci, 0, GVE_REGS_SIZE);
    g->dbs = (volatile uint32_t *)map_bar(&g->pci, 2, 4096);
    if (!g->regs || !g->dbs) {
        pr_err("gve: %02x:%02x.%x: registers not in memory BARs 0 and 2\n", g->pci.bus, g->pci.dev, g->pci.fn);
        return -ENODEV;
    }
    snprintf(g->n.name, sizeof(g->n.name), "gve%u", count++);
    g->io = (struct gve_io){ g, io_read32, io_write, io_doorbell, io_sleep_ms, io_alloc_pages };
    g->dev.io = &g->io;
    g->dev.revision = g->pci.revision;
    g->dev.db_limit = (uint32_t)(g->pci.bars[2].size / 4);
    g->dev.msix_vectors = msix_table_size(&g->pci);
    g->dev.ncpus = ncpus;
    if (g->dev.msix_vectors < 3) {
        pr_err("gve: %s: MSI-X table of %u entries; 3 needed\n", g->n.name, g->dev.msix_vectors);
        return -ENODEV;
    }
    sem_init(&g->reset, 0);
    /* A failed bring-up (a command timed out, a status of error) is tried
     * once more from a reset, which also clears a broken admin queue. */
    int err = bring_up(g);
    if (err < 0 && gve_dev_reset(&g->dev) == 0) {
        pr_info("gve: %s: device reset; trying once more\n", g->n.name);
        err = bring_up(g);
    }
    if (err < 0) {
        gve_dev_reset(&g->dev); /* the device lets go of whatever it was given */
        return -EIO;
    }
    if (!thread_create("gve-reset", reset_thread, g, 0))
        return -ENOMEM;
    const struct gve_dev_info *i = &g->dev.info;
    memcpy(g->n.mac, i->mac, 6);
    g->n.mtu = g->dev.plan.mtu;
    g->n.transmit = gve_transmit;
    g->n.priv = g;
    g->n.link_up = gve_dev_link_up(&g->dev);
    pr_info("gve: %s GQI-QPL, revision %u, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u (device %u), link %s, "
            "tx %u (%u pages), rx %u, queues %u/%u offered, %u pair(s) for %u CPU(s), MSI-X %u%s\n",
            g->n.name, g->dev.revision, i->mac[0], i->mac[1], i->mac[2], i->mac[3], i->mac[4], i->mac[5],
            g->n.mtu, i->mtu, g->n.link_up ? "up" : "down", g->dev.plan.tx_entries, g->dev.plan.tx_pages,
            g->dev.plan.rx_entries, g->dev.max_tx_queues, g->dev.max_rx_queues, g->dev.plan.nq, ncpus,
            g->dev.msix_vectors,
            (i->formats & ~(1u << GVE_FMT_GQI_QPL)) ? ", device also offers formats not supported here" : "");
    err = netdev_register(&g->n);
    g->registered = err == 0;
    return err;
}

static const struct pci_id gve_ids[] = { { 0x1ae0, 0x0042 }, { 0, 0 } };

DEVICE_DRIVER(gve) = { "gve", BUS_PCI, gve_ids, false, gve_attach };
