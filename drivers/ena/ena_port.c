/* One ENA port (pure): bring-up and rebuild after a reset, the data path
 * of its queue pairs, and the AENQ/health service the watchdog runs. The
 * kernel driver adds PCI, MSI-X, locks and the net device around it. */
#include <string.h>
#include "ena_com.h"
#include "errno.h"
#include "log.h"

static void wr(struct ena_port *p, unsigned off, uint32_t v) { p->com.bus.write32(p->com.bus.ctx, off, v); }

static unsigned min_u(unsigned a, unsigned b) { return a < b ? a : b; }

unsigned ena_port_pairs(unsigned ncpus, unsigned dev_queues, unsigned llq_queues, unsigned qp_mem,
                        unsigned msix_entries)
{
    unsigned n = min_u(ncpus ? ncpus : 1, ENA_QP_MAX);
    n = min_u(n, dev_queues);
    n = min_u(n, qp_mem);
    if (llq_queues)
        n = min_u(n, llq_queues);
    /* One entry for the admin queue and the AENQ, one per pair; short of
     * two, one pair shares whatever interrupt there is (or is polled). */
    if (msix_entries < 2)
        n = min_u(n, 1);
    else
        n = min_u(n, msix_entries - 1);
    return n;
}

/* The transmit queue, device-placed when LLQ was agreed and the device
 * takes it there, else in host memory. */
static int create_tx_sq(struct ena_port *p, struct ena_qp *qp)
{
    struct ena_com *c = &p->com;
    if (c->llq.on) {
        int rc = ena_create_sq(c, ENA_SQ_DIR_TX, ENA_PLACEMENT_DEV, qp->tx_cq.idx, p->depth, qp->tx.sq, &qp->tx_sq);
        if (rc == 0) {
            qp->tx.llq_base = qp->tx_sq.llq_desc;
            return 0;
        }
        if (rc == -ETIMEDOUT)
            return rc;
        /* Refused, or placed where we will not write: host memory still
         * gives a network, as long as the admin queue lives. This pair and
         * the ones after it go there; pairs made before keep their LLQ. */
        pr_warn("ena: no low-latency transmit queue (%d); host-memory queues\n", rc);
        c->llq.on = false;
        qp->tx.bus = NULL;
        qp->tx.llq.on = false;
    }
    return ena_create_sq(c, ENA_SQ_DIR_TX, ENA_PLACEMENT_HOST, qp->tx_cq.idx, p->depth, qp->tx.sq, &qp->tx_sq);
}

static int create_pair(struct ena_port *p, unsigned q)
{
    struct ena_com *c = &p->com;
    struct ena_qp *qp = p->qp[q];
    qp->tx.depth = qp->rx.depth = p->depth;
    qp->tx.bus = c->llq.on ? &c->bus : NULL;
    qp->tx.llq = c->llq;
    ena_txq_init(&qp->tx);
    qp->rx.buf_len = ENA_BUF_SIZE;
    qp->rx.addr = qp->rx_addr;
    for (uint16_t i = 0; i < p->depth; i++)
        qp->rx_addr[i] = c->bus.dma(c->bus.ctx, qp->rx_bufs + (size_t)i * ENA_BUF_SIZE);
    ena_rxq_init(&qp->rx);
    qp->frame.buf = qp->frame_buf;
    qp->frame.cap = sizeof(qp->frame_buf);
    qp->frame.active = false;
    qp->msix = ENA_MSIX_IO + q;
    int rc = ena_create_cq(c, p->depth, sizeof(struct ena_tx_cdesc) / 4, qp->msix, qp->tx.cq, &qp->tx_cq);
    if (rc == 0)
        rc = create_tx_sq(p, qp);
    if (rc == 0)
        rc = ena_create_cq(c, p->depth, sizeof(struct ena_rx_cdesc) / 4, qp->msix, qp->rx.cq, &qp->rx_cq);
    if (rc == 0)
        rc = ena_create_sq(c, ENA_SQ_DIR_RX, ENA_PLACEMENT_HOST, qp->rx_cq.idx, p->depth, qp->rx.sq, &qp->rx_sq);
    return rc;
}

