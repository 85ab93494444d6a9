/* timerfd: a timer read as a count of expirations. The expirations are
 * counted from the clock when the file is looked at (read, poll), so a
 * kernel timer is needed only to wake waiters: it is armed for the next
 * expiration while none is unread, as Linux re-arms its timer at read.
 * Deadlines are kept on the monotonic clock; a CLOCK_REALTIME one is
 * converted when set (a later change of the wall clock does not move it). */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "clock.h"
#include "linux_consts.h"
#include "poll_wait.h"
#include "signal_frame.h"
#include "spinlock.h"
#include "thread.h"
#include "timer.h"
#include "uaccess.h"

#define TFD_TIMER_ABSTIME 1
#define TFD_TIMER_CANCEL_ON_SET 2
#define NS_PER_S 1000000000ull

struct timerfd {
    struct mutex mu;      /* settime, read: one at a time */
    struct spinlock lock; /* next, interval, ticks: the timer callback reads them */
    int clock;
    uint64_t next;     /* the next expiration, monotonic ns; 0: disarmed */
    uint64_t interval; /* ns; 0: one-shot */
    uint64_t ticks;    /* expirations not yet read */
    struct timer timer;
    unsigned arms, done; /* callbacks armed and finished: freeing waits until equal */
    struct lpoll_sleep sleep;
    struct lfile *self;
};

struct lx_itimerspec {
    int64_t isec, insec; /* it_interval */
    int64_t vsec, vnsec; /* it_value */
};

/* Counts the expirations up to now (lock held). */
static void update_locked(struct timerfd *t, uint64_t now)
{
    if (!t->next || now < t->next)
        return;
    uint64_t n = t->interval ? 1 + (now - t->next) / t->interval : 1;
    t->ticks += n;
    t->next = t->interval ? t->next + n * t->interval : 0;
}

/* The kernel timer, in interrupt context: count, wake readers and pollers. */
static void expired(struct timer *tm, void *arg)
{
    struct timerfd *t = arg;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    update_locked(t, clock_monotonic_ns());
    spin_unlock_irqrestore(&t->lock, irq);
    lpoll_sleep_wake(&t->sleep);
    lfile_notify(t->self, LX_EPOLLIN); /* every waiter's wake is interrupt-safe */
    __atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE); /* last: t may be freed after */
}

/* Arms the kernel timer for the next expiration if none is unread (t->mu
 * held), cancelling what was armed. */
static void rearm(struct timerfd *t)
{
    if (timer_cancel(&t->timer))
        __atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE);
    uint64_t irq = spin_lock_irqsave(&t->lock);
    uint64_t at = t->ticks ? 0 : t->next;
    spin_unlock_irqrestore(&t->lock, irq);
    if (at) {
        __atomic_add_fetch(&t->arms, 1, __ATOMIC_RELEASE);
        timer_arm(&t->timer, at);
    }
}

static long tfd_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    struct timerfd *t = f->priv;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    mutex_lock(&t->mu);
    for (;;) {
        unsigned seen = lpoll_sleep_gen(&t->sleep);
        uint64_t irq = spin_lock_irqsave(&t->lock);
        update_locked(t, clock_monotonic_ns());
        uint64_t n = t->ticks, next = t->next;
        t->ticks = 0;
        spin_unlock_irqrestore(&t->lock, irq);
        if (n) {
            rearm(t);
            mutex_unlock(&t->mu);
            memcpy(buf, &n, sizeof n);
            return sizeof n;
        }
        if (f->status_flags & LX_O_NONBLOCK) {
            mutex_unlock(&t->mu);
            return -EAGAIN;
        }
        mutex_unlock(&t->mu);
        int e = lpoll_sleep_wait(&t->sleep, seen, next);
        mutex_lock(&t->mu);
        if (e == -EINTR) {
            mutex_unlock(&t->mu);
            return -ERESTARTSYS;
        }
    }
}

static unsigned tfd_poll(struct lfile *f)
{
    struct timerfd *t = f->priv;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    update_locked(t, clock_monotonic_ns());
    unsigned m = t->ticks ? LX_EPOLLIN | LX_EPOLLRDNORM : 0;
    spin_unlock_irqrestore(&t->lock, irq);
    return m;
}

static void tfd_release(struct lfile *f)
{
    struct timerfd *t = f->priv;
    if (timer_cancel(&t->timer))
        __atomic_add_fetch(&t->done, 1, __ATOMIC_RELEASE);
    /* A callback running on another CPU finishes before t goes. */
    while (__atomic_load_n(&t->done, __ATOMIC_ACQUIRE) != __atomic_load_n(&t->arms, __ATOMIC_ACQUIRE))
        thread_yield();
    free(t);
}

