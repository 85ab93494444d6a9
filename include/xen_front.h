/* The checks every backend response must pass before the block and network
 * front-ends act on it (pure, host-tested). Ring entry layouts and
 * constants are Xen's io/blkif.h and io/netif.h. */
#ifndef KESTREL_XEN_FRONT_H
#define KESTREL_XEN_FRONT_H
#include <stdbool.h>
#include <stdint.h>
#include "xen_abi.h"

/* The drivers size their rings and bounce pages by these. */
_Static_assert(sizeof(struct blkif_request) == 112, "blkif request layout (x86_64)");
_Static_assert(sizeof(struct blkif_response) == 16, "blkif response layout");
_Static_assert(sizeof(struct netif_tx_request) == 12 && sizeof(struct netif_rx_response) == 8, "netif layout");

/* inflight_op[id] is the operation of the request in slot id, or -1. */
static inline int blkif_check_response(const struct blkif_response *r, const int *inflight_op, unsigned slots)
{
    if (r->id >= slots || inflight_op[r->id] < 0 || r->operation != inflight_op[r->id])
        return -1;
    return 0;
}

/* The errno a response status means (unknown statuses are errors too). */
static inline int blkif_status_errno(int16_t status)
{
    return status == BLKIF_RSP_OKAY ? 0 : status == BLKIF_RSP_EOPNOTSUPP ? -95 : -5;
}

/* A receive response names a posted buffer, and its data lies inside the page. */
static inline bool netif_rx_response_ok(const struct netif_rx_response *r, const bool *posted, unsigned slots,
                                        unsigned page_size)
{
    if (r->id >= slots || !posted[r->id])
        return false;
    return r->status <= 0 || (uint32_t)r->offset + (uint32_t)r->status <= page_size;
}

static inline bool netif_tx_response_ok(const struct netif_tx_response *r, const bool *busy, unsigned slots)
{
    return r->id < slots && busy[r->id];
}

#endif
