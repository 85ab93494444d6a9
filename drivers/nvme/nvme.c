/* NVMe over PCI (class 01/08/02) behind the block interface: one I/O queue
 * pair per CPU up to what the controller grants, every namespace a block
 * device. All queues share one interrupt (MSI-X entry 0, MSI or INTx).
 * A command past its deadline is aborted, then the controller is reset and
 * every command in flight fails; new requests wait for the reset to end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "clock.h"
#include "cmdline.h"
#include "cpu.h"
#include "errno.h"
#include "log.h"
#include "memory.h"
#include "nvme_queue.h"
#include "pci.h"
#include "sched.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"

#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000
#define CC_EN 0x1u
#define CC_ENTRY_SIZES (6u << 16 | 4u << 20) /* 64-byte SQ entries, 16-byte CQ entries */
#define CSTS_RDY 0x1u
#define CSTS_CFS 0x2u

#define ADMIN_DEPTH 32
#define IO_DEPTH 64
#define MAX_IO_QUEUES 16
#define MAX_NS 16
#define PRP_LIST_ENTRIES (NVME_PAGE / 8)
#define MAX_CHUNK (1u << 20)
#define ADMIN_TIMEOUT_MS 5000
#define IO_TIMEOUT_MS 30000
#define MS 1000000ull

enum ctrl_state { CTRL_LIVE, CTRL_RESETTING, CTRL_DEAD };

/* What a command id's slot points at: whoever waits for it. */
struct nvme_cookie {
    void (*complete)(struct nvme_cookie *ck, int status, uint32_t dw0);
};

struct nvme_queue {
    struct nvme_qpair qp;
    struct spinlock lock;
    struct semaphore slots;
    uint64_t *prp_lists; /* one page per command id (I/O queues only) */
    volatile uint32_t *sq_db, *cq_db;
    uint16_t cq_db_written;
};

struct nvme_ctrl;

struct nvme_ns {
    struct block_dev b;
    struct nvme_ctrl *c;
    uint32_t nsid;
    unsigned shift; /* log2 of the block size */
};

struct nvme_ctrl {
    const struct pci_info *pci;
    volatile uint8_t *regs;
    unsigned index;
    char name[12];
    struct nvme_cap cap;
    struct nvme_ctrl_info info;
    struct nvme_queue admin;
    struct nvme_queue io[MAX_IO_QUEUES];
    unsigned nio;
    uint16_t io_depth;
    uint32_t chunk; /* bytes per command */
    uint64_t io_timeout_ns;
    volatile int state;
    struct mutex state_lock;
    struct condvar state_cv;
    struct spinlock wd_lock;
    struct timer watchdog;
    bool wd_armed, recovering;
    struct semaphore recover;
    uint8_t *page; /* IDENTIFY data */
    struct nvme_ns ns[MAX_NS];
    unsigned nns;
};

static unsigned count;

static uint32_t rd32(struct nvme_ctrl *c, unsigned off) { return *(volatile uint32_t *)(c->regs + off); }
static void wr32(struct nvme_ctrl *c, unsigned off, uint32_t v) { *(volatile uint32_t *)(c->regs + off) = v; }
static uint64_t rd64(struct nvme_ctrl *c, unsigned off) { return rd32(c, off) | (uint64_t)rd32(c, off + 4) << 32; }
static void wr64(struct nvme_ctrl *c, unsigned off, uint64_t v)
{
    wr32(c, off, (uint32_t)v);
    wr32(c, off + 4, (uint32_t)(v >> 32));
}

static uint64_t translate(void *ctx, uint64_t va)
{
    (void)ctx;
    int64_t pa = paging_translate(va);
    return pa < 0 ? ~0ull : (uint64_t)pa;
}

static uint64_t dev_addr(const void *p) { return translate(NULL, (uint64_t)(uintptr_t)p); }

/* A short sleep that grows: waits on a status bit stay cheap when the bit
 * flips at once and do not spin when it takes long. */
static void backoff(uint64_t *step)
{
    thread_sleep_ns(*step);
    if (*step < MS)
        *step *= 2;
}

/* ---- completions ---- */

