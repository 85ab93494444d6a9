/* AHCI host controllers on PCI (class 01/06/01: ich9-ahci and any AHCI 1.x
 * HBA): every ATA disk on every implemented port becomes a block device
 * (READ/WRITE DMA EXT, or READ/WRITE FPDMA QUEUED where HBA and disk both
 * offer NCQ; FLUSH CACHE EXT). ATAPI drives and port multipliers are named
 * and left alone. Errors fail the requests in flight and reset the port. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ahci_proto.h"
#include "block.h"
#include "clock.h"
#include "cmdline.h"
#include "log.h"
#include "memory.h"
#include "pci.h"
#include "sched.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"

#define MS 1000000ull
#define CMD_TIMEOUT (30000 * MS) /* a command the disk never finishes: libata's 30 s */
#define POLLED_TIMEOUT (5000 * MS)
#define MAX_REQUEST_BYTES (4u << 20)
#define PORT_MEM_PAGES 3 /* command list (1 KiB) + received FIS (256 B) + 32 tables of 256 B */

struct ahci_hba;

struct ahci_slot {
    struct block_request *r;
    uint32_t bytes;
    bool ncq;
    unsigned permits; /* slots-semaphore counts given back when it ends */
};

struct ahci_port {
    struct ahci_hba *hba;
    unsigned index;
    struct ahci_cmd_header *cl;
    uint8_t *rfis;
    struct ahci_cmd_table *ct;
    struct spinlock lock;
    struct semaphore slots;  /* requests allowed in flight */
    struct mutex flush_gate; /* a flush (non-queued) waits for every slot */
    uint32_t busy;           /* slots issued and not finished */
    struct ahci_slot slot[AHCI_MAX_SLOTS];
    unsigned depth;
    bool use_ncq;
    struct timer watchdog;
    /* Recovery runs on the HBA's thread, not in interrupt context: set
     * (with the port's interrupts masked) by the interrupt or the
     * watchdog, cleared when the port is back. New commands wait at the
     * gate meanwhile. */
    bool recover_wanted, recovering;
    const char *recover_why;
    uint32_t recover_is;
    struct mutex recover_gate;
    struct block_dev b;
};

struct ahci_hba {
    volatile uint8_t *abar;
    struct ahci_io io;
    uint32_t cap;
    unsigned nslots;
    struct ahci_port *ports[AHCI_MAX_PORTS];
    struct semaphore recover; /* a port wants recovery */
};

static unsigned disk_count;

static uint32_t mmio_read(void *ctx, unsigned off) { return *(volatile uint32_t *)(((struct ahci_hba *)ctx)->abar + off); }
static void mmio_write(void *ctx, unsigned off, uint32_t v) { *(volatile uint32_t *)(((struct ahci_hba *)ctx)->abar + off) = v; }
static uint64_t now_ns(void *ctx) { return clock_monotonic_ns(); }
static uint32_t port_read(struct ahci_port *p, unsigned reg) { return mmio_read(p->hba, AHCI_PORT(p->index) + reg); }
static void port_write(struct ahci_port *p, unsigned reg, uint32_t v) { mmio_write(p->hba, AHCI_PORT(p->index) + reg, v); }

/* The buffer's device address when it is physically contiguous (the
 * identity-mapped heap and pages are), else 0. */
static uint64_t dma_range(const void *buf, uint32_t len)
{
    uint64_t va = (uint64_t)(uintptr_t)buf;
    int64_t first = paging_translate(va);
    if (first <= 0)
        return 0;
    for (uint64_t page = (va & ~(PAGE_SIZE - 1)) + PAGE_SIZE; page < va + len; page += PAGE_SIZE) {
        if (paging_translate(page) != first + (int64_t)(page - va))
            return 0;
    }
    return (uint64_t)first;
}

