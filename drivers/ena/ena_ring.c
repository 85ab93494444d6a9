/* ENA transmit and receive rings (pure). Descriptors carry a phase bit the
 * driver flips on each lap of the submission ring; completions are new when
 * their phase matches the one expected. Buffers are named by request ids
 * (kept on free lists), so completions may come in any order; a completion
 * naming an id that is not in flight is the device misbehaving, and the
 * driver resets it as the references do. */
#include <string.h>
#include "ena_com.h"
#include "errno.h"

static void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

void ena_txq_init(struct ena_txq *q)
{
    q->tail = q->cq_head = 0;
    q->sq_phase = q->cq_phase = 1;
    q->in_flight = 0;
    q->nfree = q->depth;
    for (uint16_t i = 0; i < q->depth; i++) {
        q->free_ids[i] = (uint16_t)(q->depth - 1 - i);
        q->busy[i] = false;
    }
    if (q->sq)
        memset((void *)q->sq, 0, q->depth * sizeof(*q->sq));
    memset((void *)q->cq, 0, q->depth * sizeof(*q->cq));
}

int ena_tx_reserve(struct ena_txq *q)
{
    /* One slot stays empty, as on the receive side. */
    if (q->nfree == 0 || q->in_flight + 1u >= q->depth)
        return -EBUSY;
    return q->free_ids[q->nfree - 1];
}

/* LLQ: the whole entry is built in host memory (descriptor, unused
 * descriptor slots zero, the header, zero to the end) and copied to the
 * device in one run of 64-bit stores, as the device takes an entry only
 * whole; the phase bit in it tells the device the entry is new. */
static void post_llq(struct ena_txq *q, const struct ena_tx_desc *d, const void *hdr, uint16_t hdr_len)
{
    uint8_t *e = (uint8_t *)q->entry;
    memset(e, 0, q->llq.entry_size);
    memcpy(e, d, sizeof(*d));
    memcpy(e + q->llq.descs_before * sizeof(*d), hdr, hdr_len);
    unsigned off = q->llq_base + (unsigned)(q->tail & (q->depth - 1)) * q->llq.entry_size;
    q->bus->write_mem(q->bus->ctx, off, e, q->llq.entry_size);
    /* Before the doorbell: the entry's stores (write-combined, maybe) are out. */
    barrier();
}

void ena_tx_post(struct ena_txq *q, uint16_t req_id, uint64_t addr, uint16_t len, const void *hdr,
                 uint16_t hdr_len)
{
    if (q->nfree == 0 || q->free_ids[q->nfree - 1] != req_id)
        return; /* only the id ena_tx_reserve gave */
    bool llq = q->bus && q->llq.on;
    if (hdr_len && (!llq || hdr_len > q->llq.max_header))
        return;
    q->nfree--;
    q->busy[req_id] = true;
    q->in_flight++;
    struct ena_tx_desc d;
    d.meta_ctrl = ENA_TXD_REQ_LO(req_id);
    d.addr_lo = (uint32_t)addr;
    d.addr_hi_hdr = ((uint32_t)(addr >> 32) & 0xffff) | ENA_TXD_HDR_LEN(hdr_len);
    d.len_ctrl = len | ENA_TXD_REQ_HI(req_id) | ENA_TXD_FIRST | ENA_TXD_LAST | ENA_TXD_COMP_REQ |
                 (q->sq_phase ? ENA_TXD_PHASE : 0);
    if (llq) {
        post_llq(q, &d, hdr, hdr_len);
    } else {
        volatile struct ena_tx_desc *v = &q->sq[q->tail & (q->depth - 1)];
        v->meta_ctrl = d.meta_ctrl;
        v->addr_lo = d.addr_lo;
        v->addr_hi_hdr = d.addr_hi_hdr;
        barrier();
        v->len_ctrl = d.len_ctrl; /* the phase bit last */
    }
    q->tail++;
    if ((q->tail & (q->depth - 1)) == 0)
        q->sq_phase ^= 1;
}

int ena_tx_complete(struct ena_txq *q)
{
    volatile struct ena_tx_cdesc *c = &q->cq[q->cq_head & (q->depth - 1)];
    if ((c->flags & 1) != q->cq_phase)
        return -EAGAIN;
    barrier();
    uint16_t id = c->req_id;
    q->cq_head++;
    if ((q->cq_head & (q->depth - 1)) == 0)
        q->cq_phase ^= 1;
    if (id >= q->depth || !q->busy[id]) {
        q->bad++;
        return -EIO;
    }
    q->busy[id] = false;
    q->in_flight--;
    q->free_ids[q->nfree++] = id;
    return id;
}

