/* Threads of the one process: clone (a Kestrel thread entering user mode at
 * the call's return point with rax 0, its own stack and TLS), the thread
 * list that gettid/tgkill/exit_group walk, CLONE_CHILD_CLEARTID on exit,
 * exit (one thread) and exit_group (all), and the interruptible wait that
 * lets a signal cut a blocking call short. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "clock.h"
#include "clone_args.h"
#include "log.h"
#include "memory.h"
#include "power.h"
#include "sched.h"
#include "spinlock.h"
#include "thread.h"
#include "uaccess.h"
#include "user.h"

/* Kernel stack of a program's thread: system calls run on it. */
#define LTHREAD_KSTACK (32 * 1024)
/* Above this Linux threads, clone is EAGAIN whatever memory is left. */
#define LTHREAD_MAX 4096
/* How long exit_group waits for the other threads to leave user mode. */
#define GROUP_EXIT_WAIT_NS 200000000ull

static struct lthread *threads; /* guarded by the scheduler lock */
static unsigned nthreads;
static int next_tid;
static bool group_exiting;
static struct lthread *main_thread; /* linux/exec.c's, not freed */

struct lthread *lthread_list_locked(void) { return threads; }

struct lthread *lthread_find_locked(int tid)
{
    for (struct lthread *t = threads; t; t = t->next)
        if (t->tid == tid)
            return t;
    return NULL;
}

static void list_add_locked(struct lthread *t)
{
    t->next = threads;
    threads = t;
    nthreads++;
}

static void list_remove_locked(struct lthread *t)
{
    for (struct lthread **p = &threads; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            nthreads--;
            return;
        }
    }
}

void lthread_register_main(struct lthread *t, struct thread *th)
{
    uint64_t flags = sched_lock();
    t->thread = th;
    main_thread = t;
    next_tid = t->tid + 1;
    list_add_locked(t);
    sched_unlock(flags);
}

int lthread_block_locked(struct waitq *wq, uint64_t deadline_ns)
{
    struct lthread *t = lthread_current();
    if (t && (signal_pending_locked(t) || t->exiting))
        return -EINTR;
    if (deadline_ns && clock_monotonic_ns() >= deadline_ns)
        return -ETIMEDOUT;
    if (t) {
        t->intr_wq = wq;
        t->interrupted = false;
    }
    bool timed_out = false;
    if (deadline_ns)
        timed_out = sched_wait_deadline_locked(wq, deadline_ns);
    else
        sched_wait_locked(wq);
    if (t) {
        t->intr_wq = NULL;
        if (t->interrupted)
            return -EINTR;
    }
    return timed_out ? -ETIMEDOUT : 0;
}

int lthread_sleep_ns(uint64_t ns)
{
    struct waitq wq = WAITQ_INIT;
    uint64_t now = clock_monotonic_ns();
    uint64_t deadline = now + ns < now ? UINT64_MAX : now + ns;
    uint64_t flags = sched_lock();
    int e = lthread_block_locked(&wq, deadline ? deadline : 1);
    sched_unlock(flags);
    return e == -ETIMEDOUT ? 0 : e;
}

/* ---- clone ---- */
struct child_start {
    struct lthread *lt;
    struct user_ctx *uctx;
    struct int_frame frame;
};

static void *child_main(void *arg)
{
    struct child_start *cs = arg;
    struct thread *me = thread_current();
    struct int_frame f = cs->frame;
    user_ctx_attach(cs->uctx); /* the parent's FPU state, copied at clone */
    uint64_t flags = sched_lock();
    cs->lt->thread = me;
    sched_unlock(flags);
    free(cs);
    f.vector = 0; /* not a system call of this thread's to restart */
    signal_deliver(&f); /* one sent before its first run */
    user_enter(&f);
}

static uint64_t thread_cost(void)
{
    return LTHREAD_KSTACK + user_xsave_size() + 64 + sizeof(struct lthread) +
           sizeof(struct user_ctx) + sizeof(struct thread) + 4096;
}

static int put_tid(uint64_t uaddr, int tid)
{
    return copy_to_user((void *)uaddr, &tid, sizeof tid);
}

/* The new thread's context: the parent's, with what clone changes. */
static struct child_start *child_prepare(const struct clone_req *r, struct lthread *parent)
{
    struct child_start *cs = calloc(1, sizeof *cs);
    struct lthread *lt = calloc(1, sizeof *lt);
    struct user_ctx *u = user_ctx_create();
    if (!cs || !lt || !u) {
        free(cs);
        free(lt);
        user_ctx_destroy(u);
        return NULL;
    }
    struct user_ctx *pu = thread_current()->uctx;
    user_fpu_copy_current(u); /* the parent's live FPU state, as Linux copies it */
    u->fs_base = (r->flags & CLONE_SETTLS) ? r->tls : pu->fs_base;
    u->gs_base = pu->gs_base;
    u->lthread = lt;
    snprintf(lt->name, sizeof lt->name, "%s", parent->name);
    lt->blocked = parent->blocked;
    cs->lt = lt;
    cs->uctx = u;
    cs->frame = *linux_user_regs();
    cs->frame.rax = 0;
    if (r->stack)
        cs->frame.rsp = r->stack;
    return cs;
}

static void child_discard(struct child_start *cs)
{
    user_ctx_destroy(cs->uctx);
    free(cs->lt);
    free(cs);
}

/* Each reason clone_check gives (a string literal) is logged once: a
 * daemon retrying fork() in a loop cannot flood the console. */
