/* Signals of the one process: dispositions (rt_sigaction), per-thread masks
 * and pending sets, sigaltstack, delivery on every return to user mode
 * (an rt_sigframe on the user stack, built by linux/signal_frame.c, or the
 * default action), rt_sigreturn, kill/tgkill/tkill, and CPU faults turned
 * into the program's signals. All signal state is guarded by the scheduler
 * lock, which also guards the wait queues a signal interrupts. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "futex_table.h"
#include "log.h"
#include "sched.h"
#include "signal_frame.h"
#include "thread.h"
#include "uaccess.h"
#include "user.h"

#define SYSCALL_VECTOR 0x100

static struct kernel_sigaction actions[LNX_NSIG + 1];
static lsigset_t shared_pending;              /* kill(): any thread may take it */
static struct lsig_info shared_info[LNX_NSIG];

static struct int_frame *user_frame(void) { return linux_user_regs(); }

bool signal_pending_locked(const struct lthread *t)
{
    return ((t->pending | shared_pending) & ~t->blocked) != 0;
}

/* A thread running user code on another CPU is sent the reschedule IPI:
 * its return to user mode delivers the signal. */
static void kick_locked(struct lthread *t)
{
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *c = cpus[i];
        if (c && c != this_cpu() && c->online && c->current == t->thread) {
            c->need_resched = true;
            smp_send_ipi(c, VEC_RESCHED);
        }
    }
}

static void interrupt_locked(struct lthread *t)
{
    if (t->intr_wq && sched_wake_thread_locked(t->intr_wq, t->thread)) {
        t->interrupted = true;
        return;
    }
    kick_locked(t);
}

/* Will t take sig now: not blocked, or waited for in rt_sigtimedwait? */
static bool takes(const struct lthread *t, int sig)
{
    return !(t->blocked & sigbit(sig)) || (t->waiting & sigbit(sig));
}

/* Who takes a process-wide signal: the caller if it may, else any thread not
 * blocking it (Linux's complete_signal). */
static struct lthread *pick_target_locked(int sig)
{
    struct lthread *self = lthread_current();
    if (self && takes(self, sig))
        return self;
    for (struct lthread *t = lthread_list_locked(); t; t = t->next)
        if (takes(t, sig))
            return t;
    return NULL;
}

static void send_locked(struct lthread *t, int sig, const struct lsig_info *info)
{
    if (sig_ignored(&actions[sig], sig))
        return;
    if (t) {
        t->pending |= sigbit(sig);
        t->info[sig - 1] = *info;
    } else {
        shared_pending |= sigbit(sig);
        shared_info[sig - 1] = *info;
        t = pick_target_locked(sig);
    }
    if (t && takes(t, sig))
        interrupt_locked(t);
}

void signal_send(struct lthread *t, int sig, const struct lsig_info *info)
{
    uint64_t flags = sched_lock();
    send_locked(t, sig, info);
    sched_unlock(flags);
    signalfd_notify(); /* outside the lock: its waiters' wake-ups take it */
}

static int dequeue_masked_locked(struct lthread *t, lsigset_t mask, struct lsig_info *info);

int signal_take(lsigset_t mask, struct lsig_info *info)
{
    struct lthread *t = lthread_current();
    if (!t)
        return 0;
    uint64_t flags = sched_lock();
    int sig = dequeue_masked_locked(t, ~mask, info);
    sched_unlock(flags);
    return sig;
}

bool signal_pending_in(lsigset_t mask)
{
    struct lthread *t = lthread_current();
    if (!t)
        return false;
    uint64_t flags = sched_lock();
    bool any = ((t->pending | shared_pending) & mask) != 0;
    sched_unlock(flags);
    return any;
}

void signal_interrupt_locked(struct lthread *t)
{
    interrupt_locked(t);
}

void signal_process(int sig)
{
    struct lsig_info info = {.code = SI_KERNEL};
    signal_send(NULL, sig, &info);
}

/* ---- the default action ---- */
static void __attribute__((noreturn)) die(int sig)
{
    if (sig < 32)
        kprintf("app: killed by %s\n", sig_name(sig));
    else
        kprintf("app: killed by SIGRTMIN+%d\n", sig - 32);
    lproc_exit_group(128 + sig);
}

