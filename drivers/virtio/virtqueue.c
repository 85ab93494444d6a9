/* Split virtqueue (pure logic): see virtqueue.h. Layout per the virtio
 * spec: descriptor table (16 bytes each), available ring (flags, idx,
 * ring[], used_event), used ring (flags, idx, ring[] of {id,len},
 * avail_event). */
#include <string.h>
#include "log.h"
#include "virtqueue.h"

#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((size_t)(a) - 1))

static size_t avail_bytes(uint16_t size) { return 2u * (3u + size); }
static size_t used_bytes(uint16_t size) { return 2u * 3u + 8u * size; }

size_t vq_used_offset(uint16_t size) { return ALIGN_UP(16u * size + avail_bytes(size), 4096); }
size_t vq_ring_bytes(uint16_t size) { return vq_used_offset(size) + ALIGN_UP(used_bytes(size), 4096); }

static volatile uint16_t *used_idx(struct virtqueue *q) { return (volatile uint16_t *)(q->used + 2); }
static volatile struct vring_used_elem *used_ring(struct virtqueue *q)
{
    return (volatile struct vring_used_elem *)(q->used + 4);
}
static volatile uint16_t *avail_event(struct virtqueue *q) { return (volatile uint16_t *)(q->used + 4 + 8u * q->size); }

int vq_init(struct virtqueue *q, uint16_t size, void *ring, void **cookies, uint32_t *in_lens,
            struct vring_desc **indirect_tables, uint64_t (*to_device)(void *, const void *), void *ctx)
{
    if (size == 0 || (size & (size - 1)) || size > 32768)
        return -1;
    memset(q, 0, sizeof(*q));
    q->size = size;
    q->desc = ring;
    q->avail = (volatile uint16_t *)((uint8_t *)ring + 16u * size);
    q->used = (uint8_t *)ring + vq_used_offset(size);
    q->to_device = to_device;
    q->ctx = ctx;
    q->cookie = cookies;
    q->in_len = in_lens;
    q->indirect_table = indirect_tables;
    for (uint16_t i = 0; i < size; i++) {
        q->desc[i].next = (uint16_t)(i + 1);
        cookies[i] = NULL;
        indirect_tables[i] = NULL;
    }
    q->num_free = size;
    return 0;
}

static void fill(struct vring_desc *d, struct virtqueue *q, const struct vq_buf *b)
{
    d->addr = q->to_device(q->ctx, b->addr);
    d->len = b->len;
    d->flags = b->device_writes ? VRING_DESC_F_WRITE : 0;
}

int vq_add(struct virtqueue *q, const struct vq_buf *bufs, unsigned n, void *cookie,
           struct vring_desc *indirect_table)
{
    if (n == 0 || !cookie)
        return -1;
    bool use_indirect = indirect_table && q->indirect && n > 1;
    unsigned need = use_indirect ? 1 : n;
    if (need > q->num_free)
        return -1;
    uint32_t writable = 0;
    for (unsigned i = 0; i < n; i++)
        writable += bufs[i].device_writes ? bufs[i].len : 0;
    uint16_t head = q->free_head;
    if (use_indirect) {
        for (unsigned i = 0; i < n; i++) {
            fill(&indirect_table[i], q, &bufs[i]);
            indirect_table[i].next = (uint16_t)(i + 1);
            if (i + 1 < n)
                indirect_table[i].flags |= VRING_DESC_F_NEXT;
        }
        volatile struct vring_desc *d = &q->desc[head];
        q->free_head = d->next;
        d->addr = q->to_device(q->ctx, indirect_table);
        d->len = (uint32_t)(n * sizeof(struct vring_desc));
        d->flags = VRING_DESC_F_INDIRECT;
        q->indirect_table[head] = indirect_table;
    } else {
        uint16_t id = head;
        for (unsigned i = 0; i < n; i++) {
            volatile struct vring_desc *d = &q->desc[id];
            struct vring_desc tmp;
            fill(&tmp, q, &bufs[i]);
            d->addr = tmp.addr;
            d->len = tmp.len;
            d->flags = (uint16_t)(tmp.flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0));
            if (i + 1 < n)
                id = d->next;
        }
        q->free_head = q->desc[id].next;
    }
    q->num_free = (uint16_t)(q->num_free - need);
    q->cookie[head] = cookie;
    q->in_len[head] = writable;
    q->in_flight++;
    q->avail[2 + (q->avail_idx & (q->size - 1))] = head;
    __atomic_thread_fence(__ATOMIC_RELEASE); /* the ring entry before the index */
    q->avail_idx++;
    q->avail[1] = q->avail_idx;
    return head;
}

