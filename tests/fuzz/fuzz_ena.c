/* ENA: everything the driver reads from the device, arbitrary. The input
 * first answers the bring-up's admin commands (device attributes, queue
 * limits, AENQ groups, queue creation: any body, any doorbell offsets),
 * then drives steps that overwrite admin completions, AENQ entries,
 * transmit and receive completions and read-less answers with raw bytes
 * between polls, transmits and receives. Nothing may be touched outside
 * the queues and buffers, no loop may run unbounded, and the ring
 * accounting must stay consistent. With LLQ offered (input bit 1), the
 * LLQ description and the ring's place in device memory come from the
 * input too: no store may land outside the memory BAR. Up to 4 queue
 * pairs (CPUs and MSI-X entries from the input); raw completions land in
 * any pair's rings, created or not, and the receive status words (checksum
 * bits included) are the input's. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "ena_com.h"
#include "../unit/ena_model.h"

#define DEPTH 32
#define PAIRS 4

static struct ena_model m;
static struct ena_port *p;
static struct ena_aq_entry aq[ENA_AQ_DEPTH] __attribute__((aligned(64)));
static struct ena_acq_entry acq[ENA_AQ_DEPTH] __attribute__((aligned(64)));
static struct ena_aenq_entry aenq[ENA_AENQ_DEPTH] __attribute__((aligned(64)));
static struct ena_mmio_resp mmio;
static struct ena_qp pairs[PAIRS];
static struct ena_tx_desc txsq[PAIRS][DEPTH];
static struct ena_tx_cdesc txcq[PAIRS][DEPTH];
static struct ena_rx_desc rxsq[PAIRS][DEPTH];
static struct ena_rx_cdesc rxcq[PAIRS][DEPTH];
static uint8_t txb[PAIRS][DEPTH][ENA_BUF_SIZE], rxb[PAIRS][DEPTH][ENA_BUF_SIZE];

/* Frames come only from a created pair's frame buffer. */
static void sink(void *arg, const uint8_t *f, size_t len)
{
    unsigned q = (unsigned)(uintptr_t)arg;
    if (q >= p->nqp || len == 0 || len > sizeof(pairs[q].frame_buf) || f != pairs[q].frame_buf)
        __builtin_trap();
}

static struct ena_bus model_bus;

/* Every store the driver makes to the memory BAR: whole words, inside it. */
static void checked_write_mem(void *ctx, unsigned off, const void *src, size_t len)
{
    if ((off & 7) || (len & 7) || !len || (uint64_t)off + len > p->com.mem_bar_size)
        __builtin_trap();
    model_bus.write_mem(ctx, off, src, len);
}

