/* Xen shared rings (io/ring.h's layout): a page holding the producer and
 * event indices, 48 bytes of padding, then a power-of-two array of entries
 * big enough for a request or a response. Front-end side only. */
#ifndef KESTREL_XEN_RING_H
#define KESTREL_XEN_RING_H
#include <stdbool.h>
#include <stdint.h>

struct xen_sring {
    uint32_t req_prod, req_event, rsp_prod, rsp_event;
    uint8_t pad[48];
    uint8_t entries[];
};

struct xen_front_ring {
    volatile struct xen_sring *s;
    uint32_t req_prod_pvt, rsp_cons;
    unsigned size, entry_size; /* entries, bytes each */
};

/* The largest power of two of entry_size entries that fits in a page. */
static inline unsigned xen_ring_entries(unsigned entry_size)
{
    unsigned n = 1;
    while ((n * 2) * entry_size <= 4096 - 64)
        n *= 2;
    return n;
}

static inline void xen_ring_init(struct xen_front_ring *r, void *page, unsigned entry_size)
{
    r->s = page;
    r->s->req_prod = r->s->rsp_prod = 0;
    r->s->req_event = r->s->rsp_event = 1;
    r->req_prod_pvt = r->rsp_cons = 0;
    r->entry_size = entry_size;
    r->size = xen_ring_entries(entry_size);
}

static inline void *xen_ring_entry(struct xen_front_ring *r, uint32_t idx)
{
    return (uint8_t *)r->s->entries + (idx & (r->size - 1)) * r->entry_size;
}

static inline bool xen_ring_full(const struct xen_front_ring *r)
{
    return r->req_prod_pvt - r->rsp_cons >= r->size;
}

/* Publishes the private producer; true if the backend asked to be told. */
static inline bool xen_ring_push(struct xen_front_ring *r)
{
    uint32_t old = r->s->req_prod, now = r->req_prod_pvt;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r->s->req_prod = now;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return (uint32_t)(now - r->s->req_event) < (uint32_t)(now - old);
}

/* Responses the backend published, bounded by what we asked for: a
 * producer beyond our requests is a broken backend and yields none. */
static inline uint32_t xen_ring_responses(struct xen_front_ring *r)
{
    uint32_t prod = __atomic_load_n(&r->s->rsp_prod, __ATOMIC_ACQUIRE);
    if (prod - r->rsp_cons > r->req_prod_pvt - r->rsp_cons)
        return 0;
    return prod - r->rsp_cons;
}

/* After consuming: ask for an event at the next response, and report
 * whether more slipped in meanwhile. */
static inline bool xen_ring_final_check(struct xen_front_ring *r)
{
    r->s->rsp_event = r->rsp_cons + 1;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return xen_ring_responses(r) != 0;
}

#endif
