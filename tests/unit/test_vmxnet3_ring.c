/* VMXNET3 ring logic (drivers/vmw/vmxnet3_ring.c) against a device model
 * that plays by the rules for laps of both rings, then one that does not:
 * flipped generation bits, completions for descriptors never posted or
 * completed twice, unknown queue ids, lengths past the buffer, a
 * completion ring written past what was posted, broken frame sequences. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "errno.h"
#include "vmxnet3_ring.h"

#define TXN 32
#define R1 32
#define R2 32

static struct vmx_desc txr[TXN], txc[TXN], rxr[2][32], rxc[R1 + R2];
static struct vmx_txq tx;
static struct vmx_rxq rx;
static uint64_t addrs[2][32];
static bool owned[2][32];
static uint8_t gens[2][32];
/* device state */
static uint32_t dtx_next, dtx_gen, dtc_next, dtc_gen;
static uint32_t drx_next[2], drx_gen[2], drc_next, drc_gen;

static void setup(void)
{
    memset(txr, 0, sizeof(txr));
    memset(txc, 0, sizeof(txc));
    memset(rxr, 0, sizeof(rxr));
    memset(rxc, 0, sizeof(rxc));
    memset(&tx, 0, sizeof(tx));
    memset(&rx, 0, sizeof(rx));
    tx.ring = txr;
    tx.comp = txc;
    tx.size = tx.comp_size = TXN;
    vmx_txq_init(&tx);
    for (unsigned k = 0; k < 2; k++) {
        rx.r[k].ring = rxr[k];
        rx.r[k].size = 32;
        rx.r[k].buf_len = 2048;
        rx.r[k].addr = addrs[k];
        rx.r[k].owned = owned[k];
        rx.r[k].posted_gen = gens[k];
        for (unsigned i = 0; i < 32; i++)
            addrs[k][i] = 0x100000u * (k + 1) + i * 2048u;
    }
    rx.qid = 0;
    rx.nqueues = 1;
    rx.comp = rxc;
    rx.comp_size = R1 + R2;
    vmx_rxq_init(&rx);
    dtx_next = dtc_next = drc_next = 0;
    dtx_gen = dtc_gen = drc_gen = 1;
    drx_next[0] = drx_next[1] = 0;
    drx_gen[0] = drx_gen[1] = 1;
}

/* Device tx: consume every descriptor it owns, complete each. */
static int device_tx(void)
{
    int n = 0;
    while (!!(txr[dtx_next].w[2] & VMX_TXD_GEN) == dtx_gen) {
        CHECK(txr[dtx_next].w[3] & VMX_TXD_EOP);
        struct vmx_desc *c = &txc[dtc_next];
        c->w[0] = dtx_next;
        c->w[3] = (VMX_CDTYPE_TXCOMP << 24) | (dtc_gen ? VMX_CD_GEN : 0);
        if (++dtx_next == TXN) {
            dtx_next = 0;
            dtx_gen ^= 1;
        }
        if (++dtc_next == TXN) {
            dtc_next = 0;
            dtc_gen ^= 1;
        }
        n++;
    }
    return n;
}

/* Device rx: a frame of len bytes into ring k's next buffer (must be ours to take). */
static int device_rx(unsigned k, uint32_t len, bool sop, bool eop, uint32_t rqid_delta)
{
    struct vmx_desc *d = &rxr[k][drx_next[k]];
    if (!!(d->w[2] & VMX_RXD_GEN) != drx_gen[k])
        return -1; /* no buffer posted for us */
    CHECK_EQ(!!(d->w[2] & VMX_RXD_BTYPE_BODY), k);
    struct vmx_desc *c = &rxc[drc_next];
    c->w[0] = drx_next[k] | (eop ? 1u << 14 : 0) | (sop ? 1u << 15 : 0) | ((k + rqid_delta) << 16);
    c->w[2] = len;
    c->w[3] = (VMX_CDTYPE_RXCOMP << 24) | (drc_gen ? VMX_CD_GEN : 0);
    if (++drx_next[k] == 32) {
        drx_next[k] = 0;
        drx_gen[k] ^= 1;
    }
    if (++drc_next == R1 + R2) {
        drc_next = 0;
        drc_gen ^= 1;
    }
    return 0;
}

static void test_revision(void)
{
    CHECK_EQ(vmx_pick_revision(0x1, 0x1), 1);
    CHECK_EQ(vmx_pick_revision(0x7f, 0x1), 1);
    CHECK_EQ(vmx_pick_revision(0x7f, 0x7), 3);
    CHECK_EQ(vmx_pick_revision(0x6, 0x1), 0);
    CHECK_EQ(vmx_pick_revision(0, 0xffffffffu), 0);
    CHECK_EQ(vmx_pick_revision(0x80000000u, 0xffffffffu), 32);
}

