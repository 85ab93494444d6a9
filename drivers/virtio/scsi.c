/* virtio-scsi (section 5.6) as a SCSI host adapter for drivers/scsi:
 * requests on the first request queue (queue 2), each a request header
 * with the CDB, data out, the response header, data in; under a watchdog
 * (vq_watch.c: QEMU's TCG can lose a notification). */
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "scsi.h"
#include "spinlock.h"
#include "sync.h"
#include "virtio.h"

#define CDB_SIZE 32
#define SENSE_SIZE 96
#define QUEUE_MAX 128
#define VIRTIO_SCSI_S_OK 0

struct cmd_req {
    uint8_t lun[8];
    uint64_t id;
    uint8_t task_attr, prio, crn;
    uint8_t cdb[CDB_SIZE];
} __attribute__((packed));

struct cmd_resp {
    uint32_t sense_len;
    uint32_t resid;
    uint16_t status_qualifier;
    uint8_t status;
    uint8_t response;
    uint8_t sense[SENSE_SIZE];
} __attribute__((packed));

struct vscsi_req {
    struct cmd_req req;
    struct cmd_resp resp;
    struct scsi_cmd *c;
    struct vring_desc table[4];
};

struct vscsi {
    struct virtio_dev v;
    struct virtqueue ctrl, event, req;
    struct spinlock lock;
    struct semaphore slots;
    struct vq_watch watch;
    struct scsi_host host;
};

static void finish(struct vscsi_req *r, uint32_t len)
{
    struct scsi_cmd *c = r->c;
    if (len < sizeof(struct cmd_resp) - SENSE_SIZE || r->resp.response != VIRTIO_SCSI_S_OK) {
        c->host_status = -5;
    } else {
        c->host_status = 0;
        c->status = r->resp.status;
        c->resid = r->resp.resid <= c->data_len ? r->resp.resid : c->data_len;
        c->sense_len = r->resp.sense_len < SCSI_SENSE_MAX ? r->resp.sense_len : SCSI_SENSE_MAX;
        memcpy(c->sense, r->resp.sense, c->sense_len);
    }
    free(r);
    c->done(c);
}

static void scsi_interrupt(void *arg)
{
    struct vscsi *d = arg;
    for (;;) {
        uint32_t len;
        uint64_t f = spin_lock_irqsave(&d->lock);
        struct vscsi_req *r = vq_get_used(&d->req, &len);
        spin_unlock_irqrestore(&d->lock, f);
        if (!r)
            return;
        finish(r, len);
        sem_up(&d->slots);
    }
}

static int queuecommand(struct scsi_host *h, struct scsi_cmd *c)
{
    struct vscsi *d = h->priv;
    if (c->target > 255 || c->lun > 16383 || c->cdb_len > CDB_SIZE)
        return -22;
    struct vscsi_req *r = calloc(1, sizeof(*r));
    if (!r)
        return -12;
    r->c = c;
    r->req.lun[0] = 1;
    r->req.lun[1] = (uint8_t)c->target;
    r->req.lun[2] = (uint8_t)(0x40 | (c->lun >> 8));
    r->req.lun[3] = (uint8_t)c->lun;
    r->req.id = (uint64_t)(uintptr_t)r;
    memcpy(r->req.cdb, c->cdb, c->cdb_len);
    struct vq_buf bufs[4];
    unsigned n = 0;
    bufs[n++] = (struct vq_buf){ &r->req, sizeof(r->req), false };
    if (c->dir == SCSI_TO_DEVICE && c->data_len)
        bufs[n++] = (struct vq_buf){ c->data, c->data_len, false };
    bufs[n++] = (struct vq_buf){ &r->resp, sizeof(r->resp), true };
    if (c->dir == SCSI_FROM_DEVICE && c->data_len)
        bufs[n++] = (struct vq_buf){ c->data, c->data_len, true };
    sem_down(&d->slots);
    uint64_t f = spin_lock_irqsave(&d->lock);
    int head = vq_add(&d->req, bufs, n, r, r->table);
    if (head >= 0)
        vq_watch_kick(&d->watch);
    spin_unlock_irqrestore(&d->lock, f);
    if (head < 0) {
        sem_up(&d->slots);
        free(r);
        return -11;
    }
    return 0;
}

static int scsi_attach(struct device *dev)
{
    if (virtio_device_id(dev) != VIRTIO_ID_SCSI)
        return -1;
    struct vscsi *d = calloc(1, sizeof(*d));
    if (!d || virtio_transport_init(&d->v, dev) < 0) {
        free(d);
        return -1;
    }
    struct virtio_dev *v = &d->v;
    if (virtio_negotiate(v, VIRTIO_F_EVENT_IDX | VIRTIO_F_INDIRECT_DESC) < 0)
        return -1;
    /* config: num_queues, seg_max, max_sectors, cmd_per_lun, event_info_size,
     * sense_size, cdb_size, max_channel, max_target, max_lun */
    uint32_t cdb_size = (uint32_t)virtio_config_read(v, 24, 4);
    uint32_t max_target = (uint32_t)virtio_config_read(v, 30, 2);
    uint32_t max_lun = (uint32_t)virtio_config_read(v, 32, 4);
    if (cdb_size && cdb_size != CDB_SIZE && !v->legacy) {
        virtio_fail(v, "unexpected CDB size"); /* legacy devices cannot be told otherwise */
        return -1;
    }
    if (v->ops->setup_irq(v, scsi_interrupt, d) < 0 || virtio_queue_create(v, 0, 16, &d->ctrl) < 0 ||
        virtio_queue_create(v, 1, 16, &d->event) < 0 || virtio_queue_create(v, 2, QUEUE_MAX, &d->req) < 0) {
        virtio_fail(v, "cannot set up the queues");
        return -1;
    }
    /* QEMU counts data-out bytes in the used length of writes; the
     * response's resid is what says how much moved. */
    d->req.len_unused = true;
    vq_watch_init(&d->watch, v, 2, &d->req, &d->lock, scsi_interrupt, d, "virtio-scsi");
    sem_init(&d->slots, d->req.indirect ? d->req.size : d->req.size / 4);
    d->host.name = "virtio-scsi";
    /* Every target is a round trip at boot: scan the first 16 (QEMU puts
     * disks at 0 upward) unless the device says there are fewer. */
    d->host.max_target = (uint16_t)(max_target < 15 ? max_target : 15);
    d->host.max_lun = max_lun < 16383 ? max_lun : 16383;
    d->host.queuecommand = queuecommand;
    d->host.priv = d;
    virtio_driver_ok(v);
    pr_info("virtio-scsi: over %s, targets 0-%u scanned\n", v->ops->name, d->host.max_target);
    scsi_scan(&d->host);
    return 0;
}

static const struct pci_id scsi_ids[] = { { 0x1af4, 0x1004 }, { 0x1af4, 0x1048 }, { 0, 0 } };

DEVICE_DRIVER(virtio_scsi_pci) = { "virtio-scsi", BUS_PCI, scsi_ids, false, scsi_attach };
DEVICE_DRIVER(virtio_scsi_mmio) = { "virtio-scsi", BUS_MMIO, NULL, true, scsi_attach };
