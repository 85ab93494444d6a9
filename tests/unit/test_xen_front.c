/* Xen front-end logic against a simulated backend: shared-ring indices
 * (notification, a producer running past what we asked for), the checks
 * blkfront and netfront apply to each response (bad ids, slots not in
 * flight, wrong operations, unknown statuses, data outside the page), and
 * grant accounting (a grant still mapped cannot be ended or reused). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "grant_table.h"
#include "xen_front.h"
#include "xen_ring.h"

static uint8_t page[4096] __attribute__((aligned(4096)));

static void test_ring(void)
{
    struct xen_front_ring r;
    xen_ring_init(&r, page, sizeof(struct blkif_request));
    CHECK_EQ(r.size, 32); /* 112-byte entries: 32 fit after the 64-byte header */
    CHECK_EQ(r.size, __CONST_RING_SIZE(blkif, 4096)); /* as io/ring.h sizes blkif's ring */
    CHECK_EQ(xen_ring_entries(sizeof(struct netif_tx_request)), __CONST_RING_SIZE(netif_tx, 4096));
    CHECK_EQ(xen_ring_entries(sizeof(struct netif_tx_request)), 256);
    CHECK_EQ(xen_ring_entries(sizeof(struct netif_rx_request)), 256);
    CHECK_EQ((uint8_t *)xen_ring_entry(&r, 33) - (uint8_t *)xen_ring_entry(&r, 1), 0); /* wraps */
    r.req_prod_pvt = 3;
    CHECK(xen_ring_push(&r)); /* req_event 1 lies in (0, 3]: backend wants a notification */
    CHECK_EQ(r.s->req_prod, 3);
    r.s->req_event = 10;
    r.req_prod_pvt = 5;
    CHECK(!xen_ring_push(&r)); /* backend asked to be told at 10 only */
    CHECK_EQ(xen_ring_responses(&r), 0);
    r.s->rsp_prod = 2;
    CHECK_EQ(xen_ring_responses(&r), 2);
    r.s->rsp_prod = 6; /* more responses than requests: a broken backend */
    CHECK_EQ(xen_ring_responses(&r), 0);
    r.s->rsp_prod = 0xfffffff0u; /* runaway index */
    CHECK_EQ(xen_ring_responses(&r), 0);
    r.s->rsp_prod = 5;
    r.rsp_cons = 5;
    CHECK(!xen_ring_final_check(&r));
    CHECK_EQ(r.s->rsp_event, 6);
    for (int i = 0; i < 32; i++)
        r.req_prod_pvt++;
    CHECK(xen_ring_full(&r));
}

static void test_blkif_checks(void)
{
    int inflight[4] = { BLKIF_OP_READ, -1, BLKIF_OP_WRITE, BLKIF_OP_FLUSH_DISKCACHE };
    struct blkif_response ok = { .id = 0, .operation = BLKIF_OP_READ, .status = BLKIF_RSP_OKAY };
    CHECK_EQ(blkif_check_response(&ok, inflight, 4), 0);
    struct blkif_response bad_id = { .id = 4, .operation = BLKIF_OP_READ };
    CHECK_EQ(blkif_check_response(&bad_id, inflight, 4), -1);
    struct blkif_response huge_id = { .id = 1ull << 40, .operation = BLKIF_OP_READ };
    CHECK_EQ(blkif_check_response(&huge_id, inflight, 4), -1);
    struct blkif_response idle = { .id = 1, .operation = BLKIF_OP_READ }; /* nothing in flight there */
    CHECK_EQ(blkif_check_response(&idle, inflight, 4), -1);
    struct blkif_response wrong_op = { .id = 2, .operation = BLKIF_OP_READ };
    CHECK_EQ(blkif_check_response(&wrong_op, inflight, 4), -1);
    CHECK_EQ(blkif_status_errno(BLKIF_RSP_OKAY), 0);
    CHECK_EQ(blkif_status_errno(BLKIF_RSP_ERROR), -5);
    CHECK_EQ(blkif_status_errno(BLKIF_RSP_EOPNOTSUPP), -95);
    CHECK_EQ(blkif_status_errno(7), -5); /* unknown: an error, never success */
}

