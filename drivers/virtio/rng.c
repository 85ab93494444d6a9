/* virtio-rng (section 5.4): one queue of device-writable buffers the device
 * fills with entropy; each fill is fed to the kernel's random source. The
 * first fill happens at attach, so the source is seeded before the app runs. */
#include <stdlib.h>
#include "log.h"
#include "memory.h"
#include "random.h"
#include "spinlock.h"
#include "virtio.h"

#define FILL 64

struct vrng {
    struct virtio_dev v;
    struct virtqueue q;
    struct spinlock lock;
    uint8_t *buf;
};

static void refill_locked(struct vrng *d)
{
    struct vq_buf b = { d->buf, FILL, true };
    if (vq_add(&d->q, &b, 1, d->buf, NULL) >= 0)
        virtio_kick(&d->v, 0, &d->q);
}

static void rng_interrupt(void *arg)
{
    struct vrng *d = arg;
    uint32_t len;
    uint64_t f = spin_lock_irqsave(&d->lock);
    if (vq_get_used(&d->q, &len) && len) {
        random_add_entropy(d->buf, len, 8 * len);
        /* A trickle, not a flood: refill only while the source is young. */
        if (random_entropy_bits() < 4096)
            refill_locked(d);
    }
    spin_unlock_irqrestore(&d->lock, f);
}

static int rng_attach(struct device *dev)
{
    if (virtio_device_id(dev) != VIRTIO_ID_RNG)
        return -1;
    struct vrng *d = calloc(1, sizeof(*d));
    if (!d || virtio_transport_init(&d->v, dev) < 0 || virtio_negotiate(&d->v, VIRTIO_F_EVENT_IDX) < 0)
        return -1;
    d->buf = pages_alloc(1, PAGE_SIZE);
    if (!d->buf || d->v.ops->setup_irq(&d->v, rng_interrupt, d) < 0 || virtio_queue_create(&d->v, 0, 8, &d->q) < 0) {
        virtio_fail(&d->v, "cannot set up");
        return -1;
    }
    virtio_driver_ok(&d->v);
    uint64_t f = spin_lock_irqsave(&d->lock);
    refill_locked(d);
    spin_unlock_irqrestore(&d->lock, f);
    pr_info("virtio-rng: over %s\n", d->v.ops->name);
    return 0;
}

static const struct pci_id rng_ids[] = { { 0x1af4, 0x1005 }, { 0x1af4, 0x1044 }, { 0, 0 } };

DEVICE_DRIVER(virtio_rng_pci) = { "virtio-rng", BUS_PCI, rng_ids, false, rng_attach };
DEVICE_DRIVER(virtio_rng_mmio) = { "virtio-rng", BUS_MMIO, NULL, true, rng_attach };
