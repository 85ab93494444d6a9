/* NVMe time-outs: a watchdog timer runs while commands are in flight. With
 * a time-out, an expired command wakes the recovery thread, which resets
 * the controller, negotiates and recreates the queues while new requests
 * wait, and sends the commands that were in flight again (a stall is a
 * delay, not an error: Linux requeues too; Abort is not relied on, it does
 * nothing on many Nitro types). With none (EC2, GCE), late commands are
 * only reported. */
#include <stdlib.h>
#include "clock.h"
#include "errno.h"
#include "log.h"
#include "nvme_ctrl.h"
#include "sched.h"

static uint64_t wd_period(struct nvme_ctrl *c)
{
    uint64_t t = c->io_timeout_ns ? c->io_timeout_ns : IO_REPORT_MS * MS;
    return t / 2 > 10 * MS ? t / 2 : 10 * MS;
}

/* No time-out: say which commands are late and push their deadlines on. */
static bool report_late(struct nvme_ctrl *c, uint64_t now)
{
    unsigned late = 0;
    for (unsigned i = 0; i < c->nio; i++) {
        struct nvme_queue *q = &c->io[i];
        spin_lock_raw(&q->lock);
        late += nvme_qp_extend_expired(&q->qp, now, now + IO_REPORT_MS * MS);
        spin_unlock_raw(&q->lock);
    }
    if (late)
        pr_warn("%s: %u command%s outstanding for over %u s; waiting (no I/O time-out on this platform)\n", c->name,
                late, late == 1 ? "" : "s", IO_REPORT_MS / 1000);
    return late;
}

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
    if (!c->io_timeout_ns)
        report_late(c, now);
    for (unsigned i = 0; c->io_timeout_ns && i < c->nio; i++) {
        uint16_t cid;
        struct nvme_queue *q = &c->io[i];
        spin_lock_raw(&q->lock);
        expired |= nvme_qp_expired(&q->qp, now, &cid, 1) > 0;
        spin_unlock_raw(&q->lock);
    }
    for (unsigned i = 0; i < c->nio; i++)
        busy |= c->io[i].qp.in_flight > 0;
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

static void log_expired(struct nvme_ctrl *c)
{
    uint64_t now = clock_monotonic_ns();
    for (unsigned i = 0; i < c->nio; i++) {
        uint16_t cids[4];
        uint64_t f = spin_lock_irqsave(&c->io[i].lock);
        unsigned n = nvme_qp_expired(&c->io[i].qp, now, cids, 4);
        spin_unlock_irqrestore(&c->io[i].lock, f);
        for (unsigned k = 0; k < n; k++)
            pr_warn("%s: command %u on queue %u timed out after %llu ms\n", c->name, cids[k], i + 1,
                    (unsigned long long)(c->io_timeout_ns / MS));
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

struct taken;
static void fail_taken(struct nvme_queue *q, struct taken *t);

/* The commands each I/O queue had in flight when the controller went down. */
struct taken {
    struct nvme_inflight cmd[IO_DEPTH];
    unsigned n, freed;
};

static void take_queue(struct nvme_queue *q, struct taken *t)
{
    uint64_t f = spin_lock_irqsave(&q->lock);
    t->n = nvme_qp_take(&q->qp, t->cmd, IO_DEPTH, &t->freed);
    q->cq_db_written = 0;
    spin_unlock_irqrestore(&q->lock, f);
    /* Ids with no waiter (abandoned) come free; the others stay reserved
     * for their commands' second sending. */
    for (unsigned i = t->n; q->prp_lists && i < t->freed; i++)
        sem_up(&q->slots);
}

static void resubmit_queue(struct nvme_ctrl *c, struct nvme_queue *q, struct taken *t)
{
    uint64_t f = spin_lock_irqsave(&q->lock);
    uint64_t deadline = nvme_deadline(c, clock_monotonic_ns());
    unsigned sent = 0;
    for (unsigned i = 0; i < t->n; i++) {
        if (nvme_qp_resubmit(&q->qp, &t->cmd[i], deadline) == 0) {
            t->cmd[i].cookie = NULL;
            sent++;
        }
    }
    if (sent)
        *q->sq_db = q->qp.sq_tail;
    spin_unlock_irqrestore(&q->lock, f);
    fail_taken(q, t); /* none, unless the recreated queue could not take one */
}

/* Commands that cannot be sent again (the queue is gone): their requests
 * fail, their ids come free. */
static void fail_taken(struct nvme_queue *q, struct taken *t)
{
    for (unsigned i = 0; i < t->n; i++) {
        struct nvme_cookie *ck = t->cmd[i].cookie;
        if (!ck)
            continue;
        t->cmd[i].cookie = NULL;
        ck->complete(ck, -EIO, 0);
        if (q->prp_lists)
            sem_up(&q->slots);
    }
}

static void recover(struct nvme_ctrl *c)
{
    set_state(c, CTRL_RESETTING);
    log_expired(c);
    pr_warn("%s: resetting the controller; commands in flight will be sent again\n", c->name);
    int rc = nvme_ctrl_disable(c);
    struct taken *t = calloc(c->nio, sizeof(*t));
    for (unsigned i = 0; i < c->nio; i++) {
        if (t)
            take_queue(&c->io[i], &t[i]);
        else
            fail_queue(&c->io[i]);
    }
    fail_queue(&c->admin);
    unsigned had = c->nio, requeued = 0;
    if (rc == 0)
        rc = nvme_ctrl_enable(c);
    if (rc == 0) {
        unsigned granted = nvme_queues_negotiate(c);
        if (granted < c->nio) {
            pr_warn("%s: the controller now grants %u I/O queue%s, not %u\n", c->name, granted,
                    granted == 1 ? "" : "s", c->nio);
            c->nio = granted;
        }
        rc = nvme_create_io_queues(c);
    }
    for (unsigned i = 0; t && i < had; i++) {
        if (rc == 0 && i < c->nio) {
            requeued += t[i].n;
            resubmit_queue(c, &c->io[i], &t[i]);
        } else {
            fail_taken(&c->io[i], &t[i]);
        }
    }
    free(t);
    uint64_t f = spin_lock_irqsave(&c->wd_lock);
    c->recovering = false;
    spin_unlock_irqrestore(&c->wd_lock, f);
    if (rc < 0)
        pr_err("%s: reset failed (%d); the controller is out of service\n", c->name, rc);
    else
        pr_info("%s: reset done, %u I/O queue%s, %u command%s sent again\n", c->name, c->nio,
                c->nio == 1 ? "" : "s", requeued, requeued == 1 ? "" : "s");
    set_state(c, rc < 0 ? CTRL_DEAD : CTRL_LIVE);
    if (requeued)
        nvme_watchdog_arm(c);
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