int ena_port_up(struct ena_port *p, unsigned reason)
{
    struct ena_com *c = &p->com;
    p->up = false;
    for (unsigned q = 0; q < p->nqp; q++)
        p->tx_lost += p->qp[q]->tx.in_flight;
    if (!p->rx_batch)
        p->rx_batch = 16;
    if (!p->qp_mem || p->qp_mem > ENA_QP_MAX)
        return -EINVAL;
    int rc = ena_dev_reset(c, reason);
    if (rc == 0)
        rc = ena_admin_init(c);
    if (rc == 0)
        rc = ena_query_device(c);
    if (rc == 0)
        rc = ena_config_aenq(c);
    if (rc == 0) {
        uint32_t mtu = ENA_MTU;
        /* A device that will not take 1500 says so; the frames still fit. */
        if (ena_set_feature(c, ENA_FEAT_MTU, &mtu, sizeof(mtu)) == -ETIMEDOUT)
            rc = -ETIMEDOUT;
    }
    if (rc == 0)
        rc = ena_config_llq(c);
    if (rc < 0)
        return rc;
    uint16_t d = p->depth;
    /* Every ring keeps one depth; an LLQ may be shallower. */
    if (c->llq.on && d > c->llq.max_depth)
        d = c->llq.max_depth;
    if (d > c->max_sq_depth)
        d = c->max_sq_depth;
    if (d > c->max_cq_depth)
        d = c->max_cq_depth;
    p->depth = d;
    /* Until every pair is made, none is used (a pair not below nqp is
     * never read, whatever the device writes into its memory). */
    p->nqp = 0;
    unsigned n = ena_port_pairs(p->ncpus, c->max_queues, c->llq.on ? c->llq.max_queues : 0, p->qp_mem,
                                p->msix_entries);
    for (unsigned q = 0; q < n; q++) {
        rc = create_pair(p, q);
        if (rc < 0)
            return rc;
    }
    p->nqp = n;
    for (unsigned q = 0; q < n; q++)
        if (ena_rx_refill(&p->qp[q]->rx, p->depth))
            wr(p, p->qp[q]->rx_sq.doorbell, p->qp[q]->rx.tail);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    p->up = true;
    p->link_up = true; /* until the device says otherwise (it sends a link event) */
    /* Admin completions and AENQ events may interrupt (the references mask
     * this only while they poll the admin queue during bring-up). */
    wr(p, ENA_REG_INTR_MASK, 0);
    for (unsigned q = 0; q < n; q++)
        ena_port_unmask(p, q);
    return 0;
}

void ena_port_unmask(struct ena_port *p, unsigned q)
{
    if (!p->up || q >= p->nqp)
        return;
    struct ena_qp *qp = p->qp[q];
    if (qp->rx_cq.unmask)
        wr(p, qp->rx_cq.unmask, ENA_INTR_UNMASK);
    if (qp->tx_cq.unmask && qp->tx_cq.unmask != qp->rx_cq.unmask)
        wr(p, qp->tx_cq.unmask, ENA_INTR_UNMASK);
}

int ena_port_xmit(struct ena_port *p, unsigned q, const void *frame, size_t len)
{
    if (len < 14 || len > ENA_BUF_SIZE)
        return -EINVAL;
    if (!p->up || q >= p->nqp)
        return -EBUSY;
    struct ena_qp *qp = p->qp[q];
    int id = ena_tx_reserve(&qp->tx);
    if (id < 0) {
        ena_port_tx_reclaim(p, q);
        id = ena_tx_reserve(&qp->tx);
        if (id < 0)
            return -EBUSY;
    }
    if (qp->tx.in_flight == 0)
        qp->tx_progress_ns = p->com.bus.now_ns(p->com.bus.ctx);
    uint8_t *buf = qp->tx_bufs + (size_t)id * ENA_BUF_SIZE;
    memcpy(buf, frame, len);
    /* Short frames go out padded to Ethernet's minimum, as FreeBSD's driver
     * does; the device is not asked to pad. */
    if (len < ENA_MIN_FRAME) {
        memset(buf + len, 0, ENA_MIN_FRAME - len);
        len = ENA_MIN_FRAME;
    }
    /* LLQ: the frame's first bytes (all of a small one) go inline through
     * the memory BAR; the descriptor points past them. */
    uint16_t push = 0;
    if (qp->tx.bus && qp->tx.llq.on)
        push = (uint16_t)(len < qp->tx.llq.max_header ? len : qp->tx.llq.max_header);
    uint64_t addr = push == len ? 0 : p->com.bus.dma(p->com.bus.ctx, buf + push);
    ena_tx_post(&qp->tx, (uint16_t)id, addr, (uint16_t)(len - push), buf, push);
    wr(p, qp->tx_sq.doorbell, qp->tx.tail);
    qp->tx_frames++;
    return 0;
}

