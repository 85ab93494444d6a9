/* ENA pure logic (drivers/ena/ena_admin.c, ena_ring.c, ena_port.c) against
 * the device model in ena_model.c: bring-up, traffic over several laps of
 * both rings, then a hostile device: admin completions out of phase or for
 * unknown command ids, an admin command that never completes (time-out,
 * reset, queues rebuilt, traffic again), read-less answers for the wrong
 * register, a reset that never starts, an AENQ flood, a missed keep-alive,
 * link changes, transmit and receive completions naming ids not in flight,
 * lengths past the buffer, broken frame sequences, bad device attributes.
 * LLQ: the layout negotiated, every entry the model reads from its device
 * memory checked (descriptor, zero slots, inline header, zero tail), and
 * the fallback to host memory for every offer that cannot be used.
 * Several queue pairs: one per CPU within the device's queues, the MSI-X
 * entries and the cap, each on its own entry, traffic kept to its pair,
 * all rebuilt by a reset; pairs never created left alone; receive
 * checksum verdicts honoured only for the checks the device offered. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "ena_com.h"
#include "ena_model.h"
#include "errno.h"

#define DEPTH 64

static struct ena_model m;
static struct ena_port *p;
static uint32_t mem_bar = EM_DEVMEM; /* the memory BAR the port is given (0: none) */

static void *zalloc(size_t n)
{
    void *v = aligned_alloc(4096, (n + 4095) & ~(size_t)4095);
    memset(v, 0, (n + 4095) & ~(size_t)4095);
    return v;
}

/* What the port is given: pairs of memory, CPUs, MSI-X entries (the
 * single-pair defaults; the multi-queue tests change them). */
static unsigned qp_mem = 1, cpus = 1, msix_entries = 2;

static void setup_mem(void)
{
    if (!p) {
        p = zalloc(sizeof(*p));
        p->com.aq.sq = zalloc(ENA_AQ_DEPTH * sizeof(struct ena_aq_entry));
        p->com.aq.cq = zalloc(ENA_AQ_DEPTH * sizeof(struct ena_acq_entry));
        p->com.aenq.q = zalloc(ENA_AENQ_DEPTH * sizeof(struct ena_aenq_entry));
        p->com.mmio_resp = zalloc(sizeof(struct ena_mmio_resp));
        for (unsigned q = 0; q < ENA_QP_MAX; q++) {
            struct ena_qp *qp = zalloc(sizeof(*qp));
            qp->tx.sq = zalloc(DEPTH * sizeof(struct ena_tx_desc));
            qp->tx.cq = zalloc(DEPTH * sizeof(struct ena_tx_cdesc));
            qp->rx.sq = zalloc(DEPTH * sizeof(struct ena_rx_desc));
            qp->rx.cq = zalloc(DEPTH * sizeof(struct ena_rx_cdesc));
            qp->tx_bufs = zalloc(DEPTH * ENA_BUF_SIZE);
            qp->rx_bufs = zalloc(DEPTH * ENA_BUF_SIZE);
            p->qp[q] = qp;
        }
    }
    p->qp_mem = qp_mem;
    p->ncpus = cpus;
    p->msix_entries = msix_entries;
}

/* A fresh port on a fresh model (tweak m between em_init and port_init). */
static void model_init(void)
{
    em_init(&m);
}

static int port_init(void)
{
    setup_mem();
    struct ena_port keep = *p;
    memset(p, 0, sizeof(*p));
    p->com.aq.sq = keep.com.aq.sq;
    p->com.aq.cq = keep.com.aq.cq;
    p->com.aenq.q = keep.com.aenq.q;
    p->com.mmio_resp = keep.com.mmio_resp;
    for (unsigned q = 0; q < ENA_QP_MAX; q++) {
        struct ena_qp *qp = keep.qp[q];
        struct ena_qp k = *qp;
        memset(qp, 0, sizeof(*qp));
        qp->tx.sq = k.tx.sq;
        qp->tx.cq = k.tx.cq;
        qp->rx.sq = k.rx.sq;
        qp->rx.cq = k.rx.cq;
        qp->tx_bufs = k.tx_bufs;
        qp->rx_bufs = k.rx_bufs;
        p->qp[q] = qp;
    }
    p->qp_mem = qp_mem;
    p->ncpus = cpus;
    p->msix_entries = msix_entries;
    p->com.bus = em_bus(&m);
    p->com.readless = m.readless;
    p->com.mem_bar_size = mem_bar;
    p->depth = DEPTH;
    return ena_port_up(p, ENA_RESET_NORMAL);
}

static uint8_t got[4096];
static size_t got_len;
static unsigned got_n;
static void on_rx(void *arg, const uint8_t *f, size_t len)
{
    (void)arg;
    memcpy(got, f, len);
    got_len = len;
    got_n++;
}

static void make_frame(uint8_t *f, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(seed * 31 + i * 7);
}

/* n frames each way, checking every byte. */
static void traffic(unsigned n)
{
    uint8_t f[1514];
    for (unsigned i = 0; i < n; i++) {
        size_t len = 60 + (i * 97) % 1450;
        make_frame(f, len, i);
        CHECK_EQ(ena_port_xmit(p, 0, f, len), 0);
        CHECK_EQ(m.last_tx_len, len);
        CHECK(memcmp(m.last_tx, f, len) == 0);
        CHECK_EQ(ena_port_tx_reclaim(p, 0), 1);
        make_frame(f, len, i + 1000);
        got_n = 0;
        CHECK(em_rx_frame(&m, f, (uint32_t)len));
        CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 1);
        CHECK_EQ(got_n, 1);
        CHECK_EQ(got_len, len);
        CHECK(memcmp(got, f, len) == 0);
    }
}

static void test_bringup_and_traffic(void)
{
    model_init();
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(m.resets, 1);
    CHECK_EQ(m.last_reset_reason, ENA_RESET_NORMAL);
    CHECK_EQ(m.mtu, 1500);
    CHECK_EQ(m.enabled_groups, 0x1f);
    CHECK(memcmp(p->com.mac, m.mac, 6) == 0);
    CHECK_EQ(p->com.max_mtu, 9216);
    CHECK_EQ(p->com.admin_timeout_ns, 200000000ull);
    CHECK_EQ(p->depth, DEPTH);
    int rx = em_find_sq(&m, ENA_SQ_DIR_RX), tx = em_find_sq(&m, ENA_SQ_DIR_TX);
    CHECK(rx >= 0 && tx >= 0);
    CHECK_EQ(m.sq[rx].db, DEPTH - 1); /* every buffer but one posted, one doorbell */
    CHECK_EQ(m.cq[m.sq[rx].cq].msix, ENA_MSIX_IO);
    CHECK_EQ(m.cq[m.sq[tx].cq].words, 2);
    CHECK_EQ(m.cq[m.sq[rx].cq].words, 4);
    CHECK(m.cq[m.sq[rx].cq].unmasks >= 1);
    CHECK_EQ(m.intr_mask, 0);
    traffic(3 * DEPTH + 5); /* several laps: phases flip on every ring */
    /* A 42-byte ARP-sized frame leaves padded with zeros to 60. */
    uint8_t arp[42], zero[18] = { 0 };
    make_frame(arp, sizeof(arp), 77);
    CHECK_EQ(ena_port_xmit(p, 0, arp, sizeof(arp)), 0);
    CHECK_EQ(m.last_tx_len, 60);
    CHECK(memcmp(m.last_tx, arp, sizeof(arp)) == 0);
    CHECK(memcmp(m.last_tx + 42, zero, 18) == 0);
    CHECK_EQ(ena_port_tx_reclaim(p, 0), 1);
    CHECK_EQ(m.protocol_errors, 0);
    CHECK_EQ(p->qp[0]->tx.bad + p->qp[0]->rx.bad + p->com.aq.bad, 0);
    CHECK(!ena_health_check(&p->com, m.clock_ns));
    /* Refill comes in batches: the doorbell moved by more than one at a time. */
    uint32_t db = m.sq[rx].db;
    uint8_t f[100];
    make_frame(f, sizeof(f), 1);
    for (unsigned i = 0; i < 5; i++) {
        CHECK(em_rx_frame(&m, f, sizeof(f)));
        ena_port_rx_poll(p, 0, on_rx, NULL);
    }
    CHECK_EQ(m.sq[rx].db, db); /* 5 buffers out: below the batch, no doorbell */
}