static void drain(struct nvme_queue *q)
{
    for (;;) {
        struct nvme_done d;
        uint64_t f = spin_lock_irqsave(&q->lock);
        int got = nvme_qp_reap(&q->qp, &d);
        if (!got && q->qp.cq_head != q->cq_db_written) {
            *q->cq_db = q->qp.cq_head;
            q->cq_db_written = q->qp.cq_head;
        }
        spin_unlock_irqrestore(&q->lock, f);
        if (!got)
            return;
        if (d.cookie) {
            struct nvme_cookie *ck = d.cookie;
            ck->complete(ck, nvme_status_errno(d.status), d.dw0);
        }
        if (d.freed && q->prp_lists)
            sem_up(&q->slots);
    }
}

static void nvme_irq(struct int_frame *f, void *arg)
{
    (void)f;
    struct nvme_ctrl *c = arg;
    drain(&c->admin);
    for (unsigned i = 0; i < c->nio; i++)
        drain(&c->io[i]);
}

/* ---- admin commands: submitted, then polled (the interrupt may take them too) ---- */

struct admin_wait {
    struct nvme_cookie ck;
    volatile int done;
    int status;
    uint32_t dw0;
};

static void admin_complete(struct nvme_cookie *ck, int status, uint32_t dw0)
{
    struct admin_wait *w = (struct admin_wait *)ck;
    w->status = status;
    w->dw0 = dw0;
    __atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
}

static int admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, unsigned timeout_ms)
{
    struct admin_wait w = { { admin_complete }, 0, 0, 0 };
    struct nvme_queue *q = &c->admin;
    uint64_t f = spin_lock_irqsave(&q->lock);
    int cid = nvme_qp_reserve(&q->qp);
    if (cid >= 0) {
        nvme_qp_push(&q->qp, (uint16_t)cid, cmd, &w.ck, 0);
        *q->sq_db = q->qp.sq_tail;
    }
    spin_unlock_irqrestore(&q->lock, f);
    if (cid < 0)
        return cid;
    uint64_t deadline = clock_monotonic_ns() + timeout_ms * MS, step = 10000;
    while (!__atomic_load_n(&w.done, __ATOMIC_ACQUIRE)) {
        drain(q);
        if (__atomic_load_n(&w.done, __ATOMIC_ACQUIRE))
            break;
        if (clock_monotonic_ns() > deadline) {
            f = spin_lock_irqsave(&q->lock);
            nvme_qp_abandon(&q->qp, (uint16_t)cid);
            spin_unlock_irqrestore(&q->lock, f);
            if (w.done) /* completed between the last look and the abandon */
                break;
            pr_warn("%s: admin command %#x timed out after %u ms\n", c->name, cmd->cdw0 & 0xff, timeout_ms);
            return -ETIMEDOUT;
        }
        backoff(&step);
    }
    if (dw0)
        *dw0 = w.dw0;
    return w.status;
}

static int identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid)
{
    memset(c->page, 0, NVME_PAGE);
    struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = dev_addr(c->page), .cdw10 = cns };
    return admin_cmd(c, &cmd, NULL, ADMIN_TIMEOUT_MS);
}

/* ---- controller state ---- */

static int wait_ready(struct nvme_ctrl *c, bool want)
{
    uint64_t deadline = clock_monotonic_ns() + c->cap.timeout_ms * MS, step = 10000;
    for (;;) {
        uint32_t csts = rd32(c, REG_CSTS);
        if (csts == 0xffffffffu)
            return -ENODEV; /* the function went away */
        if (want && (csts & CSTS_CFS))
            return -EIO;
        if (!!(csts & CSTS_RDY) == want)
            return 0;
        if (clock_monotonic_ns() > deadline) {
            pr_err("%s: CSTS.RDY did not become %d within %u ms (CAP.TO)\n", c->name, want, c->cap.timeout_ms);
            return -ETIMEDOUT;
        }
        backoff(&step);
    }
}

static int ctrl_disable(struct nvme_ctrl *c)
{
    if (!c->regs)
        return 0;
    uint32_t cc = rd32(c, REG_CC);
    if (!(cc & CC_EN) && !(rd32(c, REG_CSTS) & CSTS_RDY))
        return 0;
    wr32(c, REG_CC, cc & ~CC_EN);
    return wait_ready(c, false);
}

