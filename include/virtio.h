/* virtio: one device model over three transports. Device drivers (blk, ...)
 * talk only to struct virtio_dev and its ops; legacy PCI, modern PCI and
 * MMIO (v1 and v2) implement them. */
#ifndef KESTREL_VIRTIO_H
#define KESTREL_VIRTIO_H
#include <stdbool.h>
#include <stdint.h>
#include "device.h"
#include "spinlock.h"
#include "timer.h"
#include "virtqueue.h"

#define VIRTIO_STATUS_ACK 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_FAILED 128

#define VIRTIO_F_INDIRECT_DESC (1ull << 28)
#define VIRTIO_F_EVENT_IDX (1ull << 29)
#define VIRTIO_F_VERSION_1 (1ull << 32)

#define VIRTIO_ID_NET 1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG 4
#define VIRTIO_ID_SCSI 8

struct virtio_dev;

struct virtio_ops {
    const char *name;
    uint64_t (*get_features)(struct virtio_dev *v);
    void (*set_features)(struct virtio_dev *v, uint64_t f);
    uint8_t (*get_status)(struct virtio_dev *v);
    void (*set_status)(struct virtio_dev *v, uint8_t s);
    uint8_t (*config_read8)(struct virtio_dev *v, unsigned off);
    uint32_t (*config_generation)(struct virtio_dev *v);
    /* Size of queue index (0: absent), then its set-up with the ring memory. */
    uint16_t (*queue_max)(struct virtio_dev *v, unsigned index);
    int (*queue_setup)(struct virtio_dev *v, unsigned index, uint16_t size, uint64_t desc, uint64_t avail,
                       uint64_t used);
    void (*notify)(struct virtio_dev *v, unsigned index);
    /* Interrupts: route them to handler; ack returns true if ours. */
    int (*setup_irq)(struct virtio_dev *v, void (*handler)(void *arg), void *arg);
    bool (*irq_ack)(struct virtio_dev *v);
};

struct virtio_dev {
    const struct virtio_ops *ops;
    struct device *dev;
    uint32_t device_id;
    uint64_t features;   /* negotiated */
    bool legacy;         /* pre-1.0 interface: no FEATURES_OK, no VERSION_1 */
    /* transport state */
    uint16_t io;         /* legacy PCI: I/O BAR */
    volatile uint8_t *mmio, *common, *notify_base, *isr, *devcfg;
    uint32_t notify_mult;
    bool msix;
    void (*handler)(void *arg);
    void *handler_arg;
};

/* Handshake: reset, ACK, DRIVER, feature negotiation (wanted & offered,
 * VERSION_1 required on modern transports), FEATURES_OK check. On failure
 * the device is set FAILED and -1 returned. */
int virtio_negotiate(struct virtio_dev *v, uint64_t wanted);
void virtio_driver_ok(struct virtio_dev *v);
void virtio_fail(struct virtio_dev *v, const char *why);
/* Reads a multi-byte config field consistently (config generation). */
uint64_t virtio_config_read(struct virtio_dev *v, unsigned off, unsigned width);
/* A ready queue: ring memory allocated, the device told. */
int virtio_queue_create(struct virtio_dev *v, unsigned index, uint16_t max_size, struct virtqueue *q);
void virtio_kick(struct virtio_dev *v, unsigned index, struct virtqueue *q);

/* A queue's watchdog (drivers/virtio/vq_watch.c says why): while requests
 * are on the ring it runs drain (the driver's interrupt handler) every
 * period and notifies the device again when nothing completed. */
struct vq_watch {
    struct timer timer;
    struct virtio_dev *v;
    struct virtqueue *q;
    unsigned index;
    struct spinlock *lock; /* the driver's lock over q */
    void (*drain)(void *arg);
    void *drain_arg;
    const char *name;
    bool armed;      /* under lock */
    uint16_t seen;   /* q->last_used at the last look */
    unsigned quiet;  /* periods in a row without a completion */
    unsigned long kicks, lose_kick, rekicks;
};
void vq_watch_init(struct vq_watch *w, struct virtio_dev *v, unsigned index, struct virtqueue *q,
                   struct spinlock *lock, void (*drain)(void *), void *drain_arg, const char *name);
/* Instead of virtio_kick, with lock held, after adding requests. */
void vq_watch_kick(struct vq_watch *w);

/* Transport probes: fill v for a device, or -1 if it is not usable. */
int virtio_pci_legacy_init(struct virtio_dev *v, struct device *d);
int virtio_pci_modern_init(struct virtio_dev *v, struct device *d);
int virtio_mmio_init(struct virtio_dev *v, struct device *d);
/* Any of the three, by what d is. */
int virtio_transport_init(struct virtio_dev *v, struct device *d);
/* The virtio device id of d (PCI ids 0x1000-0x103f transitional, 0x1040+ modern; MMIO register). */
uint32_t virtio_device_id(const struct device *d);

#endif
