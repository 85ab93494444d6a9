/* The NVMe controller's side of the driver: enabling and disabling it
 * within CAP.TO, admin commands (submitted, then polled: bring-up needs no
 * working interrupt), queue memory and I/O queue creation, and draining
 * completions from the interrupt. */
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "errno.h"
#include "log.h"
#include "nvme_ctrl.h"
#include "sched.h"

/* A short sleep that grows: waits on a status bit stay cheap when the bit
 * flips at once and do not spin when it takes long. */
static void backoff(uint64_t *step)
{
    thread_sleep_ns(*step);
    if (*step < MS)
        *step *= 2;
}

/* ---- completions ---- */

void nvme_drain(struct nvme_queue *q)
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

void nvme_irq(struct int_frame *f, void *arg)
{
    (void)f;
    struct nvme_ctrl *c = arg;
    nvme_drain(&c->admin);
    for (unsigned i = 0; i < c->nio; i++)
        nvme_drain(&c->io[i]);
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

int nvme_admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, unsigned timeout_ms)
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
        nvme_drain(q);
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

int nvme_identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid)
{
    memset(c->page, 0, NVME_PAGE);
    struct nvme_sqe cmd = { .cdw0 = NVME_ADMIN_IDENTIFY, .nsid = nsid, .prp1 = nvme_dev_addr(c->page), .cdw10 = cns };
    return nvme_admin_cmd(c, &cmd, NULL, ADMIN_TIMEOUT_MS);
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

int nvme_ctrl_disable(struct nvme_ctrl *c)
{
    if (!c->regs)
        return 0;
    uint32_t cc = rd32(c, REG_CC);
    if (!(cc & CC_EN) && !(rd32(c, REG_CSTS) & CSTS_RDY))
        return 0;
    wr32(c, REG_CC, cc & ~CC_EN);
    return wait_ready(c, false);
}

int nvme_ctrl_enable(struct nvme_ctrl *c)
{
    int rc = nvme_ctrl_disable(c);
    if (rc < 0)
        return rc;
    struct nvme_queue *a = &c->admin;
    nvme_qp_reset(&a->qp);
    a->cq_db_written = 0;
    uint32_t n = (uint32_t)a->qp.depth - 1;
    wr32(c, REG_AQA, n | n << 16);
    wr64(c, REG_ASQ, nvme_dev_addr((const void *)a->qp.sq));
    wr64(c, REG_ACQ, nvme_dev_addr((const void *)a->qp.cq));
    wr32(c, REG_CC, CC_ENTRY_SIZES | CC_EN); /* NVM command set, 4 KiB pages, round robin */
    return wait_ready(c, true);
}

static volatile uint32_t *doorbell(struct nvme_ctrl *c, unsigned qid, bool cq)
{
    return (volatile uint32_t *)(c->regs + REG_DOORBELLS + (2 * qid + cq) * c->cap.doorbell_stride);
}

int nvme_queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q, unsigned qid, uint16_t depth, bool io)
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
int nvme_create_io_queues(struct nvme_ctrl *c)
{
    for (unsigned i = 0; i < c->nio; i++) {
        struct nvme_queue *q = &c->io[i];
        uint32_t qid = i + 1, size = (uint32_t)(q->qp.depth - 1) << 16;
        struct nvme_sqe cq = { .cdw0 = NVME_ADMIN_CREATE_CQ, .prp1 = nvme_dev_addr((const void *)q->qp.cq),
                               .cdw10 = qid | size, .cdw11 = 0x3 /* contiguous, interrupts on vector 0 */ };
        struct nvme_sqe sq = { .cdw0 = NVME_ADMIN_CREATE_SQ, .prp1 = nvme_dev_addr((const void *)q->qp.sq),
                               .cdw10 = qid | size, .cdw11 = 0x1 | qid << 16 };
        int rc = nvme_admin_cmd(c, &cq, NULL, ADMIN_TIMEOUT_MS);
        if (rc == 0)
            rc = nvme_admin_cmd(c, &sq, NULL, ADMIN_TIMEOUT_MS);
        if (rc < 0) {
            pr_err("%s: cannot create I/O queue %u (%d)\n", c->name, qid, rc);
            return rc;
        }
    }
    return 0;
}