static void test_direct_registers_and_multi_buffer(void)
{
    model_init();
    m.readless = false;
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(m.protocol_errors, 0);
    /* A 3000-byte frame over two buffers: first, then last. */
    uint8_t f[3000];
    make_frame(f, sizeof(f), 9);
    got_n = 0;
    CHECK(em_rx_frame(&m, f, sizeof(f)));
    CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 1);
    CHECK_EQ(got_len, sizeof(f));
    CHECK(memcmp(got, f, sizeof(f)) == 0);
    traffic(10);
}

static void test_admin_unknown_ids_and_phase(void)
{
    model_init();
    m.admin_wrong_id_first = true; /* each answer is preceded by one for an id never sent */
    CHECK_EQ(port_init(), 0);
    CHECK(p->com.aq.bad > 0);
    CHECK(!p->com.reset_wanted);
    m.admin_wrong_id_first = false;
    traffic(4);

    /* An answer written one slot ahead, the slot expected still old: it
     * must not be taken out of order; the command times out, a reset. */
    uint32_t before = p->com.aq.bad;
    m.swallow_admin = 1;
    uint16_t next = p->com.aq.next_id;
    /* Plant the completion for the next command in the slot after the one expected. */
    struct ena_acq_entry e;
    memset(&e, 0, sizeof(e));
    e.command = next;
    e.flags = p->com.aq.cq_phase;
    unsigned ahead = (p->com.aq.cq_head + 1) % ENA_AQ_DEPTH;
    if (ahead == 0)
        e.flags ^= 1;
    memcpy((void *)&p->com.aq.cq[ahead], &e, sizeof(e));
    struct ena_feat_aenq g;
    uint64_t t0 = m.clock_ns;
    CHECK_EQ(ena_get_feature(&p->com, ENA_FEAT_AENQ_CONFIG, &g, sizeof(g)), -ETIMEDOUT);
    CHECK(m.clock_ns - t0 >= p->com.admin_timeout_ns);
    CHECK(m.clock_ns - t0 < p->com.admin_timeout_ns + 10000000);
    CHECK_EQ(p->com.aq.bad, before);
    CHECK(p->com.admin_dead);
    /* A dead admin queue refuses work at once. */
    CHECK_EQ(ena_get_feature(&p->com, ENA_FEAT_AENQ_CONFIG, &g, sizeof(g)), -EIO);
    struct ena_aenq_events ev;
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_ADMIN_TO);
    /* The reset path: device reset with the reason, queues rebuilt, the port carries on. */
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK_EQ(m.resets, 2);
    CHECK_EQ(m.last_reset_reason, ENA_RESET_ADMIN_TO);
    CHECK(!p->com.admin_dead);
    traffic(DEPTH + 3);
    CHECK_EQ(m.protocol_errors, 0);

    /* Raw completions straight into the queue: unknown id, then a stale one. */
    uint16_t db;
    uint8_t cmd[64];
    memset(cmd, 0, sizeof(cmd));
    cmd[2] = ENA_ADMIN_GET_FEATURE;
    m.swallow_admin = 1;
    int id = ena_aq_submit(&p->com.aq, cmd, &db);
    CHECK(id >= 0);
    p->com.bus.write32(&m, ENA_REG_AQ_DB, db);
    em_acq_raw(&m, (uint16_t)(id + 100), 0, false);
    em_acq_raw(&m, 0xfff, 0, false);
    before = p->com.aq.bad;
    CHECK_EQ(ena_aq_poll(&p->com.aq), 2);
    CHECK_EQ(p->com.aq.bad, before + 2);
    CHECK_EQ(ena_aq_result(&p->com.aq, (uint16_t)id, NULL), -EAGAIN);
    em_acq_raw(&m, (uint16_t)id, 4, true); /* wrong phase: not new */
    CHECK_EQ(ena_aq_poll(&p->com.aq), 0);
    em_acq_raw(&m, (uint16_t)id, 4, false); /* refused by the device */
    CHECK_EQ(ena_aq_poll(&p->com.aq), 1);
    CHECK_EQ(ena_aq_result(&p->com.aq, (uint16_t)id, NULL), -EIO);
    em_acq_raw(&m, (uint16_t)id, 0, false); /* the same id twice */
    before = p->com.aq.bad;
    ena_aq_poll(&p->com.aq);
    CHECK_EQ(p->com.aq.bad, before + 1);
    /* A device rewriting the whole completion ring forever: one lap a poll. */
    for (unsigned i = 0; i < 3 * ENA_AQ_DEPTH; i++)
        em_acq_raw(&m, 0x7ff, 0, false);
    CHECK(ena_aq_poll(&p->com.aq) <= ENA_AQ_DEPTH);
}

static void test_admin_refusals_and_bad_answers(void)
{
    model_init();
    m.admin_status = 5;
    CHECK_EQ(port_init(), -EIO);
    model_init();
    m.short_cq_depth = DEPTH * 2; /* a queue larger than our memory */
    CHECK_EQ(port_init(), -EIO);
    model_init();
    m.mac[0] = 0x01; /* multicast */
    CHECK_EQ(port_init(), -EIO);
    model_init();
    memset(m.mac, 0, 6);
    CHECK_EQ(port_init(), -EIO);
    model_init();
    m.max_mtu = 100;
    CHECK_EQ(port_init(), -EIO);
    model_init();
    m.max_depth = 4;
    CHECK_EQ(port_init(), -EIO);
    model_init();
    m.max_depth = 48; /* not a power of two: rounded down */
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->depth, 32);
    traffic(40);
    /* Doorbells the device places outside the register BAR. */
    model_init();
    setup_mem();
    p->com.bar_size = 0x1000; /* the model's doorbells start at 0x1000 */
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), -EIO);
    p->com.bar_size = 0x4000;
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), 0);
    traffic(2);
    model_init();
    m.max_queues_unsupported = true;
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->com.max_sq_depth, 256);
    traffic(3);
}

