#define _GNU_SOURCE
/* Kestrel test program: a SIGSEGV handler that recovers with siglongjmp
 * (si_addr checked), SIGFPE from a division by zero (si_code checked), a
 * stack overflow handled on the sigaltstack, raise/kill/tgkill (to a thread
 * spinning in user mode and to one blocked in a futex), masks and pending
 * sets, SA_RESETHAND, SIG_IGN, SA_SIGINFO's ucontext, and SIGALRM from
 * setitimer(ITIMER_REAL) (one-shot and periodic) and alarm(). Prints "ok NAME"
 * per case and "signals: N passed, M failed". */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

static int passed, failed;
static void check(const char *name, int ok)
{
    printf("%s %s\n", ok ? "ok" : "FAIL", name);
    if (ok)
        passed++;
    else
        failed++;
}

static sigjmp_buf jb;
static volatile void *fault_addr;
static volatile int fault_code, fault_sig;
static volatile uintptr_t handler_sp;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    int local;
    fault_sig = sig;
    fault_addr = si->si_addr;
    fault_code = si->si_code;
    handler_sp = (uintptr_t)&local;
    siglongjmp(jb, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    sigaction(sig, &sa, NULL);
}

static void test_segv(void)
{
    install(SIGSEGV, on_fault, 0);
    int jumped = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)0x10 = 1;
    else
        jumped = 1;
    check("segv_longjmp", jumped && fault_sig == SIGSEGV && fault_addr == (void *)0x10 &&
                              fault_code == SEGV_MAPERR);
    /* The mask was restored by siglongjmp: a second fault is handled too. */
    jumped = 0;
    if (sigsetjmp(jb, 1) == 0)
        *(volatile int *)0x20 = 1;
    else
        jumped = 1;
    check("segv_twice", jumped && fault_addr == (void *)0x20);
}

static void test_fpe(void)
{
    install(SIGFPE, on_fault, 0);
    volatile int zero = 0, x = 7;
    int jumped = 0;
    if (sigsetjmp(jb, 1) == 0)
        x = x / zero;
    else
        jumped = 1;
    check("fpe_div_zero", jumped && fault_sig == SIGFPE && fault_code == FPE_INTDIV);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    return recurse(n + 1) + pad[0];
}

static void test_altstack(void)
{
    static char alt[64 * 1024];
    stack_t ss = {.ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0};
    check("sigaltstack_set", sigaltstack(&ss, NULL) == 0);
    stack_t cur;
    sigaltstack(NULL, &cur);
    check("sigaltstack_get", cur.ss_sp == alt && cur.ss_size == sizeof alt && cur.ss_flags == 0);
    install(SIGSEGV, on_fault, SA_ONSTACK);
    int jumped = 0;
    if (sigsetjmp(jb, 1) == 0)
        recurse(0);
    else
        jumped = 1;
    check("stack_overflow_on_altstack", jumped && fault_sig == SIGSEGV &&
                                            handler_sp >= (uintptr_t)alt &&
                                            handler_sp < (uintptr_t)alt + sizeof alt);
    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
}

static volatile int usr1_count, usr1_tid;
static volatile uintptr_t uc_rip;
static void on_usr1(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uc_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
    usr1_tid = (int)syscall(SYS_gettid); /* before the count others wait for */
    usr1_count++;
}

