/* PVSCSI (PCI 15ad:07c0), VMware's paravirtual SCSI adapter, as a SCSI host
 * for drivers/scsi: request, completion and message rings in shared pages,
 * scatter-gather lists past one page, one interrupt through
 * pci_attach_irq(). A request that outlives its time-out resets the adapter
 * and then the bus (pvscsi.timeout_ms=, default 30 s); every request
 * waiting then fails. */
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cmdline.h"
#include "errno.h"
#include "irq_param.h"
#include "log.h"
#include "memory.h"
#include "pci.h"
#include "platform.h"
#include "pvscsi_ring.h"
#include "scsi.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"

#define REG_COMMAND 0x0
#define REG_COMMAND_DATA 0x4
#define REG_COMMAND_STATUS 0x8
#define REG_INTR_STATUS 0x100c
#define REG_INTR_MASK 0x2010
#define REG_KICK_NON_RW_IO 0x3014
#define REG_KICK_RW_IO 0x4018
#define REGS_MIN_SIZE 0x4020

#define CMD_ADAPTER_RESET 1
#define CMD_SETUP_RINGS 3
#define CMD_RESET_BUS 4
#define CMD_SETUP_MSG_RING 8

#define INTR_CMPL_MASK 0x3
#define INTR_MSG_MASK 0xc

#define REQ_PAGES 2  /* 32 requests a page */
#define CMP_PAGES 1  /* 128 completions a page */
#define MSG_PAGES 1  /* 64 messages a page */
#define SLOTS 32
/* A request's scatter-gather list stays inside one page (VMware reads a
 * list past a page only through chain elements): 128 elements, Linux's
 * cap, so 127 pages at any alignment a command; the SCSI layer splits
 * larger requests. Two lists a page. */
#define SG_MAX 128u
#define SG_PAGES ((SLOTS * SG_MAX * sizeof(struct pvscsi_sg_elem) + 4095) / 4096)
_Static_assert(4096 % (SG_MAX * 16) == 0, "a list never crosses a page");
#define SENSE_SIZE SCSI_SENSE_MAX
/* No time-out: a deadline a century away (sums with now stay in range). */
#define NO_TIMEOUT_NS (100ull * 365 * 24 * 3600 * 1000000000ull)
#define TIMEOUT_MS_DEFAULT 30000
#define SIMPLE_QUEUE_TAG 0x20

struct pvscsi {
    struct pci_info pci;
    volatile uint8_t *regs;
    struct spinlock lock;
    struct semaphore slots;
    struct pvscsi_ring ring;
    struct scsi_cmd *cmds[SLOTS];
    uint8_t *sense;             /* SLOTS x SENSE_SIZE */
    struct pvscsi_sg_elem *sg;  /* SLOTS x SG_MAX */
    volatile struct pvscsi_msg_desc *msg_mem;
    bool msg_ring;
    struct timer watchdog;
    unsigned resets;
    uint64_t timeout_ns;
    struct scsi_host host;
};

static uint32_t reg_read(struct pvscsi *d, unsigned off) { return *(volatile uint32_t *)(d->regs + off); }
static void reg_write(struct pvscsi *d, unsigned off, uint32_t v) { *(volatile uint32_t *)(d->regs + off) = v; }
static uint64_t phys(const void *p) { return (uint64_t)(uintptr_t)p; }

/* A command and its descriptor, word by word; the device's verdict. */
static uint32_t command(struct pvscsi *d, uint32_t cmd, const void *desc, size_t len)
{
    reg_write(d, REG_COMMAND, cmd);
    const uint32_t *w = desc;
    for (size_t i = 0; i < len / 4; i++)
        reg_write(d, REG_COMMAND_DATA, w[i]);
    return reg_read(d, REG_COMMAND_STATUS);
}

struct setup_rings {
    uint32_t req_pages, cmp_pages;
    uint64_t state_ppn;
    uint64_t req_ppns[32];
    uint64_t cmp_ppns[32];
};

struct setup_msg_ring {
    uint32_t pages, pad;
    uint64_t ppns[16];
};