static void test_tx_laps(void)
{
    setup();
    CHECK_EQ(vmx_tx_complete(&tx), -EAGAIN);
    int total = 0;
    for (int lap = 0; lap < 5; lap++) {
        for (int i = 0; i < 20; i++)
            CHECK(vmx_tx_post(&tx, 0x1000 + (uint64_t)i, 60 + (uint32_t)i) >= 0);
        CHECK_EQ(device_tx(), 20);
        int got;
        while ((got = vmx_tx_complete(&tx)) >= 0)
            total++;
        CHECK_EQ(got, -EAGAIN);
    }
    CHECK_EQ(total, 100);
    CHECK_EQ(tx.in_flight, 0);
    CHECK_EQ(tx.bad, 0);
    /* Full ring; zero and oversized lengths refused. */
    for (int i = 0; i < TXN; i++)
        CHECK(vmx_tx_post(&tx, 0x2000, 100) >= 0);
    CHECK_EQ(vmx_tx_post(&tx, 0x2000, 100), -EBUSY);
    setup();
    CHECK_EQ(vmx_tx_post(&tx, 0x2000, 0), -EBUSY);
    CHECK_EQ(vmx_tx_post(&tx, 0x2000, 1u << 14), -EBUSY);
}

static void test_tx_hostile(void)
{
    setup();
    CHECK_EQ(vmx_tx_post(&tx, 0x1000, 100), 0);
    /* A completion with the wrong gen is not ours yet. */
    txc[0].w[0] = 0;
    txc[0].w[3] = 0;
    CHECK_EQ(vmx_tx_complete(&tx), -EAGAIN);
    /* Index never posted, index past the ring, wrong type, then a real one twice. */
    txc[0].w[0] = 5;
    txc[0].w[3] = VMX_CD_GEN;
    txc[1].w[0] = 0xfff;
    txc[1].w[3] = VMX_CD_GEN;
    txc[2].w[0] = 0;
    txc[2].w[3] = VMX_CD_GEN | (3u << 24);
    txc[3].w[0] = 0;
    txc[3].w[3] = VMX_CD_GEN;
    txc[4].w[0] = 0;
    txc[4].w[3] = VMX_CD_GEN;
    CHECK_EQ(vmx_tx_complete(&tx), -EIO);
    CHECK_EQ(vmx_tx_complete(&tx), -EIO);
    CHECK_EQ(vmx_tx_complete(&tx), -EIO);
    CHECK_EQ(vmx_tx_complete(&tx), 0);
    CHECK_EQ(vmx_tx_complete(&tx), -EIO);
    CHECK_EQ(tx.bad, 4);
    CHECK_EQ(tx.in_flight, 0);
    /* A completion ring overrun: the device writes a whole lap of
     * completions with the current gen for one frame in flight. */
    setup();
    CHECK_EQ(vmx_tx_post(&tx, 0x1000, 100), 0);
    for (int i = 0; i < TXN; i++) {
        txc[i].w[0] = 0;
        txc[i].w[3] = VMX_CD_GEN;
    }
    int ok = 0, bad = 0, r;
    while ((r = vmx_tx_complete(&tx)) != -EAGAIN) {
        if (r >= 0)
            ok++;
        else
            bad++;
    }
    CHECK_EQ(ok, 1);
    CHECK_EQ(bad, TXN - 1);
}

static void test_rx_laps(void)
{
    setup();
    struct vmx_rx_result res;
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_NONE);
    int frames = 0;
    for (int i = 0; i < 200; i++) {
        CHECK_EQ(device_rx(0, 60 + (uint32_t)i, true, true, 0), 0);
        CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BUF);
        CHECK_EQ(res.ring, 0);
        CHECK_EQ(res.len, 60 + (uint32_t)i);
        CHECK(res.repost);
        vmx_rx_repost(&rx, res.ring, res.idx);
        frames++;
    }
    CHECK_EQ(frames, 200);
    /* Ring 2 (body buffers) too; and a ring the driver has not refilled is empty. */
    for (int i = 0; i < 32; i++)
        CHECK_EQ(device_rx(1, 100, true, true, 0), 0);
    CHECK_EQ(device_rx(1, 100, true, true, 0), -1);
    for (int i = 0; i < 32; i++) {
        CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BUF);
        CHECK_EQ(res.ring, 1);
    }
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_NONE);
    CHECK_EQ(device_rx(1, 100, true, true, 0), -1);
    vmx_rx_repost(&rx, 1, 0);
    vmx_rx_repost(&rx, 1, 0); /* twice: no effect */
    CHECK_EQ(device_rx(1, 100, true, true, 0), 0);
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BUF);
    CHECK_EQ(rx.bad, 0);
}

