/* futex(2): one table of waiters keyed by user address (linux/futex_table.c)
 * guarded by the scheduler lock, which also guards every wait queue, so
 * reading the futex word, comparing and queueing the waiter are one step
 * against a concurrent wake. Private and shared futexes are the same thing
 * here: there is one process. */
#include "abi.h"
#include "clock.h"
#include "futex_table.h"
#include "log.h"
#include "sched.h"
#include "signal_frame.h"
#include "thread.h"
#include "uaccess.h"

static struct futex_table table;

struct kwaiter {
    struct futex_waiter w;
    struct waitq wq;
};

static void wake_one(struct futex_waiter *w, void *ctx)
{
    (void)ctx;
    struct kwaiter *k = (struct kwaiter *)w;
    sched_wake_one_locked(&k->wq);
}

/* The futex word, read under the scheduler lock after user_buffer_prepare
 * made the page present. No copy_from_user here: it may sleep on the
 * memory map's lock. A page unmapped meanwhile faults into the exception
 * table's fix-up and is -EFAULT. */
static int read_word(uintptr_t uaddr, uint32_t *val)
{
    int ok = 1;
    uint32_t v = 0;
    __asm__ volatile("1: movl (%[p]), %[v]\n"
                     "   jmp 2f\n"
                     "3: xorl %[ok], %[ok]\n"
                     "2:\n"
                     ".pushsection .kestrel.extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".popsection\n"
                     : [v] "+r"(v), [ok] "+r"(ok)
                     : [p] "r"(uaddr)
                     : "memory");
    *val = v;
    return ok ? 0 : -EFAULT;
}

static int read_timeout(uintptr_t uts, uint64_t *ns)
{
    struct { int64_t sec, nsec; } ts;
    if (copy_from_user(&ts, (const void *)uts, sizeof ts))
        return -EFAULT;
    return futex_timespec_ns(ts.sec, ts.nsec, ns);
}

static long futex_wait(const struct futex_req *r, uintptr_t uts)
{
    uint64_t deadline = 0;
    if (r->has_timeout) {
        uint64_t ns;
        int e = read_timeout(uts, &ns);
        if (e)
            return e;
        deadline = futex_deadline(r, ns, clock_monotonic_ns(), clock_realtime_ns());
        if (deadline == 0)
            deadline = 1;
    }
    if (user_buffer_prepare((const void *)r->uaddr, 4, false))
        return -EFAULT;
    struct kwaiter k = {.w = {.uaddr = r->uaddr, .bitset = r->bitset}, .wq = WAITQ_INIT};
    uint64_t flags = sched_lock();
    uint32_t cur;
    if (read_word(r->uaddr, &cur)) {
        sched_unlock(flags);
        return -EFAULT;
    }
    if (cur != r->val) {
        sched_unlock(flags);
        return -EAGAIN;
    }
    futex_enqueue(&table, &k.w);
    int e = lthread_block_locked(&k.wq, deadline);
    bool woken = !k.w.queued;
    futex_dequeue(&table, &k.w);
    sched_unlock(flags);
    if (woken)
        return 0; /* a wake that raced a time-out or signal still counts */
    if (e == -EINTR)
        return r->has_timeout ? -EINTR : -ERESTARTSYS;
    return e;
}

static long futex_wake_call(const struct futex_req *r)
{
    uint64_t flags = sched_lock();
    int n = futex_wake(&table, r->uaddr, r->bitset, r->val, wake_one, NULL);
    sched_unlock(flags);
    return n;
}

static long futex_requeue_call(const struct futex_req *r)
{
    if (r->cmp && user_buffer_prepare((const void *)r->uaddr, 4, false))
        return -EFAULT;
    uint64_t flags = sched_lock();
    if (r->cmp) {
        uint32_t cur;
        if (read_word(r->uaddr, &cur)) {
            sched_unlock(flags);
            return -EFAULT;
        }
        if (cur != r->val3) {
            sched_unlock(flags);
            return -EAGAIN;
        }
    }
    int n = futex_requeue(&table, r->uaddr, r->uaddr2, r->val, (uint32_t)r->nr_requeue, wake_one,
                          NULL);
    sched_unlock(flags);
    return n;
}

long futex_wake_addr(uintptr_t uaddr, int nr)
{
    uint64_t flags = sched_lock();
    int n = futex_wake(&table, uaddr, FUTEX_BITSET_MATCH_ANY, (uint32_t)nr, wake_one, NULL);
    sched_unlock(flags);
    return n;
}

SYSCALL_DECL(futex)
{
    struct futex_req r;
    int e = futex_decode(s->a[0], (int)s->a[1], (uint32_t)s->a[2], s->a[3], s->a[4],
                         (uint32_t)s->a[5], &r);
    if (e) {
        if (e == -ENOSYS)
            klog(LOG_INFO, "linux: futex op %d not implemented\n", (int)s->a[1]);
        return e;
    }
    if (!user_range_ok(r.uaddr, 4))
        return -EFAULT;
    switch (r.kind) {
    case FK_WAIT:
        return futex_wait(&r, s->a[3]);
    case FK_WAKE:
        return futex_wake_call(&r);
    default:
        return futex_requeue_call(&r);
    }
}