static int ctrl_enable(struct nvme_ctrl *c)
{
    int rc = ctrl_disable(c);
    if (rc < 0)
        return rc;
    struct nvme_queue *a = &c->admin;
    nvme_qp_reset(&a->qp);
    a->cq_db_written = 0;
    uint32_t n = (uint32_t)a->qp.depth - 1;
    wr32(c, REG_AQA, n | n << 16);
    wr64(c, REG_ASQ, dev_addr((const void *)a->qp.sq));
    wr64(c, REG_ACQ, dev_addr((const void *)a->qp.cq));
    wr32(c, REG_CC, CC_ENTRY_SIZES | CC_EN); /* NVM command set, 4 KiB pages, round robin */
    return wait_ready(c, true);
}

static volatile uint32_t *doorbell(struct nvme_ctrl *c, unsigned qid, bool cq)
{
    return (volatile uint32_t *)(c->regs + REG_DOORBELLS + (2 * qid + cq) * c->cap.doorbell_stride);
}

static int queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q, unsigned qid, uint16_t depth, bool io)
{
    size_t sq_pages = (64u * depth + NVME_PAGE - 1) / NVME_PAGE, cq_pages = (16u * depth + NVME_PAGE - 1) / NVME_PAGE;
    void *sq = pages_alloc(sq_pages, NVME_PAGE), *cq = pages_alloc(cq_pages, NVME_PAGE);
    struct nvme_slot *slots = calloc(depth - 1u, sizeof(*slots));
    q->prp_lists = io ? pages_alloc(depth - 1u, NVME_PAGE) : NULL;
    if (!sq || !cq || !slots || (io && !q->prp_lists))
        return -ENOMEM;
    nvme_qp_init(&q->qp, (uint16_t)qid, depth, sq, cq, slots);
    q->lock = (struct spinlock)SPINLOCK_INIT;
    sem_init(&q->slots, depth - 1);
    q->sq_db = doorbell(c, qid, false);
    q->cq_db = doorbell(c, qid, true);
    q->cq_db_written = 0;
    return 0;
}

/* Creates I/O queue pairs 1..nio on the controller (CQ first: the SQ names it). */
static int create_io_queues(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i < c->nio; i++) {
        struct nvme_queue *q = &c->io[i];
        uint32_t qid = i + 1, size = (uint32_t)(q->qp.depth - 1) << 16;
        struct nvme_sqe cq = { .cdw0 = NVME_ADMIN_CREATE_CQ, .prp1 = dev_addr((const void *)q->qp.cq),
                               .cdw10 = qid | size, .cdw11 = 0x3 /* contiguous, interrupts on vector 0 */ };
        struct nvme_sqe sq = { .cdw0 = NVME_ADMIN_CREATE_SQ, .prp1 = dev_addr((const void *)q->qp.sq),
                               .cdw10 = qid | size, .cdw11 = 0x1 | qid << 16 };
        int rc = admin_cmd(c, &cq, NULL, ADMIN_TIMEOUT_MS);
        if (rc == 0)
            rc = admin_cmd(c, &sq, NULL, ADMIN_TIMEOUT_MS);
        if (rc < 0) {
            pr_err("%s: cannot create I/O queue %u (%d)\n", c->name, qid, rc);
            return rc;
        }
    }
    return 0;
}

/* ---- time-outs: watchdog timer, then abort and reset from a thread ---- */

static uint64_t wd_period(struct nvme_ctrl *c) { return c->io_timeout_ns / 2 > 10 * MS ? c->io_timeout_ns / 2 : 10 * MS; }

static void watchdog_arm(struct nvme_ctrl *c)
{
    uint64_t f = spin_lock_irqsave(&c->wd_lock);
    if (!c->wd_armed && !c->recovering) {
        c->wd_armed = true;
        timer_arm(&c->watchdog, clock_monotonic_ns() + wd_period(c));
    }
    spin_unlock_irqrestore(&c->wd_lock, f);
}

static void watchdog_fire(struct timer *t, void *arg)
{
    (void)t;
    struct nvme_ctrl *c = arg;
    uint64_t now = clock_monotonic_ns();
    bool expired = false, busy = false;
    for (unsigned i = 0; i < c->nio; i++) {
        uint16_t cid;
        struct nvme_queue *q = &c->io[i];
        spin_lock_raw(&q->lock);
        expired |= nvme_qp_expired(&q->qp, now, &cid, 1) > 0;
        busy |= q->qp.in_flight > 0;
        spin_unlock_raw(&q->lock);
    }
    spin_lock_raw(&c->wd_lock);
    c->wd_armed = false;
    if (expired && c->state == CTRL_LIVE && !c->recovering) {
        c->recovering = true;
        sem_up(&c->recover);
    } else if (busy && !c->recovering) {
        c->wd_armed = true;
        timer_arm(&c->watchdog, now + wd_period(c));
    }
    spin_unlock_raw(&c->wd_lock);
}

