/* VMXNET3 ring logic (pure). Ownership moves by generation bits: a
 * descriptor is the device's when its gen matches the ring's current
 * generation, and a completion is ours when its gen matches the one we
 * expect; both flip each time an index wraps. Nothing a completion says is
 * used before it is checked against what we handed over. */
#include <string.h>
#include "errno.h"
#include "vmxnet3_ring.h"

static void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

unsigned vmx_pick_revision(uint32_t device_mask, uint32_t our_mask)
{
    uint32_t both = device_mask & our_mask;
    unsigned rev = 0;
    for (unsigned i = 0; i < 32; i++) {
        if (both & (1u << i))
            rev = i + 1;
    }
    return rev;
}

void vmx_txq_init(struct vmx_txq *q)
{
    q->next = q->comp_next = 0;
    q->gen = q->comp_gen = 1;
    q->in_flight = 0;
    memset(q->owned, 0, sizeof(q->owned));
    for (uint32_t i = 0; i < q->size; i++)
        q->ring[i].w[2] = q->gen ? 0 : VMX_TXD_GEN; /* not the device's yet */
}

int vmx_tx_post(struct vmx_txq *q, uint64_t addr, uint32_t len)
{
    if (q->in_flight >= q->size || q->owned[q->next] || len == 0 || len > VMX_LEN_MASK)
        return -EBUSY;
    uint32_t i = q->next;
    volatile struct vmx_desc *d = &q->ring[i];
    d->w[0] = (uint32_t)addr;
    d->w[1] = (uint32_t)(addr >> 32);
    d->w[3] = VMX_TXD_EOP | VMX_TXD_CQ;
    barrier();
    d->w[2] = len | (q->gen ? VMX_TXD_GEN : 0); /* the gen bit hands it over */
    q->owned[i] = true;
    q->in_flight++;
    if (++q->next == q->size) {
        q->next = 0;
        q->gen ^= 1;
    }
    return (int)i;
}

int vmx_tx_complete(struct vmx_txq *q)
{
    volatile struct vmx_desc *c = &q->comp[q->comp_next];
    uint32_t w3 = c->w[3];
    if (!!(w3 & VMX_CD_GEN) != q->comp_gen)
        return -EAGAIN;
    barrier();
    uint32_t idx = c->w[0] & 0xfff;
    if (++q->comp_next == q->comp_size) {
        q->comp_next = 0;
        q->comp_gen ^= 1;
    }
    if (VMX_CD_TYPE(w3) != VMX_CDTYPE_TXCOMP || idx >= q->size || !q->owned[idx]) {
        q->bad++;
        return -EIO;
    }
    q->owned[idx] = false;
    q->in_flight--;
    return (int)idx;
}

static void post_rx(struct vmx_rx_ring *r, unsigned ring, uint32_t i, uint32_t gen)
{
    volatile struct vmx_desc *d = &r->ring[i];
    d->w[0] = (uint32_t)r->addr[i];
    d->w[1] = (uint32_t)(r->addr[i] >> 32);
    d->w[3] = 0;
    barrier();
    d->w[2] = (r->buf_len & VMX_LEN_MASK) | (ring ? VMX_RXD_BTYPE_BODY : 0) | (gen ? VMX_RXD_GEN : 0);
    r->owned[i] = true;
    r->posted_gen[i] = (uint8_t)gen;
}

void vmx_rxq_init(struct vmx_rxq *q)
{
    q->comp_next = 0;
    q->comp_gen = 1;
    for (unsigned k = 0; k < 2; k++) {
        for (uint32_t i = 0; i < q->r[k].size; i++)
            post_rx(&q->r[k], k, i, 1);
    }
}

void vmx_rx_repost(struct vmx_rxq *q, unsigned ring, unsigned idx)
{
    struct vmx_rx_ring *r = &q->r[ring & 1];
    if (idx >= r->size || r->owned[idx])
        return;
    /* The device reaches this index again on its next lap, with the other gen. */
    post_rx(r, ring & 1, idx, r->posted_gen[idx] ^ 1u);
}

enum vmx_rx_kind vmx_rx_next(struct vmx_rxq *q, struct vmx_rx_result *res)
{
    volatile struct vmx_desc *c = &q->comp[q->comp_next];
    uint32_t w3 = c->w[3];
    if (!!(w3 & VMX_CD_GEN) != q->comp_gen)
        return VMX_RX_NONE;
    barrier();
    uint32_t w0 = c->w[0], w2 = c->w[2];
    if (++q->comp_next == q->comp_size) {
        q->comp_next = 0;
        q->comp_gen ^= 1;
    }
    memset(res, 0, sizeof(*res));
    uint32_t rqid = (w0 >> 16) & 0x3ff;
    res->idx = w0 & 0xfff;
    res->sop = (w0 >> 15) & 1;
    res->eop = (w0 >> 14) & 1;
    res->len = w2 & VMX_LEN_MASK;
    res->err = (w2 >> 14) & 1;
    /* QEMU leaves the type 0; VMware writes RXCOMP. */
    uint32_t type = VMX_CD_TYPE(w3);
    if (type != VMX_CDTYPE_RXCOMP && type != 0) {
        res->why = "not a receive completion";
    } else if (rqid != q->qid && rqid != q->qid + q->nqueues) {
        res->why = "unknown queue id";
    } else {
        res->ring = rqid == q->qid ? 0 : 1;
        struct vmx_rx_ring *r = &q->r[res->ring];
        if (res->idx >= r->size || !r->owned[res->idx]) {
            res->why = "descriptor index not posted";
        } else {
            r->owned[res->idx] = false;
            res->repost = true;
            if (res->len > r->buf_len)
                res->why = "length past the buffer";
            else
                return VMX_RX_BUF;
        }
    }
    q->bad++;
    return VMX_RX_BAD;
}

long vmx_frame_add(struct vmx_frame *f, const struct vmx_rx_result *res, const uint8_t *data)
{
    if (res->sop) {
        if (f->active)
            f->drops++; /* an unfinished frame is abandoned */
        f->active = true;
        f->broken = false;
        f->len = 0;
    } else if (!f->active) {
        f->drops++; /* a continuation with no start */
        return -1;
    }
    if (res->err || f->len + res->len > f->cap)
        f->broken = true;
    else
        memcpy(f->buf + f->len, data, res->len);
    f->len += res->len;
    if (!res->eop)
        return 0;
    f->active = false;
    if (f->broken) {
        f->drops++;
        return -1;
    }
    return (long)f->len;
}
