/* The scheduler: one FIFO run queue shared by all CPUs (load spreads by
 * itself), a reschedule IPI to wake an idle CPU when a thread becomes
 * runnable, and a 10 ms time slice per CPU that is armed only when another
 * thread waits to run, so an idle or lone thread costs no ticks (but the
 * one that ends a slice armed before). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "panic.h"
#include "sched.h"
#include "spinlock.h"
#include "user.h"

#define SLICE_NS 10000000ull

void context_switch(uint64_t *save_rsp, uint64_t load_rsp);
void thread_start_asm(void);

static struct spinlock sched_lk = SPINLOCK_INIT;
static struct waitq runq;
static unsigned next_id;
static unsigned live_threads;
static struct thread boot_thread;

uint64_t sched_lock(void) { return spin_lock_irqsave(&sched_lk); }
void sched_unlock(uint64_t flags) { spin_unlock_irqrestore(&sched_lk, flags); }

static void q_push(struct waitq *q, struct thread *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

static struct thread *q_pop(struct waitq *q)
{
    struct thread *t = q->head;
    if (!t)
        return NULL;
    q->head = t->next;
    if (!q->head)
        q->tail = NULL;
    t->next = NULL;
    return t;
}

static void slice_expired(struct timer *t, void *arg)
{
    (void)t;
    (void)arg;
    this_cpu()->need_resched = true;
}

/* Armed when a thread waits to run, and not cancelled when none does: two
 * threads handing the CPU to each other (a futex or pipe ping-pong) would
 * otherwise arm and cancel it at every hand-off, each a reprogramming of
 * the LAPIC timer (a device register write, slow under emulation). A
 * slice left armed fires once, at most 10 ms on, and finds nothing to do. */
static void update_slice(struct cpu *c)
{
    if (runq.head && c->current != c->idle && !c->slice_timer.armed)
        timer_arm(&c->slice_timer, clock_monotonic_ns() + SLICE_NS);
}

static void reap(struct thread *t)
{
    user_ctx_destroy(t->uctx);
    stack_free(t->stack_base, t->stack_size);
    free(t);
}

/* Runs on the new thread right after a switch: the previous thread is off
 * its stack now, so a dead detached one can be freed. */
static void finish_switch(void)
{
    struct cpu *c = this_cpu();
    struct thread *prev = c->prev;
    c->prev = NULL;
    if (!prev)
        return;
    prev->on_cpu = false;
    if (prev->state == THREAD_DEAD && prev->detached)
        reap(prev);
}

static uint64_t busy_tsc; /* ticks run by threads other than the idle ones */

static void account_switch(struct cpu *c, struct thread *cur, struct thread *next)
{
    uint64_t now = rdtsc();
    if (cur != c->idle && cur->on_tsc) {
        cur->run_tsc += now - cur->on_tsc;
        __atomic_add_fetch(&busy_tsc, now - cur->on_tsc, __ATOMIC_RELAXED);
    }
    next->on_tsc = now;
}

uint64_t thread_cpu_ns(void)
{
    uint64_t flags = sched_lock();
    struct thread *t = this_cpu()->current;
    uint64_t ticks = t->run_tsc + (t->on_tsc ? rdtsc() - t->on_tsc : 0);
    sched_unlock(flags);
    return tsc_to_ns(ticks);
}

uint64_t sched_busy_ns(void)
{
    uint64_t flags = sched_lock();
    uint64_t ticks = __atomic_load_n(&busy_tsc, __ATOMIC_RELAXED);
    struct cpu *self = this_cpu();
    if (self->current != self->idle && self->current->on_tsc)
        ticks += rdtsc() - self->current->on_tsc;
    sched_unlock(flags);
    return tsc_to_ns(ticks);
}

static void switch_locked(void)
{
    struct cpu *c = this_cpu();
    struct thread *cur = c->current;
    c->need_resched = false;
    if (cur->state == THREAD_RUNNING) {
        cur->state = THREAD_RUNNABLE;
        if (cur != c->idle)
            q_push(&runq, cur);
    }
    struct thread *next = q_pop(&runq);
    if (!next)
        next = c->idle;
    next->state = THREAD_RUNNING;
    if (next == cur) {
        update_slice(c);
        return;
    }
    next->on_cpu = true;
    account_switch(c, cur, next);
    c->prev = cur;
    c->current = next;
    update_slice(c);
    user_switch(cur, next);
    context_switch(&cur->rsp, next->rsp);
    finish_switch();
}

