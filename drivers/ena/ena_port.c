/* One ENA port (pure): bring-up and rebuild after a reset, the data path
 * of one queue pair, and the AENQ/health service the watchdog runs. The
 * kernel driver adds PCI, MSI-X, locks and the net device around it. */
#include <string.h>
#include "ena_com.h"
#include "errno.h"
#include "log.h"

static void wr(struct ena_port *p, unsigned off, uint32_t v) { p->com.bus.write32(p->com.bus.ctx, off, v); }

static int create_queues(struct ena_port *p)
{
    struct ena_com *c = &p->com;
    p->tx.depth = p->rx.depth = p->depth;
    p->tx.bus = c->llq.on ? &c->bus : NULL;
    p->tx.llq = c->llq;
    ena_txq_init(&p->tx);
    p->rx.buf_len = ENA_BUF_SIZE;
    p->rx.addr = p->rx_addr;
    for (uint16_t i = 0; i < p->depth; i++)
        p->rx_addr[i] = c->bus.dma(c->bus.ctx, p->rx_bufs + (size_t)i * ENA_BUF_SIZE);
    ena_rxq_init(&p->rx);
    int rc = ena_create_cq(c, p->depth, sizeof(struct ena_tx_cdesc) / 4, ENA_MSIX_IO, p->tx.cq, &p->tx_cq);
    if (rc == 0 && c->llq.on) {
        rc = ena_create_sq(c, ENA_SQ_DIR_TX, ENA_PLACEMENT_DEV, p->tx_cq.idx, p->depth, p->tx.sq, &p->tx_sq);
        /* Refused, or placed where we will not write: host memory still
         * gives a network, as long as the admin queue lives. */
        if (rc < 0 && rc != -ETIMEDOUT) {
            pr_warn("ena: no low-latency transmit queue (%d); host-memory queues\n", rc);
            c->llq.on = false;
            p->tx.bus = NULL;
            p->tx.llq.on = false;
            rc = 0;
        } else {
            p->tx.llq_base = p->tx_sq.llq_desc;
        }
        if (rc == 0 && !c->llq.on)
            rc = ena_create_sq(c, ENA_SQ_DIR_TX, ENA_PLACEMENT_HOST, p->tx_cq.idx, p->depth, p->tx.sq, &p->tx_sq);
    } else if (rc == 0) {
        rc = ena_create_sq(c, ENA_SQ_DIR_TX, ENA_PLACEMENT_HOST, p->tx_cq.idx, p->depth, p->tx.sq, &p->tx_sq);
    }
    if (rc == 0)
        rc = ena_create_cq(c, p->depth, sizeof(struct ena_rx_cdesc) / 4, ENA_MSIX_IO, p->rx.cq, &p->rx_cq);
    if (rc == 0)
        rc = ena_create_sq(c, ENA_SQ_DIR_RX, ENA_PLACEMENT_HOST, p->rx_cq.idx, p->depth, p->rx.sq, &p->rx_sq);
    return rc;
}

int ena_port_up(struct ena_port *p, unsigned reason)
{
    struct ena_com *c = &p->com;
    p->up = false;
    p->tx_lost += p->tx.in_flight;
    p->frame.buf = p->frame_buf;
    p->frame.cap = sizeof(p->frame_buf);
    p->frame.active = false;
    if (!p->rx_batch)
        p->rx_batch = 16;
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
    if (rc == 0) {
        uint16_t d = p->depth;
        /* Both rings keep one depth; an LLQ may be shallower. */
        if (c->llq.on && d > c->llq.max_depth)
            d = c->llq.max_depth;
        if (d > c->max_sq_depth)
            d = c->max_sq_depth;
        if (d > c->max_cq_depth)
            d = c->max_cq_depth;
        p->depth = d;
        rc = create_queues(p);
    }
    if (rc < 0)
        return rc;
    if (ena_rx_refill(&p->rx, p->depth))
        wr(p, p->rx_sq.doorbell, p->rx.tail);
    p->up = true;
    p->link_up = true; /* until the device says otherwise (it sends a link event) */
    /* Admin completions and AENQ events may interrupt (the references mask
     * this only while they poll the admin queue during bring-up). */
    wr(p, ENA_REG_INTR_MASK, 0);
    ena_port_unmask(p);
    return 0;
}

void ena_port_unmask(struct ena_port *p)
{
    if (p->up && p->rx_cq.unmask)
        wr(p, p->rx_cq.unmask, ENA_INTR_UNMASK);
    if (p->up && p->tx_cq.unmask && p->tx_cq.unmask != p->rx_cq.unmask)
        wr(p, p->tx_cq.unmask, ENA_INTR_UNMASK);
}