/* Hands the rings to the device (at attach and after an adapter reset). */
static int setup_rings(struct pvscsi *d)
{
    struct pvscsi_ring *r = &d->ring;
    memset((void *)r->state, 0, 4096);
    struct setup_rings sr;
    memset(&sr, 0, sizeof(sr));
    sr.req_pages = REQ_PAGES;
    sr.cmp_pages = CMP_PAGES;
    sr.state_ppn = phys((const void *)r->state) >> 12;
    for (unsigned i = 0; i < REQ_PAGES; i++)
        sr.req_ppns[i] = (phys(r->req) >> 12) + i;
    for (unsigned i = 0; i < CMP_PAGES; i++)
        sr.cmp_ppns[i] = (phys((const void *)r->cmp) >> 12) + i;
    if (command(d, CMD_SETUP_RINGS, &sr, sizeof(sr)) != 0)
        return -EIO;
    /* SETUP_MSG_RING answers all ones right after the command word when the
     * device has no message ring. */
    reg_write(d, REG_COMMAND, CMD_SETUP_MSG_RING);
    d->msg_ring = reg_read(d, REG_COMMAND_STATUS) != 0xffffffffu;
    if (d->msg_ring) {
        struct setup_msg_ring sm;
        memset(&sm, 0, sizeof(sm));
        sm.pages = MSG_PAGES;
        for (unsigned i = 0; i < MSG_PAGES; i++)
            sm.ppns[i] = (phys((const void *)d->msg_mem) >> 12) + i;
        const uint32_t *w = (const uint32_t *)&sm;
        for (size_t i = 0; i < sizeof(sm) / 4; i++)
            reg_write(d, REG_COMMAND_DATA, w[i]);
        /* QEMU answers the descriptor's length in words, not 0. */
        d->msg_ring = reg_read(d, REG_COMMAND_STATUS) != 0xffffffffu;
    }
    pvscsi_ring_init(r, SLOTS);
    r->msg = d->msg_ring ? d->msg_mem : NULL;
    if (!pvscsi_ring_sizes_ok(r)) {
        pr_err("pvscsi: device reports ring sizes %u/%u/%u (log2), not ours\n", r->state->req_entries_log2,
               r->state->cmp_entries_log2, r->state->msg_entries_log2);
        return -EIO;
    }
    reg_write(d, REG_INTR_MASK, INTR_CMPL_MASK | (d->msg_ring ? INTR_MSG_MASK : 0));
    return 0;
}

static void finish(struct scsi_cmd *c, const struct pvscsi_cmp_result *res, const uint8_t *sense)
{
    c->host_status = res->host_status;
    c->status = res->scsi_status;
    c->resid = c->data_len - (res->data_len < c->data_len ? res->data_len : c->data_len);
    c->sense_len = res->scsi_status == 2 ? res->sense_len : 0;
    memcpy(c->sense, sense, c->sense_len);
    c->done(c);
}

static void fail(struct scsi_cmd *c, int err)
{
    c->host_status = err;
    c->status = 0xff;
    c->resid = c->data_len;
    c->sense_len = 0;
    c->done(c);
}

/* Adapter reset, rings again, then a bus reset; returns the commands that
 * were waiting (the caller ends them outside the lock). Lock held. */
static uint64_t recover_locked(struct pvscsi *d, const char *why, struct scsi_cmd **failed)
{
    d->resets++;
    pr_warn("pvscsi: %s; resetting the adapter and the bus (reset %u)\n", why, d->resets);
    reg_write(d, REG_COMMAND, CMD_ADAPTER_RESET);
    uint64_t mask = pvscsi_ring_fail_all(&d->ring);
    for (unsigned i = 0; i < SLOTS; i++) {
        failed[i] = (mask >> i) & 1 ? d->cmds[i] : NULL;
        d->cmds[i] = NULL;
    }
    if (setup_rings(d) < 0)
        pr_err("pvscsi: the adapter did not come back after its reset\n");
    command(d, CMD_RESET_BUS, NULL, 0);
    return mask;
}

