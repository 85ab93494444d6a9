/* Finding SCSI disks and serving block requests with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "errno.h"
#include "sched.h"
#include "spinlock.h"
#include "log.h"
#include "memory.h"
#include "scsi.h"
#include "sync.h"

#define MAX_LUNS 16
#define MAX_TRANSFER (1u << 20)

struct scsi_disk {
    struct scsi_host *host;
    uint16_t target;
    uint32_t lun;
    struct block_dev b;
};

/* One block request; larger than the host's max_transfer, it becomes
 * several commands, and ends when the last does (with the first error). */
struct disk_io {
    struct block_request *r;
    int pending;
    int status;
};

struct disk_req {
    struct scsi_cmd c;
    struct disk_io *io;
    struct scsi_disk *d;
    unsigned tries;
    struct disk_req *next; /* on the retry queue */
};

/* Commands to send again are queued to one thread: completions arrive in
 * interrupt context, where an adapter's queuecommand may not be called. */
static struct spinlock retry_lock = SPINLOCK_INIT;
static struct disk_req *retry_head, *retry_tail;
static struct semaphore retry_sem = SEMAPHORE_INIT(0);
static bool retry_started;

static unsigned ndisks;

static void sync_done(struct scsi_cmd *c) { sem_up(c->arg); }

/* Runs one command and waits; sends it again a few times when
 * scsi_classify says so (every disk reports a UNIT ATTENTION after
 * power-on). */
static int exec(struct scsi_host *h, struct scsi_cmd *c)
{
    for (int tries = 0; tries < SCSI_RETRIES; tries++) {
        struct semaphore done = SEMAPHORE_INIT(0);
        c->done = sync_done;
        c->arg = &done;
        c->status = 0xff;
        if (h->queuecommand(h, c) < 0)
            return -1;
        sem_down(&done);
        enum scsi_outcome o = scsi_classify(c);
        if (o == SCSI_DONE)
            return 0;
        if (o == SCSI_FAILED)
            return -1;
    }
    return -1;
}

static void io_put(struct disk_io *io)
{
    if (__atomic_sub_fetch(&io->pending, 1, __ATOMIC_ACQ_REL))
        return;
    struct block_request *r = io->r;
    r->status = io->status;
    free(io);
    r->done(r);
}

static void rw_finish(struct disk_req *dr, int status)
{
    struct disk_io *io = dr->io;
    if (status < 0) {
        int zero = 0;
        __atomic_compare_exchange_n(&io->status, &zero, status, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    free(dr);
    io_put(io);
}

static void rw_done(struct scsi_cmd *c)
{
    struct disk_req *dr = (struct disk_req *)c;
    enum scsi_outcome o = scsi_classify(c);
    if (o == SCSI_RETRY && dr->tries < SCSI_RETRIES && retry_started) {
        dr->tries++;
        dr->next = NULL;
        uint64_t f = spin_lock_irqsave(&retry_lock);
        if (retry_tail)
            retry_tail->next = dr;
        else
            retry_head = dr;
        retry_tail = dr;
        spin_unlock_irqrestore(&retry_lock, f);
        sem_up(&retry_sem);
        return;
    }
    if (o != SCSI_DONE || c->resid)
        pr_debug("scsi: %s: opcode %#x failed: host status %d, status %#x, sense %u bytes, resid %u, try %u\n",
                 dr->d->b.name, c->cdb[0], c->host_status, c->status, c->sense_len, c->resid, dr->tries + 1);
    rw_finish(dr, o == SCSI_DONE && !c->resid ? 0 : -EIO);
}

static int send(struct disk_req *dr)
{
    struct scsi_cmd *c = &dr->c;
    c->status = 0xff;
    c->host_status = 0;
    c->resid = 0;
    c->sense_len = 0;
    c->done = rw_done;
    return dr->d->host->queuecommand(dr->d->host, c);
}

/* Sends queued commands again, after a short pause when the target said
 * BUSY (a retry at once would meet the same answer). */
static void *retry_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sem_down(&retry_sem);
        uint64_t f = spin_lock_irqsave(&retry_lock);
        struct disk_req *dr = retry_head;
        retry_head = dr->next;
        if (!retry_head)
            retry_tail = NULL;
        spin_unlock_irqrestore(&retry_lock, f);
        if (dr->c.status == 0x08 || dr->c.status == 0x28)
            thread_sleep_ns(10 * 1000000ull);
        pr_debug("scsi: %s: sending a command again (try %u)\n", dr->d->b.name, dr->tries + 1);
        if (send(dr) < 0)
            rw_finish(dr, -EIO);
    }
    return NULL;
}

