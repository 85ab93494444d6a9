/* blkfront: Xen virtual block devices (device/vbd/N) behind the block
 * interface. One shared ring; each slot owns 11 bounce pages granted to the
 * backend once, so requests need no per-I/O grant work and a caller's
 * buffer is never exposed; large requests are split over several slots.
 * Every response (id, operation, status) is checked before it is used. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "log.h"
#include "memory.h"
#include "spinlock.h"
#include "xen.h"
#include "xen_front.h"
#include "xen_ring.h"

#define OP_READ BLKIF_OP_READ
#define OP_WRITE BLKIF_OP_WRITE
#define OP_FLUSH_DISKCACHE BLKIF_OP_FLUSH_DISKCACHE
#define SEGS BLKIF_MAX_SEGMENTS_PER_REQUEST
#define CONNECT_TIMEOUT_NS 30000000000ull

/* A caller's request may span several slots; it completes with the last. */
struct split {
    struct block_request *r;
    unsigned left;
    int status;
};

struct slot {
    bool busy;
    uint8_t op;
    struct split *split;
    uint8_t *data;  /* where this slot's bytes go in the caller's buffer */
    uint32_t bytes;
    uint8_t *pages; /* SEGS bounce pages */
    int gref[SEGS];
};

struct blkfront {
    struct xenbus_device *xb;
    struct xen_front_ring ring;
    struct slot *slots;
    int *inflight_op; /* per slot: its operation, or -1 */
    unsigned port;
    bool flush_op;
    struct spinlock lock;
    struct block_dev b;
    unsigned long bad_responses;
};

static unsigned count;

static void finish_slot(struct blkfront *f, struct slot *s, int status)
{
    struct split *sp = s->split;
    if (status == 0 && s->op == OP_READ)
        memcpy(s->data, s->pages, s->bytes);
    s->busy = false;
    f->inflight_op[s - f->slots] = -1;
    if (status)
        sp->status = status;
    if (--sp->left == 0) {
        sp->r->status = sp->status;
        if (sp->r->done)
            sp->r->done(sp->r);
        free(sp);
    }
}

static int check_response(struct blkfront *f, const struct blkif_response *rsp)
{
    if (blkif_check_response(rsp, f->inflight_op, f->ring.size) < 0) {
        pr_warn("blkfront: %s: bad response (id %llu, op %u)\n", f->b.name, (unsigned long long)rsp->id,
                rsp->operation);
        return -1;
    }
    return 0;
}

static void interrupt(unsigned port, void *arg)
{
    (void)port;
    struct blkfront *f = arg;
    uint64_t fl = spin_lock_irqsave(&f->lock);
    do {
        uint32_t n = xen_ring_responses(&f->ring);
        for (uint32_t i = 0; i < n; i++) {
            struct blkif_response rsp;
            memcpy(&rsp, xen_ring_entry(&f->ring, f->ring.rsp_cons + i), sizeof(rsp));
            if (check_response(f, &rsp) < 0) {
                f->bad_responses++;
                continue;
            }
            int status = blkif_status_errno(rsp.status);
            finish_slot(f, &f->slots[rsp.id], status);
        }
        f->ring.rsp_cons += n;
    } while (xen_ring_final_check(&f->ring));
    spin_unlock_irqrestore(&f->lock, fl);
}

static int free_slot(struct blkfront *f)
{
    for (unsigned i = 0; i < f->ring.size; i++) {
        if (!f->slots[i].busy)
            return (int)i;
    }
    return -1;
}