static void test_readless_and_reset_handshake(void)
{
    model_init();
    CHECK_EQ(port_init(), 0);
    m.readless_wrong_off = true;
    CHECK_EQ(ena_reg_read(&p->com, ENA_REG_CAPS), ENA_REG_READ_FAIL);
    m.readless_wrong_off = false;
    CHECK_EQ(ena_reg_read(&p->com, ENA_REG_CAPS), m.caps);
    m.readless_silent = true;
    uint64_t t0 = m.clock_ns;
    CHECK_EQ(ena_reg_read(&p->com, ENA_REG_CAPS), ENA_REG_READ_FAIL);
    CHECK(m.clock_ns - t0 >= ENA_REG_READ_TIMEOUT_NS);
    CHECK_EQ(ena_dev_reset(&p->com, ENA_RESET_NORMAL), -ENODEV);
    m.readless_silent = false;
    m.reset_stuck = true;
    CHECK_EQ(ena_dev_reset(&p->com, ENA_RESET_NORMAL), -ETIMEDOUT);
    m.reset_stuck = false;
    m.dev_sts = ENA_DEV_STS_READY;
    m.ctl_reset_seen = false;
    /* Not ready at all. */
    m.dev_sts = 0;
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), -ENODEV);
    m.dev_sts = ENA_DEV_STS_READY;
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), 0);
    traffic(3);
}

static void test_aenq(void)
{
    model_init();
    CHECK_EQ(port_init(), 0);
    struct ena_aenq_events ev;
    /* Link down, up. */
    CHECK(em_aenq_post(&m, ENA_AENQ_LINK_CHANGE, 0, false));
    CHECK(!ena_port_service(p, &ev));
    CHECK_EQ(ev.link_changes, 1);
    CHECK(!p->link_up);
    CHECK(em_aenq_post(&m, ENA_AENQ_LINK_CHANGE, 1, false));
    CHECK(em_aenq_post(&m, ENA_AENQ_NOTIFICATION, 0, false));
    CHECK(em_aenq_post(&m, 9, 0, true)); /* a group we never enabled */
    CHECK(!ena_port_service(p, &ev));
    CHECK(p->link_up);
    CHECK_EQ(ev.notifications, 1);
    CHECK_EQ(ev.unknown, 1);
    CHECK_EQ(m.aenq_head_db, ENA_AENQ_DEPTH + 4); /* every entry given back */

    /* Keep-alives every second keep it healthy for a minute... */
    for (unsigned s = 0; s < 60; s++) {
        m.clock_ns += 1000000000ull;
        CHECK(em_aenq_post(&m, ENA_AENQ_KEEP_ALIVE, 0, false));
        CHECK(!ena_port_service(p, &ev));
        CHECK_EQ(ev.keep_alives, 1);
    }
    /* ...then they stop: within the time-out nothing, past it a reset. */
    m.clock_ns += 5000000000ull;
    CHECK(!ena_port_service(p, &ev));
    m.clock_ns += 2000000000ull;
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_KEEP_ALIVE_TO);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK_EQ(m.last_reset_reason, ENA_RESET_KEEP_ALIVE_TO);
    CHECK(!ena_port_service(p, &ev));
    traffic(DEPTH + 1);

    /* Hints: from GET_FEATURE at bring-up, then updated by a notification;
     * values out of range are ignored, 0xffff turns the watchdog off. */
    model_init();
    m.has_hints = true;
    m.hints.admin_completion_timeout = 500;
    m.hints.driver_watchdog_timeout = 3000;
    m.hints.mmio_read_timeout = 60000; /* past the sane range: ignored */
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->com.hints_applied, 1);
    CHECK_EQ(p->com.admin_timeout_ns, 500000000ull);
    CHECK_EQ(p->com.keepalive_timeout_ns, 3000000000ull);
    CHECK_EQ(p->com.reg_read_timeout_ns, 0);
    m.clock_ns += 2500000000ull;
    CHECK(!ena_port_service(p, &ev));
    m.clock_ns += 1000000000ull;
    CHECK(ena_port_service(p, &ev)); /* 3 s without a keep-alive */
    CHECK_EQ(p->com.reset_reason, ENA_RESET_KEEP_ALIVE_TO);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    struct ena_hw_hints h;
    memset(&h, 0, sizeof(h));
    h.driver_watchdog_timeout = ENA_HINT_NO_TIMEOUT;
    h.admin_completion_timeout = 5; /* too short to believe */
    CHECK(em_aenq_post_data(&m, ENA_AENQ_NOTIFICATION, ENA_NOTIFY_UPDATE_HINTS, &h, sizeof(h), false));
    CHECK(!ena_port_service(p, &ev));
    CHECK_EQ(ev.hints, 1);
    CHECK(p->com.keepalive_off);
    CHECK_EQ(p->com.admin_timeout_ns, 500000000ull);
    m.clock_ns += 600000000000ull; /* ten minutes of silence: no reset now */
    CHECK(!ena_port_service(p, &ev));
    traffic(2);

    /* A flood: the device writes far past the head it was given. Each
     * service call takes at most one queue's worth and returns. */
    unsigned posted = 0;
    for (unsigned i = 0; i < 50 * ENA_AENQ_DEPTH; i++)
        posted += em_aenq_post(&m, ENA_AENQ_NOTIFICATION, 0, true);
    unsigned calls = 0, taken = 0;
    do {
        ena_port_service(p, &ev);
        taken += ev.notifications;
        CHECK(ev.notifications <= ENA_AENQ_DEPTH);
    } while (ev.more && ++calls < 100);
    CHECK(calls < 100);
    CHECK(taken <= posted);
    /* Fatal error: reset. */
    model_init();
    CHECK_EQ(port_init(), 0);
    CHECK(em_aenq_post(&m, ENA_AENQ_FATAL_ERROR, 0, false));
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(ev.fatal, 1);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    traffic(2);
}