void schedule(void)
{
    uint64_t flags = sched_lock();
    switch_locked();
    sched_unlock(flags);
}

/* Another CPU sitting in its idle thread, or NULL. */
static struct cpu *find_idle_cpu(struct cpu *self)
{
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *o = cpus[i];
        if (o != self && o->online && o->current == o->idle && !o->need_resched)
            return o;
    }
    return NULL;
}

static void make_runnable_locked(struct thread *t)
{
    struct cpu *c = this_cpu();
    t->state = THREAD_RUNNABLE;
    q_push(&runq, t);
    if (c->current == c->idle) {
        c->need_resched = true;
        return;
    }
    struct cpu *idle = find_idle_cpu(c);
    if (idle) {
        idle->need_resched = true;
        smp_send_ipi(idle, VEC_RESCHED);
        return;
    }
    update_slice(c);
}

void sched_wait_locked(struct waitq *wq)
{
    struct thread *cur = this_cpu()->current;
    cur->state = THREAD_BLOCKED;
    q_push(wq, cur);
    switch_locked();
}

static bool q_remove(struct waitq *q, struct thread *t)
{
    struct thread *prev = NULL;
    for (struct thread *i = q->head; i; prev = i, i = i->next) {
        if (i != t)
            continue;
        if (prev)
            prev->next = t->next;
        else
            q->head = t->next;
        if (q->tail == t)
            q->tail = prev;
        t->next = NULL;
        return true;
    }
    return false;
}

/* Its last touch of the thread is under the scheduler lock (deadline_fired). */
static void wait_deadline(struct timer *tm, void *arg)
{
    (void)tm;
    struct thread *t = arg;
    uint64_t flags = sched_lock();
    if (t->state == THREAD_BLOCKED && t->timed_wq && q_remove(t->timed_wq, t)) {
        t->timed_out = true;
        make_runnable_locked(t);
    }
    t->deadline_fired = true;
    sched_unlock(flags);
}

bool sched_wait_deadline_locked(struct waitq *wq, uint64_t deadline_ns)
{
    struct thread *cur = this_cpu()->current;
    cur->timed_wq = wq;
    cur->timed_out = false;
    cur->deadline_fired = false;
    cur->sleep_timer.fn = wait_deadline;
    cur->sleep_timer.arg = cur;
    timer_arm(&cur->sleep_timer, deadline_ns);
    sched_wait_locked(wq);
    cur->timed_wq = NULL;
    /* Woken as the timer expired: its callback may still be on its way on
     * the CPU that armed it (callbacks run after the timer lock is dropped).
     * Wait for it, or it would touch this thread after the wait (or after
     * the thread is gone). On this CPU it has already run. */
    if (!timer_cancel(&cur->sleep_timer)) {
        while (!cur->deadline_fired) {
            spin_unlock_raw(&sched_lk);
            cpu_relax();
            spin_lock_raw(&sched_lk);
        }
    }
    return cur->timed_out;
}

bool sched_wake_one_locked(struct waitq *wq)
{
    struct thread *t = q_pop(wq);
    if (!t)
        return false;
    make_runnable_locked(t);
    return true;
}

bool sched_wake_thread_locked(struct waitq *wq, struct thread *t)
{
    if (t->state != THREAD_BLOCKED || !q_remove(wq, t))
        return false;
    make_runnable_locked(t);
    return true;
}

void sched_wake_all_locked(struct waitq *wq)
{
    while (sched_wake_one_locked(wq))
        ;
}

static void resched_ipi(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    this_cpu()->need_resched = true; /* acted on at interrupt exit */
}

/* Makes the code running now on this CPU its idle thread. */
static void adopt_idle(struct cpu *c, struct thread *t)
{
    t->state = THREAD_RUNNING;
    t->on_cpu = true;
    c->current = t;
    c->idle = t;
    timer_setup(&c->slice_timer, slice_expired, NULL);
    uint64_t flags = sched_lock();
    t->id = next_id++;
    sched_unlock(flags);
}

void sched_init(void)
{
    strlcpy(boot_thread.name, "idle0", sizeof(boot_thread.name));
    adopt_idle(this_cpu(), &boot_thread);
    irq_set_handler(VEC_RESCHED, resched_ipi, NULL);
}

int sched_init_ap(void)
{
    struct cpu *c = this_cpu();
    struct thread *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    snprintf(t->name, sizeof(t->name), "idle%u", c->id);
    adopt_idle(c, t);
    return 0;
}

