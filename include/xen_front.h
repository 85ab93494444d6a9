/* Ring entry layouts of the block and network front-ends (io/blkif.h and
 * io/netif.h, x86_64) and the checks every backend response must pass
 * before a front-end acts on it (pure, host-tested). */
#ifndef KESTREL_XEN_FRONT_H
#define KESTREL_XEN_FRONT_H
#include <stdbool.h>
#include <stdint.h>

#define BLKIF_SEGS 11
#define BLKIF_OP_READ 0
#define BLKIF_OP_WRITE 1
#define BLKIF_OP_FLUSH_DISKCACHE 3
#define BLKIF_RSP_OKAY 0
#define BLKIF_RSP_ERROR (-1)
#define BLKIF_RSP_EOPNOTSUPP (-2)

struct blkif_segment {
    uint32_t gref;
    uint8_t first_sect, last_sect;
    uint16_t pad;
};
struct blkif_request {
    uint8_t operation, nr_segments;
    uint16_t handle;
    uint32_t pad;
    uint64_t id, sector_number;
    struct blkif_segment seg[BLKIF_SEGS];
};
struct blkif_response {
    uint64_t id;
    uint8_t operation;
    uint8_t pad;
    int16_t status;
};
_Static_assert(sizeof(struct blkif_request) == 112, "blkif request layout");
_Static_assert(sizeof(struct blkif_response) == 16, "blkif response layout");

#define NETRXF_MORE_DATA 4
#define NETRXF_EXTRA_INFO 8
#define NETIF_RSP_NULL 1

struct netif_tx_request {
    uint32_t gref;
    uint16_t offset, flags, id, size;
};
struct netif_tx_response {
    uint16_t id;
    int16_t status;
};
struct netif_rx_request {
    uint16_t id, pad;
    uint32_t gref;
};
struct netif_rx_response {
    uint16_t id, offset, flags;
    int16_t status;
};
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