/* A fault's death: the line linux/entry.c's linux_fatal_signal prints. */
static void __attribute__((noreturn)) die_fault(int sig, uint64_t addr, uint64_t rip)
{
    kprintf("app: %s at 0x%lx, rip 0x%lx\n", sig_name(sig), (unsigned long)addr, (unsigned long)rip);
    lproc_exit_group(128 + sig);
}

void signal_fault(struct int_frame *f, int sig, int code, uint64_t addr)
{
    struct lthread *t = lthread_current();
    if (code == 0)
        sig_from_fault((unsigned)f->vector, f->error, &code);
    uint64_t flags = sched_lock();
    sig_force(&actions[sig], &t->blocked, sig);
    bool handled = actions[sig].handler != SIG_DFL_ADDR;
    if (handled) {
        t->pending |= sigbit(sig);
        t->info[sig - 1] = (struct lsig_info){.code = code, .addr = addr, .trapno = f->vector,
                                              .err = f->error, .fault = true};
    }
    sched_unlock(flags);
    if (handled)
        return; /* delivered on the way back to user mode */
    die_fault(sig, addr, f->rip);
}

/* ---- delivery ---- */
static size_t fp_frame_size(void)
{
    return user_xsave_size() + (user_has_xsave() ? 4 : 0);
}

static uint64_t xcr0_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo | (uint64_t)hi << 32;
}

/* area into the live state and the thread's saved copy, with interrupts off
 * so a switch cannot save the old live state over it in between. */
static void fpu_load_live(struct user_ctx *u, const void *area)
{
    uint64_t fl = irq_save();
    memcpy(u->xsave, area, user_xsave_size());
    if (user_has_xsave())
        __asm__ volatile("xrstor64 (%0)" ::"r"(u->xsave), "a"(~0u), "d"(~0u) : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(u->xsave) : "memory");
    irq_restore(fl);
}

/* Linux's fpx_sw_bytes in the frame's FXSAVE area and the trailing magic. */
static int write_fp_frame(uint64_t uaddr, struct user_ctx *u)
{
    size_t size = user_xsave_size();
    user_fpu_copy_current(u); /* the live state into the thread's own area */
    if (copy_to_user((void *)uaddr, u->xsave, size))
        return -EFAULT;
    if (!user_has_xsave())
        return 0;
    struct {
        uint32_t magic1, extended_size;
        uint64_t xfeatures;
        uint32_t xstate_size, pad[7];
    } sw = {FP_XSTATE_MAGIC1, (uint32_t)size + 4, xcr0_now(), (uint32_t)size, {0}};
    uint32_t magic2 = FP_XSTATE_MAGIC2;
    if (copy_to_user((void *)(uaddr + 464), &sw, sizeof sw) ||
        copy_to_user((void *)(uaddr + size), &magic2, 4))
        return -EFAULT;
    return 0;
}

static void fill_siginfo(struct lsiginfo *si, int sig, const struct lsig_info *in)
{
    memset(si, 0, sizeof *si);
    si->si_signo = sig;
    si->si_code = in->code;
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP)
        si->u.fault.addr = in->addr;
    else
        si->u.kill.pid = in->pid;
}

/* Builds the handler's frame and points f at the handler; false when the
 * frame could not be written (the program is then killed with SIGSEGV). */
static bool setup_frame(struct int_frame *f, struct lthread *t, int sig,
                        const struct kernel_sigaction *act, const struct lsig_info *in,
                        lsigset_t old_blocked)
{
    struct sigframe_layout l;
    if (sigframe_place(&t->alt, f->rsp, (act->flags & SA_ONSTACK) != 0, fp_frame_size(), &l))
        return false;
    if (user_buffer_prepare((void *)l.frame, l.fpstate + fp_frame_size() - l.frame, true))
        return false;
    if (write_fp_frame(l.fpstate, thread_current()->uctx))
        return false;
    struct lsiginfo si;
    fill_siginfo(&si, sig, in);
    struct sigframe_in fi = {.regs = f, .sig = sig, .info = &si, .act = act,
                             .old_blocked = old_blocked, .alt = &t->alt,
                             .xsave = user_has_xsave(), .trapno = in->trapno, .err = in->err,
                             .cr2 = in->trapno == 14 ? in->addr : 0};
    struct rt_sigframe *frame = malloc(sizeof *frame);
    if (!frame)
        return false;
    sigframe_fill(frame, &fi, &l);
    int e = copy_to_user((void *)l.frame, frame, sizeof *frame);
    free(frame);
    if (e)
        return false;
    sigframe_enter(f, &fi, &l, USER_CS, USER_DS);
    if (l.on_altstack && (t->alt.flags & SS_AUTODISARM))
        t->alt = (struct altstack){0};
    return true;
}

