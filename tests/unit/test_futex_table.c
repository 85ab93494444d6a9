/* Host unit test of linux/futex_table.c: futex op decoding, timeouts and the
 * waiter hash (wake order, bitsets, requeue). */
#include <string.h>
#include "../../linux/futex_table.h"
#include "check.h"
#include "errno.h"

static int wake_log[64];
static int wake_n;
static void on_wake(struct futex_waiter *w, void *ctx)
{
    (void)ctx;
    wake_log[wake_n++] = (int)(intptr_t)w->owner;
}

static void test_decode(void)
{
    struct futex_req r;
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAIT, 5, 0, 0, 0, &r), 0);
    CHECK_EQ(r.kind, FK_WAIT);
    CHECK(!r.has_timeout);
    CHECK_EQ(r.bitset, FUTEX_BITSET_MATCH_ANY);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 5, 0x2000, 0, 0, &r), 0);
    CHECK(r.has_timeout && !r.timeout_absolute);
    CHECK_EQ(futex_decode(0x1002, FUTEX_WAIT, 5, 0, 0, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAIT_BITSET, 5, 0x2000, 0, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 5, 0x2000, 0, 6, &r), 0);
    CHECK(r.timeout_absolute && r.clock_realtime);
    CHECK_EQ(r.bitset, 6);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0, &r), -ENOSYS);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAKE_BITSET, 1, 0, 0, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG, 1, 0, 0, 3, &r), 0);
    CHECK_EQ(r.kind, FK_WAKE);
    CHECK_EQ(futex_decode(0x1000, FUTEX_CMP_REQUEUE, 1, 7, 0x2000, 9, &r), 0);
    CHECK(r.kind == FK_REQUEUE && r.cmp && r.nr_requeue == 7 && r.uaddr2 == 0x2000 && r.val3 == 9);
    CHECK_EQ(futex_decode(0x1000, FUTEX_REQUEUE, 1, 0xffffffff, 0x2000, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_REQUEUE, 0x80000000u, 1, 0x2000, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_REQUEUE, 1, 1, 0x2001, 0, &r), -EINVAL);
    CHECK_EQ(futex_decode(0x1000, FUTEX_LOCK_PI, 0, 0, 0, 0, &r), -ENOSYS);
    CHECK_EQ(futex_decode(0x1000, FUTEX_WAKE_OP, 0, 0, 0, 0, &r), -ENOSYS);
    CHECK_EQ(futex_decode(0x1000, FUTEX_FD, 0, 0, 0, 0, &r), -ENOSYS);
    CHECK_EQ(futex_decode(0x1000, 99, 0, 0, 0, 0, &r), -ENOSYS);
}

static void test_timeouts(void)
{
    uint64_t ns;
    CHECK_EQ(futex_timespec_ns(1, 500, &ns), 0);
    CHECK_EQ(ns, 1000000500);
    CHECK_EQ(futex_timespec_ns(-1, 0, &ns), -EINVAL);
    CHECK_EQ(futex_timespec_ns(0, 1000000000, &ns), -EINVAL);
    CHECK_EQ(futex_timespec_ns(0, -1, &ns), -EINVAL);
    CHECK_EQ(futex_timespec_ns(INT64_MAX, 999999999, &ns), 0);
    CHECK(ns == UINT64_MAX);
    struct futex_req r;
    futex_decode(0x1000, FUTEX_WAIT, 0, 1, 0, 0, &r);
    CHECK_EQ(futex_deadline(&r, 300, 1000, 5000), 1300);
    CHECK(futex_deadline(&r, UINT64_MAX, 1000, 5000) == UINT64_MAX);
    futex_decode(0x1000, FUTEX_WAIT_BITSET, 0, 1, 0, ~0u, &r);
    CHECK_EQ(futex_deadline(&r, 300, 1000, 5000), 300); /* absolute monotonic */
    futex_decode(0x1000, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME, 0, 1, 0, ~0u, &r);
    CHECK_EQ(futex_deadline(&r, 5300, 1000, 5000), 1300);
    CHECK_EQ(futex_deadline(&r, 4000, 1000, 5000), 1000); /* already past */
}