/* Ends the commands a reset took: those past their deadline with
 * -ETIMEDOUT, the others, which only waited behind them, with -EAGAIN; the
 * SCSI layer sends both again a bounded number of times (Linux's error
 * handler retries after a reset too). */
static void fail_all(struct pvscsi *d, uint64_t mask, uint64_t expired, struct scsi_cmd **failed)
{
    for (unsigned i = 0; i < SLOTS; i++) {
        if ((mask >> i) & 1 && failed[i]) {
            fail(failed[i], (expired >> i) & 1 ? -ETIMEDOUT : -EAGAIN);
            sem_up(&d->slots);
        }
    }
}

static void log_event(const struct pvscsi_event *ev)
{
    const char *what = ev->type == PVSCSI_MSG_DEV_ADDED     ? "added"
                       : ev->type == PVSCSI_MSG_DEV_REMOVED ? "removed"
                                                            : "unknown event";
    pr_info("pvscsi: device %s at bus %u target %u lun %u\n", what, ev->bus, ev->target, ev->lun);
}

static bool is_rw(uint8_t op)
{
    return op == 0x08 || op == 0x0a || op == 0x28 || op == 0x2a || op == 0xa8 || op == 0xaa || op == 0x88 ||
           op == 0x8a;
}

static void drain(struct pvscsi *d)
{
    for (;;) {
        struct pvscsi_cmp_result res;
        struct scsi_cmd *failed[SLOTS];
        uint64_t f = spin_lock_irqsave(&d->lock);
        enum pvscsi_cmp_kind k = pvscsi_ring_next_cmp(&d->ring, SENSE_SIZE, &res);
        if (k == PVSCSI_CMP_NONE) {
            spin_unlock_irqrestore(&d->lock, f);
            break;
        }
        if (k == PVSCSI_CMP_DROPPED) {
            spin_unlock_irqrestore(&d->lock, f);
            pr_warn("pvscsi: completion for no request in flight dropped (%u so far)\n", d->ring.unknown);
            continue;
        }
        if (k == PVSCSI_CMP_OVERRUN) {
            uint64_t mask = recover_locked(d, "completion producer index past the ring", failed);
            spin_unlock_irqrestore(&d->lock, f);
            fail_all(d, mask, 0, failed);
            break;
        }
        struct scsi_cmd *c = d->cmds[res.slot];
        d->cmds[res.slot] = NULL;
        spin_unlock_irqrestore(&d->lock, f);
        if (res.host_status < 0 && res.btstat != PVSCSI_BTSTAT_SELTIMEO)
            pr_debug("pvscsi: %u:%u opcode %#x: host status %#x or a data length out of range\n", c->target,
                     c->lun, c->cdb[0], res.btstat);
        /* A short read or write of unknown size fails; a CHECK CONDITION
         * moves no data and its sense says what happened. */
        if (res.len_unknown && is_rw(c->cdb[0]) && res.scsi_status == 0)
            res.host_status = -EIO;
        finish(c, &res, d->sense + res.slot * SENSE_SIZE);
        sem_up(&d->slots);
    }
    for (;;) {
        struct pvscsi_event ev;
        uint64_t f = spin_lock_irqsave(&d->lock);
        int n = pvscsi_ring_next_msg(&d->ring, &ev);
        spin_unlock_irqrestore(&d->lock, f);
        if (n == 0)
            break;
        if (n < 0) {
            pr_warn("pvscsi: message producer index past the ring; events lost\n");
            break;
        }
        log_event(&ev);
    }
}

static void pvscsi_interrupt(struct int_frame *frame, void *arg)
{
    struct pvscsi *d = arg;
    uint32_t st = reg_read(d, REG_INTR_STATUS);
    if (st == 0)
        return; /* a shared INTx line: someone else's */
    reg_write(d, REG_INTR_STATUS, st);
    drain(d);
}