static void test_hostile_tx(void)
{
    model_init();
    CHECK_EQ(port_init(), 0);
    traffic(2);
    uint8_t f[64];
    make_frame(f, sizeof(f), 3);
    /* A completion naming the wrong request. */
    m.tx_complete_wrong_id = true;
    CHECK_EQ(ena_port_xmit(p, 0, f, sizeof(f)), 0);
    ena_port_tx_reclaim(p, 0);
    CHECK_EQ(p->qp[0]->tx.bad, 1);
    struct ena_aenq_events ev;
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_INV_TX_REQ_ID);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK(p->tx_lost >= 1);
    traffic(3);
    /* Out-of-range id, wrong phase, a full ring. */
    em_tx_raw(&m, 0xffff, true);
    CHECK_EQ(ena_port_tx_reclaim(p, 0), 0);
    CHECK_EQ(p->qp[0]->tx.bad, 1);
    em_tx_raw(&m, 0xffff, false);
    ena_port_tx_reclaim(p, 0);
    CHECK_EQ(p->qp[0]->tx.bad, 2);
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), 0);
    int tx = em_find_sq(&m, ENA_SQ_DIR_TX);
    m.sq[tx].used = false; /* the device stops consuming */
    unsigned ok = 0;
    for (unsigned i = 0; i < DEPTH + 5; i++)
        ok += ena_port_xmit(p, 0, f, sizeof(f)) == 0;
    CHECK_EQ(ok, DEPTH - 1);
    /* Completions missing: a reset once the stall time has passed, not before. */
    struct ena_aenq_events ev2;
    m.clock_ns += 4000000000ull;
    em_aenq_post(&m, ENA_AENQ_KEEP_ALIVE, 0, false);
    CHECK(!ena_port_service(p, &ev2));
    m.clock_ns += 2000000000ull;
    em_aenq_post(&m, ENA_AENQ_KEEP_ALIVE, 0, false);
    CHECK(ena_port_service(p, &ev2));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_MISS_TX_CMPL);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK_EQ(m.last_reset_reason, ENA_RESET_MISS_TX_CMPL);
    traffic(DEPTH);
    /* Idle for a long time with nothing in flight: no reset. */
    for (unsigned s = 0; s < 20; s++) {
        m.clock_ns += 1000000000ull;
        em_aenq_post(&m, ENA_AENQ_KEEP_ALIVE, 0, false);
        CHECK(!ena_port_service(p, &ev2));
    }
    CHECK_EQ(ena_port_xmit(p, 0, f, 10), -EINVAL);
    CHECK_EQ(ena_port_xmit(p, 0, f, 5000), -EINVAL);
}

static void test_hostile_rx(void)
{
    model_init();
    CHECK_EQ(port_init(), 0);
    traffic(2);
    unsigned nfree = p->qp[0]->rx.nfree;
    /* Length past the buffer: the frame is dropped, the buffer comes back. */
    uint16_t id = p->qp[0]->rx.sq[(m.sq[em_find_sq(&m, ENA_SQ_DIR_RX)].taken) & (DEPTH - 1)].req_id;
    em_rx_raw(&m, id, ENA_BUF_SIZE + 1, ENA_RXC_FIRST | ENA_RXC_LAST, false);
    m.sq[em_find_sq(&m, ENA_SQ_DIR_RX)].taken++;
    m.sq[em_find_sq(&m, ENA_SQ_DIR_RX)].head++;
    got_n = 0;
    CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 0);
    CHECK_EQ(p->qp[0]->rx.bad, 1);
    CHECK_EQ(p->qp[0]->rx_dropped, 1);
    CHECK_EQ(p->qp[0]->rx.nfree, nfree + 1);
    CHECK(!p->com.reset_wanted);
    /* A completion in the wrong phase is not new. */
    em_rx_raw(&m, 0, 64, ENA_RXC_FIRST | ENA_RXC_LAST, true);
    CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 0);
    CHECK_EQ(p->qp[0]->rx.bad, 1);
    /* An id not posted (already completed above): a reset. */
    em_rx_raw(&m, id, 64, ENA_RXC_FIRST | ENA_RXC_LAST, false);
    CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 0);
    CHECK(p->com.reset_wanted);
    CHECK_EQ(p->com.reset_reason, ENA_RESET_INV_RX_REQ_ID);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    traffic(3);
    /* An id past the ring. */
    em_rx_raw(&m, 0x8000, 64, ENA_RXC_FIRST | ENA_RXC_LAST, false);
    ena_port_rx_poll(p, 0, on_rx, NULL);
    CHECK(p->com.reset_wanted);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    /* Broken sequences: a continuation with no start, a start never finished. */
    struct ena_frame fr;
    uint8_t buf[4096], data[ENA_BUF_SIZE];
    memset(&fr, 0, sizeof(fr));
    fr.buf = buf;
    fr.cap = sizeof(buf);
    struct ena_rx_result r;
    memset(&r, 0, sizeof(r));
    r.len = 100;
    r.last = true;
    CHECK_EQ(ena_frame_add(&fr, &r, data), -1);
    r.first = true;
    r.last = false;
    CHECK_EQ(ena_frame_add(&fr, &r, data), 0);
    CHECK_EQ(ena_frame_add(&fr, &r, data), 0); /* a new start abandons the old frame */
    CHECK_EQ(fr.drops, 2);
    r.first = false;
    r.len = 2000;
    CHECK_EQ(ena_frame_add(&fr, &r, data), 0);
    CHECK_EQ(ena_frame_add(&fr, &r, data), 0); /* past the frame buffer: broken */
    r.last = true;
    CHECK_EQ(ena_frame_add(&fr, &r, data), -1);
    CHECK_EQ(fr.drops, 3);
    traffic(2);
}


/* The port ended up with host-memory queues and still carries traffic. */
static void check_host_fallback(void)
{
    CHECK(!p->com.llq.on);
    int tx = em_find_sq(&m, ENA_SQ_DIR_TX);
    CHECK(tx >= 0 && !m.sq[tx].llq);
    traffic(DEPTH + 3);
    CHECK_EQ(m.llq_frames, 0);
    CHECK_EQ(m.devmem_writes, 0);
    CHECK_EQ(m.protocol_errors, 0);
}