static volatile int stop_spin;
static volatile int spinner_tid;
static void *spinner(void *arg)
{
    (void)arg;
    spinner_tid = (int)syscall(SYS_gettid);
    while (!stop_spin)
        ; /* user mode only: the signal must come by an interrupt */
    return NULL;
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int released;
static volatile int waiter_tid;
static void *waiter(void *arg)
{
    (void)arg;
    waiter_tid = (int)syscall(SYS_gettid);
    pthread_mutex_lock(&mu);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void wait_for(volatile int *v, int want)
{
    for (long i = 0; i < 20000000 && *v != want; i++)
        sched_yield();
}

static void test_kill(void)
{
    install(SIGUSR1, on_usr1, SA_RESTART);
    usr1_count = 0;
    raise(SIGUSR1);
    check("raise", usr1_count == 1 && usr1_tid == (int)syscall(SYS_gettid) && uc_rip != 0);
    kill(getpid(), SIGUSR1);
    check("kill_self", usr1_count == 2);
    check("kill_other_pid", kill(getpid() + 1000, SIGUSR1) == -1 && errno == ESRCH);
    check("kill_sig0", kill(getpid(), 0) == 0);
    check("kill_badsig", kill(getpid(), 99) == -1 && errno == EINVAL);

    pthread_t th;
    pthread_create(&th, NULL, spinner, NULL);
    while (!spinner_tid)
        sched_yield();
    syscall(SYS_tgkill, getpid(), spinner_tid, SIGUSR1);
    wait_for(&usr1_count, 3);
    check("tgkill_spinning_thread", usr1_count == 3 && usr1_tid == spinner_tid);
    stop_spin = 1;
    pthread_join(th, NULL);
    check("tgkill_gone_thread", syscall(SYS_tgkill, getpid(), spinner_tid, SIGUSR1) == -1 && errno == ESRCH);

    pthread_create(&th, NULL, waiter, NULL);
    while (!waiter_tid)
        sched_yield();
    for (int i = 0; i < 1000; i++)
        sched_yield(); /* let it block in the futex */
    syscall(SYS_tkill, waiter_tid, SIGUSR1);
    wait_for(&usr1_count, 4);
    check("tkill_blocked_thread", usr1_count == 4 && usr1_tid == waiter_tid);
    pthread_mutex_lock(&mu);
    released = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(th, NULL);
    check("blocked_thread_resumed", 1);
}

/* A futex wait cut short by a handler without SA_RESTART: EINTR, timed or
 * not (with SA_RESTART the untimed one goes on waiting, as the waiter case
 * above shows). */
static uint32_t eintr_word;
static volatile int eintr_tid, eintr_done;
static volatile long eintr_result[2];
static void on_usr2(int sig)
{
    (void)sig;
}
static void *eintr_waiter(void *arg)
{
    (void)arg;
    eintr_tid = (int)syscall(SYS_gettid);
    struct timespec ts = {5, 0};
    long r = syscall(SYS_futex, &eintr_word, 128 /* WAIT_PRIVATE */, 0, &ts, NULL, 0);
    eintr_result[0] = r ? -errno : 0;
    eintr_done = 1;
    r = syscall(SYS_futex, &eintr_word, 128, 0, NULL, NULL, 0);
    eintr_result[1] = r ? -errno : 0;
    eintr_done = 2;
    return NULL;
}

static void test_eintr(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL); /* no SA_RESTART */
    pthread_t th;
    pthread_create(&th, NULL, eintr_waiter, NULL);
    while (!eintr_tid)
        sched_yield();
    for (int i = 0; i < 1000; i++)
        sched_yield();
    syscall(SYS_tkill, eintr_tid, SIGUSR2);
    wait_for(&eintr_done, 1);
    check("futex_timed_eintr", eintr_done >= 1 && eintr_result[0] == -EINTR);
    for (int i = 0; i < 1000; i++)
        sched_yield();
    syscall(SYS_tkill, eintr_tid, SIGUSR2);
    wait_for(&eintr_done, 2);
    check("futex_untimed_eintr", eintr_done == 2 && eintr_result[1] == -EINTR);
    pthread_join(th, NULL);
}

/* sigsuspend: the mask is swapped for the wait and back after the handler;
 * pause: returns EINTR after a handler (the poker keeps sending, as a
 * signal may come before pause starts). */
static volatile int poke_stop;
static void *poker(void *arg)
{
    int tid = (int)(long)arg;
    do {
        for (int i = 0; i < 1000; i++)
            sched_yield();
        syscall(SYS_tkill, tid, SIGUSR1);
    } while (!poke_stop);
    return NULL;
}

static void test_suspend(void)
{
    install(SIGUSR1, on_usr1, SA_RESTART);
    sigset_t blk, old, empty, now;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigemptyset(&empty);
    sigprocmask(SIG_BLOCK, &blk, &old);
    int before = usr1_count;
    pthread_t th;
    poke_stop = 1; /* one signal */
    pthread_create(&th, NULL, poker, (void *)(long)syscall(SYS_gettid));
    int r = sigsuspend(&empty);
    int e = errno;
    sigprocmask(SIG_SETMASK, NULL, &now);
    check("sigsuspend", r == -1 && e == EINTR && usr1_count == before + 1 && sigismember(&now, SIGUSR1));
    pthread_join(th, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);

    poke_stop = 0;
    before = usr1_count;
    pthread_create(&th, NULL, poker, (void *)(long)syscall(SYS_gettid));
    r = pause();
    e = errno;
    poke_stop = 1;
    check("pause", r == -1 && e == EINTR && usr1_count > before);
    pthread_join(th, NULL);
}

/* sigwait/sigtimedwait: a blocked signal taken without a handler, from
 * another thread's tkill and from kill (process-wide); a time-out EAGAIN. */
static void test_sigwait(void)
{
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, &old);
    int before = usr1_count;
    struct timespec short_wait = {0, 50000000};
    int r = sigtimedwait(&set, NULL, &short_wait);
    check("sigtimedwait_timeout", r == -1 && errno == EAGAIN);
    kill(getpid(), SIGUSR2);
    siginfo_t si;
    r = sigtimedwait(&set, &si, &short_wait);
    check("sigtimedwait_pending", r == SIGUSR2 && si.si_signo == SIGUSR2 && si.si_code == SI_USER &&
                                      si.si_pid == getpid());
    pthread_t th;
    poke_stop = 1;
    sigaddset(&set, SIGUSR1); /* the poker sends SIGUSR1 */
    sigprocmask(SIG_BLOCK, &set, NULL);
    pthread_create(&th, NULL, poker, (void *)(long)syscall(SYS_gettid));
    int sig = 0;
    r = sigwait(&set, &sig);
    check("sigwait_from_thread", r == 0 && sig == SIGUSR1 && usr1_count == before);
    pthread_join(th, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Bad pointers to every signal call: EFAULT, never a kernel fault. */
static void test_bad_pointers(void)
{
    void *bad[] = {(void *)8, (void *)0xffff800000000000ull, (void *)0x100000 /* the kernel */};
    int ok = 1;
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ok &= syscall(SYS_rt_sigaction, SIGUSR1, bad[i], NULL, 8) == -1 && errno == EFAULT;
        ok &= syscall(SYS_rt_sigaction, SIGUSR1, NULL, bad[i], 8) == -1 && errno == EFAULT;
        ok &= syscall(SYS_rt_sigprocmask, SIG_BLOCK, bad[i], NULL, 8) == -1 && errno == EFAULT;
        ok &= syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, bad[i], 8) == -1 && errno == EFAULT;
        ok &= syscall(SYS_rt_sigpending, bad[i], 8) == -1 && errno == EFAULT;
        ok &= syscall(SYS_sigaltstack, bad[i], NULL) == -1 && errno == EFAULT;
        ok &= syscall(SYS_sigaltstack, NULL, bad[i]) == -1 && errno == EFAULT;
    }
    ok &= syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4) == -1 && errno == EINVAL;
    ok &= syscall(SYS_rt_sigaction, 65, NULL, NULL, 8) == -1 && errno == EINVAL;
    ok &= syscall(SYS_tgkill, getpid(), 99999, SIGUSR1) == -1 && errno == ESRCH;
    ok &= syscall(SYS_tgkill, getpid() + 1, getpid(), SIGUSR1) == -1 && errno == ESRCH;
    check("bad_pointers_efault", ok);
}

