/* Blocking synchronisation for threads: mutex, condition variable and
 * counting semaphore, all built on the scheduler's wait queues. */
#ifndef KESTREL_SYNC_H
#define KESTREL_SYNC_H
#include "sched.h"

struct mutex {
    uintptr_t state; /* core/sync.c: the owner, and a bit for waiters */
    struct waitq wq;
};
#define MUTEX_INIT { 0, WAITQ_INIT }

struct condvar {
    struct waitq wq;
};
#define CONDVAR_INIT { WAITQ_INIT }

struct semaphore {
    long count;
    struct waitq wq;
};
#define SEMAPHORE_INIT(n) { (n), WAITQ_INIT }

void mutex_init(struct mutex *m);
void mutex_lock(struct mutex *m);
int mutex_trylock(struct mutex *m); /* 1 if taken */
void mutex_unlock(struct mutex *m);

void condvar_init(struct condvar *c);
void condvar_wait(struct condvar *c, struct mutex *m);
void condvar_signal(struct condvar *c);
void condvar_broadcast(struct condvar *c);

void sem_init(struct semaphore *s, long count);
void sem_down(struct semaphore *s);
void sem_up(struct semaphore *s);
/* Takes the semaphore if it is free now: 1 if taken. */
int sem_trydown(struct semaphore *s);
/* Waits at most timeout_ns: 0 when taken, -ETIMEDOUT otherwise. */
int sem_down_timeout(struct semaphore *s, uint64_t timeout_ns);

#endif