static void test_llq(void)
{
    model_init();
    m.llq = true;
    CHECK_EQ(port_init(), 0);
    CHECK(p->com.llq.on);
    /* The recommended 128-byte entry, one descriptor before the header. */
    CHECK_EQ(p->com.llq.entry_size, 128);
    CHECK_EQ(p->com.llq.descs_before, 1);
    CHECK_EQ(p->com.llq.max_header, 112);
    CHECK_EQ(m.llq_set.header_location_enabled, ENA_LLQ_HEADER_INLINE);
    CHECK_EQ(m.llq_set.entry_size_enabled, ENA_LLQ_ENTRY_128);
    CHECK_EQ(m.llq_set.descs_before_header_enabled, 1);
    CHECK_EQ(m.llq_set.stride_enabled, ENA_LLQ_STRIDE_MULTI);
    int tx = em_find_sq(&m, ENA_SQ_DIR_TX), rx = em_find_sq(&m, ENA_SQ_DIR_RX);
    CHECK(tx >= 0 && m.sq[tx].llq && rx >= 0 && !m.sq[rx].llq);
    /* Several laps of the device-memory ring; each frame rebuilt by the
     * model from the inline header plus the buffer and compared. */
    unsigned before = m.llq_frames;
    traffic(3 * DEPTH + 5);
    CHECK_EQ(m.llq_frames - before, 3 * DEPTH + 5);
    CHECK_EQ(m.devmem_writes, 3 * DEPTH + 5);
    CHECK_EQ(m.protocol_errors, 0);
    /* A large frame: 112 bytes inline, the rest by DMA. */
    uint8_t f[1514];
    make_frame(f, sizeof(f), 5);
    CHECK_EQ(ena_port_xmit(p, 0, f, sizeof(f)), 0);
    CHECK_EQ(m.last_tx_hdr_len, 112);
    CHECK_EQ(m.last_tx_len, sizeof(f));
    CHECK(memcmp(m.last_tx, f, sizeof(f)) == 0);
    CHECK_EQ(ena_port_tx_reclaim(p, 0), 1);
    /* A small frame goes wholly inline (padded to 60), no DMA buffer. */
    make_frame(f, 42, 6);
    CHECK_EQ(ena_port_xmit(p, 0, f, 42), 0);
    CHECK_EQ(m.last_tx_hdr_len, 60);
    CHECK_EQ(m.last_tx_len, 60);
    CHECK(memcmp(m.last_tx, f, 42) == 0);
    CHECK_EQ(ena_port_tx_reclaim(p, 0), 1);
    CHECK_EQ(m.protocol_errors, 0);
    /* A completion naming an id not in flight still means a reset, and the
     * reset brings LLQ back. */
    m.tx_complete_wrong_id = true;
    CHECK_EQ(ena_port_xmit(p, 0, f, 100), 0);
    ena_port_tx_reclaim(p, 0);
    struct ena_aenq_events ev;
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_INV_TX_REQ_ID);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK(p->com.llq.on);
    before = m.llq_frames;
    traffic(DEPTH + 1);
    CHECK_EQ(m.llq_frames - before, DEPTH + 1);
    CHECK_EQ(m.protocol_errors, 0);

    /* The device's recommendation (256) is taken; the header room is capped
     * by the largest header it takes (128 in the model's queue limits). */
    model_init();
    m.llq = true;
    m.llq_offer.entry_size_recommended = ENA_LLQ_ENTRY_256;
    m.llq_offer.descs_before_header_supported = 2;
    m.llq_offer.stride_supported = ENA_LLQ_STRIDE_SINGLE;
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->com.llq.entry_size, 256);
    CHECK_EQ(p->com.llq.descs_before, 2);
    CHECK_EQ(p->com.llq.max_header, 128);
    CHECK_EQ(m.llq_set.stride_enabled, ENA_LLQ_STRIDE_SINGLE);
    traffic(2 * DEPTH + 1);
    CHECK_EQ(m.llq_frames, 2 * DEPTH + 1);
    CHECK_EQ(m.protocol_errors, 0);

    /* A burst limit of one entry is honoured (one doorbell an entry) and
     * said so; a limit below one entry cannot be, so host memory. */
    model_init();
    m.llq = true;
    m.llq_offer.accel_flags = ENA_LLQ_ACCEL_LIMIT_TX_BURST | ENA_LLQ_ACCEL_DISABLE_META_CACHING;
    m.llq_offer.accel_max_burst = 128;
    CHECK_EQ(port_init(), 0);
    CHECK(p->com.llq.on);
    CHECK_EQ(m.llq_set.accel_flags, ENA_LLQ_ACCEL_LIMIT_TX_BURST);
    traffic(DEPTH + 1);
    CHECK_EQ(m.protocol_errors, 0);
    {
        /* The model's check can fail: two entries under one doorbell. */
        uint8_t h[60] = { 0 };
        for (int k = 0; k < 2; k++) {
            int id = ena_tx_reserve(&p->qp[0]->tx);
            CHECK(id >= 0);
            ena_tx_post(&p->qp[0]->tx, (uint16_t)id, 0, 0, h, sizeof(h));
        }
        p->com.bus.write32(&m, p->qp[0]->tx_sq.doorbell, p->qp[0]->tx.tail);
        CHECK(m.protocol_errors > 0);
        CHECK_EQ(m.llq_frames, DEPTH + 1 + 2);
    }
    model_init();
    m.llq = true;
    m.llq_offer.accel_flags = ENA_LLQ_ACCEL_LIMIT_TX_BURST;
    m.llq_offer.accel_max_burst = 64;
    CHECK_EQ(port_init(), 0);
    check_host_fallback();

    /* A shallower LLQ shrinks both rings to it. */
    model_init();
    m.llq = true;
    m.llq_offer.max_llq_depth = 40; /* not a power of two: 32 */
    CHECK_EQ(port_init(), 0);
    CHECK(p->com.llq.on);
    CHECK_EQ(p->depth, 32);
    traffic(3 * 32 + 1);
    CHECK_EQ(m.protocol_errors, 0);
    p->depth = DEPTH;

    /* Offers that cannot be used: host memory, and traffic all the same. */
    for (unsigned k = 0; k < 8; k++) {
        model_init();
        m.llq = true;
        switch (k) {
        case 0: m.llq_offer.header_location_supported = ENA_LLQ_HEADER_RING; break;
        case 1: m.llq_offer.entry_size_supported = 0; m.llq_offer.entry_size_recommended = 0; break;
        case 2: m.llq_offer.descs_before_header_supported = 0; break;
        case 3: m.llq_offer.stride_supported = 0; break;
        case 4: m.llq_offer.max_llq_num = 0; break;
        case 5: m.llq_offer.max_llq_depth = 4; break;
        case 6: m.llq_refuse_set = true; break;
        case 7: m.llq_offer.entry_size_supported = 0x8; m.llq_offer.entry_size_recommended = 0x8; break; /* unknown size */
        }
        CHECK_EQ(port_init(), 0);
        check_host_fallback();
    }
    /* No memory BAR, or the caller forbids LLQ: not even asked. */
    model_init();
    m.llq = true;
    mem_bar = 0;
    CHECK_EQ(port_init(), 0);
    check_host_fallback();
    CHECK(!m.llq_enabled);
    mem_bar = EM_DEVMEM;
    /* A memory BAR too small for even 8 entries. */
    model_init();
    m.llq = true;
    mem_bar = 512;
    CHECK_EQ(port_init(), 0);
    check_host_fallback();
    mem_bar = EM_DEVMEM;

    /* The device places the ring where it would run past the BAR, or
     * misaligned: refused (destroyed) before a single store, and the
     * transmit queue made again in host memory. */
    uint32_t bad[] = { EM_DEVMEM - 128, EM_DEVMEM, 0xfffffff8u, 0x8004 };
    for (unsigned k = 0; k < 4; k++) {
        model_init();
        m.llq = true;
        m.llq_bad_offset = bad[k];
        CHECK_EQ(port_init(), 0);
        unsigned llq_sqs = 0;
        for (int i = 0; i < EM_QUEUES; i++)
            llq_sqs += m.sq[i].used && m.sq[i].llq;
        CHECK_EQ(llq_sqs, 0);
        check_host_fallback();
    }
    /* The device refuses the device-placed queue it offered: host memory. */
    model_init();
    m.llq = true;
    m.llq_refuse_create = true;
    CHECK_EQ(port_init(), 0);
    check_host_fallback();
    /* An LLQ query that never completes: an admin time-out, then a reset. */
    model_init();
    m.llq = true;
    setup_mem();
    {
        /* Swallow the LLQ GET only: bring-up sends device attributes, max
         * queues, AENQ get and set, MTU, then LLQ. */
        CHECK_EQ(port_init(), 0);
        unsigned cmds = m.admin_cmds;
        (void)cmds;
        m.swallow_admin = 1;
        CHECK_EQ(ena_config_llq(&p->com), -ETIMEDOUT);
        CHECK(p->com.admin_dead);
        CHECK(!p->com.llq.on);
    }
}