static void set_state(struct nvme_ctrl *c, int state)
{
    mutex_lock(&c->state_lock);
    c->state = state;
    condvar_broadcast(&c->state_cv);
    mutex_unlock(&c->state_lock);
}

static int wait_live(struct nvme_ctrl *c)
{
    mutex_lock(&c->state_lock);
    while (c->state == CTRL_RESETTING)
        condvar_wait(&c->state_cv, &c->state_lock);
    int live = c->state == CTRL_LIVE;
    mutex_unlock(&c->state_lock);
    return live ? 0 : -EIO;
}

static void abort_expired(struct nvme_ctrl *c)
{
    uint64_t now = clock_monotonic_ns();
    for (unsigned i = 0; i < c->nio; i++) {
        uint16_t cids[4];
        uint64_t f = spin_lock_irqsave(&c->io[i].lock);
        unsigned n = nvme_qp_expired(&c->io[i].qp, now, cids, 4);
        spin_unlock_irqrestore(&c->io[i].lock, f);
        for (unsigned k = 0; k < n; k++) {
            pr_warn("%s: command %u on queue %u timed out after %llu ms; aborting it\n", c->name, cids[k], i + 1,
                    (unsigned long long)(c->io_timeout_ns / MS));
            struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_ABORT, .cdw10 = (i + 1) | (uint32_t)cids[k] << 16 };
            uint32_t dw0 = 1;
            int rc = admin_cmd(c, &cmd, &dw0, ADMIN_TIMEOUT_MS);
            pr_warn("%s: abort of command %u: %s\n", c->name, cids[k],
                    rc < 0 ? "refused or lost" : (dw0 & 1) ? "not aborted" : "aborted");
        }
    }
}

struct cancelled {
    struct nvme_cookie *ck[IO_DEPTH];
    unsigned n;
};

static void collect(void *cookie, uint16_t cid, void *arg)
{
    (void)cid;
    struct cancelled *cl = arg;
    if (cl->n < IO_DEPTH)
        cl->ck[cl->n++] = cookie;
}

/* Frees every command id of q; waiters hear -EIO once the lock is dropped. */
static void fail_queue(struct nvme_queue *q)
{
    struct cancelled cl = { .n = 0 };
    uint64_t f = spin_lock_irqsave(&q->lock);
    unsigned freed = nvme_qp_cancel(&q->qp, collect, &cl);
    nvme_qp_reset(&q->qp);
    q->cq_db_written = 0;
    spin_unlock_irqrestore(&q->lock, f);
    for (unsigned i = 0; i < cl.n; i++)
        cl.ck[i]->complete(cl.ck[i], -EIO, 0);
    for (unsigned i = 0; q->prp_lists && i < freed; i++)
        sem_up(&q->slots);
}

static void recover(struct nvme_ctrl *c)
{
    set_state(c, CTRL_RESETTING);
    abort_expired(c);
    pr_warn("%s: resetting the controller; commands in flight fail\n", c->name);
    int rc = ctrl_disable(c);
    for (unsigned i = 0; i < c->nio; i++)
        fail_queue(&c->io[i]);
    fail_queue(&c->admin);
    if (rc == 0)
        rc = ctrl_enable(c);
    if (rc == 0)
        rc = create_io_queues(c);
    uint64_t f = spin_lock_irqsave(&c->wd_lock);
    c->recovering = false;
    spin_unlock_irqrestore(&c->wd_lock, f);
    if (rc < 0)
        pr_err("%s: reset failed (%d); the controller is out of service\n", c->name, rc);
    else
        pr_info("%s: reset done, %u I/O queue%s\n", c->name, c->nio, c->nio == 1 ? "" : "s");
    set_state(c, rc < 0 ? CTRL_DEAD : CTRL_LIVE);
}

static void *recovery_thread(void *arg)
{
    struct nvme_ctrl *c = arg;
    for (;;) {
        sem_down(&c->recover);
        recover(c);
    }
    return NULL;
}