int ena_port_xmit(struct ena_port *p, const void *frame, size_t len)
{
    if (len < 14 || len > ENA_BUF_SIZE)
        return -EINVAL;
    if (!p->up)
        return -EBUSY;
    int id = ena_tx_reserve(&p->tx);
    if (id < 0) {
        ena_port_tx_reclaim(p);
        id = ena_tx_reserve(&p->tx);
        if (id < 0)
            return -EBUSY;
    }
    if (p->tx.in_flight == 0)
        p->tx_progress_ns = p->com.bus.now_ns(p->com.bus.ctx);
    uint8_t *buf = p->tx_bufs + (size_t)id * ENA_BUF_SIZE;
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
    if (p->tx.bus && p->tx.llq.on)
        push = (uint16_t)(len < p->tx.llq.max_header ? len : p->tx.llq.max_header);
    uint64_t addr = push == len ? 0 : p->com.bus.dma(p->com.bus.ctx, buf + push);
    ena_tx_post(&p->tx, (uint16_t)id, addr, (uint16_t)(len - push), buf, push);
    wr(p, p->tx_sq.doorbell, p->tx.tail);
    p->tx_frames++;
    return 0;
}

unsigned ena_port_tx_reclaim(struct ena_port *p)
{
    unsigned n = 0;
    if (!p->up)
        return 0;
    /* At most one lap per call. */
    for (unsigned i = 0; i < p->depth; i++) {
        int r = ena_tx_complete(&p->tx);
        if (r == -EAGAIN)
            break;
        if (r == -EIO) {
            pr_warn("ena: transmit completion for request id not in flight; resetting\n");
            ena_request_reset(&p->com, ENA_RESET_INV_TX_REQ_ID);
            break;
        }
        n++;
    }
    if (n)
        p->tx_progress_ns = p->com.bus.now_ns(p->com.bus.ctx);
    if (n && p->tx_cq.head_db)
        wr(p, p->tx_cq.head_db, p->tx.cq_head);
    return n;
}

unsigned ena_port_rx_poll(struct ena_port *p, ena_rx_fn fn, void *arg)
{
    unsigned frames = 0;
    if (!p->up)
        return 0;
    for (unsigned i = 0; i < p->depth; i++) {
        struct ena_rx_result res;
        enum ena_rx_kind k = ena_rx_next(&p->rx, &res);
        if (k == ENA_RX_NONE)
            break;
        if (k == ENA_RX_BAD) {
            pr_warn("ena: bad receive completion (%s), frame dropped\n", res.why);
            p->rx_dropped++;
            p->frame.active = false;
            if (res.fatal) {
                ena_request_reset(&p->com, ENA_RESET_INV_RX_REQ_ID);
                break;
            }
        } else {
            unsigned drops = p->frame.drops;
            long len = ena_frame_add(&p->frame, &res, p->rx_bufs + (size_t)res.req_id * ENA_BUF_SIZE);
            p->rx_dropped += p->frame.drops - drops;
            if (len > 0) {
                p->rx_frames++;
                if (fn)
                    fn(arg, p->frame.buf, (size_t)len);
                frames++;
            }
        }
        if (res.freed)
            ena_rx_release(&p->rx, res.req_id);
    }
    if (p->rx_cq.head_db)
        wr(p, p->rx_cq.head_db, p->rx.cq_head);
    /* Refill in batches: one doorbell for many buffers. */
    if (p->rx.nfree > p->rx_batch && ena_rx_refill(&p->rx, p->rx.nfree))
        wr(p, p->rx_sq.doorbell, p->rx.tail);
    return frames;
}

bool ena_port_service(struct ena_port *p, struct ena_aenq_events *ev)
{
    memset(ev, 0, sizeof(*ev));
    ena_aenq_drain(&p->com, ENA_AENQ_DEPTH, ev);
    if (ev->link_changes)
        p->link_up = ev->link_up;
    uint64_t t = p->com.bus.now_ns(p->com.bus.ctx);
    if (p->up && p->tx.in_flight && p->com.tx_stall_ns && t > p->tx_progress_ns + p->com.tx_stall_ns) {
        pr_warn("ena: %u frames sent, none completed for %llu ms; resetting\n", p->tx.in_flight,
                (unsigned long long)((t - p->tx_progress_ns) / 1000000));
        ena_request_reset(&p->com, ENA_RESET_MISS_TX_CMPL);
    }
    return ena_health_check(&p->com, t);
}
