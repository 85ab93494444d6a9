/* Finding SCSI disks and serving block requests with them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
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

struct disk_req {
    struct scsi_cmd c;
    struct block_request *r;
};

static unsigned ndisks;

static void sync_done(struct scsi_cmd *c) { sem_up(c->arg); }

/* Runs one command and waits; retries a UNIT ATTENTION (reset, media
 * change) a few times, as every disk reports one after power-on. */
static int exec(struct scsi_host *h, struct scsi_cmd *c)
{
    for (int tries = 0; tries < 4; tries++) {
        struct semaphore done = SEMAPHORE_INIT(0);
        c->done = sync_done;
        c->arg = &done;
        c->status = 0xff;
        if (h->queuecommand(h, c) < 0)
            return -1;
        sem_down(&done);
        if (c->host_status < 0)
            return -1;
        if (c->status == 0)
            return 0;
        uint8_t asc;
        if (c->status == 2 && scsi_sense_key(c->sense, c->sense_len, &asc) == 6)
            continue; /* UNIT ATTENTION */
        return -1;
    }
    return -1;
}

static void rw_done(struct scsi_cmd *c)
{
    struct disk_req *dr = (struct disk_req *)c;
    struct block_request *r = dr->r;
    r->status = c->host_status < 0 || c->status != 0 || c->resid ? -5 : 0;
    free(dr);
    r->done(r);
}

static int disk_submit(struct block_dev *b, struct block_request *r)
{
    struct scsi_disk *d = b->priv;
    uint64_t bytes = (uint64_t)r->count * b->sector_size;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->sector + r->count > b->sectors || bytes > MAX_TRANSFER))
        return -22;
    if (r->op == BLOCK_WRITE && b->read_only)
        return -30;
    struct disk_req *dr = calloc(1, sizeof(*dr));
    if (!dr)
        return -12;
    dr->r = r;
    struct scsi_cmd *c = &dr->c;
    c->target = d->target;
    c->lun = d->lun;
    if (r->op == BLOCK_FLUSH) {
        c->cdb[0] = 0x35; /* SYNCHRONIZE CACHE(10) */
        c->cdb_len = 10;
        c->dir = SCSI_NONE;
    } else {
        scsi_cdb_rw(c, r->op == BLOCK_WRITE, r->sector, r->count);
        c->data = r->buf;
        c->data_len = (uint32_t)bytes;
        c->dir = r->op == BLOCK_WRITE ? SCSI_TO_DEVICE : SCSI_FROM_DEVICE;
    }
    c->done = rw_done;
    if (d->host->queuecommand(d->host, c) < 0) {
        free(dr);
        return -11;
    }
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
