/* NVMe time-outs: a watchdog timer runs while commands are in flight; an
 * expired command wakes the recovery thread, which aborts it, resets the
 * controller, fails every waiting request and recreates the queues while
 * new requests wait. */
#include "clock.h"
#include "errno.h"
#include "log.h"
#include "nvme_ctrl.h"
#include "sched.h"

static uint64_t wd_period(struct nvme_ctrl *c) { return c->io_timeout_ns / 2 > 10 * MS ? c->io_timeout_ns / 2 : 10 * MS; }

void nvme_watchdog_arm(struct nvme_ctrl *c)
{
    uint64_t f = spin_lock_irqsave(&c->wd_lock);
    if (!c->wd_armed && !c->recovering) {
        c->wd_armed = true;
        timer_arm(&c->watchdog, clock_monotonic_ns() + wd_period(c));
    }
    spin_unlock_irqrestore(&c->wd_lock, f);
}

void nvme_watchdog_fire(struct timer *t, void *arg)
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

int nvme_wait_live(struct nvme_ctrl *c)
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
            int rc = nvme_admin_cmd(c, &cmd, &dw0, ADMIN_TIMEOUT_MS);
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
    int rc = nvme_ctrl_disable(c);
    for (unsigned i = 0; i < c->nio; i++)
        fail_queue(&c->io[i]);
    fail_queue(&c->admin);
    if (rc == 0)
        rc = nvme_ctrl_enable(c);
    if (rc == 0)
        rc = nvme_create_io_queues(c);
    uint64_t f = spin_lock_irqsave(&c->wd_lock);
    c->recovering = false;
    spin_unlock_irqrestore(&c->wd_lock, f);
    if (rc < 0)
        pr_err("%s: reset failed (%d); the controller is out of service\n", c->name, rc);
    else
        pr_info("%s: reset done, %u I/O queue%s\n", c->name, c->nio, c->nio == 1 ? "" : "s");
    set_state(c, rc < 0 ? CTRL_DEAD : CTRL_LIVE);
}

void *nvme_recovery_thread(void *arg)
{
    struct nvme_ctrl *c = arg;
    for (;;) {
        sem_down(&c->recover);
        recover(c);
    }
    return NULL;
}