static void test_masks(void)
{
    sigset_t set, old, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    int before = usr1_count;
    raise(SIGUSR1);
    sigpending(&pend);
    check("blocked_is_pending", usr1_count == before && sigismember(&pend, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    check("unblock_delivers", usr1_count == before + 1);
    sigpending(&pend);
    check("pending_cleared", !sigismember(&pend, SIGUSR1));

    /* SIGKILL cannot be caught or blocked. */
    struct sigaction sa = {.sa_handler = SIG_IGN};
    check("sigkill_fixed", sigaction(SIGKILL, &sa, NULL) == -1 && errno == EINVAL);
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    check("sig_ign", 1);
    install(SIGUSR2, on_usr1, SA_RESETHAND);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, NULL, &now);
    check("sa_resethand", now.sa_handler == SIG_DFL);
    /* SIGURG and SIGCHLD are ignored by default (Go relies on SIGURG). */
    signal(SIGURG, SIG_DFL);
    raise(SIGURG);
    raise(SIGCHLD);
    check("default_ignore", 1);
}

static volatile int alrm_count, alrm_code;
static void on_alrm(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    alrm_count++;
    alrm_code = si->si_code;
}

/* SIGALRM from the real-time interval timer: pause() is cut short by a
 * one-shot, a periodic one fires until disarmed, alarm() answers what was
 * left in whole seconds, a bad microsecond count is refused. */
static void test_itimer(void)
{
    install(SIGALRM, on_alrm, 0);
    struct itimerval v, old;
    memset(&v, 0, sizeof v);
    check("itimer_disarmed", getitimer(ITIMER_REAL, &old) == 0 && !old.it_value.tv_sec && !old.it_value.tv_usec);
    v.it_value.tv_usec = 30000;
    int r = setitimer(ITIMER_REAL, &v, NULL);
    int p = pause();
    int e = errno;
    getitimer(ITIMER_REAL, &old);
    check("itimer_oneshot", r == 0 && p == -1 && e == EINTR && alrm_count == 1 && alrm_code == SI_KERNEL &&
                                !old.it_value.tv_sec && !old.it_value.tv_usec);
    v.it_value.tv_usec = 10000;
    v.it_interval.tv_usec = 10000;
    setitimer(ITIMER_REAL, &v, NULL);
    while (alrm_count < 4)
        pause();
    memset(&v, 0, sizeof v);
    r = setitimer(ITIMER_REAL, &v, &old);
    int n = alrm_count;
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    check("itimer_periodic", r == 0 && old.it_interval.tv_sec == 0 && old.it_interval.tv_usec == 10000 &&
                                 old.it_value.tv_usec > 0 && old.it_value.tv_usec <= 10000 && alrm_count == n);
    unsigned a0 = alarm(5), a1 = alarm(0);
    check("alarm_left", a0 == 0 && a1 == 5 && alarm(0) == 0);
    v.it_value.tv_usec = 1000000;
    check("itimer_bad_usec", setitimer(ITIMER_REAL, &v, NULL) == -1 && errno == EINVAL);
    signal(SIGALRM, SIG_DFL);
}

int main(void)
{
    test_segv();
    test_fpe();
    test_altstack();
    test_kill();
    test_eintr();
    test_bad_pointers();
    test_suspend();
    test_sigwait();
    test_masks();
    test_itimer();
    printf("signals: %d passed, %d failed\n", passed, failed);
    return failed != 0;
}