/* Queues one command for [sector, sector+count) of r (or a flush). */
static int queue_part(struct scsi_disk *d, struct disk_io *io, uint64_t sector, uint32_t count, void *buf)
{
    struct block_request *r = io->r;
    struct disk_req *dr = calloc(1, sizeof(*dr));
    if (!dr)
        return -ENOMEM;
    dr->io = io;
    dr->d = d;
    struct scsi_cmd *c = &dr->c;
    c->target = d->target;
    c->lun = d->lun;
    if (r->op == BLOCK_FLUSH) {
        c->cdb[0] = 0x35; /* SYNCHRONIZE CACHE(10) */
        c->cdb_len = 10;
        c->dir = SCSI_NONE;
    } else {
        scsi_cdb_rw(c, r->op == BLOCK_WRITE, sector, count);
        c->data = buf;
        c->data_len = count * d->b.sector_size;
        c->dir = r->op == BLOCK_WRITE ? SCSI_TO_DEVICE : SCSI_FROM_DEVICE;
    }
    __atomic_add_fetch(&io->pending, 1, __ATOMIC_ACQ_REL);
    if (send(dr) < 0) {
        __atomic_sub_fetch(&io->pending, 1, __ATOMIC_ACQ_REL);
        free(dr);
        return -EAGAIN;
    }
    return 0;
}

static int disk_submit(struct block_dev *b, struct block_request *r)
{
    struct scsi_disk *d = b->priv;
    uint64_t bytes = (uint64_t)r->count * b->sector_size;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->sector + r->count > b->sectors || bytes > MAX_TRANSFER))
        return -EINVAL;
    if (r->op == BLOCK_WRITE && b->read_only)
        return -EROFS;
    struct disk_io *io = calloc(1, sizeof(*io));
    if (!io)
        return -ENOMEM;
    *io = (struct disk_io){ r, 1, 0 };
    uint32_t max = d->host->max_transfer && d->host->max_transfer < MAX_TRANSFER ? d->host->max_transfer : MAX_TRANSFER;
    uint32_t per = max / b->sector_size;
    int rc = 0, queued = 0;
    if (r->op == BLOCK_FLUSH) {
        rc = queue_part(d, io, 0, 0, NULL);
        queued += rc == 0;
    }
    for (uint64_t done = 0; r->op != BLOCK_FLUSH && done < r->count && rc == 0; done += per) {
        uint32_t n = r->count - done < per ? (uint32_t)(r->count - done) : per;
        rc = queue_part(d, io, r->sector + done, n, (uint8_t *)r->buf + done * b->sector_size);
        queued += rc == 0;
    }
    if (!queued) {
        free(io);
        return rc;
    }
    if (rc < 0) {
        int zero = 0;
        __atomic_compare_exchange_n(&io->status, &zero, rc, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
    }
    io_put(io); /* the submitter's reference */
    return 0;
}