/* ---- block requests ---- */

/* One block request, split into commands of at most c->chunk bytes. */
struct nvme_io {
    struct nvme_cookie ck;
    struct block_request *r;
    int pending; /* commands in flight, plus one while submitting */
    int status;
};

static void io_put(struct nvme_io *io)
{
    if (__atomic_sub_fetch(&io->pending, 1, __ATOMIC_ACQ_REL))
        return;
    struct block_request *r = io->r;
    r->status = io->status;
    free(io);
    r->done(r);
}

static void io_complete(struct nvme_cookie *ck, int status, uint32_t dw0)
{
    (void)dw0;
    struct nvme_io *io = (struct nvme_io *)ck;
    if (status < 0) {
        int zero = 0;
        __atomic_compare_exchange_n(&io->status, &zero, status, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    io_put(io);
}

/* Queues one command; 0, or a negative code with nothing queued. */
static int queue_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd, void *buf, uint32_t bytes, struct nvme_io *io)
{
    for (;;) {
        struct nvme_queue *q = &c->io[this_cpu()->id % c->nio];
        sem_down(&q->slots);
        uint64_t f = spin_lock_irqsave(&q->lock);
        if (c->state != CTRL_LIVE) {
            spin_unlock_irqrestore(&q->lock, f);
            sem_up(&q->slots);
            if (wait_live(c) < 0)
                return -EIO;
            continue;
        }
        int cid = nvme_qp_reserve(&q->qp);
        int rc = cid < 0 ? cid : 0;
        if (rc == 0 && bytes) {
            uint64_t *list = q->prp_lists + (size_t)cid * PRP_LIST_ENTRIES;
            rc = nvme_prp_build(translate, NULL, (uint64_t)(uintptr_t)buf, bytes, &cmd->prp1, &cmd->prp2, list,
                                dev_addr(list), PRP_LIST_ENTRIES);
            if (rc < 0)
                nvme_qp_unreserve(&q->qp, (uint16_t)cid);
        }
        if (rc == 0) {
            __atomic_add_fetch(&io->pending, 1, __ATOMIC_ACQ_REL);
            nvme_qp_push(&q->qp, (uint16_t)cid, cmd, &io->ck, clock_monotonic_ns() + c->io_timeout_ns);
            *q->sq_db = q->qp.sq_tail;
        }
        spin_unlock_irqrestore(&q->lock, f);
        if (rc < 0) {
            sem_up(&q->slots);
            return rc;
        }
        watchdog_arm(c);
        return 0;
    }
}

static int ns_submit(struct block_dev *b, struct block_request *r)
{
    struct nvme_ns *ns = b->priv;
    struct nvme_ctrl *c = ns->c;
    if (r->op != BLOCK_FLUSH &&
        (r->count == 0 || r->sector + r->count > b->sectors || r->sector + r->count < r->sector))
        return -EINVAL;
    if (r->op == BLOCK_WRITE && b->read_only)
        return -EROFS;
    struct nvme_io *io = calloc(1, sizeof(*io));
    if (!io)
        return -ENOMEM;
    *io = (struct nvme_io){ { io_complete }, r, 1, 0 };
    int queued = 0, rc = 0;
    if (r->op == BLOCK_FLUSH) {
        struct nvme_sqe cmd = { .cdw0 = NVME_CMD_FLUSH, .nsid = ns->nsid };
        rc = queue_cmd(c, &cmd, NULL, 0, io);
        queued += rc == 0;
    } else {
        uint8_t op = r->op == BLOCK_READ ? NVME_CMD_READ : NVME_CMD_WRITE;
        uint32_t per = c->chunk >> ns->shift;
        for (uint64_t done = 0; done < r->count && rc == 0; done += per) {
            uint32_t n = r->count - done < per ? (uint32_t)(r->count - done) : per;
            uint64_t lba = r->sector + done;
            struct nvme_sqe cmd = { .cdw0 = op, .nsid = ns->nsid, .cdw10 = (uint32_t)lba,
                                    .cdw11 = (uint32_t)(lba >> 32), .cdw12 = n - 1 };
            rc = queue_cmd(c, &cmd, (uint8_t *)r->buf + (done << ns->shift), n << ns->shift, io);
            queued += rc == 0;
        }
    }
    if (!queued) {
        free(io);
        return rc;
    }
    if (rc < 0)
        io_complete(&io->ck, rc, 0); /* the part queued completes; the request fails */
    else
        io_put(io);
    return 0;
}

/* ---- attach ---- */

static void add_namespace(struct nvme_ctrl *c, uint32_t nsid)
{
    if (identify(c, NVME_IDENTIFY_NS, nsid) < 0)
        return;
    struct nvme_ns_info ni;
    int rc = nvme_id_ns_parse(c->page, &ni);
    if (rc < 0) {
        if (rc != -ENOENT)
            pr_warn("%s: namespace %u unusable (%d)\n", c->name, nsid, rc);
        return;
    }
    if (c->nns == MAX_NS || ni.block_size > c->chunk)
        return;
    struct nvme_ns *ns = &c->ns[c->nns++];
    ns->c = c;
    ns->nsid = nsid;
    ns->shift = (unsigned)__builtin_ctz(ni.block_size);
    snprintf(ns->b.name, sizeof(ns->b.name), "nvme%un%u", c->index, nsid);
    ns->b.sector_size = ni.block_size;
    ns->b.sectors = ni.blocks;
    ns->b.can_flush = true;
    ns->b.queue_depth = (unsigned)(c->io_depth - 1) * c->nio;
    ns->b.submit = ns_submit;
    ns->b.priv = ns;
    block_register(&ns->b);
}

static void add_namespaces(struct nvme_ctrl *c)
{
    uint32_t ids[MAX_NS];
    unsigned n = 0;
    if (identify(c, NVME_IDENTIFY_NS_LIST, 0) == 0)
        n = nvme_ns_list_parse(c->page, c->info.namespaces, ids, MAX_NS);
    else /* before NVMe 1.1: every id up to NN */
        for (uint32_t id = 1; id <= c->info.namespaces && n < MAX_NS; id++)
            ids[n++] = id;
    for (unsigned i = 0; i < n; i++)
        add_namespace(c, ids[i]);
}

static unsigned queues_wanted(struct nvme_ctrl *c)
{
    unsigned want = ncpus < MAX_IO_QUEUES ? ncpus : MAX_IO_QUEUES;
    want = want ? want : 1;
    uint32_t n = want - 1, dw0 = 0;
    struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_SET_FEATURES, .cdw10 = NVME_FEAT_NUM_QUEUES, .cdw11 = n | n << 16 };
    if (admin_cmd(c, &cmd, &dw0, ADMIN_TIMEOUT_MS) < 0)
        return 1;
    return nvme_queues_granted(dw0, want);
}

