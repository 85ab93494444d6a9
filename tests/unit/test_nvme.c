/* NVMe pure logic against a hostile controller: completion entries with
 * stale phases, wrong queue ids, SQ heads outside the window, unknown and
 * repeated command ids; PRP lists; CAP and IDENTIFY pages that lie. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "errno.h"
#include "../../drivers/nvme/nvme_queue.h"

#define DEPTH 8

static struct nvme_sqe sq[DEPTH];
static struct nvme_cqe cq[DEPTH];
static struct nvme_slot slots[DEPTH - 1];
static struct nvme_qpair q;

/* The controller's side of the CQ: where it writes next, with which phase. */
static unsigned ctl_tail;
static uint16_t ctl_phase = 1;

static void post(uint16_t cid, uint16_t sqid, uint16_t sq_head, uint16_t status)
{
    cq[ctl_tail] = (struct nvme_cqe){ 0x1234, 0, sq_head, sqid, cid, (uint16_t)(status << 1 | ctl_phase) };
    if (++ctl_tail == DEPTH) {
        ctl_tail = 0;
        ctl_phase ^= 1;
    }
}

static void fresh(void)
{
    nvme_qp_init(&q, 1, DEPTH, sq, cq, slots);
    ctl_tail = 0;
    ctl_phase = 1;
}

static int submit(void *cookie, uint64_t deadline)
{
    int cid = nvme_qp_reserve(&q);
    if (cid < 0)
        return cid;
    struct nvme_sqe cmd = { .cdw0 = 0x02, .nsid = 1 };
    nvme_qp_push(&q, (uint16_t)cid, &cmd, cookie, deadline);
    return cid;
}

static int tok[64];

static int reserve_push(void *cookie, uint64_t deadline, uint32_t tag)
{
    int cid = nvme_qp_reserve(&q);
    if (cid < 0)
        return cid;
    struct nvme_sqe cmd = { .cdw0 = 0x02, .nsid = 1, .cdw10 = tag };
    nvme_qp_push(&q, (uint16_t)cid, &cmd, cookie, deadline);
    return cid;
}

static void test_normal_and_wrap(void)
{
    fresh();
    struct nvme_done d;
    CHECK_EQ(nvme_qp_reap(&q, &d), 0); /* empty ring: phase 0 entries are old */
    /* Three laps of the ring, completions out of order within a batch. */
    for (int lap = 0; lap < 3 * DEPTH; lap += 3) {
        int a = submit(&tok[0], 0), b = submit(&tok[1], 0), c = submit(&tok[2], 0);
        CHECK(a >= 0 && b >= 0 && c >= 0);
        CHECK_EQ(sq[(q.sq_tail + DEPTH - 1) % DEPTH].cdw0 >> 16, c);
        post((uint16_t)c, 1, q.sq_tail, 0);
        post((uint16_t)a, 1, q.sq_tail, 0);
        post((uint16_t)b, 1, q.sq_tail, 0x02 /* invalid field */);
        CHECK_EQ(nvme_qp_reap(&q, &d), 1);
        CHECK(d.cookie == &tok[2] && d.freed && d.status == 0 && d.dw0 == 0x1234);
        CHECK_EQ(nvme_qp_reap(&q, &d), 1);
        CHECK(d.cookie == &tok[0]);
        CHECK_EQ(nvme_qp_reap(&q, &d), 1);
        CHECK(d.cookie == &tok[1] && nvme_status_errno(d.status) == -EINVAL);
        CHECK_EQ(nvme_qp_reap(&q, &d), 0);
        CHECK_EQ(q.in_flight, 0);
    }
    CHECK_EQ(q.errors, 0);
}

static void test_hostile_entries(void)
{
    fresh();
    struct nvme_done d;
    int a = submit(&tok[0], 0), b = submit(&tok[1], 0);
    /* Wrong SQ id, cid out of range, cid not in flight, SQ head past our
     * tail, SQ head beyond the ring: each consumed, refused, counted. */
    post((uint16_t)a, 2, 2, 0);
    post(DEPTH - 1, 1, 2, 0);
    post(5, 1, 2, 0);
    post((uint16_t)a, 1, 3, 0);
    post((uint16_t)a, 1, 0xffff, 0);
    for (int i = 0; i < 5; i++) {
        CHECK_EQ(nvme_qp_reap(&q, &d), 1);
        CHECK(d.cookie == NULL && !d.freed);
    }
    CHECK_EQ(q.errors, 5);
    CHECK_EQ(q.in_flight, 2);
    /* The real completion still lands; a repeat of it is refused. */
    post((uint16_t)a, 1, 1, 0);
    post((uint16_t)a, 1, 1, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == &tok[0]);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == NULL);
    CHECK_EQ(q.errors, 6);
    /* A stale-phase entry at the head is not consumed, whatever it says. */
    cq[q.cq_head] = (struct nvme_cqe){ 0, 0, 2, 1, (uint16_t)b, (uint16_t)(ctl_phase ^ 1) };
    CHECK_EQ(nvme_qp_reap(&q, &d), 0);
    post((uint16_t)b, 1, 2, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == &tok[1]);
    CHECK_EQ(q.in_flight, 0);
}

