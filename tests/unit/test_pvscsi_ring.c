/* PVSCSI ring logic (drivers/vmw/pvscsi_ring.c) against a hostile device:
 * completions for unknown or finished contexts, lengths past the request,
 * a producer index past the ring, a consumer index ahead of what was
 * posted, message-ring overruns; plus time-outs and scatter-gather lists. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "errno.h"
#include "pvscsi_ring.h"

static struct pvscsi_rings_state state;
static struct pvscsi_req_desc req[64];
static struct pvscsi_cmp_desc cmp[128];
static struct pvscsi_msg_desc msg[64];
static struct pvscsi_ring r;

static void setup(void)
{
    memset(&state, 0, sizeof(state));
    memset(req, 0, sizeof(req));
    memset(cmp, 0, sizeof(cmp));
    memset(msg, 0, sizeof(msg));
    memset(&r, 0, sizeof(r));
    r.state = &state;
    r.req = req;
    r.cmp = cmp;
    r.msg = msg;
    r.req_entries = 64;
    r.cmp_entries = 128;
    r.msg_entries = 64;
    pvscsi_ring_init(&r, 32);
    state.req_entries_log2 = 6;
    state.cmp_entries_log2 = 7;
    state.msg_entries_log2 = 6;
}

/* The device: takes the next request and completes it with these values. */
static uint64_t device_take(void)
{
    struct pvscsi_req_desc *d = &req[state.req_cons % 64];
    state.req_cons++;
    return d->context;
}

static void device_complete(uint64_t context, uint64_t data_len, uint16_t bt, uint16_t st, uint32_t sense)
{
    struct pvscsi_cmp_desc *c = &cmp[state.cmp_prod % 128];
    memset(c, 0, sizeof(*c));
    c->context = context;
    c->data_len = data_len;
    c->host_status = bt;
    c->scsi_status = st;
    c->sense_len = sense;
    state.cmp_prod++;
}

static int submit(uint32_t len)
{
    struct pvscsi_req_desc d;
    memset(&d, 0, sizeof(d));
    int slot = pvscsi_slot_get(&r, len, 1000);
    if (slot < 0)
        return slot;
    if (pvscsi_ring_post(&r, (unsigned)slot, &d) < 0) {
        r.in_flight[slot] = false;
        return -EBUSY;
    }
    return slot;
}

static void test_normal_and_status(void)
{
    setup();
    CHECK(pvscsi_ring_sizes_ok(&r));
    state.cmp_entries_log2 = 5;
    CHECK(!pvscsi_ring_sizes_ok(&r));
    state.cmp_entries_log2 = 7;
    struct pvscsi_cmp_result res;
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_NONE);
    int s = submit(4096);
    CHECK_EQ(s, 0);
    CHECK_EQ(state.req_prod, 1);
    uint64_t ctx = device_take();
    CHECK_EQ(ctx, 1);
    device_complete(ctx, 0, PVSCSI_BTSTAT_SUCCESS, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.slot, 0);
    CHECK_EQ(res.host_status, 0);
    CHECK_EQ(res.data_len, 4096);
    CHECK_EQ(state.cmp_cons, 1);
    CHECK(!r.in_flight[0]);
    /* Short transfer with a length; with none (QEMU); with one past the request. */
    s = submit(2048);
    device_complete(device_take(), 100, PVSCSI_BTSTAT_DATARUN, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.data_len, 100);
    CHECK(!res.len_unknown);
    s = submit(2048);
    device_complete(device_take(), 0, PVSCSI_BTSTAT_DATARUN, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK(res.len_unknown);
    CHECK_EQ(res.host_status, 0);
    s = submit(512);
    device_complete(device_take(), 513, PVSCSI_BTSTAT_DATARUN, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.host_status, -EIO);
    CHECK_EQ(res.data_len, 0);
    CHECK_EQ(r.bad_lengths, 1);
    /* No such target; a check condition with sense longer than ours. */
    s = submit(96);
    device_complete(device_take(), 0, PVSCSI_BTSTAT_SELTIMEO, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.host_status, -EIO);
    s = submit(96);
    device_complete(device_take(), 0, PVSCSI_BTSTAT_SUCCESS, 2, 100000);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.scsi_status, 2);
    CHECK_EQ(res.sense_len, 96);
    s = submit(96);
    device_complete(device_take(), 0, PVSCSI_BTSTAT_SUCCESS, 0x1234, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.host_status, -EIO);
    (void)s;
}