static void watchdog(struct timer *t, void *arg)
{
    struct pvscsi *d = arg;
    struct scsi_cmd *failed[SLOTS];
    /* Completions the device posted but no interrupt delivered yet end
     * well, not in the reset. */
    drain(d);
    uint64_t now = clock_monotonic_ns();
    uint64_t f = spin_lock_irqsave(&d->lock);
    uint64_t mask = 0, expired = pvscsi_ring_expired(&d->ring, now);
    if (expired) {
        mask = recover_locked(d, "a request timed out", failed);
    } else {
        uint64_t next = UINT64_MAX;
        for (unsigned i = 0; i < d->ring.nslots; i++) {
            if (d->ring.in_flight[i] && d->ring.deadline[i] < next)
                next = d->ring.deadline[i];
        }
        if (next != UINT64_MAX)
            timer_arm(&d->watchdog, next);
    }
    spin_unlock_irqrestore(&d->lock, f);
    fail_all(d, mask, expired, failed);
}

static void fill_request(struct pvscsi *d, unsigned slot, struct scsi_cmd *c, struct pvscsi_req_desc *e)
{
    memset(e, 0, sizeof(*e));
    e->target = (uint8_t)c->target;
    e->lun[1] = (uint8_t)c->lun;
    e->tag = SIMPLE_QUEUE_TAG;
    memcpy(e->cdb, c->cdb, c->cdb_len);
    e->cdb_len = c->cdb_len;
    e->sense_addr = phys(d->sense + slot * SENSE_SIZE);
    e->sense_len = SENSE_SIZE;
    e->data_len = c->dir == SCSI_NONE ? 0 : c->data_len;
    e->flags = c->dir == SCSI_TO_DEVICE     ? PVSCSI_REQ_FLAG_DIR_TODEVICE
               : c->dir == SCSI_FROM_DEVICE ? PVSCSI_REQ_FLAG_DIR_TOHOST
                                            : PVSCSI_REQ_FLAG_DIR_NONE;
    if (!e->data_len)
        return;
    uint64_t addr = phys(c->data);
    if ((addr & 4095) + c->data_len <= 4096) {
        e->data_addr = addr;
        return;
    }
    struct pvscsi_sg_elem *sg = d->sg + slot * SG_MAX;
    pvscsi_build_sg(sg, SG_MAX, addr, c->data_len); /* checked by the caller */
    e->data_addr = phys(sg);
    e->flags |= PVSCSI_REQ_FLAG_SG_LIST;
}

static int queuecommand(struct scsi_host *h, struct scsi_cmd *c)
{
    struct pvscsi *d = h->priv;
    /* (SG_MAX - 1) pages at any alignment fit in SG_MAX elements. */
    if (c->target > 63 || c->lun > 255 || c->cdb_len > 16 || c->data_len > (SG_MAX - 1) * 4096u)
        return -EINVAL;
    sem_down(&d->slots);
    struct pvscsi_req_desc e;
    uint64_t f = spin_lock_irqsave(&d->lock);
    int slot = pvscsi_slot_get(&d->ring, c->dir == SCSI_NONE ? 0 : c->data_len, clock_monotonic_ns() + d->timeout_ns);
    int rc = slot < 0 ? -EBUSY : 0;
    if (rc == 0) {
        d->cmds[slot] = c;
        fill_request(d, (unsigned)slot, c, &e);
        rc = pvscsi_ring_post(&d->ring, (unsigned)slot, &e);
        if (rc < 0) {
            d->ring.in_flight[slot] = false;
            d->cmds[slot] = NULL;
        }
    }
    if (rc == 0) {
        reg_write(d, is_rw(c->cdb[0]) ? REG_KICK_RW_IO : REG_KICK_NON_RW_IO, 0);
        if (!d->watchdog.armed)
            timer_arm(&d->watchdog, clock_monotonic_ns() + d->timeout_ns);
    }
    spin_unlock_irqrestore(&d->lock, f);
    if (rc < 0) {
        sem_up(&d->slots);
        return rc;
    }
    return 0;
}

/* pvscsi.timeout_ms=MS overrides the platform's time-out (VMware's 180 s,
 * as its tools set for path failover and storage vMotion), else 30 s; 0
 * means none (a request may take as long as the storage does). */