unsigned ena_port_tx_reclaim(struct ena_port *p, unsigned q)
{
    unsigned n = 0;
    if (!p->up || q >= p->nqp)
        return 0;
    struct ena_qp *qp = p->qp[q];
    /* At most one lap per call. */
    for (unsigned i = 0; i < p->depth; i++) {
        int r = ena_tx_complete(&qp->tx);
        if (r == -EAGAIN)
            break;
        if (r == -EIO) {
            pr_warn("ena: transmit completion on queue %u for request id not in flight; resetting\n", q);
            ena_request_reset(&p->com, ENA_RESET_INV_TX_REQ_ID);
            break;
        }
        n++;
    }
    if (n)
        qp->tx_progress_ns = p->com.bus.now_ns(p->com.bus.ctx);
    if (n && qp->tx_cq.head_db)
        wr(p, qp->tx_cq.head_db, qp->tx.cq_head);
    return n;
}

unsigned ena_port_rx_poll(struct ena_port *p, unsigned q, ena_rx_fn fn, void *arg)
{
    unsigned frames = 0;
    if (!p->up || q >= p->nqp)
        return 0;
    struct ena_qp *qp = p->qp[q];
    for (unsigned i = 0; i < p->depth; i++) {
        struct ena_rx_result res;
        enum ena_rx_kind k = ena_rx_next(&qp->rx, &res);
        if (k == ENA_RX_NONE)
            break;
        if (k == ENA_RX_BAD) {
            pr_warn("ena: bad receive completion on queue %u (%s), frame dropped\n", q, res.why);
            qp->rx_dropped++;
            qp->frame.active = false;
            if (res.fatal) {
                ena_request_reset(&p->com, ENA_RESET_INV_RX_REQ_ID);
                break;
            }
        } else {
            unsigned drops = qp->frame.drops;
            res.csum_bad = ena_rx_csum_bad(p->com.offload_rx, res.status);
            long len = ena_frame_add(&qp->frame, &res, qp->rx_bufs + (size_t)res.req_id * ENA_BUF_SIZE);
            qp->rx_dropped += qp->frame.drops - drops;
            if (len > 0 && qp->frame.csum_bad) {
                /* The device found the frame corrupt: no copy for the stack. */
                qp->rx_csum_bad++;
                qp->rx_dropped++;
            } else if (len > 0) {
                qp->rx_frames++;
                if (fn)
                    fn(arg, qp->frame.buf, (size_t)len);
                frames++;
            }
        }
        if (res.freed)
            ena_rx_release(&qp->rx, res.req_id);
    }
    if (qp->rx_cq.head_db)
        wr(p, qp->rx_cq.head_db, qp->rx.cq_head);
    /* Refill in batches: one doorbell for many buffers. */
    if (qp->rx.nfree > p->rx_batch && ena_rx_refill(&qp->rx, qp->rx.nfree))
        wr(p, qp->rx_sq.doorbell, qp->rx.tail);
    return frames;
}

bool ena_port_service(struct ena_port *p, struct ena_aenq_events *ev)
{
    memset(ev, 0, sizeof(*ev));
    ena_aenq_drain(&p->com, ENA_AENQ_DEPTH, ev);
    if (ev->link_changes)
        p->link_up = ev->link_up;
    uint64_t t = p->com.bus.now_ns(p->com.bus.ctx);
    for (unsigned q = 0; p->up && q < p->nqp; q++) {
        struct ena_qp *qp = p->qp[q];
        if (qp->tx.in_flight && p->com.tx_stall_ns && t > qp->tx_progress_ns + p->com.tx_stall_ns) {
            pr_warn("ena: queue %u: %u frames sent, none completed for %llu ms; resetting\n", q, qp->tx.in_flight,
                    (unsigned long long)((t - qp->tx_progress_ns) / 1000000));
            ena_request_reset(&p->com, ENA_RESET_MISS_TX_CMPL);
            break;
        }
    }
    return ena_health_check(&p->com, t);
}
