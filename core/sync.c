/* Mutex, condition variable and semaphore over the scheduler's wait queues;
 * the scheduler lock makes each check-then-block step atomic. */
#include <errno.h>
#include "clock.h"
#include "cpu.h"
#include "panic.h"
#include "sync.h"

void mutex_init(struct mutex *m) { *m = (struct mutex)MUTEX_INIT; }

/* The state word: the owner's thread pointer (0 when free), with
 * MUTEX_CONTENDED set while a thread may wait in wq. Taking a free mutex and
 * giving back one nobody waits for are one compare-and-swap each, without
 * the scheduler lock (a system call takes two mutexes or more, and the lock
 * with its interrupt save was most of their cost); everything else runs
 * under the scheduler lock, which makes check-then-block atomic. A thread a
 * release woke is off the queue and no longer counted in the bit: if others
 * still wait, it sets the bit again when it takes the mutex or sleeps. */
#define MUTEX_CONTENDED ((uintptr_t)1)

static uintptr_t owner_of(uintptr_t state) { return state & ~MUTEX_CONTENDED; }

static bool state_cas(struct mutex *m, uintptr_t from, uintptr_t to)
{
    return __atomic_compare_exchange_n(&m->state, &from, to, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED);
}

/* Takes m for cur, sleeping while another holds it; sched lock held. */
static void lock_locked(struct mutex *m, struct thread *cur)
{
    for (;;) {
        uintptr_t s = __atomic_load_n(&m->state, __ATOMIC_RELAXED);
        if (s == 0) {
            uintptr_t mine = (uintptr_t)cur | (m->wq.head ? MUTEX_CONTENDED : 0);
            if (state_cas(m, 0, mine))
                return;
            continue;
        }
        if (!(s & MUTEX_CONTENDED) && !state_cas(m, s, s | MUTEX_CONTENDED))
            continue; /* released or taken meanwhile: look again */
        sched_wait_locked(&m->wq);
    }
}

void mutex_lock(struct mutex *m)
{
    struct thread *cur = thread_current();
    if (state_cas(m, 0, (uintptr_t)cur))
        return;
    /* Only this thread can make itself the owner: no lock needed to ask. */
    if (owner_of(__atomic_load_n(&m->state, __ATOMIC_RELAXED)) == (uintptr_t)cur)
        panic("mutex %p: recursive lock by %s", (void *)m, cur->name);
    uint64_t flags = sched_lock();
    lock_locked(m, cur);
    sched_unlock(flags);
}

int mutex_trylock(struct mutex *m) { return state_cas(m, 0, (uintptr_t)thread_current()); }

static void unlock_locked(struct mutex *m)
{
    struct thread *cur = thread_current();
    if (owner_of(__atomic_load_n(&m->state, __ATOMIC_RELAXED)) != (uintptr_t)cur)
        panic("mutex %p unlocked by %s, which does not own it", (void *)m, cur->name);
    __atomic_store_n(&m->state, 0, __ATOMIC_RELEASE);
    sched_wake_one_locked(&m->wq);
}

void mutex_unlock(struct mutex *m)
{
    if (state_cas(m, (uintptr_t)thread_current(), 0))
        return; /* nobody waits */
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
    lock_locked(m, thread_current());
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