static struct futex_waiter ws[16];
static void mk(struct futex_table *t, int i, uintptr_t addr, uint32_t bits)
{
    ws[i] = (struct futex_waiter){.uaddr = addr, .bitset = bits, .owner = (void *)(intptr_t)i};
    futex_enqueue(t, &ws[i]);
}

static void test_wake(void)
{
    static struct futex_table t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 5; i++)
        mk(&t, i, 0x1000, ~0u);
    mk(&t, 5, 0x2000, ~0u);
    CHECK_EQ(futex_count(&t, 0x1000), 5);
    wake_n = 0;
    CHECK_EQ(futex_wake(&t, 0x1000, ~0u, 2, on_wake, NULL), 2);
    CHECK(wake_n == 2 && wake_log[0] == 0 && wake_log[1] == 1);
    CHECK(!ws[0].queued && ws[2].queued);
    futex_dequeue(&t, &ws[3]); /* a waiter that timed out */
    futex_dequeue(&t, &ws[3]); /* twice is harmless */
    wake_n = 0;
    CHECK_EQ(futex_wake(&t, 0x1000, ~0u, 0x7fffffff, on_wake, NULL), 2);
    CHECK(wake_log[0] == 2 && wake_log[1] == 4);
    CHECK_EQ(futex_count(&t, 0x2000), 1);
    CHECK_EQ(futex_wake(&t, 0x3000, ~0u, 1, on_wake, NULL), 0);
    /* nr 0 wakes one, as Linux does. */
    CHECK_EQ(futex_wake(&t, 0x2000, ~0u, 0, on_wake, NULL), 1);

    memset(&t, 0, sizeof t);
    mk(&t, 0, 0x1000, 1);
    mk(&t, 1, 0x1000, 2);
    mk(&t, 2, 0x1000, 3);
    wake_n = 0;
    CHECK_EQ(futex_wake(&t, 0x1000, 2, 10, on_wake, NULL), 2);
    CHECK(wake_log[0] == 1 && wake_log[1] == 2 && ws[0].queued);
}

static void test_requeue(void)
{
    static struct futex_table t;
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 6; i++)
        mk(&t, i, 0x1000, ~0u);
    wake_n = 0;
    CHECK_EQ(futex_requeue(&t, 0x1000, 0x5000, 1, 3, on_wake, NULL), 4);
    CHECK(wake_n == 1 && wake_log[0] == 0);
    CHECK_EQ(futex_count(&t, 0x1000), 2);
    CHECK_EQ(futex_count(&t, 0x5000), 3);
    wake_n = 0;
    CHECK_EQ(futex_wake(&t, 0x5000, ~0u, 10, on_wake, NULL), 3);
    CHECK(wake_log[0] == 1 && wake_log[1] == 2 && wake_log[2] == 3);
    /* Into the same address (and so the same bucket): order kept, no loop. */
    CHECK_EQ(futex_requeue(&t, 0x1000, 0x1000, 0, 5, on_wake, NULL), 2);
    CHECK_EQ(futex_count(&t, 0x1000), 2);
    /* Many addresses sharing buckets. */
    memset(&t, 0, sizeof t);
    for (int i = 0; i < 16; i++)
        mk(&t, i, 0x1000 + 4 * (uintptr_t)(i % 4) * FUTEX_BUCKETS, ~0u);
    int n = 0;
    for (int k = 0; k < 4; k++)
        n += futex_count(&t, 0x1000 + 4 * (uintptr_t)k * FUTEX_BUCKETS);
    CHECK_EQ(n, 16);
}

int main(void)
{
    test_decode();
    test_timeouts();
    test_wake();
    test_requeue();
    return check_report("test_futex_table");
}