static void test_netif_checks(void)
{
    bool posted[4] = { true, false, true, true };
    struct netif_rx_response ok = { 0, 0, 0, 1514 };
    CHECK(netif_rx_response_ok(&ok, posted, 4, 4096));
    struct netif_rx_response at_end = { 2, 4096 - 60, 0, 60 };
    CHECK(netif_rx_response_ok(&at_end, posted, 4, 4096));
    struct netif_rx_response past_end = { 2, 4096 - 59, 0, 60 };
    CHECK(!netif_rx_response_ok(&past_end, posted, 4, 4096));
    struct netif_rx_response huge_off = { 3, 0xffff, 0, 1 };
    CHECK(!netif_rx_response_ok(&huge_off, posted, 4, 4096));
    struct netif_rx_response not_posted = { 1, 0, 0, 60 };
    CHECK(!netif_rx_response_ok(&not_posted, posted, 4, 4096));
    struct netif_rx_response bad_id = { 9, 0, 0, 60 };
    CHECK(!netif_rx_response_ok(&bad_id, posted, 4, 4096));
    struct netif_rx_response error = { 0, 0xffff, 0, -1 }; /* an error: offset irrelevant, buffer returned */
    CHECK(netif_rx_response_ok(&error, posted, 4, 4096));
    bool busy[2] = { false, true };
    struct netif_tx_response t1 = { 1, 0 }, t0 = { 0, 0 }, t5 = { 5, 0 };
    CHECK(netif_tx_response_ok(&t1, busy, 2));
    CHECK(!netif_tx_response_ok(&t0, busy, 2)); /* completed twice */
    CHECK(!netif_tx_response_ok(&t5, busy, 2));
}

static void test_grants(void)
{
    struct grant_entry_v1 table[32];
    int next[32];
    struct gnttab g;
    memset(table, 0, sizeof(table));
    gnttab_setup(&g, table, next, 32);
    int a = gnttab_take(&g, 0, 0x1234, false);
    CHECK_EQ(a, GNTTAB_NR_RESERVED_ENTRIES); /* the toolstack's refs are never handed out */
    CHECK_EQ(table[a].flags, GTF_permit_access);
    CHECK_EQ(table[a].frame, 0x1234);
    int b = gnttab_take(&g, 0, 0x99, true);
    CHECK_EQ(table[b].flags, GTF_permit_access | GTF_readonly);
    CHECK_EQ(g.in_use, 2);
    table[a].flags |= GTF_writing; /* the backend has it mapped */
    CHECK_EQ(gnttab_release(&g, a), -1);
    CHECK_EQ(table[a].flags & GTF_permit_access, GTF_permit_access);
    CHECK_EQ(g.in_use, 2);
    int c = gnttab_take(&g, 0, 0x1, false);
    CHECK(c != a && c != b); /* a still held: never reissued */
    table[a].flags &= (uint16_t)~GTF_writing; /* unmapped */
    CHECK_EQ(gnttab_release(&g, a), 0);
    CHECK_EQ(table[a].flags, 0);
    CHECK_EQ(gnttab_release(&g, a), -1); /* twice */
    CHECK_EQ(gnttab_release(&g, 3), -1); /* reserved */
    CHECK_EQ(gnttab_release(&g, 31), -1); /* never taken */
    CHECK_EQ(gnttab_release(&g, 99), -1);
    CHECK_EQ(gnttab_take(&g, 0, 1ull << 33, false), -1); /* frame beyond v1's 32 bits */
    CHECK_EQ(g.in_use, 2);
    int n = 0;
    while (gnttab_take(&g, 0, 5, false) >= 0)
        n++;
    CHECK_EQ(n, 32 - GNTTAB_NR_RESERVED_ENTRIES - 2);
    CHECK_EQ(gnttab_release(&g, b), 0);
    CHECK_EQ(gnttab_take(&g, 0, 5, false), b); /* freed refs come back */
}

int main(void)
{
    test_ring();
    test_blkif_checks();
    test_netif_checks();
    test_grants();
    return check_report("test_xen_front");
}
