/* The process's real-time interval timer: setitimer/getitimer(ITIMER_REAL)
 * and alarm(), all one timer that sends SIGALRM (si_code SI_KERNEL, as
 * Linux's it_real_fn does) on the monotonic clock. ITIMER_VIRTUAL and
 * ITIMER_PROF count CPU time, which Kestrel does not account per program:
 * they answer EINVAL (docs/linux-abi.md). Redis disarms ITIMER_REAL at
 * start (its watchdog) and arms it when the watchdog is configured. */
#include <stdint.h>
#include "abi.h"
#include "clock.h"
#include "signal_frame.h"
#include "spinlock.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"

#define ITIMER_REAL 0
#define NS_PER_S 1000000000ull
#define NS_PER_US 1000ull
#define MAX_NS (1ull << 62) /* far enough: no overflow when added to now */

struct lx_timeval {
    int64_t sec, usec;
};
struct lx_itimerval {
    struct lx_timeval interval, value;
};

/* The timer's state. gen counts arms: a callback armed before the latest
 * setitimer finds another gen in its arg and does nothing (a cancel can
 * miss a callback already running on another CPU). */
static struct spinlock lock;
static struct timer tm;
static uint64_t next_ns, interval_ns; /* monotonic; next 0: disarmed */
static uintptr_t gen;

static void fire(struct timer *t, void *arg)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    bool mine = (uintptr_t)arg == gen && next_ns;
    if (mine) {
        if (interval_ns) {
            uint64_t now = clock_monotonic_ns();
            /* Expirations missed while late collapse into one signal, as
             * on Linux (a pending signal is not queued twice). */
            while (next_ns <= now)
                next_ns += interval_ns;
            timer_arm(t, next_ns);
        } else
            next_ns = 0;
    }
    spin_unlock_irqrestore(&lock, irq);
    if (mine)
        signal_process(SIGALRM); /* interrupt-safe: the scheduler lock saves interrupts */
}

static int tv_ns(const struct lx_timeval *tv, uint64_t *ns)
{
    if (tv->sec < 0 || tv->usec < 0 || tv->usec >= 1000000)
        return -EINVAL;
    *ns = (uint64_t)tv->sec >= MAX_NS / NS_PER_S ? MAX_NS : (uint64_t)tv->sec * NS_PER_S + (uint64_t)tv->usec * NS_PER_US;
    return 0;
}

/* A time left, rounded up to a microsecond so an armed timer never reads
 * as disarmed. */
static struct lx_timeval ns_tv(uint64_t ns)
{
    uint64_t us = (ns + NS_PER_US - 1) / NS_PER_US;
    return (struct lx_timeval){.sec = (int64_t)(us / 1000000), .usec = (int64_t)(us % 1000000)};
}

/* What is armed (lock held). */
static struct lx_itimerval current_locked(uint64_t now)
{
    struct lx_itimerval v = {.interval = ns_tv(interval_ns)};
    if (next_ns)
        v.value = ns_tv(next_ns > now ? next_ns - now : 1);
    return v;
}

/* Arms (value_ns > 0) or disarms the timer; returns what was armed. */
static struct lx_itimerval set(uint64_t value_ns, uint64_t ival_ns)
{
    uint64_t irq = spin_lock_irqsave(&lock);
    uint64_t now = clock_monotonic_ns();
    struct lx_itimerval old = current_locked(now);
    timer_cancel(&tm);
    gen++;
    next_ns = value_ns ? now + value_ns : 0;
    interval_ns = value_ns ? ival_ns : 0;
    if (next_ns) {
        timer_setup(&tm, fire, (void *)gen);
        timer_arm(&tm, next_ns);
    }
    spin_unlock_irqrestore(&lock, irq);
    return old;
}

SYSCALL_DECL(setitimer)
{
    if (s->a[0] != ITIMER_REAL)
        return -EINVAL;
    struct lx_itimerval nv = {0};
    /* Linux takes a NULL new value as a disarm (an old quirk it keeps). */
    if (s->a[1] && copy_from_user(&nv, (const void *)s->a[1], sizeof nv))
        return -EFAULT;
    uint64_t value, ival;
    if (tv_ns(&nv.value, &value) || tv_ns(&nv.interval, &ival))
        return -EINVAL;
    if (s->a[2] && !user_range_ok(s->a[2], sizeof(struct lx_itimerval)))
        return -EFAULT;
    struct lx_itimerval old = set(value, ival);
    if (s->a[2] && copy_to_user((void *)s->a[2], &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DECL(getitimer)
{
    if (s->a[0] != ITIMER_REAL)
        return -EINVAL;
    uint64_t irq = spin_lock_irqsave(&lock);
    struct lx_itimerval cur = current_locked(clock_monotonic_ns());
    spin_unlock_irqrestore(&lock, irq);
    return copy_to_user((void *)s->a[1], &cur, sizeof cur) ? -EFAULT : 0;
}

/* alarm(2): whole seconds, no interval; the old time left is returned in
 * seconds, rounded to nearest, and at least 1 when anything was left. */
SYSCALL_DECL(alarm)
{
    unsigned secs = (unsigned)s->a[0];
    struct lx_itimerval old = set((uint64_t)secs * NS_PER_S, 0);
    if (!old.value.sec && !old.value.usec)
        return 0;
    return old.value.sec + (old.value.usec >= 500000 || !old.value.sec);
}
