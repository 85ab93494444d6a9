/* NVMe queue-pair accounting (pure): every completion entry's phase, queue
 * id, SQ head and command id is checked before anything it names is
 * touched. */
#include <string.h>
#include "errno.h"
#include "log.h"
#include "nvme_queue.h"

void nvme_qp_init(struct nvme_qpair *q, uint16_t qid, uint16_t depth, void *sq, void *cq, struct nvme_slot *slots)
{
    memset(q, 0, sizeof(*q));
    q->qid = qid;
    q->depth = depth;
    q->sq = sq;
    q->cq = cq;
    q->slots = slots;
    memset(slots, 0, sizeof(*slots) * (size_t)(depth - 1));
    nvme_qp_reset(q);
}

void nvme_qp_reset(struct nvme_qpair *q)
{
    memset((void *)q->sq, 0, sizeof(struct nvme_sqe) * q->depth);
    memset((void *)q->cq, 0, sizeof(struct nvme_cqe) * q->depth);
    memset(q->slots, 0, sizeof(*q->slots) * (size_t)(q->depth - 1));
    q->sq_tail = q->sq_head = q->cq_head = 0;
    q->phase = 1;
    q->in_flight = q->unpushed = q->next_cid = 0;
}

static uint16_t ring_dist(const struct nvme_qpair *q, uint16_t from, uint16_t to)
{
    return (uint16_t)((to + q->depth - from) % q->depth);
}

int nvme_qp_reserve(struct nvme_qpair *q)
{
    uint16_t ids = (uint16_t)(q->depth - 1);
    if (q->in_flight >= ids || ring_dist(q, q->sq_head, q->sq_tail) + q->unpushed + 1u >= q->depth)
        return -EBUSY;
    for (uint16_t i = 0; i < ids; i++) {
        uint16_t cid = (uint16_t)((q->next_cid + i) % ids);
        if (q->slots[cid].busy)
            continue;
        q->slots[cid] = (struct nvme_slot){ .busy = true };
        q->next_cid = (uint16_t)((cid + 1) % ids);
        q->in_flight++;
        q->unpushed++;
        return cid;
    }
    return -EBUSY;
}

void nvme_qp_unreserve(struct nvme_qpair *q, uint16_t cid)
{
    if (cid >= q->depth - 1 || !q->slots[cid].busy || !q->unpushed)
        return;
    q->slots[cid].busy = false;
    q->in_flight--;
    q->unpushed--;
}

void nvme_qp_push(struct nvme_qpair *q, uint16_t cid, const struct nvme_sqe *cmd, void *cookie, uint64_t deadline)
{
    struct nvme_sqe e = *cmd;
    e.cdw0 = (e.cdw0 & 0xffffu) | (uint32_t)cid << 16;
    q->slots[cid].cookie = cookie;
    q->slots[cid].deadline = deadline;
    q->slots[cid].cmd = e;
    q->sq[q->sq_tail] = e;
    q->sq_tail = (uint16_t)((q->sq_tail + 1) % q->depth);
    q->unpushed--;
}

/* A bad entry is consumed (the ring must move on) and counted; the command
 * it should have completed stays busy until its deadline. */
static int bad_entry(struct nvme_qpair *q, struct nvme_done *out, const char *what, unsigned value)
{
    if (q->errors++ < 8)
        pr_warn("nvme: queue %u: completion entry with %s %u refused\n", q->qid, what, value);
    out->cookie = NULL;
    return 1;
}

int nvme_qp_reap(struct nvme_qpair *q, struct nvme_done *out)
{
    volatile struct nvme_cqe *slot = &q->cq[q->cq_head];
    uint16_t status = slot->status;
    if ((status & 1) != q->phase)
        return 0;
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the rest of the entry after its phase bit */
    struct nvme_cqe e = *slot;
    e.status = status;
    if (++q->cq_head == q->depth) {
        q->cq_head = 0;
        q->phase ^= 1;
    }
    memset(out, 0, sizeof(*out));
    out->cid = e.cid;
    if (e.sq_id != q->qid)
        return bad_entry(q, out, "SQ id", e.sq_id);
    if (e.sq_head >= q->depth || ring_dist(q, q->sq_head, e.sq_head) > ring_dist(q, q->sq_head, q->sq_tail))
        return bad_entry(q, out, "SQ head", e.sq_head);
    if (e.cid >= q->depth - 1 || !q->slots[e.cid].busy)
        return bad_entry(q, out, "command id", e.cid);
    q->sq_head = e.sq_head;
    out->cookie = q->slots[e.cid].cookie;
    out->status = (uint16_t)(e.status >> 1);
    out->dw0 = e.dw0;
    out->freed = true;
    memset(&q->slots[e.cid], 0, sizeof(q->slots[e.cid]));
    q->in_flight--;
    return 1;
}