static const struct lfile_ops timerfd_ops = {
    .read = tfd_read, .fstat = lfile_anon_fstat, .release = tfd_release, .poll = tfd_poll,
};

bool lfile_is_timerfd(const struct lfile *f) { return f->ops == &timerfd_ops; }

static struct timerfd *timerfd_of(int fd, struct lfile **out)
{
    struct lfile *f = fd_get(fd);
    if (f && f->ops != &timerfd_ops) {
        lfile_put(f);
        *out = NULL;
        return (struct timerfd *)-1;
    }
    *out = f;
    return f ? f->priv : NULL;
}

SYSCALL_DECL(timerfd_create)
{
    int clock = (int)s->a[0];
    unsigned long flags = s->a[1];
    if (clock != LX_CLOCK_REALTIME && clock != LX_CLOCK_MONOTONIC && clock != LX_CLOCK_BOOTTIME &&
        clock != LX_CLOCK_REALTIME_ALARM && clock != LX_CLOCK_BOOTTIME_ALARM)
        return -EINVAL;
    if (flags & ~(unsigned long)(LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -EINVAL;
    struct timerfd *t = calloc(1, sizeof(*t));
    if (!t)
        return -ENOMEM;
    mutex_init(&t->mu);
    t->clock = clock;
    timer_setup(&t->timer, expired, t);
    struct lfile *f = lfile_new(&timerfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), t);
    if (!f) {
        free(t);
        return -ENOMEM;
    }
    t->self = f;
    return fd_install(f, 0, flags & LX_O_CLOEXEC);
}

static bool realtime(int clock) { return clock == LX_CLOCK_REALTIME || clock == LX_CLOCK_REALTIME_ALARM; }

static int ts_ns(int64_t sec, int64_t nsec, uint64_t *ns)
{
    if (sec < 0 || nsec < 0 || nsec >= (int64_t)NS_PER_S)
        return -EINVAL;
    *ns = (uint64_t)sec >= (1ull << 62) / NS_PER_S ? (1ull << 62) : (uint64_t)sec * NS_PER_S + (uint64_t)nsec;
    return 0;
}

/* What is left and the interval (lock held, counted up to now). */
static void current(struct timerfd *t, struct lx_itimerspec *cur)
{
    uint64_t now = clock_monotonic_ns();
    update_locked(t, now);
    uint64_t left = t->next > now ? t->next - now : (t->next ? 1 : 0);
    cur->vsec = (int64_t)(left / NS_PER_S);
    cur->vnsec = (int64_t)(left % NS_PER_S);
    cur->isec = (int64_t)(t->interval / NS_PER_S);
    cur->insec = (int64_t)(t->interval % NS_PER_S);
}

SYSCALL_DECL(timerfd_settime)
{
    unsigned long flags = s->a[1];
    if (flags & ~(unsigned long)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
        return -EINVAL;
    struct lx_itimerspec nv;
    if (copy_from_user(&nv, (const void *)s->a[2], sizeof nv))
        return -EFAULT;
    uint64_t value, interval;
    if (ts_ns(nv.vsec, nv.vnsec, &value) || ts_ns(nv.isec, nv.insec, &interval))
        return -EINVAL;
    if (s->a[3] && !user_range_ok(s->a[3], sizeof(struct lx_itimerspec)))
        return -EFAULT;
    struct lfile *f;
    struct timerfd *t = timerfd_of((int)s->a[0], &f);
    if (!t)
        return -EBADF;
    if (t == (struct timerfd *)-1)
        return -EINVAL;
    uint64_t now = clock_monotonic_ns();
    uint64_t at = 0;
    if (value) {
        if (!(flags & TFD_TIMER_ABSTIME))
            at = now + value;
        else if (realtime(t->clock)) {
            uint64_t wall = clock_realtime_ns();
            at = value > wall ? now + (value - wall) : now;
        } else
            at = value;
        if (!at)
            at = 1;
    }
    mutex_lock(&t->mu);
    struct lx_itimerspec old;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    current(t, &old);
    t->next = at;
    t->interval = at ? interval : 0;
    t->ticks = 0;
    spin_unlock_irqrestore(&t->lock, irq);
    rearm(t);
    mutex_unlock(&t->mu);
    lfile_put(f);
    if (s->a[3] && copy_to_user((void *)s->a[3], &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DECL(timerfd_gettime)
{
    struct lfile *f;
    struct timerfd *t = timerfd_of((int)s->a[0], &f);
    if (!t)
        return -EBADF;
    if (t == (struct timerfd *)-1)
        return -EINVAL;
    struct lx_itimerspec cur;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    current(t, &cur);
    spin_unlock_irqrestore(&t->lock, irq);
    lfile_put(f);
    return copy_to_user((void *)s->a[1], &cur, sizeof cur) ? -EFAULT : 0;
}