static void test_unknown_contexts(void)
{
    setup();
    struct pvscsi_cmp_result res;
    int a = submit(512), b = submit(512);
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 1);
    device_complete(0, 0, 0, 0, 0);             /* context 0 */
    device_complete(33, 0, 0, 0, 0);            /* past the slots */
    device_complete(5, 0, 0, 0, 0);             /* a free slot */
    device_complete(~0ull, 0, 0, 0, 0);         /* nonsense */
    device_complete(2, 0, 0, 0, 0);             /* b: fine */
    device_complete(2, 0, 0, 0, 0);             /* b again */
    for (int i = 0; i < 4; i++)
        CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DROPPED);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.slot, 1);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DROPPED);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_NONE);
    CHECK_EQ(r.unknown, 5);
    CHECK(r.in_flight[0]); /* a is still waiting */
    /* After a reset, a late completion for a's context is stale even when
     * a new request has taken a's slot. */
    uint64_t old_ctx = device_take();
    CHECK_EQ(old_ctx, 1);
    CHECK_EQ(pvscsi_ring_fail_all(&r), 0x1);
    CHECK_EQ(submit(512), 0);
    device_take(); /* b */
    uint64_t new_ctx = device_take();
    CHECK(new_ctx != old_ctx);
    device_complete(old_ctx, 0, 0, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DROPPED);
    CHECK(r.in_flight[0]);
    device_complete(new_ctx, 0, 0, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    CHECK_EQ(res.slot, 0);
}

/* VMware's device keeps only the low 32 bits of a context (its upper half
 * must be 0). A model that truncates: every context we post fits, and after
 * many resets requests still complete (a reset generation in the upper half
 * made every completion unrecognised after the first reset, so the adapter
 * reset forever). */
static void test_contexts_fit_32_bits(void)
{
    setup();
    struct pvscsi_cmp_result res;
    for (unsigned reset = 0; reset < 300; reset++) {
        for (unsigned i = 0; i < 3; i++)
            CHECK(submit(512) >= 0);
        for (unsigned i = 0; i < 3; i++) {
            uint64_t ctx = device_take();
            CHECK_EQ(ctx >> 32, 0);
            device_complete((uint32_t)ctx, 0, 0, 0, 0);
            CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
        }
        CHECK(submit(512) >= 0);
        device_take(); /* in flight when the adapter resets */
        CHECK(pvscsi_ring_fail_all(&r) != 0);
    }
    CHECK_EQ(r.unknown, 0);
    /* A completion with upper bits set is not ours, whatever its low half. */
    int s = submit(512);
    CHECK(s >= 0);
    uint64_t ctx = device_take();
    device_complete(ctx | (uint64_t)1 << 40, 0, 0, 0, 0);
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DROPPED);
    CHECK(r.in_flight[s]);
}