void ena_rxq_init(struct ena_rxq *q)
{
    q->tail = q->cq_head = 0;
    q->sq_phase = q->cq_phase = 1;
    q->nfree = q->depth;
    for (uint16_t i = 0; i < q->depth; i++) {
        q->free_ids[i] = (uint16_t)(q->depth - 1 - i);
        q->state[i] = ENA_BUF_FREE;
    }
    memset((void *)q->sq, 0, q->depth * sizeof(*q->sq));
    memset((void *)q->cq, 0, q->depth * sizeof(*q->cq));
}

unsigned ena_rx_refill(struct ena_rxq *q, unsigned max)
{
    unsigned n = 0;
    while (n < max && q->nfree > 1) {
        uint16_t id = q->free_ids[--q->nfree];
        q->state[id] = ENA_BUF_POSTED;
        volatile struct ena_rx_desc *d = &q->sq[q->tail & (q->depth - 1)];
        uint64_t a = q->addr[id];
        d->length = q->buf_len;
        d->reserved = 0;
        d->req_id = id;
        d->reserved2 = 0;
        d->addr_lo = (uint32_t)a;
        d->addr_hi = (uint16_t)(a >> 32);
        d->reserved3 = 0;
        barrier();
        d->ctrl = (uint8_t)(ENA_RXD_FIRST | ENA_RXD_LAST | ENA_RXD_COMP_REQ | (q->sq_phase ? ENA_RXD_PHASE : 0));
        q->tail++;
        if ((q->tail & (q->depth - 1)) == 0)
            q->sq_phase ^= 1;
        n++;
    }
    return n;
}

enum ena_rx_kind ena_rx_next(struct ena_rxq *q, struct ena_rx_result *res)
{
    volatile struct ena_rx_cdesc *c = &q->cq[q->cq_head & (q->depth - 1)];
    uint32_t status = c->status;
    if (!!(status & ENA_RXC_PHASE) != q->cq_phase)
        return ENA_RX_NONE;
    barrier();
    memset(res, 0, sizeof(*res));
    res->req_id = c->req_id;
    res->len = c->length;
    res->offset = c->offset;
    res->first = !!(status & ENA_RXC_FIRST);
    res->last = !!(status & ENA_RXC_LAST);
    res->status = status;
    q->cq_head++;
    if ((q->cq_head & (q->depth - 1)) == 0)
        q->cq_phase ^= 1;
    if (res->req_id >= q->depth || q->state[res->req_id] != ENA_BUF_POSTED) {
        res->why = "request id not posted";
        res->fatal = true;
        q->bad++;
        return ENA_RX_BAD;
    }
    q->state[res->req_id] = ENA_BUF_HELD;
    res->freed = true;
    if ((uint32_t)res->offset + res->len > q->buf_len) {
        res->why = "length past the buffer";
        q->bad++;
        return ENA_RX_BAD;
    }
    return ENA_RX_BUF;
}

void ena_rx_release(struct ena_rxq *q, uint16_t req_id)
{
    if (req_id >= q->depth || q->state[req_id] != ENA_BUF_HELD)
        return;
    q->state[req_id] = ENA_BUF_FREE;
    q->free_ids[q->nfree++] = req_id;
}

long ena_frame_add(struct ena_frame *f, const struct ena_rx_result *res, const uint8_t *data)
{
    if (res->first) {
        if (f->active)
            f->drops++; /* an unfinished frame is abandoned */
        f->active = true;
        f->broken = false;
        f->csum_bad = false;
        f->len = 0;
    } else if (!f->active) {
        f->drops++; /* a continuation with no start */
        return -1;
    }
    f->csum_bad |= res->csum_bad;
    if (f->len + res->len > f->cap)
        f->broken = true;
    else
        memcpy(f->buf + f->len, data + res->offset, res->len);
    f->len += res->len;
    if (!res->last)
        return 0;
    f->active = false;
    if (f->broken) {
        f->drops++;
        return -1;
    }
    return (long)f->len;
}

bool ena_rx_csum_bad(uint32_t rx_offered, uint32_t status)
{
    unsigned l3 = ENA_RXC_L3_PROTO(status), l4 = ENA_RXC_L4_PROTO(status);
    if ((status & ENA_RXC_L3_CSUM_ERR) && l3 == ENA_L3_PROTO_IPV4 && (rx_offered & ENA_OFFLOAD_RX_L3_IPV4))
        return true;
    /* A fragment's L4 sum covers the whole datagram: the device cannot
     * judge it from one piece. */
    if (!(status & ENA_RXC_L4_CSUM_ERR) || !(status & ENA_RXC_L4_CSUM_CHECKED) || (status & ENA_RXC_IPV4_FRAG))
        return false;
    if (l4 != ENA_L4_PROTO_TCP && l4 != ENA_L4_PROTO_UDP)
        return false;
    return (l3 == ENA_L3_PROTO_IPV4 && (rx_offered & ENA_OFFLOAD_RX_L4_IPV4)) ||
           (l3 == ENA_L3_PROTO_IPV6 && (rx_offered & ENA_OFFLOAD_RX_L4_IPV6));
}