static uint64_t io_timeout(void)
{
    const char *v = cmdline_param(kernel_options(), "nvme.io_timeout_ms", 0);
    unsigned long ms = v ? strtoul(v, NULL, 10) : 0;
    return (ms ? ms : IO_TIMEOUT_MS) * MS;
}

/* nvme.irq=intx|msi|msix narrows the interrupt kinds tried (default: any). */
static unsigned irq_kinds(void)
{
    const char *v = cmdline_param(kernel_options(), "nvme.irq", 0);
    if (!v)
        return PCI_IRQ_ANY;
    if (strcmp(v, "intx") == 0)
        return PCI_IRQ_INTX;
    if (strcmp(v, "msi") == 0)
        return PCI_IRQ_MSI;
    if (strcmp(v, "msix") == 0)
        return PCI_IRQ_MSIX;
    pr_warn("nvme: nvme.irq=%s unknown; trying any\n", v);
    return PCI_IRQ_ANY;
}

static int map_registers(struct nvme_ctrl *c)
{
    const struct pci_bar *bar = &c->pci->bars[0];
    if (bar->io || bar->size < 0x2000 || !bar->addr) {
        pr_err("%s: BAR0 is not a register window\n", c->name);
        return -ENODEV;
    }
    c->regs = ioremap(bar->addr, bar->size < 0x10000 ? bar->size : 0x10000);
    if (!c->regs)
        return -ENOMEM;
    if (nvme_cap_parse(rd64(c, REG_CAP), &c->cap) < 0) {
        pr_err("%s: CAP %#llx: no NVM command set or no 4 KiB pages\n", c->name,
               (unsigned long long)rd64(c, REG_CAP));
        return -ENODEV;
    }
    /* Doorbells of the admin queue and MAX_IO_QUEUES pairs must fit the window. */
    uint64_t need = REG_DOORBELLS + 2ull * (MAX_IO_QUEUES + 1) * c->cap.doorbell_stride;
    if (need > bar->size || need > 0x10000) {
        pr_err("%s: doorbell stride %u does not fit BAR0\n", c->name, c->cap.doorbell_stride);
        return -ENODEV;
    }
    return 0;
}