static void probe_lun(struct scsi_host *h, uint16_t target, uint32_t lun, uint8_t *buf)
{
    struct scsi_cmd c;
    memset(&c, 0, sizeof(c));
    c.target = target;
    c.lun = lun;
    c.cdb[0] = 0x12; /* INQUIRY */
    c.cdb[4] = 96;
    c.cdb_len = 6;
    c.data = buf;
    c.data_len = 96;
    c.dir = SCSI_FROM_DEVICE;
    if (exec(h, &c) < 0 || c.data_len - c.resid < 8 || (buf[0] & 0x1f) != 0 || (buf[0] >> 5) != 0)
        return; /* not a connected direct-access device */
    char vendor[9], product[17];
    memcpy(vendor, buf + 8, 8);
    vendor[8] = 0;
    memcpy(product, buf + 16, 16);
    product[16] = 0;
    memset(&c, 0, sizeof(c));
    c.target = target;
    c.lun = lun;
    c.cdb_len = 6; /* TEST UNIT READY */
    exec(h, &c);
    uint64_t blocks = 0;
    uint32_t bs = 0;
    memset(&c, 0, sizeof(c));
    c.target = target;
    c.lun = lun;
    c.cdb[0] = 0x9e; /* SERVICE ACTION IN(16): READ CAPACITY(16) */
    c.cdb[1] = 0x10;
    c.cdb[13] = 32;
    c.cdb_len = 16;
    c.data = buf;
    c.data_len = 32;
    c.dir = SCSI_FROM_DEVICE;
    if (exec(h, &c) < 0 || scsi_parse_capacity16(buf, 32 - c.resid, &blocks, &bs) < 0) {
        memset(&c, 0, sizeof(c));
        c.target = target;
        c.lun = lun;
        c.cdb[0] = 0x25; /* READ CAPACITY(10) */
        c.cdb_len = 10;
        c.data = buf;
        c.data_len = 8;
        c.dir = SCSI_FROM_DEVICE;
        if (exec(h, &c) < 0 || scsi_parse_capacity10(buf, 8 - c.resid, &blocks, &bs) < 0) {
            pr_warn("scsi: %s %u:%u: no usable capacity\n", h->name, target, lun);
            return;
        }
    }
    struct scsi_disk *d = calloc(1, sizeof(*d));
    if (!d)
        return;
    d->host = h;
    d->target = target;
    d->lun = lun;
    d->b.sector_size = bs;
    d->b.sectors = blocks;
    d->b.can_flush = true;
    d->b.queue_depth = 32;
    d->b.submit = disk_submit;
    d->b.priv = d;
    snprintf(d->b.name, sizeof(d->b.name), "sd%u", ndisks++);
    pr_info("scsi: %s %u:%u \"%s %s\" is %s\n", h->name, target, lun, vendor, product, d->b.name);
    block_register(&d->b);
}

int scsi_scan(struct scsi_host *h)
{
    if (!retry_started && thread_create("scsi-retry", retry_thread, NULL, 0))
        retry_started = true;
    uint8_t *buf = pages_alloc(1, PAGE_SIZE);
    if (!buf)
        return 0;
    unsigned before = ndisks;
    for (uint16_t t = 0; t <= h->max_target; t++) {
        uint32_t luns[MAX_LUNS];
        unsigned n = 0;
        struct scsi_cmd c;
        memset(&c, 0, sizeof(c));
        c.target = t;
        c.cdb[0] = 0xa0; /* REPORT LUNS, allocation length 2048 */
        c.cdb[8] = 0x08;
        c.cdb_len = 12;
        c.data = buf;
        c.data_len = 2048;
        c.dir = SCSI_FROM_DEVICE;
        if (exec(h, &c) == 0)
            n = scsi_parse_report_luns(buf, c.data_len - c.resid, luns, MAX_LUNS);
        else
            luns[n++] = 0; /* no REPORT LUNS: try LUN 0 */
        for (unsigned i = 0; i < n; i++) {
            if (luns[i] <= h->max_lun)
                probe_lun(h, t, luns[i], buf);
        }
    }
    pages_free(buf, 1);
    return (int)(ndisks - before);
}
