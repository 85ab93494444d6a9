/* An NVMe queue pair driven against a controller whose completion entries
 * (every field, any ring slot, any phase) come from the fuzzer, interleaved
 * with submissions, abandons, expiry scans and cancels; the tail of the
 * input is also parsed as IDENTIFY pages. Invariants: no crash or overread,
 * every command completes at most once, in_flight always equals the busy
 * ids, and the ring indices stay inside the ring. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/nvme/nvme_queue.h"

#define DEPTH 8
#define TOKENS 256

static uint64_t translate(void *ctx, uint64_t va)
{
    (void)ctx;
    return va & 0x10000 ? ~0ull : va;
}

static void drop(void *cookie, uint16_t cid, void *arg)
{
    (void)cid;
    uint8_t *state = arg;
    uintptr_t t = (uintptr_t)cookie;
    if (t == 0 || t >= TOKENS || state[t] != 1)
        abort();
    state[t] = 2;
}

static void check_invariants(const struct nvme_qpair *q)
{
    unsigned busy = 0;
    for (unsigned i = 0; i + 1 < DEPTH; i++)
        busy += q->slots[i].busy;
    if (busy != q->in_flight || q->sq_tail >= DEPTH || q->cq_head >= DEPTH || q->sq_head >= DEPTH || q->phase > 1)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct nvme_sqe sq[DEPTH];
    static struct nvme_cqe cq[DEPTH];
    static struct nvme_slot slots[DEPTH - 1];
    static struct nvme_qpair q;
    uint8_t state[TOKENS] = { 0 }; /* 0 unused, 1 in flight, 2 done */
    uintptr_t next = 1;
    nvme_qp_init(&q, 1, DEPTH, sq, cq, slots);
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        const uint8_t *op = data + i;
        struct nvme_done d;
        switch (op[0] % 6) {
        case 0: { /* submit */
            int cid = nvme_qp_reserve(&q);
            if (cid >= 0 && next < TOKENS) {
                struct nvme_sqe cmd = { .cdw0 = NVME_CMD_READ };
                nvme_qp_push(&q, (uint16_t)cid, &cmd, (void *)next, op[1]);
                state[next++] = 1;
            } else if (cid >= 0) {
                nvme_qp_unreserve(&q, (uint16_t)cid);
            }
            break;
        }
        case 1: /* the controller writes a completion entry anywhere */
            cq[op[1] % DEPTH] = (struct nvme_cqe){ op[2], 0, (uint16_t)(op[3] | op[4] << 8),
                                                   (uint16_t)(op[5] & 3), (uint16_t)(op[6] | (op[7] & 0x80) << 8),
                                                   (uint16_t)(op[7] | op[4] << 8) };
            break;
        case 2: /* reap everything that looks new */
            for (int n = 0; n < 2 * DEPTH && nvme_qp_reap(&q, &d); n++) {
                if (!d.cookie)
                    continue;
                uintptr_t t = (uintptr_t)d.cookie;
                if (t >= TOKENS || state[t] != 1)
                    abort(); /* completed twice, or never submitted */
                state[t] = 2;
            }
            break;
        case 3: { /* expiry scan, abandoning what expired */
            uint16_t ids[DEPTH];
            unsigned n = nvme_qp_expired(&q, op[1], ids, DEPTH);
            for (unsigned k = 0; k < n; k++) {
                if (ids[k] >= DEPTH - 1 || !q.slots[ids[k]].busy)
                    abort();
                uintptr_t t = (uintptr_t)q.slots[ids[k]].cookie;
                nvme_qp_abandon(&q, ids[k]);
                state[t] = 2;
            }
            break;
        }
        case 4: /* controller reset */
            if (op[1] == 0) {
                nvme_qp_cancel(&q, drop, state);
                nvme_qp_reset(&q);
            }
            break;
        case 5: { /* a PRP list for a buffer the fuzzer places */
            uint64_t p1, p2, list[8];
            uint64_t va = (uint64_t)(op[1] | op[2] << 8 | op[3] << 16) << 2;
            uint32_t n = (uint32_t)(op[4] | op[5] << 8 | (op[6] & 1) << 16);
            if (nvme_prp_build(translate, NULL, va, n, &p1, &p2, list, 0x9000, 8) == 0 && p1 != va)
                abort();
            break;
        }
        }
        check_invariants(&q);
    }
    /* What is left: IDENTIFY pages as the controller might fill them. */
    static uint8_t page[NVME_PAGE];
    memset(page, 0, sizeof(page));
    memcpy(page, data + i, len - i < sizeof(page) ? len - i : sizeof(page));
    struct nvme_ctrl_info ci;
    struct nvme_ns_info ni;
    uint32_t ids[16];
    nvme_id_ctrl_parse(page, &ci);
    if (nvme_id_ns_parse(page, &ni) == 0 && (ni.block_size < 512 || ni.block_size > 65536))
        abort();
    nvme_ns_list_parse(page, ci.namespaces, ids, 16);
    struct nvme_cap cap;
    uint64_t capv;
    memcpy(&capv, page, sizeof(capv));
    nvme_cap_parse(capv, &cap);
    return 0;
}