/* Fills a slot's header and command table; the caller issues it. */
static int prepare(struct ahci_port *p, unsigned slot, uint8_t cmd, uint64_t lba, uint32_t count, void *buf,
                   uint32_t bytes, bool write)
{
    struct ahci_cmd_table *t = &p->ct[slot];
    struct ahci_cmd_header *h = &p->cl[slot];
    memset(t, 0, sizeof(*t));
    ahci_build_h2d(t->cfis, cmd, lba, count, slot);
    int n = 0;
    if (bytes) {
        uint64_t pa = dma_range(buf, bytes);
        if (!pa || (!(p->hba->cap & AHCI_CAP_S64A) && pa + bytes > 0x100000000ull))
            return -EINVAL;
        n = ahci_fill_prdt(t->prd, AHCI_PRDS, pa, bytes);
        if (n < 0)
            return n;
    }
    h->flags = (uint16_t)(5 | (write ? AHCI_HDR_WRITE : 0));
    h->prdtl = (uint16_t)n;
    h->prdbc = 0;
    uint64_t ta = dma_range(t, sizeof(*t));
    h->ctba = (uint32_t)ta;
    h->ctbau = (uint32_t)(ta >> 32);
    return 0;
}

/* A command polled in slot 0 while the port's interrupts are off: at attach
 * time, and the retries after a reset (recover_port). */
static int exec_polled(struct ahci_port *p, uint8_t cmd, uint64_t lba, uint32_t count, void *buf, uint32_t bytes,
                       bool write)
{
    if (prepare(p, 0, cmd, lba, count, buf, bytes, write) < 0)
        return -EINVAL;
    p->rfis[AHCI_RFIS_D2H] = 0;
    port_write(p, PX_IS, 0xffffffffu);
    port_write(p, PX_CI, 1);
    /* Done when the HBA clears the slot, or when it stops on an error
     * (a task-file error leaves PxCI set until the port is reset). */
    int rc = -ETIMEDOUT;
    for (uint64_t end = clock_monotonic_ns() + POLLED_TIMEOUT; clock_monotonic_ns() < end;) {
        if (!(port_read(p, PX_CI) & 1) || (port_read(p, PX_IS) & PX_IS_FATAL)) {
            rc = 0;
            break;
        }
        cpu_relax();
    }
    if (rc < 0)
        pr_warn("ahci: port %u: command %#x did not end within %llu ms\n", p->index, cmd,
                (unsigned long long)(POLLED_TIMEOUT / MS));
    struct ahci_outcome o = { port_read(p, PX_TFD), port_read(p, PX_IS), p->cl[0].prdbc, bytes, false, p->rfis };
    const char *why = "time-out";
    if (rc == 0)
        rc = ahci_check_outcome(&o, &why);
    if (rc < 0) {
        pr_warn("ahci: port %u: command %#x failed: %s (tfd %#x, is %#x); resetting the port\n", p->index, cmd,
                why, o.tfd, o.is);
        ahci_port_recover(&p->hba->io, p->index);
    }
    return rc;
}

static void release(struct ahci_port *p, unsigned permits)
{
    while (permits--)
        sem_up(&p->slots);
}

static void finish(struct ahci_slot *s, int status)
{
    struct block_request *r = s->r;
    r->status = status;
    r->done(r);
}

/* After a task-file or interface error, or a command that never finished,
 * the port is reset. A queued (NCQ) command whose bit the device already
 * cleared from PxSACT completed before the error and ends well. The others
 * still outstanding cannot be told apart (which one failed, and which were
 * only in flight beside it): each is run once more, alone, non-queued and
 * polled, before the port takes new work, and ends as that retry ends. So a
 * failed write does not make its neighbours fail, however many were in
 * flight, and an error that was transient does not reach the caller.
 * Interrupt context only asks (the port's interrupts masked, so a level
 * line cannot storm); the HBA's thread does the bounded waits. */
static void request_recovery(struct ahci_port *p, const char *why, uint32_t is)
{
    uint64_t f = spin_lock_irqsave(&p->lock);
    if (!p->recover_wanted && !p->recovering) {
        p->recover_wanted = true;
        p->recover_why = why;
        p->recover_is = is;
        port_write(p, PX_IE, 0);
        timer_cancel(&p->watchdog);
        sem_up(&p->hba->recover);
    }
    spin_unlock_irqrestore(&p->lock, f);
}