static void test_rx_hostile(void)
{
    setup();
    struct vmx_rx_result res;
    /* Length past the buffer: refused, but the buffer comes back. */
    CHECK_EQ(device_rx(0, 2049, true, true, 0), 0);
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BAD);
    CHECK(res.repost);
    CHECK(strstr(res.why, "length") != NULL);
    vmx_rx_repost(&rx, res.ring, res.idx);
    /* Unknown queue id: nothing of ours. */
    CHECK_EQ(device_rx(0, 100, true, true, 5), 0);
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BAD);
    CHECK(!res.repost);
    /* The same descriptor completed twice. */
    rxc[2] = rxc[1];
    rxc[2].w[0] = (rxc[2].w[0] & ~0xfffu) | 0; /* index 0 was reposted: fine once */
    rxc[2].w[0] = (rxc[2].w[0] & ~(0x3ffu << 16));
    drc_next = 3;
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BUF);
    rxc[3] = rxc[2];
    drc_next = 4;
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BAD);
    CHECK(!res.repost);
    CHECK(strstr(res.why, "not posted") != NULL);
    /* Index past the ring; wrong type. */
    rxc[4].w[0] = 0xfff;
    rxc[4].w[3] = VMX_CD_GEN;
    rxc[5].w[0] = 2;
    rxc[5].w[3] = VMX_CD_GEN | (0x7fu << 24);
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BAD);
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_BAD);
    /* A flipped gen bit: not ours, nothing consumed. */
    rxc[6].w[0] = 2;
    rxc[6].w[3] = 0;
    CHECK_EQ(vmx_rx_next(&rx, &res), VMX_RX_NONE);
    CHECK_EQ(rx.comp_next, 6);
    CHECK_EQ(rx.bad, 5);
    /* A completion ring overrun: a whole lap with our gen, all naming
     * buffer 2 (entries 0-5, written with the other gen, belong to the next
     * lap): one is taken, the rest refused; the walk stops after one lap. */
    for (unsigned i = 0; i < R1 + R2; i++) {
        rxc[i].w[0] = 2 | 3u << 14;
        rxc[i].w[2] = 64;
        rxc[i].w[3] = (rx.comp_gen ^ (i < 6 ? 1u : 0u)) ? VMX_CD_GEN : 0;
    }
    int good = 0, bad = 0;
    enum vmx_rx_kind k;
    while ((k = vmx_rx_next(&rx, &res)) != VMX_RX_NONE)
        k == VMX_RX_BUF ? good++ : bad++;
    CHECK_EQ(good, 1);
    CHECK_EQ(bad, R1 + R2 - 1);
    CHECK_EQ(rx.comp_next, 6);
}

static void test_frames(void)
{
    uint8_t buf[1518], data[2048];
    memset(data, 0xab, sizeof(data));
    struct vmx_frame f = { buf, sizeof(buf), 0, false, false, 0 };
    struct vmx_rx_result a = { 0, 0, true, 1000, true, false, false, NULL };
    struct vmx_rx_result b = { 0, 1, true, 514, false, true, false, NULL };
    CHECK_EQ(vmx_frame_add(&f, &a, data), 0);
    CHECK_EQ(vmx_frame_add(&f, &b, data), 1514);
    /* A body with no start; too long; an error flag; a start mid-frame. */
    CHECK_EQ(vmx_frame_add(&f, &b, data), -1);
    CHECK_EQ(f.drops, 1);
    struct vmx_rx_result big = { 0, 0, true, 1000, true, false, false, NULL };
    CHECK_EQ(vmx_frame_add(&f, &big, data), 0);
    big.sop = false;
    CHECK_EQ(vmx_frame_add(&f, &big, data), 0);
    big.eop = true;
    CHECK_EQ(vmx_frame_add(&f, &big, data), -1);
    CHECK_EQ(f.drops, 2);
    struct vmx_rx_result e = { 0, 0, true, 60, true, true, true, NULL };
    CHECK_EQ(vmx_frame_add(&f, &e, data), -1);
    CHECK_EQ(f.drops, 3);
    CHECK_EQ(vmx_frame_add(&f, &a, data), 0);
    struct vmx_rx_result whole = { 0, 0, true, 60, true, true, false, NULL };
    CHECK_EQ(vmx_frame_add(&f, &whole, data), 60);
    CHECK_EQ(f.drops, 4);
}

int main(void)
{
    test_revision();
    test_tx_laps();
    test_tx_hostile();
    test_rx_laps();
    test_rx_hostile();
    test_frames();
    return check_report("test_vmxnet3_ring");
}