bool vq_kick_prepare(struct virtqueue *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* our index before reading the device's flags */
    uint16_t old = q->kicked_at, now = q->avail_idx;
    q->kicked_at = now;
    if (old == now)
        return false;
    if (q->event_idx) {
        /* The device sets avail_event, fences, then reads our index; under
         * TCG with one vCPU only a device fence makes ours real (else both
         * read the old values: no kick, and a device out of buffers waits). */
        if (q->fence)
            q->fence(q->fence_ctx);
        /* Notify when avail_event lies in (old, now] (modular arithmetic). */
        uint16_t event = *avail_event(q);
        return (uint16_t)(now - event - 1) < (uint16_t)(now - old);
    }
    return !(*(volatile uint16_t *)q->used & VRING_USED_F_NO_NOTIFY);
}

/* Returns a chain's descriptors to the free list. */
static void free_chain(struct virtqueue *q, uint16_t head)
{
    uint16_t id = head, count = 1;
    if (!q->indirect_table[head]) {
        while ((q->desc[id].flags & VRING_DESC_F_NEXT) && count < q->size) {
            id = q->desc[id].next;
            count++;
        }
    }
    q->indirect_table[head] = NULL;
    q->desc[id].next = q->free_head;
    q->free_head = head;
    q->num_free = (uint16_t)(q->num_free + count);
}

void *vq_get_used(struct virtqueue *q, uint32_t *len)
{
    for (;;) {
        uint16_t device_idx = *used_idx(q);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (q->last_used == device_idx) {
            if (!q->event_idx)
                return NULL;
            /* Empty: used_event must be visible to the device before we read
             * its index again (a store then a load: x86 may swap them), or a
             * completion landing in between raises no interrupt and the
             * queue is never drained again. */
            q->avail[2 + q->size] = q->last_used;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            if (q->fence)
                q->fence(q->fence_ctx);
            if (*used_idx(q) == device_idx)
                return NULL;
            continue;
        }
        /* The device cannot have completed more than we have outstanding. */
        if ((uint16_t)(device_idx - q->last_used) > q->in_flight) {
            q->errors++;
            pr_warn("virtqueue: device used index jumped to %u (last %u, %u outstanding)\n", device_idx,
                    q->last_used, q->in_flight);
            q->last_used = device_idx; /* never read those slots */
            return NULL;
        }
        volatile struct vring_used_elem *e = &used_ring(q)[q->last_used & (q->size - 1)];
        uint32_t id = e->id, l = e->len;
        q->last_used++;
        if (id >= q->size || !q->cookie[id]) {
            q->errors++;
            pr_warn("virtqueue: device returned id %u, which is not in flight\n", id);
            continue;
        }
        void *cookie = q->cookie[id];
        if (l > q->in_len[id]) {
            if (!q->len_unused) {
                q->errors++;
                if (!q->len_warned)
                    pr_warn("virtqueue: device wrote %u bytes into %u for id %u; clamped (said once)\n", l,
                            q->in_len[id], id);
                q->len_warned = true;
            }
            l = q->in_len[id];
        }
        q->cookie[id] = NULL;
        q->in_flight--;
        free_chain(q, (uint16_t)id);
        if (q->event_idx)
            q->avail[2 + q->size] = q->last_used; /* used_event: interrupt at the next one */
        *len = l;
        return cookie;
    }
}

bool vq_has_used(struct virtqueue *q) { return *used_idx(q) != q->last_used; }

bool vq_device_starved(struct virtqueue *q)
{
    uint16_t done = (uint16_t)(*used_idx(q) - q->last_used);
    return q->in_flight && done >= q->in_flight;
}

void vq_enable_interrupts(struct virtqueue *q, bool on)
{
    if (q->event_idx) {
        q->avail[2 + q->size] = on ? q->last_used : (uint16_t)(q->last_used - 1);
        return;
    }
    q->avail[0] = on ? 0 : VRING_AVAIL_F_NO_INTERRUPT;
}