/* Takes the next deliverable signal off the thread's or the process's set. */
/* Takes the next signal of the thread's or the process's set that is not
 * in mask. */
static int dequeue_masked_locked(struct lthread *t, lsigset_t mask, struct lsig_info *info)
{
    int sig = sig_next(t->pending | shared_pending, mask);
    if (!sig)
        return 0;
    if (t->pending & sigbit(sig)) {
        t->pending &= ~sigbit(sig);
        *info = t->info[sig - 1];
    } else {
        shared_pending &= ~sigbit(sig);
        *info = shared_info[sig - 1];
    }
    return sig;
}

static int dequeue_locked(struct lthread *t, struct lsig_info *info)
{
    return dequeue_masked_locked(t, t->blocked, info);
}

static bool is_restart(long ret)
{
    return ret == -ERESTARTSYS || ret == -ERESTARTNOHAND;
}

static __attribute__((noinline)) void deliver(struct int_frame *f, struct lthread *t)
{
    bool from_syscall = f->vector == SYSCALL_VECTOR;
    long ret = (long)f->rax;
    for (;;) {
        if (t->exiting)
            lthread_exit(0);
        uint64_t flags = sched_lock();
        struct lsig_info info;
        int sig = dequeue_locked(t, &info);
        if (!sig) {
            sched_unlock(flags);
            break;
        }
        struct kernel_sigaction act = actions[sig];
        if (sig_ignored(&act, sig)) {
            sched_unlock(flags);
            continue;
        }
        if (act.handler == SIG_DFL_ADDR) {
            sched_unlock(flags);
            if (info.fault)
                die_fault(sig, info.addr, f->rip);
            die(sig);
        }
        /* After rt_sigsuspend the frame keeps the mask from before it. */
        lsigset_t old = t->has_saved_blocked ? t->saved_blocked : t->blocked;
        t->blocked = sig_handler_mask(&act, sig, t->blocked);
        t->has_saved_blocked = false;
        if (act.flags & SA_RESETHAND)
            actions[sig].handler = SIG_DFL_ADDR;
        sched_unlock(flags);
        if (from_syscall && is_restart(ret))
            sig_syscall_restart(f, ret, true, (act.flags & SA_RESTART) != 0, f->error);
        if (!setup_frame(f, t, sig, &act, &info, old)) {
            kprintf("app: bad signal frame for %s at rsp 0x%lx\n", sig_name(sig),
                    (unsigned long)f->rsp);
            die(SIGSEGV);
        }
        return; /* one frame per return; more come on the next */
    }
    if (from_syscall && is_restart(ret))
        sig_syscall_restart(f, ret, false, false, f->error);
    if (t->has_saved_blocked) { /* no handler ran: rt_sigsuspend's mask goes */
        uint64_t flags = sched_lock();
        t->blocked = t->saved_blocked;
        t->has_saved_blocked = false;
        sched_unlock(flags);
    }
}

void signal_deliver(struct int_frame *f)
{
    struct lthread *t = lthread_current();
    if (!t)
        return;
    /* The common return, nothing to do, without the scheduler lock: aligned
     * loads of words only a locked sender changes. A signal sent just after
     * this look is as one sent just after deliver's locked look: acted on at
     * the next entry (a sender interrupts a thread it must wake). */
    if (__atomic_load_n(&t->exiting, __ATOMIC_RELAXED) || t->has_saved_blocked ||
        (f->vector == SYSCALL_VECTOR && is_restart((long)f->rax)) ||
        ((__atomic_load_n(&t->pending, __ATOMIC_RELAXED) | __atomic_load_n(&shared_pending, __ATOMIC_RELAXED)) &
         ~t->blocked))
        deliver(f, t);
}