void sched_idle_loop(void)
{
    for (;;) {
        irq_disable();
        if (!runq.head && !this_cpu()->need_resched)
            cpu_idle_wait(); /* sti; hlt; cli: no wake-up can slip in between */
        irq_enable();
        schedule();
    }
}

/* C half of a new thread's first run (entered from thread_start_asm with
 * the scheduler lock held by the switch that got us here). */
void thread_start(thread_fn fn, void *arg) __attribute__((noreturn));
void thread_start(thread_fn fn, void *arg)
{
    finish_switch();
    spin_unlock_raw(&sched_lk);
    irq_enable();
    thread_exit(fn(arg));
}

struct thread *thread_create(const char *name, thread_fn fn, void *arg, size_t stack_size)
{
    if (stack_size == 0)
        stack_size = THREAD_STACK_DEFAULT;
    struct thread *t = calloc(1, sizeof(*t));
    if (!t)
        return NULL;
    uint64_t top;
    t->stack_base = stack_alloc(stack_size, &top);
    if (!t->stack_base) {
        free(t);
        return NULL;
    }
    t->stack_size = stack_size;
    strlcpy(t->name, name, sizeof(t->name));
    timer_setup(&t->sleep_timer, NULL, t);
    /* Frame popped by context_switch: r15 r14 r13 r12 rbx rbp, then the
     * return address; two zero words above keep the ABI's 16-byte alignment. */
    uint64_t *sp = (uint64_t *)(uintptr_t)top;
    *--sp = 0;
    *--sp = 0;
    *--sp = (uint64_t)(uintptr_t)thread_start_asm;
    *--sp = 0;                            /* rbp: ends backtraces */
    *--sp = 0;                            /* rbx */
    *--sp = (uint64_t)(uintptr_t)fn;      /* r12 */
    *--sp = (uint64_t)(uintptr_t)arg;     /* r13 */
    *--sp = 0;                            /* r14 */
    *--sp = 0;                            /* r15 */
    t->rsp = (uint64_t)(uintptr_t)sp;
    uint64_t flags = sched_lock();
    t->id = next_id++;
    live_threads++;
    make_runnable_locked(t);
    sched_unlock(flags);
    return t;
}

void thread_exit(void *retval)
{
    uint64_t flags = sched_lock();
    (void)flags;
    struct thread *cur = this_cpu()->current;
    if (cur == this_cpu()->idle)
        panic("thread_exit called by the idle thread");
    cur->retval = retval;
    cur->state = THREAD_DEAD;
    live_threads--;
    sched_wake_all_locked(&cur->join_wq);
    switch_locked();
    panic("dead thread %s was scheduled again", cur->name);
}

void *thread_join(struct thread *t)
{
    uint64_t flags = sched_lock();
    if (t->detached || t == this_cpu()->current) {
        sched_unlock(flags);
        panic("thread_join(%s): thread is detached or the caller itself", t->name);
    }
    while (t->state != THREAD_DEAD)
        sched_wait_locked(&t->join_wq);
    sched_unlock(flags);
    while (t->on_cpu)
        cpu_relax();
    void *rv = t->retval;
    reap(t);
    return rv;
}

void thread_detach(struct thread *t)
{
    uint64_t flags = sched_lock();
    t->detached = true;
    bool dead = t->state == THREAD_DEAD && !t->on_cpu;
    sched_unlock(flags);
    if (dead)
        reap(t);
}

void thread_yield(void)
{
    schedule();
}

static void sleep_wake(struct timer *tm, void *arg)
{
    (void)tm;
    struct thread *t = arg;
    uint64_t flags = sched_lock();
    if (t->state == THREAD_BLOCKED)
        make_runnable_locked(t);
    sched_unlock(flags);
}

void thread_sleep_ns(uint64_t ns)
{
    uint64_t flags = sched_lock();
    struct thread *cur = this_cpu()->current;
    cur->sleep_timer.fn = sleep_wake;
    cur->sleep_timer.arg = cur;
    timer_arm(&cur->sleep_timer, clock_monotonic_ns() + ns);
    cur->state = THREAD_BLOCKED;
    switch_locked();
    sched_unlock(flags);
}

struct thread *thread_current(void)
{
    /* One instruction: no preemption between finding the CPU and reading it. */
    struct thread *t;
    __asm__ volatile("movq %%gs:8, %0" : "=r"(t));
    return t;
}

unsigned sched_thread_count(void) { return live_threads; }