/* One ring request for bytes at data, starting at sector; lock held. */
static void queue_one(struct blkfront *f, unsigned id, uint8_t op, uint64_t sector, uint8_t *data, uint32_t bytes,
                      struct split *sp)
{
    struct slot *s = &f->slots[id];
    s->busy = true;
    s->op = op;
    f->inflight_op[id] = op;
    s->split = sp;
    s->data = data;
    s->bytes = bytes;
    struct blkif_request *q = xen_ring_entry(&f->ring, f->ring.req_prod_pvt++);
    memset(q, 0, sizeof(*q));
    q->operation = op;
    q->handle = 0;
    q->id = id;
    q->sector_number = sector * (f->b.sector_size / 512);
    if (op == OP_WRITE)
        memcpy(s->pages, data, bytes);
    unsigned nseg = (bytes + PAGE_SIZE - 1) / PAGE_SIZE;
    q->nr_segments = (uint8_t)nseg;
    for (unsigned i = 0; i < nseg; i++) {
        uint32_t len = bytes - i * PAGE_SIZE < PAGE_SIZE ? bytes - i * (uint32_t)PAGE_SIZE : (uint32_t)PAGE_SIZE;
        q->seg[i].gref = (uint32_t)s->gref[i];
        q->seg[i].first_sect = 0;
        q->seg[i].last_sect = (uint8_t)(len / 512 - 1);
    }
}

static int submit(struct block_dev *b, struct block_request *r)
{
    struct blkfront *f = b->priv;
    uint32_t per_slot = (uint32_t)(SEGS * PAGE_SIZE / b->sector_size);
    if (r->op == BLOCK_WRITE && b->read_only)
        return -30;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->sector + r->count > b->sectors || r->sector + r->count < r->sector))
        return -22;
    unsigned chunks = r->op == BLOCK_FLUSH ? 1 : (r->count + per_slot - 1) / per_slot;
    if (chunks > f->ring.size)
        return -22;
    struct split *sp = malloc(sizeof(*sp));
    if (!sp)
        return -12;
    sp->r = r;
    sp->left = chunks;
    sp->status = 0;
    if (r->op == BLOCK_FLUSH && !f->flush_op) {
        free(sp);
        r->status = 0; /* nothing cached on our side, and the backend offers no flush */
        if (r->done)
            r->done(r);
        return 0;
    }
    uint64_t fl = spin_lock_irqsave(&f->lock);
    unsigned have = 0;
    for (unsigned i = 0; i < f->ring.size; i++)
        have += !f->slots[i].busy;
    if (have < chunks || f->ring.req_prod_pvt - f->ring.rsp_cons + chunks > f->ring.size) {
        spin_unlock_irqrestore(&f->lock, fl);
        free(sp);
        return -11;
    }
    if (r->op == BLOCK_FLUSH) {
        queue_one(f, (unsigned)free_slot(f), OP_FLUSH_DISKCACHE, 0, NULL, 0, sp);
    } else {
        uint8_t op = r->op == BLOCK_READ ? OP_READ : OP_WRITE;
        for (uint32_t done = 0; done < r->count; done += per_slot) {
            uint32_t n = r->count - done < per_slot ? r->count - done : per_slot;
            queue_one(f, (unsigned)free_slot(f), op, r->sector + done, (uint8_t *)r->buf + (size_t)done * b->sector_size,
                      n * b->sector_size, sp);
        }
    }
    bool notify = xen_ring_push(&f->ring);
    spin_unlock_irqrestore(&f->lock, fl);
    if (notify)
        evtchn_notify(f->port);
    return 0;
}

static int read_backend_long(struct blkfront *f, const char *key, long *v)
{
    char path[192];
    snprintf(path, sizeof(path), "%s/%s", f->xb->backend, key);
    return xs_read_int(XS_NO_TX, path, v);
}

/* ring-ref, event-channel and protocol, then Initialised. */
static int publish(struct blkfront *f, int ring_ref)
{
    struct xenbus_key keys[3] = { { "ring-ref", "" }, { "event-channel", "" }, { "protocol", XEN_IO_PROTO_ABI_X86_64 } };
    snprintf(keys[0].value, sizeof(keys[0].value), "%d", ring_ref);
    snprintf(keys[1].value, sizeof(keys[1].value), "%u", f->port);
    return xenbus_publish(f->xb, keys, 3, XenbusStateInitialised);
}