/* n frames each way on pair q: the frame leaves by q's transmit queue
 * (only its count in the model moves) and arrives by q's receive queue
 * (the other pairs see nothing). */
static void traffic_q(unsigned q, unsigned n)
{
    uint8_t f[1514];
    struct em_sq *tx = &m.sq[p->qp[q]->tx_sq.idx];
    CHECK_EQ(em_find_sq_n(&m, ENA_SQ_DIR_RX, q), p->qp[q]->rx_sq.idx);
    for (unsigned i = 0; i < n; i++) {
        size_t len = 60 + (i * 131 + q * 17) % 1450;
        make_frame(f, len, i + q * 100);
        unsigned before = tx->frames, total = m.tx_frames;
        CHECK_EQ(ena_port_xmit(p, q, f, len), 0);
        CHECK_EQ(tx->frames, before + 1);
        CHECK_EQ(m.tx_frames, total + 1);
        CHECK_EQ(m.last_tx_len, len);
        CHECK(memcmp(m.last_tx, f, len) == 0);
        CHECK_EQ(ena_port_tx_reclaim(p, q), 1);
        make_frame(f, len, i + q * 100 + 5000);
        got_n = 0;
        CHECK(em_rx_frame_q(&m, q, f, (uint32_t)len, 0));
        for (unsigned o = 0; o < p->nqp; o++)
            if (o != q)
                CHECK_EQ(ena_port_rx_poll(p, o, on_rx, NULL), 0);
        CHECK_EQ(got_n, 0);
        CHECK_EQ(ena_port_rx_poll(p, q, on_rx, NULL), 1);
        CHECK_EQ(got_n, 1);
        CHECK_EQ(got_len, len);
        CHECK(memcmp(got, f, len) == 0);
    }
}

/* The pairs the device holds: n each way, pair q's completion queues on
 * MSI-X entry ENA_MSIX_IO + q (distinct, none the admin entry). */
static void check_pairs(unsigned n)
{
    CHECK_EQ(p->nqp, n);
    CHECK_EQ(em_count_sq(&m, ENA_SQ_DIR_TX), n);
    CHECK_EQ(em_count_sq(&m, ENA_SQ_DIR_RX), n);
    unsigned cqs = 0;
    for (int i = 0; i < EM_QUEUES; i++)
        cqs += m.cq[i].used;
    CHECK_EQ(cqs, 2 * n);
    uint32_t seen = 0;
    for (unsigned q = 0; q < n; q++) {
        struct em_sq *tx = &m.sq[p->qp[q]->tx_sq.idx], *rx = &m.sq[p->qp[q]->rx_sq.idx];
        CHECK(tx->used && tx->dir == ENA_SQ_DIR_TX && rx->used && rx->dir == ENA_SQ_DIR_RX);
        uint32_t vt = m.cq[tx->cq].msix, vr = m.cq[rx->cq].msix;
        CHECK_EQ(vt, ENA_MSIX_IO + q);
        CHECK_EQ(vr, vt);
        CHECK(vt != ENA_MSIX_ADMIN && vt < 32 && !(seen & (1u << vt)));
        seen |= 1u << vt;
        CHECK(m.cq[rx->cq].unmasks >= 1);
        CHECK_EQ(m.sq[p->qp[q]->rx_sq.idx].db, p->depth - 1); /* every pair's buffers posted */
    }
}

static void test_multiqueue(void)
{
    /* 4 CPUs, 9 MSI-X entries, memory for 8 pairs, a device with 8
     * queues each way: 4 pairs, one per CPU. */
    qp_mem = 8;
    cpus = 4;
    msix_entries = 9;
    model_init();
    CHECK_EQ(port_init(), 0);
    check_pairs(4);
    CHECK_EQ(m.sq_refused_over_max, 0);
    for (unsigned q = 0; q < 4; q++)
        traffic_q(q, DEPTH + 3); /* a lap and more on every ring */
    /* Interleaved: frames waiting on every receive queue at once, each
     * poll takes only its own. */
    uint8_t f[200];
    for (unsigned q = 0; q < 4; q++) {
        make_frame(f, sizeof(f), q);
        CHECK(em_rx_frame_q(&m, q, f, sizeof(f), 0));
        CHECK(em_rx_frame_q(&m, q, f, sizeof(f), 0));
    }
    for (unsigned q = 0; q < 4; q++) {
        got_n = 0;
        CHECK_EQ(ena_port_rx_poll(p, q, on_rx, NULL), 2);
        make_frame(f, sizeof(f), q);
        CHECK(memcmp(got, f, sizeof(f)) == 0);
    }
    CHECK_EQ(m.protocol_errors, 0);
    /* The watchdog's reset rebuilds every pair, and every pair carries. */
    m.clock_ns += 7000000000ull;
    struct ena_aenq_events ev;
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_KEEP_ALIVE_TO);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK_EQ(m.last_reset_reason, ENA_RESET_KEEP_ALIVE_TO);
    check_pairs(4);
    for (unsigned q = 0; q < 4; q++)
        traffic_q(q, 5);
    /* A stall on one pair only (pair 2's queue no longer consumed) is
     * found and resets the whole device. */
    m.sq[p->qp[2]->tx_sq.idx].used = false;
    CHECK_EQ(ena_port_xmit(p, 2, f, 100), 0);
    traffic_q(1, 2);
    m.clock_ns += 6000000000ull;
    em_aenq_post(&m, ENA_AENQ_KEEP_ALIVE, 0, false);
    CHECK(ena_port_service(p, &ev));
    CHECK_EQ(p->com.reset_reason, ENA_RESET_MISS_TX_CMPL);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    CHECK(p->tx_lost >= 1);
    check_pairs(4);
    traffic_q(2, 3);
    /* A transmit completion on pair 1 naming an id in flight only on pair
     * 0: pairs do not share ids; a reset. */
    CHECK_EQ(ena_port_xmit(p, 0, f, 100), 0); /* completed by the model at once */
    m.sq[p->qp[0]->tx_sq.idx].used = false;   /* the next stays in flight */
    int id = ena_tx_reserve(&p->qp[0]->tx);
    CHECK_EQ(ena_port_xmit(p, 0, f, 100), 0);
    CHECK(id >= 0 && p->qp[0]->tx.busy[id]);
    m.sq[p->qp[0]->tx_sq.idx].used = true;
    CHECK_EQ(em_find_sq_n(&m, ENA_SQ_DIR_TX, 1), p->qp[1]->tx_sq.idx);
    em_tx_raw_q(&m, 1, (uint16_t)id, false);
    CHECK_EQ(ena_port_tx_reclaim(p, 1), 0);
    CHECK_EQ(p->qp[1]->tx.bad, 1);
    CHECK(p->com.reset_wanted);
    CHECK_EQ(p->com.reset_reason, ENA_RESET_INV_TX_REQ_ID);
    CHECK_EQ(ena_port_up(p, p->com.reset_reason), 0);
    check_pairs(4);

    /* More CPUs than the device has queues: the device's count. */
    cpus = 16;
    model_init();
    m.max_queues = 3;
    CHECK_EQ(port_init(), 0);
    check_pairs(3);
    CHECK_EQ(m.sq_refused_over_max, 0);
    for (unsigned q = 0; q < 3; q++)
        traffic_q(q, 3);
    /* ...and the cap, however many the device offers. */
    model_init();
    m.max_queues = 0xffffffffu;
    CHECK_EQ(port_init(), 0);
    check_pairs(ENA_QP_MAX);
    traffic_q(ENA_QP_MAX - 1, 3);
    /* A device offering none at all is not used. */
    model_init();
    m.max_queues = 0;
    CHECK_EQ(port_init(), -EIO);
    CHECK_EQ(em_count_sq(&m, ENA_SQ_DIR_TX), 0);
    /* A device that offers 8 but refuses the third pair: bring-up fails
     * (the kernel driver resets and tries again), no pair is used. */
    cpus = 4;
    model_init();
    CHECK_EQ(port_init(), 0);
    check_pairs(4);
    m.sq_limit = 2;
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), -EIO);
    CHECK_EQ(p->nqp, 0);
    CHECK(!p->up);
    CHECK_EQ(ena_port_xmit(p, 0, f, 100), -EBUSY);
    CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 0);
    m.sq_limit = 0;
    CHECK_EQ(ena_port_up(p, ENA_RESET_NORMAL), 0); /* and back once it behaves */
    check_pairs(4);
    traffic_q(3, 2);

    /* LLQ with fewer device-placed queues than CPUs: pairs are held to
     * them, every transmit ring in device memory. */
    cpus = 4;
    model_init();
    m.llq = true;
    m.llq_offer.max_llq_num = 2;
    CHECK_EQ(port_init(), 0);
    check_pairs(2);
    CHECK(m.sq[p->qp[0]->tx_sq.idx].llq && m.sq[p->qp[1]->tx_sq.idx].llq);
    unsigned before = m.llq_frames;
    traffic_q(0, DEPTH + 1);
    traffic_q(1, DEPTH + 1);
    CHECK_EQ(m.llq_frames - before, 2 * (DEPTH + 1));
    CHECK_EQ(m.protocol_errors, 0);
    qp_mem = 1;
    cpus = 1;
    msix_entries = 2;
}