static int retry_alone(struct ahci_port *p, const struct ahci_slot *s)
{
    struct block_request *r = s->r;
    if (r->op == BLOCK_FLUSH)
        return exec_polled(p, ATA_CMD_FLUSH_EXT, 0, 0, NULL, 0, false);
    bool write = r->op == BLOCK_WRITE;
    return exec_polled(p, write ? ATA_CMD_WRITE_DMA_EXT : ATA_CMD_READ_DMA_EXT, r->sector, r->count, r->buf, s->bytes,
                       write);
}

static void recover_port(struct ahci_port *p)
{
    struct ahci_slot ended[AHCI_MAX_SLOTS];
    int status[AHCI_MAX_SLOTS];
    unsigned n = 0;
    mutex_lock(&p->recover_gate);
    uint64_t f = spin_lock_irqsave(&p->lock);
    p->recover_wanted = false;
    p->recovering = true;
    uint32_t sact = port_read(p, PX_SACT), ci = port_read(p, PX_CI);
    pr_warn("ahci: %s: %s (tfd %#x, is %#x, serr %#x, ci %#x, sact %#x); resetting port %u\n", p->b.name,
            p->recover_why, port_read(p, PX_TFD), p->recover_is, port_read(p, PX_SERR), ci, sact, p->index);
    for (unsigned s = 0; s < AHCI_MAX_SLOTS; s++) {
        if (!(p->busy & (1u << s)))
            continue;
        bool done_before = p->slot[s].ncq && !((sact | ci) & (1u << s));
        status[n] = done_before ? 0 : -EIO;
        ended[n++] = p->slot[s];
    }
    p->busy = 0;
    spin_unlock_irqrestore(&p->lock, f);
    /* The waits (port stop, COMRESET, link) run with interrupts on. */
    bool back = ahci_port_recover(&p->hba->io, p->index) == 0;
    if (!back)
        pr_err("ahci: %s: port %u does not come back after reset\n", p->b.name, p->index);
    for (unsigned i = 0; i < n && back; i++) {
        if (status[i] == 0)
            continue;
        status[i] = retry_alone(p, &ended[i]);
        pr_warn("ahci: %s: sector %llu (%u): retried alone after the reset: %s\n", p->b.name,
                (unsigned long long)ended[i].r->sector, ended[i].r->count, status[i] == 0 ? "done" : "failed again");
    }
    f = spin_lock_irqsave(&p->lock);
    port_write(p, PX_IS, port_read(p, PX_IS));
    port_write(p, PX_IE, PX_IE_USED); /* a COMRESET may have cleared it too */
    p->recovering = false;
    spin_unlock_irqrestore(&p->lock, f);
    mutex_unlock(&p->recover_gate);
    for (unsigned i = 0; i < n; i++) {
        finish(&ended[i], status[i]);
        release(p, ended[i].permits);
    }
}

static void *recovery_thread(void *arg)
{
    struct ahci_hba *h = arg;
    for (;;) {
        sem_down(&h->recover);
        for (unsigned i = 0; i < AHCI_MAX_PORTS; i++) {
            struct ahci_port *p = h->ports[i];
            if (p && __atomic_load_n(&p->recover_wanted, __ATOMIC_ACQUIRE))
                recover_port(p);
        }
    }
    return NULL;
}

static void watchdog_fired(struct timer *t, void *arg)
{
    struct ahci_port *p = arg;
    if (__atomic_load_n(&p->busy, __ATOMIC_RELAXED))
        request_recovery(p, "command timed out", port_read(p, PX_IS));
}