static int setup_slots(struct blkfront *f)
{
    f->slots = calloc(f->ring.size, sizeof(*f->slots));
    f->inflight_op = malloc(f->ring.size * sizeof(int));
    if (!f->slots || !f->inflight_op)
        return -1;
    for (unsigned i = 0; i < f->ring.size; i++) {
        struct slot *s = &f->slots[i];
        f->inflight_op[i] = -1;
        s->pages = pages_alloc(SEGS, PAGE_SIZE);
        if (!s->pages)
            return -1;
        for (unsigned j = 0; j < SEGS; j++) {
            s->gref[j] = gnttab_grant((unsigned)f->xb->backend_id, ((uint64_t)(uintptr_t)s->pages >> 12) + j, false);
            if (s->gref[j] < 0)
                return -1;
        }
    }
    return 0;
}

static int attach(struct xenbus_device *xb)
{
    struct blkfront *f = calloc(1, sizeof(*f));
    void *page = pages_alloc(1, PAGE_SIZE);
    if (!f || !page)
        return -1;
    f->xb = xb;
    xen_ring_init(&f->ring, page, sizeof(struct blkif_request));
    if (setup_slots(f) < 0) {
        pr_err("blkfront: %s: out of grant references or memory\n", xb->nodename);
        return -1;
    }
    int ring_ref = gnttab_grant((unsigned)xb->backend_id, (uint64_t)(uintptr_t)page >> 12, false);
    int port = evtchn_alloc_unbound((unsigned)xb->backend_id);
    if (ring_ref < 0 || port <= 0)
        return -1;
    f->port = (unsigned)port;
    if (xenbus_wait_backend(xb, 1u << XenbusStateInitWait | 1u << XenbusStateConnected, CONNECT_TIMEOUT_NS) < 0) {
        pr_err("blkfront: %s: backend never reached InitWait\n", xb->nodename);
        return -1;
    }
    evtchn_bind(f->port, interrupt, f);
    if (publish(f, ring_ref) < 0) {
        pr_err("blkfront: %s: cannot publish the ring\n", xb->nodename);
        return -1;
    }
    if (xenbus_wait_backend(xb, 1u << XenbusStateConnected, CONNECT_TIMEOUT_NS) < 0) {
        pr_err("blkfront: %s: backend did not connect\n", xb->nodename);
        return -1;
    }
    long sectors, sector_size = 512, info = 0, flush = 0;
    if (read_backend_long(f, "sectors", &sectors) < 0 || sectors <= 0) {
        pr_err("blkfront: %s: backend gives no size\n", xb->nodename);
        return -1;
    }
    read_backend_long(f, "sector-size", &sector_size);
    read_backend_long(f, "info", &info);
    read_backend_long(f, "feature-flush-cache", &flush);
    if (sector_size < 512 || sector_size > 4096 || (sector_size & (sector_size - 1))) {
        pr_err("blkfront: %s: sector size %ld unusable\n", xb->nodename, sector_size);
        return -1;
    }
    f->flush_op = flush == 1;
    f->b.sector_size = (uint32_t)sector_size;
    f->b.sectors = (uint64_t)sectors * 512 / (uint64_t)sector_size; /* "sectors" counts 512-byte units */
    f->b.read_only = (info & VDISK_READONLY) != 0;
    f->b.can_flush = f->flush_op;
    f->b.queue_depth = f->ring.size;
    f->b.submit = submit;
    f->b.priv = f;
    snprintf(f->b.name, sizeof(f->b.name), "xvd%c", 'a' + count++);
    xenbus_switch_state(xb, XenbusStateConnected);
    pr_info("blkfront: %s: %llu sectors of %u bytes%s%s, ring of %u\n", f->b.name, (unsigned long long)f->b.sectors,
            f->b.sector_size, f->b.read_only ? ", read-only" : "", f->flush_op ? ", flush" : "", f->ring.size);
    xb->priv = f;
    return block_register(&f->b);
}

XENBUS_DRIVER(blkfront_driver) = { "vbd", attach };