static void test_full_and_head(void)
{
    fresh();
    for (int i = 0; i < DEPTH - 1; i++)
        CHECK(submit(&tok[i], 0) >= 0);
    CHECK_EQ(submit(&tok[9], 0), -EBUSY);
    struct nvme_done d;
    /* The controller completes one but reports the SQ head unmoved: the id
     * is free, yet the ring looks full, so no new command goes in. */
    post(0, 1, 0, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == &tok[0]);
    CHECK_EQ(submit(&tok[9], 0), -EBUSY);
    post(1, 1, 7, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    int cid = submit(&tok[9], 0);
    CHECK(cid >= 0);
    /* reserve then unreserve leaves nothing behind */
    int r = nvme_qp_reserve(&q);
    CHECK(r >= 0);
    nvme_qp_unreserve(&q, (uint16_t)r);
    CHECK_EQ(q.in_flight, 6);
    CHECK_EQ(q.unpushed, 0);
}

static int cancelled[64];

static void on_cancel(void *cookie, uint16_t cid, void *arg)
{
    (void)cid;
    (void)arg;
    cancelled[(int *)cookie - tok]++;
}

static void test_expiry_abandon_cancel(void)
{
    fresh();
    int a = submit(&tok[0], 100), b = submit(&tok[1], 300), c = submit(&tok[2], 0);
    (void)c;
    uint16_t ids[4];
    CHECK_EQ(nvme_qp_expired(&q, 50, ids, 4), 0);
    CHECK_EQ(nvme_qp_expired(&q, 200, ids, 4), 1);
    CHECK_EQ(ids[0], a);
    CHECK_EQ(nvme_qp_expired(&q, 400, ids, 1), 1);
    /* An abandoned command never expires and its late completion is dropped
     * but frees the id. */
    nvme_qp_abandon(&q, (uint16_t)a);
    CHECK_EQ(nvme_qp_expired(&q, 400, ids, 4), 1);
    CHECK_EQ(ids[0], b);
    struct nvme_done d;
    post((uint16_t)a, 1, 1, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == NULL && d.freed);
    memset(cancelled, 0, sizeof(cancelled));
    int x = submit(&tok[3], 0);
    nvme_qp_abandon(&q, (uint16_t)x);
    CHECK_EQ(nvme_qp_cancel(&q, on_cancel, NULL), 3);
    CHECK(cancelled[1] == 1 && cancelled[2] == 1 && cancelled[3] == 0 && cancelled[0] == 0);
    CHECK_EQ(q.in_flight, 0);
    nvme_qp_reset(&q);
    ctl_tail = 0;
    ctl_phase = 1;
    CHECK(submit(&tok[4], 0) >= 0);
    CHECK_EQ(q.sq_tail, 1);
    /* After the reset the old completion entries are gone. */
    CHECK_EQ(nvme_qp_reap(&q, &d), 0);
}

/* A controller reset: the commands in flight are taken with their
 * contents, the rings emptied, and each sent again under its own id (its
 * PRP list page is per id); the second sending completes normally. */
static void test_take_and_resubmit(void)
{
    fresh();
    int a = reserve_push(&tok[0], 100, 0x111), b = reserve_push(&tok[1], 100, 0x222);
    int x = reserve_push(&tok[2], 100, 0x333);
    nvme_qp_abandon(&q, (uint16_t)x); /* no waiter: dropped by the reset */
    struct nvme_done d;
    post((uint16_t)a, 1, 1, 0); /* a completed before the reset: not taken */
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    struct nvme_inflight t[8];
    unsigned freed = 0;
    CHECK_EQ(nvme_qp_take(&q, t, 8, &freed), 1);
    CHECK_EQ(freed, 2);
    CHECK_EQ(t[0].cid, b);
    CHECK(t[0].cookie == &tok[1]);
    CHECK_EQ(t[0].cmd.cdw10, 0x222);
    CHECK_EQ(t[0].cmd.cdw0 >> 16, b);
    CHECK_EQ(q.in_flight, 0);
    CHECK_EQ(q.sq_tail, 0);
    ctl_tail = 0;
    ctl_phase = 1;
    CHECK_EQ(nvme_qp_resubmit(&q, &t[0], 500), 0);
    CHECK_EQ(nvme_qp_resubmit(&q, &t[0], 500), -EBUSY); /* its id is busy again */
    CHECK_EQ(sq[0].cdw10, 0x222);
    CHECK_EQ(sq[0].cdw0 >> 16, b);
    CHECK_EQ(q.in_flight, 1);
    CHECK_EQ(q.unpushed, 0);
    post((uint16_t)b, 1, 1, 0);
    CHECK_EQ(nvme_qp_reap(&q, &d), 1);
    CHECK(d.cookie == &tok[1] && d.freed && d.status == 0);
    /* An id out of range is refused. */
    struct nvme_inflight bad = t[0];
    bad.cid = DEPTH;
    CHECK_EQ(nvme_qp_resubmit(&q, &bad, 500), -EBUSY);
    /* Reporting late commands moves their deadline, once per period. */
    int c = reserve_push(&tok[3], 100, 0x444);
    (void)c;
    CHECK_EQ(nvme_qp_extend_expired(&q, 150, 1000), 1);
    CHECK_EQ(nvme_qp_extend_expired(&q, 150, 1000), 0);
    CHECK_EQ(nvme_qp_extend_expired(&q, 1001, 2000), 1);
}

static void test_status(void)
{
    CHECK_EQ(nvme_status_errno(0), 0);
    CHECK_EQ(nvme_status_errno(0x80), -EINVAL);
    CHECK_EQ(nvme_status_errno(0x07), -ETIMEDOUT);
    CHECK_EQ(nvme_status_errno(0x1 << 8 | 0x20), -EROFS);
    CHECK_EQ(nvme_status_errno(0x2 << 8 | 0x81), -EIO); /* media error */
    CHECK_EQ(nvme_status_errno(0x7fff), -EIO);
}

/* Scattered pages: virtual page n lives at device page 0x100000 + 7n;
 * page 13 is unmapped. */
static uint64_t scatter(void *ctx, uint64_t va)
{
    (void)ctx;
    uint64_t page = va / NVME_PAGE;
    if (page == 13)
        return ~0ull;
    return (0x100000 + 7 * page) * NVME_PAGE + va % NVME_PAGE;
}

static void test_prp(void)
{
    uint64_t p1, p2, list[16];
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1200, 512, &p1, &p2, list, 0x9000, 16), 0);
    CHECK(p1 == scatter(NULL, 0x1200) && p2 == 0);
    /* Exactly to the end of the first page. */
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1200, 0xe00, &p1, &p2, list, 0x9000, 16), 0);
    CHECK(p2 == 0);
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1200, 0xe04, &p1, &p2, list, 0x9000, 16), 0);
    CHECK(p2 == scatter(NULL, 0x2000));
    /* Five pages: PRP2 points at a list of the four after the first. */
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1200, 4 * 4096 + 0x100, &p1, &p2, list, 0x9000, 16), 0);
    CHECK(p1 == scatter(NULL, 0x1200) && p2 == 0x9000);
    for (int i = 0; i < 4; i++)
        CHECK(list[i] == scatter(NULL, 0x2000 + 4096ull * i));
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1202, 512, &p1, &p2, list, 0x9000, 16), -EINVAL);
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1200, 0, &p1, &p2, list, 0x9000, 16), -EINVAL);
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0xc000, 3 * 4096, &p1, &p2, list, 0x9000, 16), -EFAULT);
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0xd000, 512, &p1, &p2, list, 0x9000, 16), -EFAULT);
    CHECK_EQ(nvme_prp_build(scatter, NULL, 0x1000, 18 * 4096, &p1, &p2, list, 0x9000, 16), -E2BIG);
    CHECK_EQ(nvme_prp_build(scatter, NULL, ~0ull - 100, 512, &p1, &p2, list, 0x9000, 16), -EINVAL);
}