/* Completes the slots the HBA has finished with; checks each outcome. */
static void port_interrupt(struct ahci_port *p)
{
    uint32_t is = port_read(p, PX_IS);
    port_write(p, PX_IS, is);
    if (is & PX_IS_FATAL) {
        request_recovery(p, is & PX_IS_TFES ? "task-file error" : "interface or host bus error", is);
        return;
    }
    struct ahci_slot done[AHCI_MAX_SLOTS];
    int status[AHCI_MAX_SLOTS];
    unsigned n = 0;
    uint64_t f = spin_lock_irqsave(&p->lock);
    uint32_t pending = port_read(p, PX_CI) | port_read(p, PX_SACT);
    uint32_t finished = p->busy & ~pending;
    uint32_t tfd = port_read(p, PX_TFD);
    for (unsigned s = 0; s < AHCI_MAX_SLOTS; s++) {
        if (!(finished & (1u << s)))
            continue;
        struct ahci_outcome o = { tfd, is, p->cl[s].prdbc, p->slot[s].bytes, p->slot[s].ncq,
                                  p->slot[s].ncq ? NULL : p->rfis };
        const char *why;
        status[n] = ahci_check_outcome(&o, &why);
        if (status[n] < 0)
            pr_warn("ahci: %s: slot %u: %s (tfd %#x, %u of %u bytes)\n", p->b.name, s, why, tfd, o.prdbc,
                    o.expected);
        done[n++] = p->slot[s];
    }
    p->busy &= ~finished;
    if (!p->busy)
        timer_cancel(&p->watchdog);
    else if (finished)
        timer_arm(&p->watchdog, clock_monotonic_ns() + CMD_TIMEOUT);
    spin_unlock_irqrestore(&p->lock, f);
    for (unsigned i = 0; i < n; i++) {
        finish(&done[i], status[i]);
        release(p, done[i].permits);
    }
}

static void hba_interrupt(struct int_frame *fr, void *arg)
{
    struct ahci_hba *h = arg;
    uint32_t is = mmio_read(h, AHCI_IS);
    if (!is)
        return; /* a shared INTx line: not ours */
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++) {
        if (!(is & (1u << i)))
            continue;
        if (h->ports[i])
            port_interrupt(h->ports[i]);
        else /* a port we do not drive: acknowledge, so a level line cannot storm */
            mmio_write(h, AHCI_PORT(i) + PX_IS, mmio_read(h, AHCI_PORT(i) + PX_IS));
    }
    mmio_write(h, AHCI_IS, is);
}

static int issue(struct ahci_port *p, struct block_request *r, uint32_t bytes, unsigned permits)
{
    uint8_t cmd;
    bool ncq = p->use_ncq && r->op != BLOCK_FLUSH;
    if (r->op == BLOCK_FLUSH)
        cmd = ATA_CMD_FLUSH_EXT;
    else if (r->op == BLOCK_READ)
        cmd = ncq ? ATA_CMD_READ_FPDMA : ATA_CMD_READ_DMA_EXT;
    else
        cmd = ncq ? ATA_CMD_WRITE_FPDMA : ATA_CMD_WRITE_DMA_EXT;
    uint64_t f = spin_lock_irqsave(&p->lock);
    while (p->recovering || p->recover_wanted) {
        spin_unlock_irqrestore(&p->lock, f);
        mutex_lock(&p->recover_gate); /* held while the port is reset */
        mutex_unlock(&p->recover_gate);
        thread_yield();               /* a recovery asked for but not yet begun */
        f = spin_lock_irqsave(&p->lock);
    }
    unsigned s = 0;
    while (s < p->hba->nslots && (p->busy & (1u << s)))
        s++;
    int rc = s == p->hba->nslots ? -EAGAIN
                                 : prepare(p, s, cmd, r->sector, r->count, r->buf, bytes, r->op == BLOCK_WRITE);
    if (rc == 0) {
        p->slot[s] = (struct ahci_slot){ r, bytes, ncq, permits };
        if (!p->busy)
            timer_arm(&p->watchdog, clock_monotonic_ns() + CMD_TIMEOUT);
        p->busy |= 1u << s;
        if (!ncq)
            p->rfis[AHCI_RFIS_D2H] = 0; /* so a stale register FIS is never read as this one's */
        else
            port_write(p, PX_SACT, 1u << s);
        port_write(p, PX_CI, 1u << s);
    }
    spin_unlock_irqrestore(&p->lock, f);
    return rc;
}

