/* libFuzzer target for linux/futex_table.c: futex() arguments as a program
 * may pass them, then a sequence of enqueue/dequeue/wake/requeue steps checked
 * against a plain array model (each waiter queued at most once, counts
 * equal, a woken waiter is no longer queued). */
#include <stdint.h>
#include <string.h>
#include "../../linux/futex_table.h"

#define NW 32
static struct futex_table table;
static struct futex_waiter ws[NW];
static int woken_count;

static void on_wake(struct futex_waiter *w, void *ctx)
{
    (void)ctx;
    if (w->queued)
        __builtin_trap();
    woken_count++;
}

static uintptr_t addr_of(uint8_t b)
{
    /* A few addresses, several in one bucket. */
    return 0x10000 + (uintptr_t)(b & 7) * 4 * FUTEX_BUCKETS * ((b >> 3) & 1 ? 1 : 3);
}

static int model_count(uintptr_t a)
{
    int n = 0;
    for (int i = 0; i < NW; i++)
        n += ws[i].queued && ws[i].uaddr == a;
    return n;
}

static void check_all(const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (futex_count(&table, addr_of(d[i])) != model_count(addr_of(d[i])))
            __builtin_trap();
}

static void fuzz_decode(const uint8_t *d, size_t n)
{
    uint64_t v[6] = {0};
    memcpy(v, d, n < sizeof v ? n : sizeof v);
    struct futex_req r;
    if (futex_decode((uintptr_t)v[0], (int)v[1], (uint32_t)v[2], (uintptr_t)v[3], (uintptr_t)v[4],
                     (uint32_t)v[5], &r) == 0) {
        if ((r.uaddr & 3) || (r.kind == FK_REQUEUE && (r.uaddr2 & 3)) || r.bitset == 0)
            __builtin_trap();
        uint64_t ns;
        if (futex_timespec_ns((int64_t)v[2], (int64_t)v[3], &ns) == 0)
            (void)futex_deadline(&r, ns, v[4], v[5]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    fuzz_decode(d, n);
    memset(&table, 0, sizeof table);
    memset(ws, 0, sizeof ws);
    for (size_t i = 0; i + 3 < n; i += 4) {
        struct futex_waiter *w = &ws[d[i + 1] % NW];
        uintptr_t a = addr_of(d[i + 2]), b = addr_of(d[i + 3]);
        int before = model_count(a) + (a != b ? model_count(b) : 0);
        switch (d[i] % 4) {
        case 0:
            if (!w->queued) {
                w->uaddr = a;
                w->bitset = d[i + 3] | 1u << (d[i + 3] & 31);
                futex_enqueue(&table, w);
            }
            break;
        case 1:
            futex_dequeue(&table, w);
            break;
        case 2: {
            woken_count = 0;
            int r = futex_wake(&table, a, d[i + 3], d[i + 1] % 5, on_wake, NULL);
            if (r != woken_count || model_count(a) > before)
                __builtin_trap();
            break;
        }
        default: {
            woken_count = 0;
            int r = futex_requeue(&table, a, b, d[i + 1] % 3, d[i + 3] % 4, on_wake, NULL);
            int after = model_count(a) + (a != b ? model_count(b) : 0);
            if (r < woken_count || after != before - woken_count)
                __builtin_trap();
            break;
        }
        }
        check_all(d, n < 64 ? n : 64);
    }
    return 0;
}