static void test_cap(void)
{
    struct nvme_cap c;
    uint64_t nvm = 1ull << 37;
    CHECK_EQ(nvme_cap_parse(nvm | 20ull << 24 | 2047, &c), 0);
    CHECK(c.max_entries == 2048 && c.timeout_ms == 10000 && c.doorbell_stride == 4);
    CHECK_EQ(nvme_cap_parse(nvm | 2ull << 32 | 63, &c), 0);
    CHECK(c.timeout_ms == 500 && c.doorbell_stride == 16);
    CHECK_EQ(nvme_cap_parse(1ull << 44 | 63, &c), -ENODEV); /* no NVM command set */
    CHECK_EQ(nvme_cap_parse(nvm | 1ull << 48 | 63, &c), -ENODEV); /* pages of 8 KiB and up */
    CHECK_EQ(nvme_cap_parse(nvm, &c), -ENODEV);                 /* MQES 0: one entry */
}

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void test_identify(void)
{
    static uint8_t page[4096];
    struct nvme_ctrl_info ci;
    memset(page, 0, sizeof(page));
    memcpy(page + 4, "SN123               ", 20);
    memcpy(page + 24, "QEMU NVMe Ctrl\x01", 15);
    memset(page + 39, ' ', 25);
    page[77] = 5;
    page[512] = 0x66;
    page[513] = 0x44;
    put32(page + 516, 2);
    page[525] = 1;
    CHECK_EQ(nvme_id_ctrl_parse(page, &ci), 0);
    CHECK(strcmp(ci.serial, "SN123") == 0 && strcmp(ci.model, "QEMU NVMe Ctrl?") == 0);
    CHECK(ci.max_transfer == 128 * 1024 && ci.namespaces == 2 && ci.volatile_cache);
    page[77] = 0;
    CHECK_EQ(nvme_id_ctrl_parse(page, &ci), 0);
    CHECK_EQ(ci.max_transfer, 0);
    page[77] = 255;
    CHECK_EQ(nvme_id_ctrl_parse(page, &ci), 0);
    CHECK(ci.max_transfer == 1u << 31);
    page[512] = 0x77; /* demands 128-byte SQ entries */
    CHECK_EQ(nvme_id_ctrl_parse(page, &ci), -EINVAL);

    struct nvme_ns_info ni;
    memset(page, 0, sizeof(page));
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -ENOENT);
    put32(page, 1000);
    page[25] = 1;    /* two formats */
    page[26] = 1;    /* the second in use */
    put32(page + 128, 9 << 16);
    put32(page + 132, 12 << 16);
    CHECK_EQ(nvme_id_ns_parse(page, &ni), 0);
    CHECK(ni.blocks == 1000 && ni.block_size == 4096);
    page[26] = 2; /* past NLBAF */
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -EINVAL);
    page[26] = 0;
    put32(page + 128, 8 << 16); /* 256-byte blocks */
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -EINVAL);
    put32(page + 128, 17 << 16);
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -EINVAL);
    put32(page + 128, 9 << 16 | 8); /* 8 bytes of metadata per block */
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -EOPNOTSUPP);
    put32(page + 128, 16 << 16);
    memset(page, 0xff, 8); /* 2^64-1 blocks of 64 KiB */
    CHECK_EQ(nvme_id_ns_parse(page, &ni), -EINVAL);

    uint32_t ids[4];
    memset(page, 0, sizeof(page));
    put32(page, 1);
    put32(page + 4, 3);
    put32(page + 8, 3); /* repeated: the list ends */
    put32(page + 12, 4);
    CHECK_EQ(nvme_ns_list_parse(page, 8, ids, 4), 2);
    CHECK(ids[0] == 1 && ids[1] == 3);
    put32(page + 8, 9); /* beyond NN */
    CHECK_EQ(nvme_ns_list_parse(page, 8, ids, 4), 2);
    CHECK_EQ(nvme_ns_list_parse(page, 0, ids, 4), 3); /* 1, 3, 9; then 4 is out of order */
    CHECK_EQ(nvme_ns_list_parse(page, 0, ids, 1), 1);
    put32(page, 0xffffffffu);
    CHECK_EQ(nvme_ns_list_parse(page, 0, ids, 4), 0);

    CHECK_EQ(nvme_queues_granted(0x00030003, 2), 2);
    CHECK_EQ(nvme_queues_granted(0x00000003, 4), 1); /* one CQ: one pair */
    CHECK_EQ(nvme_queues_granted(0xffffffff, 0), 1);
    CHECK_EQ(nvme_queues_granted(0x00010002, 8), 2);
}

int main(void)
{
    test_normal_and_wrap();
    test_hostile_entries();
    test_full_and_head();
    test_expiry_abandon_cancel();
    test_take_and_resubmit();
    test_status();
    test_prp();
    test_cap();
    test_identify();
    return check_report("test_nvme");
}
