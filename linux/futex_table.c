/* Futex op decoding and the waiter hash (pure logic; see futex_table.h). */
#include <stddef.h>
#include "futex_table.h"
#include "errno.h"

#define NSEC_PER_SEC 1000000000ll

static bool op_has_clock(int cmd)
{
    return cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_WAIT_REQUEUE_PI ||
           cmd == FUTEX_LOCK_PI2;
}

static int decode_wait(struct futex_req *r, uintptr_t timeout)
{
    r->kind = FK_WAIT;
    r->has_timeout = timeout != 0;
    r->timeout_absolute = r->cmd == FUTEX_WAIT_BITSET;
    return 0;
}

static int decode_requeue(struct futex_req *r, uintptr_t val2, uintptr_t uaddr2)
{
    /* Linux reads val2 from the timeout argument as an int. */
    int nr_requeue = (int)(uint32_t)val2;
    if ((int)r->val < 0 || nr_requeue < 0)
        return -EINVAL;
    if (uaddr2 & 3)
        return -EINVAL;
    r->kind = FK_REQUEUE;
    r->uaddr2 = uaddr2;
    r->nr_requeue = nr_requeue;
    r->cmp = r->cmd == FUTEX_CMP_REQUEUE;
    return 0;
}

int futex_decode(uintptr_t uaddr, int op, uint32_t val, uintptr_t timeout_or_val2,
                 uintptr_t uaddr2, uint32_t val3, struct futex_req *r)
{
    *r = (struct futex_req){0};
    r->cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    r->clock_realtime = (op & FUTEX_CLOCK_REALTIME) != 0;
    r->uaddr = uaddr;
    r->val = val;
    r->val3 = val3;
    r->bitset = FUTEX_BITSET_MATCH_ANY;
    if (r->clock_realtime && !op_has_clock(r->cmd))
        return -ENOSYS;
    switch (r->cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAKE:
    case FUTEX_REQUEUE:
    case FUTEX_CMP_REQUEUE:
    case FUTEX_WAIT_BITSET:
    case FUTEX_WAKE_BITSET:
        break;
    default:
        return -ENOSYS;
    }
    if (uaddr & 3)
        return -EINVAL;
    if (r->cmd == FUTEX_WAIT_BITSET || r->cmd == FUTEX_WAKE_BITSET) {
        if (val3 == 0)
            return -EINVAL;
        r->bitset = val3;
    }
    switch (r->cmd) {
    case FUTEX_WAIT:
    case FUTEX_WAIT_BITSET:
        return decode_wait(r, timeout_or_val2);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET:
        r->kind = FK_WAKE;
        return 0;
    default:
        return decode_requeue(r, timeout_or_val2, uaddr2);
    }
}

int futex_timespec_ns(int64_t sec, int64_t nsec, uint64_t *ns)
{
    if (sec < 0 || nsec < 0 || nsec >= NSEC_PER_SEC)
        return -EINVAL;
    if ((uint64_t)sec > (UINT64_MAX - (uint64_t)nsec) / (uint64_t)NSEC_PER_SEC)
        *ns = UINT64_MAX;
    else
        *ns = (uint64_t)sec * (uint64_t)NSEC_PER_SEC + (uint64_t)nsec;
    return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

uint64_t futex_deadline(const struct futex_req *r, uint64_t ts_ns, uint64_t mono_now,
                        uint64_t real_now)
{
    if (!r->timeout_absolute)
        return sat_add(mono_now, ts_ns);
    if (!r->clock_realtime)
        return ts_ns;
    /* Absolute wall time: what remains of it, from now on the monotonic clock. */
    if (ts_ns <= real_now)
        return mono_now;
    return sat_add(mono_now, ts_ns - real_now);
}

unsigned futex_hash(uintptr_t uaddr)
{
    uint64_t x = (uint64_t)uaddr >> 2;
    x ^= x >> 17;
    x *= 0x9e3779b97f4a7c15ull;
    return (unsigned)(x >> 56) % FUTEX_BUCKETS;
}

void futex_enqueue(struct futex_table *t, struct futex_waiter *w)
{
    unsigned b = futex_hash(w->uaddr);
    w->next = NULL;
    w->prev = t->tail[b];
    if (t->tail[b])
        t->tail[b]->next = w;
    else
        t->head[b] = w;
    t->tail[b] = w;
    w->queued = true;
}

void futex_dequeue(struct futex_table *t, struct futex_waiter *w)
{
    if (!w->queued)
        return;
    unsigned b = futex_hash(w->uaddr);
    if (w->prev)
        w->prev->next = w->next;
    else
        t->head[b] = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        t->tail[b] = w->prev;
    w->next = w->prev = NULL;
    w->queued = false;
}

int futex_wake(struct futex_table *t, uintptr_t uaddr, uint32_t bitset, uint32_t nr,
               futex_wake_fn fn, void *ctx)
{
    int woken = 0;
    struct futex_waiter *w = t->head[futex_hash(uaddr)];
    while (w) {
        struct futex_waiter *next = w->next;
        if (w->uaddr == uaddr && (w->bitset & bitset)) {
            futex_dequeue(t, w);
            fn(w, ctx);
            /* As Linux: the count is checked after a wake, so 0 wakes one. */
            if (++woken >= (int)nr)
                break;
        }
        w = next;
    }
    return woken;
}

int futex_requeue(struct futex_table *t, uintptr_t uaddr, uintptr_t uaddr2, uint32_t nr_wake,
                  uint32_t nr_requeue, futex_wake_fn fn, void *ctx)
{
    int woken = 0, moved = 0;
    struct futex_waiter *w = t->head[futex_hash(uaddr)];
    while (w) {
        struct futex_waiter *next = w->next;
        if (w->uaddr != uaddr) {
            w = next;
            continue;
        }
        if ((uint32_t)woken < nr_wake) {
            futex_dequeue(t, w);
            fn(w, ctx);
            woken++;
        } else if ((uint32_t)moved < nr_requeue) {
            /* In the same bucket it keeps its place (and is not met again). */
            if (futex_hash(uaddr2) == futex_hash(uaddr)) {
                w->uaddr = uaddr2;
            } else {
                futex_dequeue(t, w);
                w->uaddr = uaddr2;
                futex_enqueue(t, w);
            }
            moved++;
        } else {
            break;
        }
        w = next;
    }
    return woken + moved;
}

int futex_count(const struct futex_table *t, uintptr_t uaddr)
{
    int n = 0;
    for (const struct futex_waiter *w = t->head[futex_hash(uaddr)]; w; w = w->next)
        n += w->uaddr == uaddr;
    return n;
}