static bool first_refusal(const char *why)
{
    static const char *said[16];
    static struct spinlock said_lock = SPINLOCK_INIT;
    uint64_t flags = spin_lock_irqsave(&said_lock);
    bool first = true;
    unsigned i = 0;
    for (; i < 16 && said[i]; i++) {
        if (said[i] == why)
            first = false;
    }
    if (first && i < 16)
        said[i] = why;
    spin_unlock_irqrestore(&said_lock, flags);
    return first;
}

SYSCALL_DECL(clone)
{
    struct clone_req r;
    const char *why;
    /* x86-64 order: flags, stack, parent_tid, child_tid, tls */
    int e = clone_check(s->a[0], s->a[1], s->a[2], s->a[3], s->a[4], &r, &why);
    if (e) {
        if (first_refusal(why))
            klog(LOG_WARN, "linux: clone(%#lx) refused: %s (said once)\n", (unsigned long)s->a[0], why);
        return e;
    }
    if ((r.flags & CLONE_PARENT_SETTID) && user_buffer_prepare((void *)r.parent_tid, 4, true))
        return -EFAULT;
    if ((r.flags & (CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)) && r.child_tid &&
        user_buffer_prepare((void *)r.child_tid, 4, true))
        return -EFAULT;
    struct lthread *parent = lthread_current();
    uint64_t flags = sched_lock();
    bool may = !group_exiting &&
               clone_may_create(nthreads, memory_free_bytes(), thread_cost(), LTHREAD_MAX);
    sched_unlock(flags);
    if (!may)
        return -EAGAIN;
    struct child_start *cs = child_prepare(&r, parent);
    if (!cs)
        return -EAGAIN;
    struct lthread *lt = cs->lt;
    flags = sched_lock();
    lt->tid = next_tid++;
    list_add_locked(lt);
    sched_unlock(flags);
    int tid = lt->tid;
    if (r.flags & CLONE_CHILD_CLEARTID)
        lt->clear_child_tid = r.child_tid;
    if (((r.flags & CLONE_CHILD_SETTID) && r.child_tid && put_tid(r.child_tid, tid)) ||
        ((r.flags & CLONE_PARENT_SETTID) && put_tid(r.parent_tid, tid))) {
        flags = sched_lock();
        list_remove_locked(lt);
        sched_unlock(flags);
        child_discard(cs);
        return -EFAULT;
    }
    char name[24];
    snprintf(name, sizeof name, "tid%d", tid);
    struct thread *th = thread_create(name, child_main, cs, LTHREAD_KSTACK);
    if (!th) {
        flags = sched_lock();
        list_remove_locked(lt);
        sched_unlock(flags);
        child_discard(cs);
        return -EAGAIN;
    }
    thread_detach(th);
    return tid;
}

/* fork, vfork and clone3: one process only. The table's default would say
 * ENOSYS too; these say why, once. */
static long no_new_process(const char *call)
{
    static bool said[3];
    int i = call[0] == 'f' ? 0 : call[0] == 'v' ? 1 : 2;
    if (!said[i]) {
        said[i] = true;
        klog(LOG_WARN, "linux: %s: ENOSYS (Kestrel runs one process)\n", call);
    }
    return -ENOSYS;
}

SYSCALL_DECL(fork) { (void)s; return no_new_process("fork"); }
SYSCALL_DECL(vfork) { (void)s; return no_new_process("vfork"); }
SYSCALL_DECL(clone3) { (void)s; return no_new_process("clone3"); }

/* ---- exit ---- */
void lthread_exit(int code)
{
    struct lthread *t = lthread_current();
    /* Off the list first: once a joiner sees the tid word cleared, the tid
     * names no thread (tgkill: ESRCH). */
    uint64_t flags = sched_lock();
    list_remove_locked(t);
    bool last = nthreads == 0 && !group_exiting;
    sched_unlock(flags);
    if (t->clear_child_tid) {
        int zero = 0;
        if (copy_to_user((void *)t->clear_child_tid, &zero, sizeof zero) == 0)
            futex_wake_addr(t->clear_child_tid, 1);
    }
    flags = sched_lock();
    thread_current()->uctx->lthread = NULL;
    sched_unlock(flags);
    if (t != main_thread)
        free(t);
    if (last)
        lproc_exit_group(code);
    thread_exit(NULL);
}

void lproc_exit_group(int status)
{
    struct lthread *self = lthread_current();
    uint64_t flags = sched_lock();
    if (group_exiting) {
        /* Another thread is ending the program already: just stop. */
        sched_unlock(flags);
        if (self)
            lthread_exit(status);
        thread_exit(NULL);
    }
    group_exiting = true;
    for (struct lthread *t = threads; t; t = t->next) {
        if (t != self) {
            t->exiting = true;
            signal_interrupt_locked(t);
        }
    }
    sched_unlock(flags);
    /* The others stop at their next return to user mode (or are cut out of
     * an interruptible wait); one stuck in the kernel is not waited for. */
    uint64_t deadline = clock_monotonic_ns() + GROUP_EXIT_WAIT_NS;
    while (clock_monotonic_ns() < deadline) {
        flags = sched_lock();
        unsigned left = nthreads - (self ? 1 : 0);
        sched_unlock(flags);
        if (!left)
            break;
        thread_sleep_ns(1000000);
    }
    program_exit(status);
}

SYSCALL_DECL(exit)
{
    lthread_exit((int)(s->a[0] & 0xff));
}

SYSCALL_DECL(exit_group)
{
    lproc_exit_group((int)(s->a[0] & 0xff));
}
