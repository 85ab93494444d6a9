/* Waiting for readiness: the sleeper files kick, timeouts, and the signal
 * mask a ppoll, pselect6 or epoll_pwait waits with. */
#include <string.h>
#include "poll_wait.h"
#include "clock.h"
#include "errno.h"
#include "signal_frame.h"
#include "thread.h"
#include "uaccess.h"

unsigned lpoll_sleep_gen(struct lpoll_sleep *s) { return __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE); }

void lpoll_sleep_wake(struct lpoll_sleep *s)
{
    __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
    uint64_t flags = sched_lock();
    sched_wake_all_locked(&s->wq);
    sched_unlock(flags);
}

int lpoll_sleep_wait(struct lpoll_sleep *s, unsigned seen, uint64_t deadline)
{
    uint64_t flags = sched_lock();
    int rc = 0;
    if (lpoll_sleep_gen(s) == seen) {
        if (lthread_current())
            rc = lthread_block_locked(&s->wq, deadline);
        else if (deadline)
            rc = sched_wait_deadline_locked(&s->wq, deadline) ? -ETIMEDOUT : 0;
        else
            sched_wait_locked(&s->wq);
    }
    sched_unlock(flags);
    return rc;
}

static void sleep_wake(struct lpoll_waiter *w, struct lfile *f, unsigned events)
{
    (void)f;
    (void)events;
    lpoll_sleep_wake(w->ctx);
}

void lpoll_waiter_init_sleep(struct lpoll_waiter *w, struct lpoll_sleep *s)
{
    w->next = w->prev = NULL;
    w->wake = sleep_wake;
    w->ctx = s;
}

uint64_t lpoll_deadline_after(uint64_t ns)
{
    uint64_t now = clock_monotonic_ns();
    uint64_t d = now + ns < now ? UINT64_MAX : now + ns;
    return d ? d : 1;
}

uint64_t lpoll_left(uint64_t deadline)
{
    uint64_t now = clock_monotonic_ns();
    return deadline > now ? deadline - now : 0;
}

int lpoll_sigmask_enter(const void *umask, size_t size)
{
    if (!umask)
        return 0;
    if (size != sizeof(lsigset_t))
        return -EINVAL;
    lsigset_t mask;
    if (copy_from_user(&mask, umask, sizeof mask))
        return -EFAULT;
    struct lthread *t = lthread_current();
    if (!t)
        return 0;
    uint64_t flags = sched_lock();
    t->saved_blocked = t->blocked;
    t->has_saved_blocked = true;
    t->blocked = mask & ~SIG_UNBLOCKABLE;
    sched_unlock(flags);
    return 0;
}

void lpoll_sigmask_leave(bool entered, long rc)
{
    struct lthread *t = lthread_current();
    if (!entered || !t)
        return;
    if (rc == -EINTR || rc == -ERESTARTNOHAND || rc == -ERESTARTSYS)
        return; /* signal_deliver puts the old mask in the handler's frame, or back */
    uint64_t flags = sched_lock();
    if (t->has_saved_blocked) {
        t->blocked = t->saved_blocked;
        t->has_saved_blocked = false;
    }
    sched_unlock(flags);
}

const char *lfile_anon_name(const struct lfile *f)
{
    if (lfile_is_epoll(f))
        return "eventpoll";
    if (lfile_is_eventfd(f))
        return "eventfd";
    if (lfile_is_timerfd(f))
        return "timerfd";
    if (lfile_is_signalfd(f))
        return "signalfd";
    return NULL;
}

int lfile_anon_fstat(struct lfile *f, struct vfs_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->mode = 0600;
    st->ino = (uint64_t)(uintptr_t)f->priv >> 4;
    st->nlink = 1;
    st->blksize = 4096;
    st->dev = 0x0e;
    return 0;
}