static void test_overrun_and_full(void)
{
    setup();
    struct pvscsi_cmp_result res;
    submit(512);
    state.cmp_prod = 129; /* more than the ring holds */
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_OVERRUN);
    CHECK_EQ(r.cmp_cons, 0);
    CHECK_EQ(r.overruns, 1);
    state.cmp_prod = 0xffffffffu; /* "behind" us: also past the ring */
    CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_OVERRUN);
    /* Slots run out before the ring does; a consumer index ahead of us. */
    setup();
    for (int i = 0; i < 32; i++)
        CHECK_EQ(submit(512), i);
    CHECK_EQ(submit(512), -1);
    setup();
    state.req_cons = 5; /* nothing posted yet */
    CHECK_EQ(submit(512), -EBUSY);
    /* A ring of 64 with 64 slots: full when the device consumes nothing. */
    setup();
    pvscsi_ring_init(&r, 64);
    struct pvscsi_req_desc d;
    memset(&d, 0, sizeof(d));
    for (unsigned i = 0; i < 64; i++)
        CHECK_EQ(pvscsi_ring_post(&r, i, &d), 0);
    CHECK_EQ(pvscsi_ring_post(&r, 0, &d), -EBUSY);
    /* The wrap of the 32-bit indices is fine. */
    setup();
    r.req_prod = state.req_prod = state.req_cons = 0xfffffffeu;
    r.cmp_cons = state.cmp_cons = state.cmp_prod = 0xffffffffu;
    for (int i = 0; i < 4; i++) {
        CHECK_EQ(submit(512), 0);
        device_complete(device_take(), 0, 0, 0, 0);
        CHECK_EQ(pvscsi_ring_next_cmp(&r, 96, &res), PVSCSI_CMP_DONE);
    }
}

static void test_messages(void)
{
    setup();
    struct pvscsi_event ev;
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 0);
    msg[0].type = PVSCSI_MSG_DEV_ADDED;
    msg[0].target = 3;
    msg[0].lun[1] = 0;
    msg[1].type = PVSCSI_MSG_DEV_REMOVED;
    msg[1].target = 4;
    state.msg_prod = 2;
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 1);
    CHECK_EQ(ev.type, PVSCSI_MSG_DEV_ADDED);
    CHECK_EQ(ev.target, 3);
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 1);
    CHECK_EQ(ev.type, PVSCSI_MSG_DEV_REMOVED);
    CHECK_EQ(state.msg_cons, 2);
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 0);
    state.msg_prod = 2 + 65;
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), -EIO);
    CHECK_EQ(state.msg_cons, 67); /* resynchronised */
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 0);
    r.msg = NULL;
    state.msg_prod = 100;
    CHECK_EQ(pvscsi_ring_next_msg(&r, &ev), 0);
}

static void test_timeouts_and_sg(void)
{
    setup();
    CHECK_EQ(pvscsi_slot_get(&r, 1, 100), 0);
    CHECK_EQ(pvscsi_slot_get(&r, 1, 50), 1);
    CHECK_EQ(pvscsi_slot_get(&r, 1, 300), 2);
    CHECK_EQ(pvscsi_ring_expired(&r, 40), 0);
    CHECK_EQ(pvscsi_ring_expired(&r, 100), 0x3);
    CHECK_EQ(pvscsi_ring_fail_all(&r), 0x7);
    CHECK_EQ(pvscsi_ring_fail_all(&r), 0);
    CHECK_EQ(pvscsi_ring_expired(&r, 1000), 0);

    struct pvscsi_sg_elem sg[300];
    CHECK_EQ(pvscsi_build_sg(sg, 300, 0x10000, 4096), 1);
    CHECK_EQ(pvscsi_build_sg(sg, 300, 0x10e00, 9216), 4);
    CHECK_EQ(sg[0].addr, 0x10e00);
    CHECK_EQ(sg[0].length, 512);
    CHECK_EQ(sg[1].addr, 0x11000);
    CHECK_EQ(sg[1].length, 4096);
    CHECK_EQ(sg[3].length, 512);
    uint64_t total = 0;
    unsigned n = pvscsi_build_sg(sg, 300, 0x123, 1u << 20);
    CHECK_EQ(n, 257);
    for (unsigned i = 0; i < n; i++)
        total += sg[i].length;
    CHECK_EQ(total, 1u << 20);
    CHECK_EQ(pvscsi_build_sg(sg, 256, 0x123, 1u << 20), 0);
    CHECK_EQ(pvscsi_build_sg(sg, 0, 0x123, 0), 0);
}

int main(void)
{
    test_normal_and_status();
    test_unknown_contexts();
    test_contexts_fit_32_bits();
    test_overrun_and_full();
    test_messages();
    test_timeouts_and_sg();
    return check_report("test_pvscsi_ring");
}