static int ahci_submit(struct block_dev *b, struct block_request *r)
{
    struct ahci_port *p = b->priv;
    uint64_t bytes = (uint64_t)r->count * b->sector_size;
    if (r->op == BLOCK_FLUSH && !b->can_flush)
        return -EOPNOTSUPP;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->count > 0xffff || r->sector + r->count > b->sectors ||
                                 r->sector + r->count < r->sector || bytes > MAX_REQUEST_BYTES))
        return -EINVAL;
    if (r->op == BLOCK_FLUSH)
        bytes = 0;
    if (r->op == BLOCK_FLUSH && p->depth > 1) {
        /* Non-queued: nothing else may be in flight while it runs, so it
         * holds every permit until it completes. */
        mutex_lock(&p->flush_gate);
        for (unsigned i = 0; i < p->depth; i++)
            sem_down(&p->slots);
        mutex_unlock(&p->flush_gate);
        int rc = issue(p, r, 0, p->depth);
        if (rc < 0)
            release(p, p->depth);
        return rc;
    }
    sem_down(&p->slots);
    int rc = issue(p, r, (uint32_t)bytes, 1);
    if (rc < 0)
        sem_up(&p->slots);
    return rc;
}

static int identify(struct ahci_port *p, struct ata_identity *id)
{
    uint8_t *data = pages_alloc(1, PAGE_SIZE);
    if (!data)
        return -ENOMEM;
    int rc = exec_polled(p, ATA_CMD_IDENTIFY, 0, 0, data, 512, false);
    const char *why = NULL;
    if (rc == 0)
        rc = ata_identify_parse(data, id, &why);
    if (rc < 0 && why)
        pr_warn("ahci: port %u: IDENTIFY DEVICE unusable: %s\n", p->index, why);
    pages_free(data, 1);
    return rc;
}

static struct ahci_port *port_alloc(struct ahci_hba *h, unsigned index)
{
    struct ahci_port *p = calloc(1, sizeof(*p));
    uint8_t *mem = pages_alloc(PORT_MEM_PAGES, PAGE_SIZE);
    if (!p || !mem) {
        free(p);
        return NULL;
    }
    p->hba = h;
    p->index = index;
    p->cl = (struct ahci_cmd_header *)mem;
    p->rfis = mem + 1024;
    p->ct = (struct ahci_cmd_table *)(mem + PAGE_SIZE);
    mutex_init(&p->flush_gate);
    mutex_init(&p->recover_gate);
    timer_setup(&p->watchdog, watchdog_fired, p);
    return p;
}

/* One port: what is there, and a block device if it is an ATA disk. */
static void port_setup(struct ahci_hba *h, unsigned index)
{
    struct ahci_port *p = port_alloc(h, index);
    if (!p) {
        pr_warn("ahci: port %u: out of memory\n", index);
        return;
    }
    enum ahci_dev_kind kind;
    uint64_t clb = dma_range(p->cl, 1024), fb = dma_range(p->rfis, AHCI_RFIS_SIZE);
    if (ahci_port_probe(&h->io, index, clb, fb, &kind) < 0 || kind != AHCI_DEV_ATA) {
        if (kind != AHCI_DEV_NONE)
            pr_info("ahci: port %u: %s (signature %#x), left alone\n", index, ahci_kind_name(kind),
                    port_read(p, PX_SIG));
        ahci_port_stop(&h->io, index);
        pages_free(p->cl, PORT_MEM_PAGES);
        free(p);
        return;
    }
    struct ata_identity id;
    if (ahci_port_start(&h->io, index) < 0 || identify(p, &id) < 0) {
        pr_warn("ahci: port %u: ATA disk not usable\n", index);
        ahci_port_stop(&h->io, index);
        return; /* the port memory stays: the HBA may still point at it */
    }
    const char *ncq_opt = cmdline_param(kernel_options(), "ahci.ncq", 0);
    p->use_ncq = id.ncq && (h->cap & AHCI_CAP_SNCQ) && !(ncq_opt && strcmp(ncq_opt, "0") == 0);
    p->depth = p->use_ncq ? (id.ncq_depth < h->nslots ? id.ncq_depth : h->nslots) : 1;
    sem_init(&p->slots, p->depth);
    snprintf(p->b.name, sizeof(p->b.name), "sata%u", disk_count++);
    p->b.sector_size = id.sector_size;
    p->b.sectors = id.sectors;
    p->b.can_flush = id.flush_ext;
    p->b.queue_depth = p->depth;
    p->b.submit = ahci_submit;
    p->b.priv = p;
    port_write(p, PX_IS, 0xffffffffu);
    port_write(p, PX_IE, PX_IE_USED);
    h->ports[index] = p;
    pr_info("ahci: %s on port %u: \"%s\" serial \"%s\", %llu sectors of %u bytes (%llu MiB), %s depth %u\n",
            p->b.name, index, id.model, id.serial, (unsigned long long)id.sectors, id.sector_size,
            (unsigned long long)(id.sectors * id.sector_size >> 20), p->use_ncq ? "NCQ" : "DMA EXT", p->depth);
    block_register(&p->b);
}

