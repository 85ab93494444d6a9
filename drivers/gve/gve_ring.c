/* gVNIC GQI transmit and receive rings over queue page lists (pure logic,
 * host-tested in tests/unit/test_gve.c, fuzzed by tests/fuzz/fuzz_gve_ring.c).
 *
 * Transmit: the queue page list is cut into 2 KiB slots; descriptor n uses
 * slot n % slots, and at most min(size, slots) are in flight, so a slot is
 * never reused before the device counted its descriptor done.
 * Receive: descriptor slot i always owns page i of the list; the device
 * marks each descriptor it writes with a sequence number 1..7, 1 first. */
#include <string.h>
#include "errno.h"
#include "gve.h"

void gve_txq_init(struct gve_txq *q)
{
    memset(q->ring, 0, (size_t)q->size * GVE_TXD_SIZE);
    q->req = q->done = 0;
}

static uint32_t tx_room(const struct gve_txq *q)
{
    uint32_t cap = q->size < q->slots ? q->size : q->slots;
    uint32_t used = q->req - q->done;
    return used >= cap ? 0 : cap - used;
}

int64_t gve_tx_slot(const struct gve_txq *q)
{
    if (!tx_room(q))
        return -1;
    return (int64_t)(q->req % q->slots) * GVE_BUF_SIZE;
}

int gve_tx_post(struct gve_txq *q, uint32_t len)
{
    if (len < 14 || len > GVE_BUF_SIZE)
        return -EINVAL;
    if (!tx_room(q))
        return -EBUSY;
    uint8_t *d = q->ring + (size_t)(q->req & (q->size - 1)) * GVE_TXD_SIZE;
    memset(d, 0, GVE_TXD_SIZE);
    d[0] = GVE_TXD_STD;     /* no checksum offload: lwIP fills checksums */
    d[3] = 1;               /* descriptors in this packet */
    gve_put16(d + 4, (uint16_t)len);
    gve_put16(d + 6, (uint16_t)len);
    gve_put64(d + 8, (uint64_t)(q->req % q->slots) * GVE_BUF_SIZE);
    q->req++;
    return 0;
}

int gve_tx_reap(struct gve_txq *q, uint32_t counter)
{
    uint32_t n = counter - q->done;
    if (n > q->req - q->done) {
        q->bad++;
        return -EIO;
    }
    q->done = counter;
    return (int)n;
}

void gve_rxq_init(struct gve_rxq *q)
{
    memset(q->desc, 0, (size_t)q->size * GVE_RXD_SIZE);
    for (uint32_t i = 0; i < q->size; i++)
        gve_put64(q->data + 8 * (size_t)i, (uint64_t)i * GVE_PAGE);
    q->cnt = 0;
    q->fill = q->size;
    q->seq = 1;
    q->lapped = false;
    q->in_cont = false;
}

/* The number the descriptor at the expected position held one lap ago: a
 * ring of size n moves the sequence on by n % 7 per lap (never 0, n being a
 * power of two). Before the first lap the ring is zeroed. */
static uint8_t stale_seq(const struct gve_rxq *q)
{
    if (!q->lapped)
        return 0;
    unsigned back = q->size % 7;
    return (uint8_t)((q->seq - 1 + 7 - back) % 7 + 1);
}

static void consume(struct gve_rxq *q)
{
    q->cnt++;
    if ((q->cnt & (q->size - 1)) == 0)
        q->lapped = true;
    q->seq = gve_next_seq(q->seq);
}

enum gve_rx_kind gve_rx_next(struct gve_rxq *q, struct gve_rx_result *res)
{
    memset(res, 0, sizeof(*res));
    uint32_t slot = q->cnt & (q->size - 1);
    const volatile uint8_t *d = q->desc + (size_t)slot * GVE_RXD_SIZE;
    uint8_t fs[2] = { d[62], d[63] };
    uint16_t flags_seq = gve_be16(fs);
    uint8_t seq = flags_seq & 7;
    if (seq != q->seq) {
        if (seq == stale_seq(q))
            return GVE_RX_NONE;
        q->bad++;
        res->why = "sequence number out of order";
        return GVE_RX_BAD;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE); /* the rest of the descriptor after its number */
    uint8_t l[2] = { d[60], d[61] };
    uint32_t len = gve_be16(l);
    bool cont = flags_seq & GVE_RXF_PKT_CONT;
    bool was_cont = q->in_cont;
    q->in_cont = cont;
    res->slot = slot;
    consume(q);
    if (was_cont || cont) {
        /* Frames spread over several buffers only come with an MTU above
         * what this driver told the device; each piece is dropped. */
        q->dropped++;
        res->why = "frame in several buffers";
        return GVE_RX_DROP;
    }
    if (flags_seq & GVE_RXF_ERR) {
        q->dropped++;
        res->why = "device flagged an error";
        return GVE_RX_DROP;
    }
    if (len < GVE_RX_PAD + 14 || len > GVE_BUF_SIZE) {
        q->dropped++;
        res->why = "length outside the buffer";
        return GVE_RX_DROP;
    }
    res->qpl_off = (uint64_t)slot * GVE_PAGE + GVE_RX_PAD;
    res->len = len - GVE_RX_PAD;
    return GVE_RX_FRAME;
}

uint32_t gve_rx_refill(struct gve_rxq *q)
{
    q->fill = q->cnt + q->size;
    return q->fill;
}