static void invariants(void)
{
    const struct ena_llq *l = &p->com.llq;
    if (l->on && ((l->entry_size != 128 && l->entry_size != 192 && l->entry_size != 256) || !l->descs_before ||
                  l->max_header > 255 || l->max_header + l->descs_before * 16u > l->entry_size ||
                  p->depth > l->max_depth))
        __builtin_trap();
    if (p->nqp > PAIRS || p->nqp > p->qp_mem || p->nqp > p->ncpus || (p->up && !p->nqp))
        __builtin_trap();
    for (unsigned q = 0; q < p->nqp; q++) {
        const struct ena_qp *qp = p->qp[q];
        if (qp->tx.in_flight >= p->depth || qp->tx.nfree + qp->tx.in_flight != p->depth || qp->rx.nfree > p->depth)
            __builtin_trap();
        unsigned posted = 0;
        for (unsigned i = 0; i < p->depth; i++)
            posted += qp->rx.state[i] == ENA_BUF_POSTED;
        if (posted + qp->rx.nfree > p->depth)
            __builtin_trap();
        if (p->msix_entries >= 2 && qp->msix != ENA_MSIX_IO + q)
            __builtin_trap();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    if (!p)
        p = malloc(sizeof(*p));
    em_init(&m);
    m.readless = data[0] & 1;
    m.llq = data[0] & 2;
    unsigned ncpus = 1 + ((data[0] >> 2) & 7), msix = (data[0] >> 5) & 7;
    if (data[2] & 1) {
        m.offload.rx_supported = data[2] >> 1;
        m.offload.tx = 1;
    }
    size_t answers = (size_t)(data[1] % 12) * 57;
    data += 3;
    size -= 3;
    if (answers > size)
        answers = size - size % 57;
    m.raw_answers = data;
    m.raw_len = answers;
    data += answers;
    size -= answers;
    memset(p, 0, sizeof(*p));
    p->com.aq.sq = aq;
    p->com.aq.cq = acq;
    p->com.aenq.q = aenq;
    p->com.mmio_resp = &mmio;
    for (unsigned q = 0; q < PAIRS; q++) {
        struct ena_qp *qp = &pairs[q];
        memset(qp, 0, sizeof(*qp));
        qp->tx.sq = txsq[q];
        qp->tx.cq = txcq[q];
        qp->rx.sq = rxsq[q];
        qp->rx.cq = rxcq[q];
        qp->tx_bufs = &txb[q][0][0];
        qp->rx_bufs = &rxb[q][0][0];
        p->qp[q] = qp;
    }
    p->qp_mem = PAIRS;
    p->ncpus = ncpus;
    p->msix_entries = msix;
    model_bus = em_bus(&m);
    p->com.bus = model_bus;
    p->com.bus.write_mem = checked_write_mem;
    p->com.mem_bar_size = EM_DEVMEM;
    p->com.readless = m.readless;
    p->com.bar_size = 0x4000;
    p->depth = DEPTH;
    if (ena_port_up(p, ENA_RESET_NORMAL) < 0)
        return 0;
    if (p->depth > DEPTH || (p->depth & (p->depth - 1)))
        __builtin_trap();
    invariants();
    m.raw_len = 0;
    uint8_t frame[3000];
    while (size >= 2) {
        uint8_t op = data[0] % 11, arg = data[1];
        unsigned q = (data[0] / 11) % PAIRS; /* any pair, created or not */
        void *qa = (void *)(uintptr_t)q;
        data += 2;
        size -= 2;
        size_t n = 0;
        switch (op) {
        case 0: /* raw admin completion at the head, or just past it */
            n = size < 64 ? size : 64;
            memcpy((uint8_t *)&acq[(p->com.aq.cq_head + (arg & 1)) % ENA_AQ_DEPTH], data, n);
            ena_aq_poll(&p->com.aq);
            break;
        case 1: /* raw AENQ entry */
            n = size < 64 ? size : 64;
            memcpy((uint8_t *)&aenq[(p->com.aenq.head + (arg & 3)) % ENA_AENQ_DEPTH], data, n);
            break;
        case 2: /* raw transmit completion */
            n = size < 8 ? size : 8;
            memcpy((uint8_t *)&txcq[q][(pairs[q].tx.cq_head + (arg & 3)) % p->depth], data, n);
            ena_port_tx_reclaim(p, q);
            break;
        case 3: /* raw receive completion */
            n = size < 16 ? size : 16;
            memcpy((uint8_t *)&rxcq[q][(pairs[q].rx.cq_head + (arg & 3)) % p->depth], data, n);
            ena_port_rx_poll(p, q, sink, qa);
            break;
        case 4: { /* a well-formed frame from the model */
            uint32_t len = 14 + (uint32_t)arg * 11;
            memset(frame, arg, len);
            em_rx_frame_q(&m, q, frame, len, (uint32_t)arg << 8 | arg);
            ena_port_rx_poll(p, q, sink, qa);
            break;
        }
        case 5:
            memset(frame, arg, 60);
            ena_port_xmit(p, q, frame, 14 + arg);
            break;
        case 6: { /* the watchdog's turn; a reset rebuilds with the model answering */
            struct ena_aenq_events ev;
            m.clock_ns += (uint64_t)arg * 100000000ull;
            if (ena_port_service(p, &ev) && ena_port_up(p, p->com.reset_reason) < 0)
                return 0;
            break;
        }
        case 7: /* a read-less answer planted before the read */
            n = size < 8 ? size : 8;
            m.readless_silent = arg & 1;
            memcpy((void *)&mmio, data, n);
            ena_reg_read(&p->com, ENA_REG_DEV_STS);
            m.readless_silent = false;
            break;
        case 8: { /* one admin command answered from the input */
            m.raw_answers = data;
            m.raw_len = size;
            struct ena_feat_aenq g;
            ena_get_feature(&p->com, arg, &g, sizeof(g));
            n = size - m.raw_len;
            m.raw_len = 0;
            break;
        }
        case 9:
            ena_port_tx_reclaim(p, q);
            ena_port_rx_poll(p, q, sink, qa);
            break;
        case 10: { /* a frame of any length up to a buffer: LLQ push sizes */
            size_t len = 14 + (size_t)arg * 8;
            memset(frame, arg, len);
            ena_port_xmit(p, q, frame, len);
            break;
        }
        }
        data += n;
        size -= n;
        invariants();
    }
    return 0;
}