/* ahci.irq=intx|msi narrows the interrupt kinds tried (default: MSI, else INTx). */
static unsigned irq_kinds(void)
{
    const char *v = cmdline_param(kernel_options(), "ahci.irq", 0);
    if (v && strcmp(v, "intx") == 0)
        return PCI_IRQ_INTX;
    if (v && strcmp(v, "msi") == 0)
        return PCI_IRQ_MSI;
    if (v)
        pr_warn("ahci: ahci.irq=%s unknown; trying MSI, then INTx\n", v);
    return PCI_IRQ_MSI | PCI_IRQ_INTX;
}

static int ahci_attach(struct device *dev)
{
    const struct pci_info *pi = &dev->pci;
    const struct pci_bar *bar = &pi->bars[5];
    if (pi->class_code != 0x01 || pi->subclass != 0x06 || pi->prog_if != 0x01 || bar->io || bar->size < 0x180)
        return -1;
    struct ahci_hba *h = calloc(1, sizeof(*h));
    if (!h)
        return -1;
    h->abar = ioremap(bar->addr, bar->size);
    if (!h->abar) {
        free(h);
        return -1;
    }
    h->io = (struct ahci_io){ mmio_read, mmio_write, now_ns, h };
    sem_init(&h->recover, 0);
    if (!thread_create("ahci-recovery", recovery_thread, h, 0)) {
        free(h);
        return -1;
    }
    pci_enable(pi);
    if (ahci_hba_reset(&h->io) < 0) {
        pr_warn("ahci: %02x:%02x.%u: HBA does not come out of reset\n", pi->bus, pi->dev, pi->fn);
        return -1;
    }
    h->cap = mmio_read(h, AHCI_CAP);
    h->nslots = ((h->cap >> 8) & 0x1f) + 1;
    uint32_t vs = mmio_read(h, AHCI_VS), pi_mask = mmio_read(h, AHCI_PI);
    unsigned nports = (h->cap & 0x1f) + 1;
    if (!pi_mask) /* AHCI 1.0 HBAs may leave PI empty: CAP.NP counts the ports */
        pi_mask = nports >= 32 ? 0xffffffffu : (1u << nports) - 1;
    enum pci_irq_kind kind;
    if (pci_attach_irq(pi, irq_kinds(), hba_interrupt, h, &kind) < 0) {
        pr_warn("ahci: %02x:%02x.%u: no interrupt\n", pi->bus, pi->dev, pi->fn);
        return -1;
    }
    pr_info("ahci: %04x:%04x at %02x:%02x.%u, AHCI %x.%x, ports %#x, %u slots%s%s, %s\n", pi->vendor, pi->device,
            pi->bus, pi->dev, pi->fn, vs >> 16, (vs >> 8) & 0xff, pi_mask, h->nslots,
            h->cap & AHCI_CAP_SNCQ ? ", NCQ" : "", h->cap & AHCI_CAP_S64A ? ", 64-bit" : "", pci_irq_kind_name(kind));
    for (unsigned i = 0; i < AHCI_MAX_PORTS; i++) {
        if (pi_mask & (1u << i))
            port_setup(h, i);
    }
    mmio_write(h, AHCI_IS, 0xffffffffu);
    mmio_write(h, AHCI_GHC, AHCI_GHC_AE | AHCI_GHC_IE);
    dev->priv = h;
    return 0;
}

/* Any AHCI 1.x HBA by its class (mass storage, SATA, AHCI); ich9-ahci by name. */
static const struct pci_id ahci_ids[] = { { 0x8086, 0x2922 }, { PCI_ID_CLASS, 0x0106 }, { 0, 0 } };

DEVICE_DRIVER(ahci) = { "ahci", BUS_PCI, ahci_ids, false, ahci_attach };
