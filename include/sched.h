/* Threads and the scheduler: preemptive, round-robin with a time slice,
 * per-CPU current/idle threads. Blocking primitives live in sync.h. */
#ifndef KESTREL_SCHED_H
#define KESTREL_SCHED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "timer.h"

struct thread;

struct waitq {
    struct thread *head, *tail;
};
#define WAITQ_INIT { 0, 0 }

enum thread_state { THREAD_RUNNABLE, THREAD_RUNNING, THREAD_BLOCKED, THREAD_DEAD };

typedef void *(*thread_fn)(void *arg);

struct thread {
    uint64_t rsp; /* saved by context_switch */
    void *stack_base;
    size_t stack_size;
    enum thread_state state;
    volatile bool on_cpu; /* still running on its stack (cleared after the switch away) */
    bool detached;
    unsigned id;
    char name[24];
    struct thread *next; /* run queue or wait queue link */
    struct waitq join_wq;
    void *retval;
    struct timer sleep_timer;
    struct waitq *timed_wq; /* the wait queue a timed wait sleeps on */
    bool timed_out;
    volatile bool deadline_fired; /* the timed wait's callback is done with this thread */
    int err_no; /* the C library's errno for this thread */
    uint64_t run_tsc; /* TSC ticks spent on a CPU before the current run */
    uint64_t on_tsc;  /* TSC when the current run began */
    struct user_ctx *uctx; /* a Linux program's thread: its ring-3 context (include/user.h) */
};

#define THREAD_STACK_DEFAULT (16 * 1024)

void sched_init(void);
/* On an AP, after its per-CPU tables: make the running code its idle thread. */
int sched_init_ap(void);
void sched_idle_loop(void) __attribute__((noreturn));
struct thread *thread_create(const char *name, thread_fn fn, void *arg, size_t stack_size);
void *thread_join(struct thread *t);
void thread_detach(struct thread *t);
void thread_exit(void *retval) __attribute__((noreturn));
void thread_yield(void);
void thread_sleep_ns(uint64_t ns);
struct thread *thread_current(void);
unsigned sched_thread_count(void);
/* CPU time: the calling thread's, and every non-idle thread's together
 * (the Linux ABI's THREAD_ and PROCESS_CPUTIME clocks). */
uint64_t thread_cpu_ns(void);
uint64_t sched_busy_ns(void);

/* Switches to the next runnable thread if there is one (or must be). */
void schedule(void);

/* For sync.c: the scheduler lock guards run queue and every wait queue. */
uint64_t sched_lock(void);
void sched_unlock(uint64_t flags);
void sched_wait_locked(struct waitq *wq); /* block current on wq; lock held on return */
/* Like sched_wait_locked, but gives up at the monotonic deadline (ns):
 * returns true if it timed out rather than being woken. */
bool sched_wait_deadline_locked(struct waitq *wq, uint64_t deadline_ns);
bool sched_wake_one_locked(struct waitq *wq);
void sched_wake_all_locked(struct waitq *wq);
/* Wakes t if it is blocked on wq (a signal cutting a wait short): true if
 * it was there. */
bool sched_wake_thread_locked(struct waitq *wq, struct thread *t);

#endif
