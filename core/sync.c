/* Mutex, condition variable and semaphore over the scheduler's wait queues;
 * the scheduler lock makes each check-then-block step atomic. */
#include <errno.h>
#include "clock.h"
#include "cpu.h"
#include "panic.h"
#include "sync.h"

void mutex_init(struct mutex *m) { *m = (struct mutex)MUTEX_INIT; }

void mutex_lock(struct mutex *m)
{
    uint64_t flags = sched_lock();
    struct thread *cur = thread_current();
    if (m->owner == cur) {
        sched_unlock(flags);
        panic("mutex %p: recursive lock by %s", (void *)m, cur->name);
    }
    while (m->owner)
        sched_wait_locked(&m->wq);
    m->owner = cur;
    sched_unlock(flags);
}

int mutex_trylock(struct mutex *m)
{
    uint64_t flags = sched_lock();
    int ok = m->owner == NULL;
    if (ok)
        m->owner = thread_current();
    sched_unlock(flags);
    return ok;
}

static void unlock_locked(struct mutex *m)
{
    if (m->owner != thread_current())
        panic("mutex %p unlocked by %s, which does not own it", (void *)m, thread_current()->name);
    m->owner = NULL;
    sched_wake_one_locked(&m->wq);
}

void mutex_unlock(struct mutex *m)
{
    uint64_t flags = sched_lock();
    unlock_locked(m);
    sched_unlock(flags);
}

void condvar_init(struct condvar *c) { *c = (struct condvar)CONDVAR_INIT; }

void condvar_wait(struct condvar *c, struct mutex *m)
{
    uint64_t flags = sched_lock();
    unlock_locked(m);
    sched_wait_locked(&c->wq);
    while (m->owner)
        sched_wait_locked(&m->wq);
    m->owner = thread_current();
    sched_unlock(flags);
}

void condvar_signal(struct condvar *c)
{
    uint64_t flags = sched_lock();
    sched_wake_one_locked(&c->wq);
    sched_unlock(flags);
}

void condvar_broadcast(struct condvar *c)
{
    uint64_t flags = sched_lock();
    sched_wake_all_locked(&c->wq);
    sched_unlock(flags);
}

void sem_init(struct semaphore *s, long count) { *s = (struct semaphore)SEMAPHORE_INIT(count); }

void sem_down(struct semaphore *s)
{
    uint64_t flags = sched_lock();
    while (s->count <= 0)
        sched_wait_locked(&s->wq);
    s->count--;
    sched_unlock(flags);
}

void sem_up(struct semaphore *s)
{
    uint64_t flags = sched_lock();
    s->count++;
    sched_wake_one_locked(&s->wq);
    sched_unlock(flags);
}

int sem_trydown(struct semaphore *s)
{
    uint64_t flags = sched_lock();
    int ok = s->count > 0;
    if (ok)
        s->count--;
    sched_unlock(flags);
    return ok;
}

int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns)
{
    uint64_t deadline = clock_monotonic_ns() + timeout_ns;
    uint64_t flags = sched_lock();
    while (s->count <= 0) {
        if (clock_monotonic_ns() >= deadline || sched_wait_deadline_locked(&s->wq, deadline)) {
            if (s->count > 0)
                break;
            sched_unlock(flags);
            return -ETIMEDOUT;
        }
    }
    s->count--;
    sched_unlock(flags);
    return 0;
}
