/* The transport-independent part of virtio: the status handshake, feature
 * negotiation, consistent config reads, queue creation and notification. */
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "memory.h"
#include "virtio.h"
#include "virtio_mmio.h"

uint32_t virtio_device_id(const struct device *d)
{
    if (d->bus == BUS_MMIO) {
        volatile uint32_t *r = (volatile uint32_t *)(uintptr_t)d->mmio.base;
        return r[2];
    }
    if (d->pci.vendor != 0x1af4)
        return 0;
    if (d->pci.device >= 0x1040 && d->pci.device <= 0x107f)
        return d->pci.device - 0x1040u;
    if (d->pci.device >= 0x1000 && d->pci.device <= 0x103f)
        return d->pci.subsys_device; /* transitional: the subsystem id names the type */
    return 0;
}

int virtio_transport_init(struct virtio_dev *v, struct device *d)
{
    memset(v, 0, sizeof(*v));
    v->dev = d;
    v->device_id = virtio_device_id(d);
    if (d->bus == BUS_MMIO)
        return virtio_mmio_init(v, d);
    if (d->pci.device >= 0x1040)
        return virtio_pci_modern_init(v, d);
    /* Transitional devices speak both; the modern interface when present. */
    if (virtio_pci_modern_init(v, d) == 0)
        return 0;
    return virtio_pci_legacy_init(v, d);
}

void virtio_fail(struct virtio_dev *v, const char *why)
{
    pr_err("virtio-%s (device %u): %s; device marked FAILED\n", v->ops->name, v->device_id, why);
    v->ops->set_status(v, (uint8_t)(v->ops->get_status(v) | VIRTIO_STATUS_FAILED));
}

int virtio_negotiate(struct virtio_dev *v, uint64_t wanted)
{
    v->ops->set_status(v, 0);
    v->ops->set_status(v, VIRTIO_STATUS_ACK);
    v->ops->set_status(v, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER);
    uint64_t offered = v->ops->get_features(v);
    if (!v->legacy)
        wanted |= VIRTIO_F_VERSION_1;
    v->features = offered & wanted;
    bool modern = !v->legacy;
    if (modern && !(v->features & VIRTIO_F_VERSION_1)) {
        virtio_fail(v, "modern transport without VIRTIO_F_VERSION_1");
        return -1;
    }
    v->ops->set_features(v, v->features);
    if (modern) {
        v->ops->set_status(v, VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
        if (!(v->ops->get_status(v) & VIRTIO_STATUS_FEATURES_OK)) {
            virtio_fail(v, "device refused our features");
            return -1;
        }
    }
    return 0;
}

void virtio_driver_ok(struct virtio_dev *v)
{
    v->ops->set_status(v, (uint8_t)(v->ops->get_status(v) | VIRTIO_STATUS_DRIVER_OK));
}

uint64_t virtio_config_read(struct virtio_dev *v, unsigned off, unsigned width)
{
    for (int tries = 0; tries < 100; tries++) {
        uint32_t gen = v->ops->config_generation(v);
        uint64_t val = 0;
        for (unsigned i = 0; i < width; i++)
            val |= (uint64_t)v->ops->config_read8(v, off + i) << (8 * i);
        if (gen == v->ops->config_generation(v))
            return val;
    }
    pr_warn("virtio: config generation never settles\n");
    return 0;
}

static uint64_t to_device(void *ctx, const void *p)
{
    (void)ctx;
    int64_t pa = paging_translate((uint64_t)(uintptr_t)p);
    return pa < 0 ? 0 : (uint64_t)pa;
}

int virtio_queue_create(struct virtio_dev *v, unsigned index, uint16_t max_size, struct virtqueue *q)
{
    uint16_t size = v->ops->queue_max(v, index);
    if (size == 0)
        return -1;
    if (size > max_size && !(v->legacy && v->io))
        size = max_size; /* legacy PCI fixes the size: take what it offers */
    while (size & (size - 1)) /* legacy devices may offer any size; rings want a power of two */
        size &= (uint16_t)(size - 1);
    size_t bytes = vq_ring_bytes(size);
    void *ring = pages_alloc(bytes / PAGE_SIZE, PAGE_SIZE);
    void **cookies = calloc(size, sizeof(void *));
    uint32_t *lens = calloc(size, sizeof(uint32_t));
    struct vring_desc **tables = calloc(size, sizeof(void *));
    if (!ring || !cookies || !lens || !tables)
        return -1;
    vq_init(q, size, ring, cookies, lens, tables, to_device, NULL);
    q->event_idx = (v->features & VIRTIO_F_EVENT_IDX) != 0;
    q->indirect = (v->features & VIRTIO_F_INDIRECT_DESC) != 0;
    uint64_t base = (uint64_t)(uintptr_t)ring;
    return v->ops->queue_setup(v, index, size, base, base + 16u * size, base + vq_used_offset(size));
}

void virtio_kick(struct virtio_dev *v, unsigned index, struct virtqueue *q)
{
    if (vq_kick_prepare(q))
        v->ops->notify(v, index);
}