static int bring_up(struct nvme_ctrl *c)
{
    int rc = map_registers(c);
    if (rc < 0)
        return rc;
    uint16_t adepth = c->cap.max_entries < ADMIN_DEPTH ? (uint16_t)c->cap.max_entries : ADMIN_DEPTH;
    c->io_depth = c->cap.max_entries < IO_DEPTH ? (uint16_t)c->cap.max_entries : IO_DEPTH;
    c->page = pages_alloc(1, NVME_PAGE);
    if (!c->page || (rc = queue_alloc(c, &c->admin, 0, adepth, false)) < 0)
        return -ENOMEM;
    if ((rc = ctrl_enable(c)) < 0) {
        pr_err("%s: controller did not become ready (%d)\n", c->name, rc);
        return rc;
    }
    if ((rc = identify(c, NVME_IDENTIFY_CTRL, 0)) < 0 || (rc = nvme_id_ctrl_parse(c->page, &c->info)) < 0) {
        pr_err("%s: IDENTIFY controller failed (%d)\n", c->name, rc);
        return rc;
    }
    c->chunk = c->info.max_transfer && c->info.max_transfer < MAX_CHUNK ? c->info.max_transfer : MAX_CHUNK;
    c->nio = queues_wanted(c);
    for (unsigned i = 0; i < c->nio; i++) {
        if (queue_alloc(c, &c->io[i], i + 1, c->io_depth, true) < 0)
            return -ENOMEM;
    }
    enum pci_irq_kind kind;
    if (pci_attach_irq(c->pci, irq_kinds(), nvme_irq, c, &kind) < 0)
        return -ENODEV;
    if ((rc = create_io_queues(c)) < 0)
        return rc;
    uint32_t vs = rd32(c, REG_VS);
    pr_info("%s: \"%s\" NVMe %u.%u, %u I/O queue%s of %u, %s, max transfer %u KiB\n", c->name, c->info.model,
            vs >> 16, (vs >> 8) & 0xff, c->nio, c->nio == 1 ? "" : "s", c->io_depth, pci_irq_kind_name(kind),
            c->chunk / 1024);
    return 0;
}

static int nvme_attach(struct device *dev)
{
    const struct pci_info *p = &dev->pci;
    if (p->class_code != 0x01 || p->subclass != 0x08 || p->prog_if != 0x02)
        return -ENODEV;
    struct nvme_ctrl *c = calloc(1, sizeof(*c));
    if (!c)
        return -ENOMEM;
    c->pci = p;
    c->index = count;
    snprintf(c->name, sizeof(c->name), "nvme%u", c->index);
    c->io_timeout_ns = io_timeout();
    c->state = CTRL_LIVE;
    mutex_init(&c->state_lock);
    condvar_init(&c->state_cv);
    c->wd_lock = (struct spinlock)SPINLOCK_INIT;
    sem_init(&c->recover, 0);
    timer_setup(&c->watchdog, watchdog_fire, c);
    pci_enable(p);
    int rc = bring_up(c);
    if (rc < 0) {
        ctrl_disable(c); /* stop any DMA into memory we keep */
        pr_err("%s: not usable (%d)\n", c->name, rc);
        return rc; /* the controller's memory stays allocated: it may still write there */
    }
    count++;
    dev->priv = c;
    if (!thread_create("nvme-recovery", recovery_thread, c, THREAD_STACK_DEFAULT))
        pr_warn("%s: no recovery thread; time-outs will not reset the controller\n", c->name);
    add_namespaces(c);
    return 0;
}

/* Class 01 (storage), subclass 08 (non-volatile memory); attach checks prog-if 02. */
static const struct pci_id nvme_ids[] = { { PCI_ID_CLASS, 0x0108 }, { 0, 0 } };

DEVICE_DRIVER(nvme_pci) = { "nvme", BUS_PCI, nvme_ids, false, nvme_attach };