void nvme_qp_abandon(struct nvme_qpair *q, uint16_t cid)
{
    if (cid < q->depth - 1 && q->slots[cid].busy) {
        q->slots[cid].cookie = NULL;
        q->slots[cid].deadline = 0;
    }
}

unsigned nvme_qp_expired(const struct nvme_qpair *q, uint64_t now, uint16_t *cids, unsigned max)
{
    unsigned n = 0;
    for (uint16_t i = 0; i + 1 < q->depth && n < max; i++) {
        const struct nvme_slot *s = &q->slots[i];
        if (s->busy && s->cookie && s->deadline && now > s->deadline)
            cids[n++] = i;
    }
    return n;
}

unsigned nvme_qp_cancel(struct nvme_qpair *q, void (*fn)(void *cookie, uint16_t cid, void *arg), void *arg)
{
    unsigned n = 0;
    for (uint16_t i = 0; i + 1 < q->depth; i++) {
        struct nvme_slot s = q->slots[i];
        if (!s.busy)
            continue;
        memset(&q->slots[i], 0, sizeof(q->slots[i]));
        n++;
        if (s.cookie && fn)
            fn(s.cookie, i, arg);
    }
    q->in_flight = q->unpushed = 0;
    return n;
}

unsigned nvme_qp_take(struct nvme_qpair *q, struct nvme_inflight *out, unsigned max, unsigned *freed)
{
    unsigned n = 0, f = 0;
    for (uint16_t i = 0; i + 1 < q->depth; i++) {
        struct nvme_slot *s = &q->slots[i];
        if (!s->busy)
            continue;
        f++;
        if (s->cookie && n < max)
            out[n++] = (struct nvme_inflight){ i, s->cookie, s->cmd };
    }
    if (freed)
        *freed = f;
    nvme_qp_reset(q);
    return n;
}

int nvme_qp_resubmit(struct nvme_qpair *q, const struct nvme_inflight *f, uint64_t deadline)
{
    if (f->cid + 1u >= q->depth || q->slots[f->cid].busy || ring_dist(q, q->sq_head, q->sq_tail) + q->unpushed + 1u >= q->depth)
        return -EBUSY;
    q->slots[f->cid].busy = true;
    q->in_flight++;
    q->unpushed++;
    nvme_qp_push(q, f->cid, &f->cmd, f->cookie, deadline);
    return 0;
}

unsigned nvme_qp_extend_expired(struct nvme_qpair *q, uint64_t now, uint64_t new_deadline)
{
    unsigned n = 0;
    for (uint16_t i = 0; i + 1 < q->depth; i++) {
        struct nvme_slot *s = &q->slots[i];
        if (s->busy && s->cookie && s->deadline && now > s->deadline) {
            s->deadline = new_deadline;
            n++;
        }
    }
    return n;
}

#define SCT(s) (((s) >> 8) & 7)
#define SC(s) ((s) & 0xff)

int nvme_status_errno(uint16_t status)
{
    unsigned sct = SCT(status), sc = SC(status);
    if (sct == 0 && sc == 0)
        return 0;
    if (sct == 0 && (sc == 0x01 || sc == 0x02 || sc == 0x0b || sc == 0x80))
        return -EINVAL; /* invalid opcode or field, invalid namespace, LBA out of range */
    if (sct == 0 && sc == 0x07)
        return -ETIMEDOUT; /* aborted at our request */
    if (sct == 0 && sc == 0x81)
        return -ENOSPC; /* capacity exceeded */
    if (sct == 1 && sc == 0x20)
        return -EROFS; /* namespace is write protected */
    return -EIO;
}
