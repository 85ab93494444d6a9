/* Split virtqueues (virtio 1.x, section 2.7) as pure logic: the rings live in
 * memory the caller provides; addresses handed to the device come from a
 * translate callback. Everything the device writes (used index, ids,
 * lengths) is checked before use. */
#ifndef KESTREL_VIRTQUEUE_H
#define KESTREL_VIRTQUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRING_DESC_F_NEXT 1
#define VRING_DESC_F_WRITE 2
#define VRING_DESC_F_INDIRECT 4
#define VRING_AVAIL_F_NO_INTERRUPT 1
#define VRING_USED_F_NO_NOTIFY 1

struct vring_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct vring_used_elem {
    uint32_t id;
    uint32_t len;
};

/* One buffer of a request: driver-readable (out) or device-writable (in). */
struct vq_buf {
    void *addr;
    uint32_t len;
    bool device_writes;
};

struct virtqueue {
    uint16_t size; /* a power of two */
    volatile struct vring_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint8_t *used;   /* flags, idx, ring[size] of used_elem, avail_event */
    uint16_t free_head, num_free;
    uint16_t avail_idx;      /* next avail slot we fill */
    uint16_t last_used;      /* next used slot we read */
    uint16_t kicked_at;      /* avail_idx at the last notification */
    uint16_t in_flight;      /* requests added and not yet completed */
    bool event_idx;          /* VIRTIO_F_EVENT_IDX negotiated */
    bool indirect;           /* VIRTIO_F_INDIRECT_DESC negotiated */
    uint64_t (*to_device)(void *ctx, const void *p); /* guest address the device sees */
    void *ctx;
    void **cookie;           /* per head: the caller's token, NULL when free */
    uint32_t *in_len;        /* per head: bytes the device may write */
    struct vring_desc **indirect_table; /* per head: indirect table in use */
    uint32_t errors;         /* device misbehaviour seen */
    bool len_unused;         /* the driver ignores used lengths (virtio-scsi reads resid) */
    bool len_warned;         /* one log line per queue for bad lengths */
    /* A fence the device is sure to see, for the empty check below and
     * before reading avail_event in vq_kick_prepare; NULL for the CPU's own
     * (vq_watch.c says when that is not enough). */
    void (*fence)(void *ctx);
    void *fence_ctx;
};

/* Bytes of ring memory for size entries (descriptors, then avail, then the
 * used ring at the next 4 KiB boundary, as legacy devices require). */
size_t vq_ring_bytes(uint16_t size);
size_t vq_used_offset(uint16_t size);

/* Sets up q over ring (zeroed, vq_ring_bytes(size), 4 KiB aligned) and
 * the per-head arrays (each size entries). */
int vq_init(struct virtqueue *q, uint16_t size, void *ring, void **cookies, uint32_t *in_lens,
            struct vring_desc **indirect_tables, uint64_t (*to_device)(void *, const void *), void *ctx);

/* Queues one request of n buffers; indirect_table (n entries) is used when
 * non-NULL, the feature is on and n > 1. Returns the head id, -1 when full. */
int vq_add(struct virtqueue *q, const struct vq_buf *bufs, unsigned n, void *cookie,
           struct vring_desc *indirect_table);

/* True when the device wants a notification for what was added since the
 * last call (honouring NO_NOTIFY and, with EVENT_IDX, avail_event). */
bool vq_kick_prepare(struct virtqueue *q);

/* The next completed request: returns its cookie and sets *len, or NULL when
 * there is none. A used entry with a bad id or length is counted in
 * q->errors and skipped (its request is never completed twice). */
void *vq_get_used(struct virtqueue *q, uint32_t *len);

/* Has the device used every buffer we posted (none left to fill)? A device
 * in that state waits for a notification that suppression may have lost. */
bool vq_device_starved(struct virtqueue *q);
/* Has the device used a buffer that vq_get_used has not returned yet? */
bool vq_has_used(struct virtqueue *q);
/* Asks for (or suppresses) interrupts; with EVENT_IDX, for the next one. */
void vq_enable_interrupts(struct virtqueue *q, bool on);

#endif
