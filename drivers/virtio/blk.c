/* virtio-blk (section 5.2) on any transport, behind the block interface:
 * each request is header + data + status byte; up to queue-size/3 requests
 * in flight, completed from the interrupt, under a watchdog (vq_watch.c:
 * QEMU's TCG can lose a notification). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "log.h"
#include "spinlock.h"
#include "sync.h"
#include "virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX (1ull << 1)
#define VIRTIO_BLK_F_SEG_MAX (1ull << 2)
#define VIRTIO_BLK_F_RO (1ull << 5)
#define VIRTIO_BLK_F_BLK_SIZE (1ull << 6)
#define VIRTIO_BLK_F_FLUSH (1ull << 9)
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_S_OK 0
#define QUEUE_MAX 128

struct blk_hdr {
    uint32_t type;
    uint32_t reserved;
    uint64_t sector; /* always in 512-byte units */
};

struct blk_req {
    struct blk_hdr hdr;
    uint8_t status;
    struct block_request *r;
    uint32_t data_len;
    struct vring_desc table[3];
};

struct vblk {
    struct virtio_dev v;
    struct virtqueue q;
    struct spinlock lock;
    struct semaphore slots;
    struct vq_watch watch;
    struct block_dev b;
};

static unsigned count;

static void complete(struct blk_req *rq, uint32_t len)
{
    struct block_request *r = rq->r;
    int in = r->op == BLOCK_READ;
    if (rq->status != VIRTIO_BLK_S_OK)
        r->status = rq->status == 2 ? -95 /* unsupported */ : -5 /* I/O error */;
    else if (in && len < rq->data_len + 1)
        r->status = -5; /* the device wrote less than was asked: a short read */
    else
        r->status = 0;
    free(rq);
    r->done(r);
}

/* Drains the used ring one request at a time, completing each outside the
 * queue lock (completions wake threads). */
static void blk_interrupt(void *arg)
{
    struct vblk *d = arg;
    for (;;) {
        uint32_t len;
        uint64_t f = spin_lock_irqsave(&d->lock);
        struct blk_req *rq = vq_get_used(&d->q, &len);
        spin_unlock_irqrestore(&d->lock, f);
        if (!rq)
            return;
        complete(rq, len);
        sem_up(&d->slots);
    }
}

static int blk_submit(struct block_dev *b, struct block_request *r)
{
    struct vblk *d = b->priv;
    uint64_t bytes = (uint64_t)r->count * b->sector_size;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->sector + r->count > b->sectors || r->sector + r->count < r->sector ||
                                 bytes > (1u << 22)))
        return -22;
    if (r->op == BLOCK_WRITE && b->read_only)
        return -30;
    if (r->op == BLOCK_FLUSH && !b->can_flush)
        return -95;
    struct blk_req *rq = calloc(1, sizeof(*rq));
    if (!rq)
        return -12;
    rq->r = r;
    rq->hdr.type = r->op == BLOCK_READ ? VIRTIO_BLK_T_IN : r->op == BLOCK_WRITE ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_FLUSH;
    rq->hdr.sector = r->sector * (b->sector_size / 512);
    rq->status = 0xff;
    struct vq_buf bufs[3];
    unsigned n = 0;
    bufs[n++] = (struct vq_buf){ &rq->hdr, sizeof(rq->hdr), false };
    if (r->op != BLOCK_FLUSH) {
        rq->data_len = (uint32_t)bytes;
        bufs[n++] = (struct vq_buf){ r->buf, (uint32_t)bytes, r->op == BLOCK_READ };
    }
    bufs[n++] = (struct vq_buf){ &rq->status, 1, true };
    sem_down(&d->slots);
    uint64_t f = spin_lock_irqsave(&d->lock);
    int head = vq_add(&d->q, bufs, n, rq, rq->table);
    if (head >= 0)
        vq_watch_kick(&d->watch);
    spin_unlock_irqrestore(&d->lock, f);
    if (head < 0) {
        sem_up(&d->slots);
        free(rq);
        return -11;
    }
    return 0;
}

static int blk_attach(struct device *dev)
{
    if (virtio_device_id(dev) != VIRTIO_ID_BLOCK)
        return -1;
    struct vblk *d = calloc(1, sizeof(*d));
    if (!d || virtio_transport_init(&d->v, dev) < 0) {
        free(d);
        return -1;
    }
    struct virtio_dev *v = &d->v;
    uint64_t want = VIRTIO_BLK_F_RO | VIRTIO_BLK_F_BLK_SIZE | VIRTIO_BLK_F_FLUSH | VIRTIO_F_EVENT_IDX |
                    VIRTIO_F_INDIRECT_DESC;
    if (virtio_negotiate(v, want) < 0)
        return -1;
    d->b.sectors = virtio_config_read(v, 0, 8);
    d->b.sector_size = 512;
    if (v->features & VIRTIO_BLK_F_BLK_SIZE) {
        uint32_t bs = (uint32_t)virtio_config_read(v, 20, 4);
        if (bs >= 512 && bs <= 65536 && !(bs & (bs - 1))) {
            d->b.sector_size = bs;
            d->b.sectors /= bs / 512;
        }
    }
    d->b.read_only = (v->features & VIRTIO_BLK_F_RO) != 0;
    d->b.can_flush = (v->features & VIRTIO_BLK_F_FLUSH) != 0;
    /* The interrupt first: with MSI-X the queue is given its vector as it is set up. */
    if (v->ops->setup_irq(v, blk_interrupt, d) < 0) {
        virtio_fail(v, "no interrupt");
        return -1;
    }
    if (virtio_queue_create(v, 0, QUEUE_MAX, &d->q) < 0) {
        virtio_fail(v, "cannot set up the request queue");
        return -1;
    }
    d->b.queue_depth = d->q.indirect ? d->q.size : d->q.size / 3;
    sem_init(&d->slots, d->b.queue_depth);
    d->b.submit = blk_submit;
    d->b.priv = d;
    snprintf(d->b.name, sizeof(d->b.name), "vblk%u", count++);
    vq_watch_init(&d->watch, v, 0, &d->q, &d->lock, blk_interrupt, d, d->b.name);
    virtio_driver_ok(v);
    pr_info("virtio-blk: %s over %s, queue %u (depth %u)%s%s\n", d->b.name, v->ops->name, d->q.size,
            d->b.queue_depth, d->q.event_idx ? ", event-idx" : "", d->q.indirect ? ", indirect" : "");
    return block_register(&d->b);
}

static const struct pci_id blk_ids[] = { { 0x1af4, 0x1001 }, { 0x1af4, 0x1042 }, { 0, 0 } };

DEVICE_DRIVER(virtio_blk_pci) = { "virtio-blk", BUS_PCI, blk_ids, false, blk_attach };
DEVICE_DRIVER(virtio_blk_mmio) = { "virtio-blk", BUS_MMIO, NULL, true, blk_attach };
