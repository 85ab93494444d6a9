/* NVMe block requests: one request becomes one command per chunk (MDTS),
 * on the queue pair of the CPU that submits, with its PRP list. */
#include <stdlib.h>
#include "clock.h"
#include "cpu.h"
#include "errno.h"
#include "nvme_ctrl.h"

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
            if (nvme_wait_live(c) < 0)
                return -EIO;
            continue;
        }
        int cid = nvme_qp_reserve(&q->qp);
        int rc = cid < 0 ? cid : 0;
        if (rc == 0 && bytes) {
            uint64_t *list = q->prp_lists + (size_t)cid * PRP_LIST_ENTRIES;
            rc = nvme_prp_build(nvme_translate, NULL, (uint64_t)(uintptr_t)buf, bytes, &cmd->prp1, &cmd->prp2, list,
                                nvme_dev_addr(list), PRP_LIST_ENTRIES);
            if (rc < 0)
                nvme_qp_unreserve(&q->qp, (uint16_t)cid);
        }
        if (rc == 0) {
            __atomic_add_fetch(&io->pending, 1, __ATOMIC_ACQ_REL);
            nvme_qp_push(&q->qp, (uint16_t)cid, cmd, &io->ck, nvme_deadline(c, clock_monotonic_ns()));
            *q->sq_db = q->qp.sq_tail;
        }
        spin_unlock_irqrestore(&q->lock, f);
        if (rc < 0) {
            sem_up(&q->slots);
            return rc;
        }
        nvme_watchdog_arm(c);
        return 0;
    }
}

int nvme_ns_submit(struct block_dev *b, struct block_request *r)
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