static void test_fewer_vectors(void)
{
    /* The rule itself. */
    CHECK_EQ(ena_port_pairs(4, 8, 0, 8, 9), 4);
    CHECK_EQ(ena_port_pairs(4, 8, 0, 8, 3), 2);  /* admin + 2 */
    CHECK_EQ(ena_port_pairs(4, 8, 0, 8, 2), 1);
    CHECK_EQ(ena_port_pairs(4, 8, 0, 8, 1), 1);  /* admin only: one pair, polled */
    CHECK_EQ(ena_port_pairs(4, 8, 0, 8, 0), 1);  /* no MSI-X */
    CHECK_EQ(ena_port_pairs(0, 8, 0, 8, 9), 1);  /* CPU count unknown */
    CHECK_EQ(ena_port_pairs(64, 128, 0, 64, 2048), ENA_QP_MAX);
    CHECK_EQ(ena_port_pairs(4, 8, 3, 8, 9), 3);  /* LLQ queues */
    CHECK_EQ(ena_port_pairs(4, 8, 0, 2, 9), 2);  /* memory */
    CHECK_EQ(ena_port_pairs(4, 0, 0, 8, 9), 0);
    CHECK_EQ(ena_port_pairs(4, 8, 0, 0, 9), 0);
    /* A device with 8 queues, 4 CPUs, but only 3 MSI-X entries: 2 pairs,
     * on entries 1 and 2. */
    qp_mem = 4;
    cpus = 4;
    msix_entries = 3;
    model_init();
    CHECK_EQ(port_init(), 0);
    check_pairs(2);
    traffic_q(0, 3);
    traffic_q(1, 3);
    /* Pairs the port has memory for but did not create: whatever the
     * device writes there (valid-looking completions in the right phase)
     * is never read, and the calls for them do nothing. */
    struct ena_qp *ghost = p->qp[3];
    volatile struct ena_rx_cdesc *rc = &ghost->rx.cq[0];
    rc->status = ENA_RXC_PHASE | ENA_RXC_FIRST | ENA_RXC_LAST;
    rc->length = 100;
    rc->req_id = 0;
    ghost->tx.cq[0].flags = 1;
    ghost->tx.cq[0].req_id = 0;
    unsigned unmasks = 0;
    for (int i = 0; i < EM_QUEUES; i++)
        unmasks += m.cq[i].unmasks;
    got_n = 0;
    CHECK_EQ(ena_port_rx_poll(p, 3, on_rx, NULL), 0);
    CHECK_EQ(ena_port_rx_poll(p, 2, on_rx, NULL), 0);
    CHECK_EQ(ena_port_rx_poll(p, 1000, on_rx, NULL), 0);
    CHECK_EQ(ena_port_tx_reclaim(p, 3), 0);
    CHECK_EQ(ena_port_tx_reclaim(p, 1000), 0);
    uint8_t f[100];
    make_frame(f, sizeof(f), 1);
    CHECK_EQ(ena_port_xmit(p, 3, f, sizeof(f)), -EBUSY);
    CHECK_EQ(ena_port_xmit(p, 2, f, sizeof(f)), -EBUSY);
    ena_port_unmask(p, 3);
    unsigned unmasks_after = 0;
    for (int i = 0; i < EM_QUEUES; i++)
        unmasks_after += m.cq[i].unmasks;
    CHECK_EQ(unmasks_after, unmasks);
    CHECK_EQ(got_n, 0);
    CHECK_EQ(ghost->rx.cq_head + ghost->tx.cq_head + ghost->rx.bad + ghost->tx.bad, 0);
    CHECK(!p->com.reset_wanted);
    CHECK_EQ(m.protocol_errors, 0);
    /* Admin entry only, or no MSI-X: one pair. */
    msix_entries = 1;
    model_init();
    CHECK_EQ(port_init(), 0);
    check_pairs(1);
    traffic_q(0, 3);
    msix_entries = 0;
    model_init();
    CHECK_EQ(port_init(), 0);
    check_pairs(1);
    /* No memory for any pair: refused before the device is touched. */
    qp_mem = 0;
    msix_entries = 9;
    model_init();
    CHECK_EQ(port_init(), -EINVAL);
    CHECK_EQ(m.resets, 0);
    qp_mem = 1;
    cpus = 1;
    msix_entries = 2;
}

/* One frame into pair 0 with these status bits; whether it reached the
 * stack. */
static bool rx_with(uint32_t status_bits)
{
    uint8_t f[300];
    make_frame(f, sizeof(f), status_bits);
    got_n = 0;
    CHECK(em_rx_frame_q(&m, 0, f, sizeof(f), status_bits));
    unsigned n = ena_port_rx_poll(p, 0, on_rx, NULL);
    CHECK_EQ(n, got_n);
    return got_n == 1;
}