static uint64_t timeout_ns(void)
{
    unsigned long ms = platform_io_timeout_ms("pvscsi.timeout_ms", TIMEOUT_MS_DEFAULT);
    if (ms == 0)
        return NO_TIMEOUT_NS;
    return (ms < 10 ? 10 : ms) * 1000000ull;
}

static volatile uint8_t *map_registers(const struct pci_info *p)
{
    for (unsigned i = 0; i < PCI_BARS; i++) {
        const struct pci_bar *b = &p->bars[i];
        if (!b->io && b->addr && b->size >= REGS_MIN_SIZE)
            return ioremap(b->addr, (size_t)b->size);
    }
    return NULL;
}

static int alloc_rings(struct pvscsi *d)
{
    struct pvscsi_ring *r = &d->ring;
    r->state = pages_alloc(1, 4096);
    r->req = pages_alloc(REQ_PAGES, 4096);
    r->cmp = pages_alloc(CMP_PAGES, 4096);
    d->msg_mem = pages_alloc(MSG_PAGES, 4096);
    d->sense = pages_alloc((SLOTS * SENSE_SIZE + 4095) / 4096, 4096);
    d->sg = pages_alloc(SG_PAGES, 4096);
    if (!r->state || !r->req || !r->cmp || !d->msg_mem || !d->sense || !d->sg)
        return -ENOMEM;
    r->req_entries = REQ_PAGES * 4096 / sizeof(struct pvscsi_req_desc);
    r->cmp_entries = CMP_PAGES * 4096 / sizeof(struct pvscsi_cmp_desc);
    r->msg_entries = MSG_PAGES * 4096 / sizeof(struct pvscsi_msg_desc);
    return 0;
}

static int pvscsi_attach(struct device *dev)
{
    struct pvscsi *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->pci = dev->pci;
    pci_enable(&d->pci);
    d->regs = map_registers(&d->pci);
    if (!d->regs || alloc_rings(d) < 0) {
        pr_err("pvscsi: %02x:%02x.%x: no register BAR or no memory\n", d->pci.bus, d->pci.dev, d->pci.fn);
        return -ENODEV;
    }
    reg_write(d, REG_COMMAND, CMD_ADAPTER_RESET);
    reg_write(d, REG_INTR_MASK, 0);
    if (setup_rings(d) < 0) {
        pr_err("pvscsi: the adapter refused its rings\n");
        return -EIO;
    }
    d->timeout_ns = timeout_ns();
    if (d->timeout_ns == NO_TIMEOUT_NS)
        pr_info("pvscsi: no request time-out\n");
    else
        pr_info("pvscsi: request time-out %llu ms\n", (unsigned long long)(d->timeout_ns / 1000000));
    sem_init(&d->slots, SLOTS);
    timer_setup(&d->watchdog, watchdog, d);
    enum pci_irq_kind kind;
    if (pci_attach_irq(&d->pci, vmw_irq_allowed("pvscsi.irq"), pvscsi_interrupt, d, &kind) < 0) {
        pr_err("pvscsi: no interrupt\n");
        reg_write(d, REG_INTR_MASK, 0);
        return -EIO;
    }
    d->host.name = "pvscsi";
    d->host.max_target = 63;
    d->host.max_transfer = (SG_MAX - 1) * 4096u;
    d->host.max_lun = 255;
    d->host.queuecommand = queuecommand;
    d->host.priv = d;
    pr_info("pvscsi: %02x:%02x.%x, %u requests in flight, %s, message ring %s, targets 0-63 scanned\n", d->pci.bus,
            d->pci.dev, d->pci.fn, SLOTS, pci_irq_kind_name(kind), d->msg_ring ? "on" : "off");
    scsi_scan(&d->host);
    return 0;
}

static const struct pci_id pvscsi_ids[] = { { 0x15ad, 0x07c0 }, { 0, 0 } };

DEVICE_DRIVER(vmw_pvscsi) = { "pvscsi", BUS_PCI, pvscsi_ids, false, pvscsi_attach };