/* ---- system calls ---- */
SYSCALL_DECL(rt_sigaction)
{
    int sig = (int)s->a[0];
    const void *uact = (const void *)s->a[1];
    void *uoact = (void *)s->a[2];
    int e = sig_action_check(sig, s->a[3], uact != NULL);
    if (e)
        return e;
    struct kernel_sigaction act, old;
    if (uact && copy_from_user(&act, uact, sizeof act))
        return -EFAULT;
    uint64_t flags = sched_lock();
    old = actions[sig];
    if (uact) {
        sig_action_store(&actions[sig], &act);
        /* Setting SIG_IGN (or a default-ignore) discards what is pending. */
        if (sig_ignored(&actions[sig], sig)) {
            shared_pending &= ~sigbit(sig);
            for (struct lthread *t = lthread_list_locked(); t; t = t->next)
                t->pending &= ~sigbit(sig);
        }
    }
    sched_unlock(flags);
    if (uoact && copy_to_user(uoact, &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DECL(rt_sigprocmask)
{
    int how = (int)s->a[0];
    const void *uset = (const void *)s->a[1];
    void *uold = (void *)s->a[2];
    if (s->a[3] != sizeof(lsigset_t))
        return -EINVAL;
    lsigset_t set = 0;
    if (uset && copy_from_user(&set, uset, sizeof set))
        return -EFAULT;
    struct lthread *t = lthread_current();
    uint64_t flags = sched_lock();
    lsigset_t old = t->blocked;
    int e = uset ? sig_mask_apply(&t->blocked, how, set, s->a[3]) : 0;
    sched_unlock(flags);
    if (e)
        return e;
    if (uold && copy_to_user(uold, &old, sizeof old))
        return -EFAULT;
    return 0;
}

SYSCALL_DECL(rt_sigpending)
{
    if (s->a[1] != sizeof(lsigset_t))
        return -EINVAL;
    struct lthread *t = lthread_current();
    uint64_t flags = sched_lock();
    lsigset_t set = (t->pending | shared_pending) & t->blocked;
    sched_unlock(flags);
    return copy_to_user((void *)s->a[0], &set, sizeof set) ? -EFAULT : 0;
}

SYSCALL_DECL(sigaltstack)
{
    const void *uss = (const void *)s->a[0];
    void *uoss = (void *)s->a[1];
    struct lthread *t = lthread_current();
    uint64_t sp = user_frame()->rsp;
    struct lstack old, ss;
    altstack_get(&t->alt, sp, &old);
    if (uss) {
        if (copy_from_user(&ss, uss, sizeof ss))
            return -EFAULT;
        int e = altstack_set(&t->alt, sp, &ss);
        if (e)
            return e;
    }
    if (uoss && copy_to_user(uoss, &old, sizeof old))
        return -EFAULT;
    return 0;
}

/* The program's FPU image back from a frame: checked, then loaded. */
static int restore_fp(uint64_t ufp)
{
    if (!ufp)
        return 0;
    size_t size = user_xsave_size();
    uint8_t *img = malloc(size);
    if (!img)
        return -ENOMEM;
    if (copy_from_user(img, (const void *)ufp, size)) {
        free(img);
        return -EFAULT;
    }
    uint32_t mask;
    memcpy(&mask, (uint8_t *)thread_current()->uctx->xsave + 28, 4);
    fpstate_sanitize(img, size, user_has_xsave(), user_has_xsave() ? xcr0_now() : 0,
                     mask ? mask : 0xffbf);
    fpu_load_live(thread_current()->uctx, img);
    free(img);
    return 0;
}

SYSCALL_DECL(rt_sigreturn)
{
    (void)s;
    struct int_frame *f = user_frame();
    struct lthread *t = lthread_current();
    /* The handler's ret popped pretcode: the frame starts 8 below rsp. */
    uint64_t uframe = f->rsp - 8;
    struct rt_sigframe *frame = malloc(sizeof *frame);
    if (!frame)
        die(SIGSEGV);
    if (copy_from_user(frame, (const void *)uframe, sizeof *frame) ||
        sigreturn_restore(f, &frame->uc.uc_mcontext, USER_CS, USER_DS) ||
        restore_fp(frame->uc.uc_mcontext.fpstate)) {
        free(frame);
        kprintf("app: bad rt_sigreturn frame at 0x%lx\n", (unsigned long)uframe);
        die(SIGSEGV);
    }
    uint64_t flags = sched_lock();
    t->blocked = frame->uc.uc_sigmask & ~SIG_UNBLOCKABLE;
    sched_unlock(flags);
    /* As Linux: a failed restore of the alternate stack is ignored. */
    (void)altstack_set(&t->alt, f->rsp, &frame->uc.uc_stack);
    free(frame);
    f->vector = 0; /* not a system call to restart */
    return (long)f->rax;
}

static int check_sig(uint64_t sig)
{
    return sig > LNX_NSIG ? -EINVAL : 0;
}

static long send_to_thread(int tid, uint64_t sig)
{
    if (check_sig(sig) || tid <= 0)
        return -EINVAL;
    struct lsig_info info = {.code = SI_TKILL, .pid = lproc_current()->pid};
    uint64_t flags = sched_lock();
    struct lthread *t = lthread_find_locked(tid);
    if (t && sig)
        send_locked(t, (int)sig, &info);
    sched_unlock(flags);
    signalfd_notify();
    return t ? 0 : -ESRCH;
}

SYSCALL_DECL(kill)
{
    long pid = (long)(int)s->a[0];
    if (check_sig(s->a[1]))
        return -EINVAL;
    int me = lproc_current()->pid;
    if (pid != me && pid != 0 && pid != -1 && pid != -me)
        return -ESRCH;
    struct lsig_info info = {.code = SI_USER, .pid = me};
    if (s->a[1])
        signal_send(NULL, (int)s->a[1], &info);
    return 0;
}

SYSCALL_DECL(tgkill)
{
    if ((int)s->a[0] != lproc_current()->pid)
        return (int)s->a[0] <= 0 ? -EINVAL : -ESRCH;
    return send_to_thread((int)s->a[1], s->a[2]);
}

SYSCALL_DECL(tkill)
{
    return send_to_thread((int)s->a[0], s->a[1]);
}

/* Until a signal is pending for this thread (or the program ends). */
static long wait_for_signal(void)
{
    struct waitq wq = WAITQ_INIT; /* only a signal wakes it */
    uint64_t flags = sched_lock();
    while (lthread_block_locked(&wq, 0) == 0)
        ;
    sched_unlock(flags);
    return -ERESTARTNOHAND; /* EINTR after a handler, else waits again */
}

SYSCALL_DECL(pause)
{
    (void)s;
    return wait_for_signal();
}

SYSCALL_DECL(rt_sigsuspend)
{
    if (s->a[1] != sizeof(lsigset_t))
        return -EINVAL;
    lsigset_t mask;
    if (copy_from_user(&mask, (const void *)s->a[0], sizeof mask))
        return -EFAULT;
    struct lthread *t = lthread_current();
    uint64_t flags = sched_lock();
    t->saved_blocked = t->blocked;
    t->has_saved_blocked = true;
    t->blocked = mask & ~SIG_UNBLOCKABLE;
    sched_unlock(flags);
    return wait_for_signal();
}

/* sigwait's core: takes a signal of set that is pending (blocked ones
 * included), or waits for one up to the time-out: its number, -EAGAIN at
 * the time-out, -EINTR when another signal's handler is to run. */
SYSCALL_DECL(rt_sigtimedwait)
{
    if (s->a[3] != sizeof(lsigset_t))
        return -EINVAL;
    lsigset_t set;
    if (copy_from_user(&set, (const void *)s->a[0], sizeof set))
        return -EFAULT;
    set &= ~SIG_UNBLOCKABLE;
    uint64_t deadline = 0;
    if (s->a[2]) {
        struct { int64_t sec, nsec; } ts;
        uint64_t ns;
        if (copy_from_user(&ts, (const void *)s->a[2], sizeof ts))
            return -EFAULT;
        if (futex_timespec_ns(ts.sec, ts.nsec, &ns))
            return -EINVAL;
        uint64_t now = clock_monotonic_ns();
        deadline = now + ns < now ? UINT64_MAX : now + ns;
        if (!deadline)
            deadline = 1;
    }
    struct lthread *t = lthread_current();
    struct waitq wq = WAITQ_INIT;
    struct lsig_info info;
    uint64_t flags = sched_lock();
    int sig, e = 0;
    t->waiting = set;
    for (;;) {
        sig = dequeue_masked_locked(t, ~set, &info);
        if (sig || e == -ETIMEDOUT || t->exiting || (e == -EINTR && signal_pending_locked(t)))
            break;
        e = lthread_block_locked(&wq, deadline);
    }
    t->waiting = 0;
    sched_unlock(flags);
    if (!sig)
        return e == -ETIMEDOUT ? -EAGAIN : -EINTR;
    if (s->a[1]) {
        struct lsiginfo si;
        fill_siginfo(&si, sig, &info);
        if (copy_to_user((void *)s->a[1], &si, sizeof si))
            return -EFAULT;
    }
    return sig;
}