#define IPV4 ENA_L3_PROTO_IPV4
#define IPV6 ((uint32_t)ENA_L3_PROTO_IPV6)
#define TCP ((uint32_t)ENA_L4_PROTO_TCP << 8)
#define UDP ((uint32_t)ENA_L4_PROTO_UDP << 8)
#define L3E ENA_RXC_L3_CSUM_ERR
#define L4E ENA_RXC_L4_CSUM_ERR
#define L4C ENA_RXC_L4_CSUM_CHECKED

/* Receive checksum offload: the device's verdicts are honoured for the
 * checks it offered; frames it found bad are dropped and counted, and
 * their buffers come back. Transmit offloads are recorded, never used. */
static void test_offloads(void)
{
    uint32_t all = ENA_OFFLOAD_RX_L3_IPV4 | ENA_OFFLOAD_RX_L4_IPV4 | ENA_OFFLOAD_RX_L4_IPV6;
    /* The rule. */
    CHECK(ena_rx_csum_bad(all, IPV4 | L3E));
    CHECK(!ena_rx_csum_bad(all, IPV6 | L3E));          /* IPv6 has no header sum */
    CHECK(!ena_rx_csum_bad(all, L3E));                 /* not said to be IPv4 */
    CHECK(ena_rx_csum_bad(all, IPV4 | TCP | L4E | L4C));
    CHECK(ena_rx_csum_bad(all, IPV6 | UDP | L4E | L4C));
    CHECK(!ena_rx_csum_bad(all, IPV4 | TCP | L4E));    /* not checked */
    CHECK(!ena_rx_csum_bad(all, IPV4 | UDP | L4E | L4C | ENA_RXC_IPV4_FRAG));
    CHECK(!ena_rx_csum_bad(all, IPV4 | (3u << 8) | L4E | L4C)); /* neither TCP nor UDP */
    CHECK(!ena_rx_csum_bad(all, IPV4 | TCP | L4C));
    CHECK(!ena_rx_csum_bad(ENA_OFFLOAD_RX_L3_IPV4, IPV4 | TCP | L4E | L4C));
    CHECK(!ena_rx_csum_bad(ENA_OFFLOAD_RX_L4_IPV4, IPV6 | TCP | L4E | L4C));
    CHECK(!ena_rx_csum_bad(ENA_OFFLOAD_RX_L4_IPV6, IPV4 | L3E | TCP | L4E | L4C));
    CHECK(!ena_rx_csum_bad(0, IPV4 | L3E | TCP | L4E | L4C));

    /* A device offering nothing: its checksum bits mean nothing, every
     * frame reaches the stack (which checks them itself). */
    model_init();
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->com.offload_tx, 0);
    CHECK_EQ(p->com.offload_rx, 0);
    CHECK(rx_with(IPV4 | L3E));
    CHECK(rx_with(IPV4 | TCP | L4E | L4C));
    CHECK_EQ(p->qp[0]->rx_csum_bad, 0);

    model_init();
    m.offload.tx = ENA_OFFLOAD_TX_L3_IPV4 | ENA_OFFLOAD_TX_L4_IPV4_PART | ENA_OFFLOAD_TX_L4_IPV6_PART;
    m.offload.rx_supported = all;
    CHECK_EQ(port_init(), 0);
    CHECK_EQ(p->com.offload_tx, m.offload.tx);
    CHECK_EQ(p->com.offload_rx, m.offload.rx_supported);
    unsigned nfree = p->qp[0]->rx.nfree;
    CHECK(!rx_with(IPV4 | TCP | L3E));
    CHECK(!rx_with(IPV4 | TCP | L4E | L4C));
    CHECK(!rx_with(IPV6 | UDP | L4E | L4C));
    CHECK_EQ(p->qp[0]->rx_csum_bad, 3);
    CHECK_EQ(p->qp[0]->rx_dropped, 3);
    CHECK_EQ(p->qp[0]->rx.nfree, nfree + 3); /* dropped frames' buffers are free again */
    CHECK(rx_with(IPV4 | TCP | L4C));            /* checked and good */
    CHECK(rx_with(IPV4 | TCP | L4E));            /* an error not marked checked */
    CHECK(rx_with(IPV4 | UDP | L4E | L4C | ENA_RXC_IPV4_FRAG));
    CHECK(rx_with(IPV6 | L3E));
    CHECK_EQ(p->qp[0]->rx_csum_bad, 3);
    CHECK_EQ(got_len, 300);
    /* A frame over two buffers with the error: dropped whole. */
    {
        uint8_t f[3000];
        make_frame(f, sizeof(f), 4);
        got_n = 0;
        CHECK(em_rx_frame_q(&m, 0, f, sizeof(f), IPV4 | UDP | L4E | L4C));
        CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 0);
        CHECK_EQ(got_n, 0);
        CHECK_EQ(p->qp[0]->rx_csum_bad, 4);
        /* and the next good frame over two buffers is whole */
        CHECK(em_rx_frame_q(&m, 0, f, sizeof(f), IPV4 | UDP | L4C));
        CHECK_EQ(ena_port_rx_poll(p, 0, on_rx, NULL), 1);
        CHECK_EQ(got_len, sizeof(f));
        CHECK(memcmp(got, f, sizeof(f)) == 0);
    }
    /* Only the L3 check offered: L4 verdicts ignored. */
    model_init();
    m.offload.rx_supported = ENA_OFFLOAD_RX_L3_IPV4;
    CHECK_EQ(port_init(), 0);
    CHECK(rx_with(IPV4 | TCP | L4E | L4C));
    CHECK(!rx_with(IPV4 | L3E));
    CHECK_EQ(p->qp[0]->rx_csum_bad, 1);
    /* Per pair: a bad frame on pair 1 is counted there. */
    qp_mem = 2;
    cpus = 2;
    msix_entries = 3;
    model_init();
    m.offload.rx_supported = all;
    CHECK_EQ(port_init(), 0);
    {
        uint8_t f[100];
        make_frame(f, sizeof(f), 2);
        CHECK(em_rx_frame_q(&m, 1, f, sizeof(f), IPV4 | L3E));
        got_n = 0;
        CHECK_EQ(ena_port_rx_poll(p, 1, on_rx, NULL), 0);
        CHECK_EQ(p->qp[1]->rx_csum_bad, 1);
        CHECK_EQ(p->qp[0]->rx_csum_bad, 0);
    }
    traffic_q(1, 4);
    CHECK_EQ(m.protocol_errors, 0);
    qp_mem = 1;
    cpus = 1;
    msix_entries = 2;
}

int main(void)
{
    test_bringup_and_traffic();
    test_direct_registers_and_multi_buffer();
    test_admin_unknown_ids_and_phase();
    test_admin_refusals_and_bad_answers();
    test_readless_and_reset_handshake();
    test_aenq();
    test_hostile_tx();
    test_hostile_rx();
    test_llq();
    test_offloads();
    test_multiqueue();
    test_fewer_vectors();
    return check_report("test_ena");
}
