/* Xen shared rings, front-end side. The page is io/ring.h's sring (producer
 * and event indices, padding to 64 bytes, a power-of-two array of entries);
 * the accounting is Kestrel's, driven by entry size so one implementation
 * serves every protocol, and it refuses a backend's producer that runs
 * past the requests we made (host-tested in tests/unit/test_xen_front.c). */
#ifndef KESTREL_XEN_RING_H
#define KESTREL_XEN_RING_H
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "xen_abi.h"

/* Every io/ring.h ring has this header; byte entries give its layout
 * without choosing a protocol. */
DEFINE_RING_TYPES(xen_any, uint8_t, uint8_t);
#define XEN_RING_PAGE 4096u

struct xen_front_ring {
    volatile struct xen_any_sring *s;
    RING_IDX req_prod_pvt, rsp_cons;
    unsigned size, entry_size; /* entries, bytes each */
};

/* The largest power of two of entry_size entries that fits in a page
 * (io/ring.h's __CONST_RING_SIZE for an entry size known at run time). */
static inline unsigned xen_ring_entries(unsigned entry_size)
{
    unsigned fit = (XEN_RING_PAGE - (unsigned)offsetof(struct xen_any_sring, ring)) / entry_size;
    return __RD32(fit);
}

static inline void xen_ring_init(struct xen_front_ring *r, void *page, unsigned entry_size)
{
    struct xen_any_sring *s = page;
    SHARED_RING_INIT(s);
    r->s = s;
    r->req_prod_pvt = r->rsp_cons = 0;
    r->entry_size = entry_size;
    r->size = xen_ring_entries(entry_size);
}

static inline void *xen_ring_entry(struct xen_front_ring *r, RING_IDX idx)
{
    return (uint8_t *)r->s->ring + (idx & (r->size - 1)) * r->entry_size;
}

static inline bool xen_ring_full(const struct xen_front_ring *r)
{
    return r->req_prod_pvt - r->rsp_cons >= r->size;
}

/* Publishes the private producer; true if the backend asked to be told
 * (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY's rule). */
static inline bool xen_ring_push(struct xen_front_ring *r)
{
    RING_IDX old = r->s->req_prod, now = r->req_prod_pvt;
    xen_wmb(); /* the requests before the index that publishes them */
    r->s->req_prod = now;
    xen_mb(); /* the index before reading the backend's req_event */
    return (RING_IDX)(now - r->s->req_event) < (RING_IDX)(now - old);
}

/* Responses the backend published, bounded by what we asked for: a
 * producer beyond our requests is a broken backend and yields none. */
static inline RING_IDX xen_ring_responses(struct xen_front_ring *r)
{
    RING_IDX prod = __atomic_load_n(&r->s->rsp_prod, __ATOMIC_ACQUIRE);
    if (prod - r->rsp_cons > r->req_prod_pvt - r->rsp_cons)
        return 0;
    return prod - r->rsp_cons;
}

/* After consuming: ask for an event at the next response, and report
 * whether more slipped in meanwhile (RING_FINAL_CHECK_FOR_RESPONSES). */
static inline bool xen_ring_final_check(struct xen_front_ring *r)
{
    r->s->rsp_event = r->rsp_cons + 1;
    xen_mb();
    return xen_ring_responses(r) != 0;
}

#endif
