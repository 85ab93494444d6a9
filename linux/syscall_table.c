/* linux/: the Linux ABI. Loader, process image, system-call entry and this
 * one table indexed by x86-64 system-call number; one file per call family.
 * Numbers and names come from Debian's linux-libc-dev header, turned into
 * build/gen/linux/syscall_{nr,names}.h by the Makefile. */
#include <stdbool.h>
#include <stdint.h>
#include "abi.h"
#include "log.h"
#include "spinlock.h"
#include "syscall_nr.h"

/* linux/memory.c */
SYSCALL_DECL(brk);
SYSCALL_DECL(mmap);
SYSCALL_DECL(munmap);
SYSCALL_DECL(mprotect);
SYSCALL_DECL(mremap);
SYSCALL_DECL(madvise);
/* linux/process.c */
SYSCALL_DECL(getpid);
SYSCALL_DECL(getppid);
SYSCALL_DECL(gettid);
SYSCALL_DECL(getuid);
SYSCALL_DECL(geteuid);
SYSCALL_DECL(getgid);
SYSCALL_DECL(getegid);
SYSCALL_DECL(arch_prctl);
SYSCALL_DECL(set_tid_address);
SYSCALL_DECL(set_robust_list);
SYSCALL_DECL(get_robust_list);
SYSCALL_DECL(prctl);
SYSCALL_DECL(sched_yield);
SYSCALL_DECL(sched_getaffinity);
SYSCALL_DECL(prlimit64);
SYSCALL_DECL(getrlimit);
SYSCALL_DECL(setrlimit);
/* linux/console_io.c (until abi-files' descriptor layer) */
SYSCALL_DECL(read);
SYSCALL_DECL(write);
SYSCALL_DECL(writev);
/* linux/clone.c */
SYSCALL_DECL(clone);
SYSCALL_DECL(fork);
SYSCALL_DECL(vfork);
SYSCALL_DECL(clone3);
SYSCALL_DECL(exit);
SYSCALL_DECL(exit_group);
/* linux/futex.c */
SYSCALL_DECL(futex);
/* linux/signal.c */
SYSCALL_DECL(rt_sigaction);
SYSCALL_DECL(rt_sigprocmask);
SYSCALL_DECL(rt_sigpending);
SYSCALL_DECL(rt_sigreturn);
SYSCALL_DECL(sigaltstack);
SYSCALL_DECL(kill);
SYSCALL_DECL(tgkill);
SYSCALL_DECL(tkill);
SYSCALL_DECL(pause);
SYSCALL_DECL(rt_sigsuspend);
SYSCALL_DECL(rt_sigtimedwait);

static const syscall_fn table[] = {
    /* [number] = sys_name; families add their calls here. */
    [__NR_brk] = sys_brk,
    [__NR_mmap] = sys_mmap,
    [__NR_munmap] = sys_munmap,
    [__NR_mprotect] = sys_mprotect,
    [__NR_mremap] = sys_mremap,
    [__NR_madvise] = sys_madvise,
    [__NR_getpid] = sys_getpid,
    [__NR_getppid] = sys_getppid,
    [__NR_gettid] = sys_gettid,
    [__NR_getuid] = sys_getuid,
    [__NR_geteuid] = sys_geteuid,
    [__NR_getgid] = sys_getgid,
    [__NR_getegid] = sys_getegid,
    [__NR_arch_prctl] = sys_arch_prctl,
    [__NR_set_tid_address] = sys_set_tid_address,
    [__NR_set_robust_list] = sys_set_robust_list,
    [__NR_get_robust_list] = sys_get_robust_list,
    [__NR_prctl] = sys_prctl,
    [__NR_sched_yield] = sys_sched_yield,
    [__NR_sched_getaffinity] = sys_sched_getaffinity,
    [__NR_prlimit64] = sys_prlimit64,
    [__NR_getrlimit] = sys_getrlimit,
    [__NR_setrlimit] = sys_setrlimit,
    /* console_io.c */
    [__NR_read] = sys_read,
    [__NR_write] = sys_write,
    [__NR_writev] = sys_writev,
    /* clone.c */
    [__NR_clone] = sys_clone,
    [__NR_fork] = sys_fork,
    [__NR_vfork] = sys_vfork,
    [__NR_clone3] = sys_clone3,
    [__NR_exit] = sys_exit,
    [__NR_exit_group] = sys_exit_group,
    /* futex.c */
    [__NR_futex] = sys_futex,
    /* signal.c */
    [__NR_rt_sigaction] = sys_rt_sigaction,
    [__NR_rt_sigprocmask] = sys_rt_sigprocmask,
    [__NR_rt_sigpending] = sys_rt_sigpending,
    [__NR_rt_sigreturn] = sys_rt_sigreturn,
    [__NR_sigaltstack] = sys_sigaltstack,
    [__NR_kill] = sys_kill,
    [__NR_tgkill] = sys_tgkill,
    [__NR_tkill] = sys_tkill,
    [__NR_pause] = sys_pause,
    [__NR_rt_sigsuspend] = sys_rt_sigsuspend,
    [__NR_rt_sigtimedwait] = sys_rt_sigtimedwait,
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

static const char *const names[] = {
#include "syscall_names.h"
};
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Numbers below LOGGED_MAX are named once each; any above, once in all
 * (a program cycling through numbers cannot flood the console). */
#define LOGGED_MAX 1024
static uint64_t logged[LOGGED_MAX / 64];
static bool logged_high;
static struct spinlock logged_lock = SPINLOCK_INIT;

static const char *syscall_name(unsigned long nr) { return nr < NNAMES && names[nr] ? names[nr] : NULL; }

/* Each unimplemented call is named once, not at every call. */
static void log_unimplemented(unsigned long nr)
{
    uint64_t flags = spin_lock_irqsave(&logged_lock);
    bool seen;
    if (nr < LOGGED_MAX) {
        seen = logged[nr / 64] & (1ull << (nr % 64));
        logged[nr / 64] |= 1ull << (nr % 64);
    } else {
        seen = logged_high;
        logged_high = true;
    }
    spin_unlock_irqrestore(&logged_lock, flags);
    if (seen)
        return;
    const char *name = syscall_name(nr);
    if (name)
        pr_warn("linux: system call %s (%lu) is not implemented: ENOSYS\n", name, nr);
    else
        pr_warn("linux: unknown system call %lu: ENOSYS%s\n", nr,
                nr >= LOGGED_MAX ? " (numbers from 1024 up are named only this once)" : "");
}

static void strace(unsigned long nr, const struct sysargs *s, long r)
{
    const char *name = syscall_name(nr);
    if (name)
        kprintf("strace: %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld\n", name, s->a[0], s->a[1], s->a[2], s->a[3],
                s->a[4], s->a[5], r);
    else
        kprintf("strace: syscall_%lu(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld\n", nr, s->a[0], s->a[1], s->a[2],
                s->a[3], s->a[4], s->a[5], r);
}

long syscall_dispatch(unsigned long nr, const struct sysargs *s)
{
    syscall_fn fn = nr < NTABLE ? table[nr] : NULL;
    long r;
    if (fn) {
        r = fn(s);
    } else {
        log_unimplemented(nr);
        r = -ENOSYS;
    }
    struct lproc *p = lproc_current();
    if (p && p->strace)
        strace(nr, s, r);
    return r;
}
