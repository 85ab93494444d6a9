/* Process and thread identity, exit, arch_prctl, prctl, limits and the
 * scheduler calls of the one program. */
#include <string.h>
#include "abi.h"
#include "thread.h"
#include "cpu.h"
#include "log.h"
#include "power.h"
#include "sched.h"
#include "spinlock.h"
#include "stop.h"
#include "uaccess.h"
#include "user.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012

#define PR_SET_NAME 15
#define PR_GET_NAME 16

#define RLIMIT_CPU 0
#define RLIMIT_FSIZE 1
#define RLIMIT_DATA 2
#define RLIMIT_STACK 3
#define RLIMIT_CORE 4
#define RLIMIT_NOFILE 7
#define RLIMIT_AS 9
#define RLIM_NLIMITS 16
#define RLIM_INFINITY (~0ull)

struct linux_rlimit {
    uint64_t cur, max;
};

/* Ends the program: the machine powers off with its status, as a
 * unikernel's one program is the machine's reason to run. */
/* Also linux/clone.c's, once every thread is stopped (exit_group). */
void __attribute__((noreturn)) program_exit(int status)
{
    struct lproc *p = lproc_current();
    if (p && p->strace)
        kprintf("strace: exit status %d\n", status & 0xff);
    vfs_sync(); /* what the program wrote reaches the disks, as after a linked-in app's main */
    stop_program_exited(status & 0xff); /* powers off, or reboots when that was asked */
}

/* A stop request (power button, Xen shutdown, VMware tools) reaches the
 * program as SIGTERM, as `docker stop` and systemd send it: a handler may
 * clean up and exit; the default action ends the program (status 143); an
 * ignored SIGTERM leaves the kernel's --stop-timeout to end it. */
static bool stop_to_sigterm(enum stop_kind kind, void *arg)
{
    (void)kind, (void)arg;
    signal_process(SIGTERM);
    return true;
}

static struct stop_notifier sigterm_notifier = {.notify = stop_to_sigterm};

void lproc_stop_register(void) { stop_register_notifier(&sigterm_notifier); }


SYSCALL_DECL(getpid) { return lproc_current()->pid; }

/* ---- process group and session ----
 * The program starts in the group and session of its parent, "pid 1" (as
 * getppid says), so that setsid succeeds once, as it does for a program a
 * shell started; there are no other processes to name. */
#define INIT_PID 1
static int pgid = INIT_PID, sid = INIT_PID;
static struct spinlock group_lock = SPINLOCK_INIT;

/* pid as the group calls name this process: 0 or its own pid. */
static bool is_self(long pid) { return pid == 0 || pid == lproc_current()->pid; }

SYSCALL_DECL(getpgid)
{
    if (!is_self((long)(int)s->a[0]))
        return -ESRCH;
    return pgid;
}

SYSCALL_DECL(getpgrp)
{
    (void)s;
    return pgid;
}

SYSCALL_DECL(getsid)
{
    if (!is_self((long)(int)s->a[0]))
        return -ESRCH;
    return sid;
}

SYSCALL_DECL(setsid)
{
    (void)s;
    int me = lproc_current()->pid;
    uint64_t flags = spin_lock_irqsave(&group_lock);
    long rc = me;
    if (pgid == me)
        rc = -EPERM; /* a group leader cannot start a session */
    else
        pgid = sid = me;
    spin_unlock_irqrestore(&group_lock, flags);
    return rc;
}

SYSCALL_DECL(setpgid)
{
    long pid = (int)s->a[0], want = (int)s->a[1];
    int me = lproc_current()->pid;
    if (want < 0)
        return -EINVAL;
    if (!is_self(pid))
        return -ESRCH;
    if (want == 0)
        want = me;
    uint64_t flags = spin_lock_irqsave(&group_lock);
    long rc = 0;
    if (sid == me)
        rc = -EPERM; /* a session leader keeps its group */
    else if (want != me && want != pgid)
        rc = -EPERM; /* no such group in this session */
    else
        pgid = (int)want;
    spin_unlock_irqrestore(&group_lock, flags);
    return rc;
}
SYSCALL_DECL(getppid) { return 1; }
SYSCALL_DECL(gettid)
{
    struct lthread *t = lthread_current();
    return t ? t->tid : lproc_current()->pid;
}
/* ---- waiting for children ----
 * fork and vfork are refused, so the process never has a child: a wait
 * fails with ECHILD once its arguments are valid (Python's test.support and
 * subprocess reap "any child" with waitpid(-1, WNOHANG)). The option bits
 * are <linux/wait.h>'s. */
#define WAIT_NOHANG 0x1u
#define WAIT_UNTRACED 0x2u /* WSTOPPED for waitid */
#define WAIT_EXITED 0x4u
#define WAIT_CONTINUED 0x8u
#define WAIT_NOWAIT 0x01000000u
#define WAIT_NOTHREAD 0x20000000u
#define WAIT_ALL 0x40000000u
#define WAIT_CLONE 0x80000000u
#define WAIT_COMMON (WAIT_NOHANG | WAIT_CONTINUED | WAIT_NOTHREAD | WAIT_ALL | WAIT_CLONE)
#define P_PIDFD 3

SYSCALL_DECL(wait4)
{
    uint32_t options = (uint32_t)s->a[2];
    if (options & ~(WAIT_COMMON | WAIT_UNTRACED))
        return -EINVAL;
    return -ECHILD;
}

SYSCALL_DECL(waitid)
{
    unsigned idtype = (unsigned)s->a[0];
    uint32_t options = (uint32_t)s->a[3];
    if (idtype > P_PIDFD || (options & ~(WAIT_COMMON | WAIT_UNTRACED | WAIT_EXITED | WAIT_NOWAIT)) ||
        !(options & (WAIT_UNTRACED | WAIT_EXITED | WAIT_CONTINUED)))
        return -EINVAL;
    return idtype == P_PIDFD ? -EBADF : -ECHILD;
}

/* The program runs as root, as in a container: there is no one else. */
SYSCALL_DECL(getuid) { return 0; }
SYSCALL_DECL(geteuid) { return 0; }
SYSCALL_DECL(getgid) { return 0; }
SYSCALL_DECL(getegid) { return 0; }

/* The supplementary groups: none, as for Linux's first process (init's
 * empty group list, which a container's root keeps too): only a negative
 * size is an error (-EINVAL); the list is never written, so no pointer is
 * looked at, as on Linux when there is nothing to copy. */
SYSCALL_DECL(getgroups) { return (int)s->a[0] < 0 ? -EINVAL : 0; }

SYSCALL_DECL(arch_prctl)
{
    uint64_t code = s->a[0], arg = s->a[1];
    struct thread *t = thread_current();
    switch (code) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (arg >= USER_VA_END)
            return -EPERM;
        if (code == ARCH_SET_FS)
            user_set_fs_base(arg);
        else
            user_set_gs_base(arg);
        return 0;
    case ARCH_GET_FS:
        return copy_to_user((void *)arg, &t->uctx->fs_base, 8);
    case ARCH_GET_GS:
        return copy_to_user((void *)arg, &t->uctx->gs_base, 8);
    case ARCH_GET_CPUID:
        return 1; /* CPUID is not faulting */
    case ARCH_SET_CPUID:
        return -ENODEV;
    default:
        return -EINVAL;
    }
}

SYSCALL_DECL(set_tid_address)
{
    struct lthread *t = lthread_current();
    t->clear_child_tid = s->a[0];
    return t->tid;
}

/* Recorded for the futex side (abi-threads) to walk when a thread exits. */
SYSCALL_DECL(set_robust_list)
{
    if (s->a[1] != 24) /* sizeof(struct robust_list_head) */
        return -EINVAL;
    struct lthread *t = lthread_current();
    t->robust_list = s->a[0];
    t->robust_len = s->a[1];
    return 0;
}

SYSCALL_DECL(get_robust_list)
{
    if (s->a[0] != 0 && s->a[0] != (unsigned long)lthread_current()->tid)
        return -ESRCH;
    struct lthread *t = lthread_current();
    if (copy_to_user((void *)s->a[1], &t->robust_list, 8) < 0 || copy_to_user((void *)s->a[2], &t->robust_len, 8) < 0)
        return -EFAULT;
    return 0;
}

SYSCALL_DECL(prctl)
{
    struct lthread *t = lthread_current();
    switch (s->a[0]) {
    case PR_SET_NAME: {
        char name[16];
        memset(name, 0, sizeof(name));
        long n = strncpy_from_user(name, (const char *)s->a[1], sizeof(name));
        if (n == -EFAULT)
            return -EFAULT;
        name[15] = 0; /* longer names are cut, as Linux does */
        memcpy(t->name, name, sizeof(name));
        return 0;
    }
    case PR_GET_NAME:
        return copy_to_user((void *)s->a[1], t->name, sizeof(t->name));
    default:
        return -EINVAL;
    }
}

SYSCALL_DECL(sched_yield)
{
    thread_yield();
    return 0;
}

/* Every online CPU may run the program's threads. */
SYSCALL_DECL(sched_getaffinity)
{
    size_t len = s->a[1];
    uint8_t mask[MAX_CPUS / 8];
    size_t need = (ncpus + 63) / 64 * 8;
    if (len < need || (len & 7))
        return -EINVAL;
    memset(mask, 0, sizeof(mask));
    for (unsigned i = 0; i < ncpus; i++)
        mask[i / 8] |= (uint8_t)(1u << (i % 8));
    if (copy_to_user((void *)s->a[2], mask, need) < 0)
        return -EFAULT;
    return (long)need;
}

/* The CPU the thread runs on now (it may move right after, as on Linux);
 * one NUMA node. The third argument (a cache) is unused since Linux 2.6.24. */
SYSCALL_DECL(getcpu)
{
    unsigned cpu = this_cpu()->id, node = 0;
    if (s->a[0] && copy_to_user((void *)s->a[0], &cpu, sizeof(cpu)) < 0)
        return -EFAULT;
    if (s->a[1] && copy_to_user((void *)s->a[1], &node, sizeof(node)) < 0)
        return -EFAULT;
    return 0;
}

static struct linux_rlimit limits[RLIM_NLIMITS];
static bool limits_ready;

static void limits_init(void)
{
    if (limits_ready)
        return;
    for (unsigned i = 0; i < RLIM_NLIMITS; i++)
        limits[i] = (struct linux_rlimit){ RLIM_INFINITY, RLIM_INFINITY };
    limits[RLIMIT_STACK] = (struct linux_rlimit){ LINUX_STACK_SIZE, RLIM_INFINITY };
    limits[RLIMIT_NOFILE] = (struct linux_rlimit){ LINUX_NOFILE_SOFT, LINUX_NOFILE };
    limits[RLIMIT_CORE] = (struct linux_rlimit){ 0, RLIM_INFINITY };
    limits_ready = true;
}

static long do_prlimit(unsigned res, const struct linux_rlimit *nw, struct linux_rlimit *old)
{
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    limits_init();
    if (old)
        *old = limits[res];
    if (!nw)
        return 0;
    if (nw->cur > nw->max)
        return -EINVAL;
    if (nw->max > limits[res].max)
        return -EPERM;
    /* The stack is sized already (a new limit is kept for getrlimit to
     * report); RLIMIT_NOFILE's soft limit bounds new descriptors
     * (lproc_nofile), its hard one the table's size. */
    limits[res] = *nw;
    return 0;
}

unsigned lproc_nofile(void)
{
    limits_init();
    uint64_t cur = __atomic_load_n(&limits[RLIMIT_NOFILE].cur, __ATOMIC_RELAXED);
    return cur < LINUX_NOFILE ? (unsigned)cur : LINUX_NOFILE;
}

SYSCALL_DECL(prlimit64)
{
    int pid = (int)s->a[0];
    if (pid != 0 && pid != lproc_current()->pid)
        return -ESRCH;
    struct linux_rlimit nw, old;
    if (s->a[2] && copy_from_user(&nw, (const void *)s->a[2], sizeof(nw)) < 0)
        return -EFAULT;
    long rc = do_prlimit((unsigned)s->a[1], s->a[2] ? &nw : NULL, &old);
    if (rc == 0 && s->a[3] && copy_to_user((void *)s->a[3], &old, sizeof(old)) < 0)
        return -EFAULT;
    return rc;
}

SYSCALL_DECL(getrlimit)
{
    struct linux_rlimit old;
    long rc = do_prlimit((unsigned)s->a[0], NULL, &old);
    if (rc == 0 && copy_to_user((void *)s->a[1], &old, sizeof(old)) < 0)
        return -EFAULT;
    return rc;
}

SYSCALL_DECL(setrlimit)
{
    struct linux_rlimit nw;
    if (copy_from_user(&nw, (const void *)s->a[1], sizeof(nw)) < 0)
        return -EFAULT;
    return do_prlimit((unsigned)s->a[0], &nw, NULL);
}

/* ---- membarrier ----
 * Every other CPU takes an interrupt (a serialising event) and answers it
 * (tlb_shootdown's IPI): a full barrier on each CPU that runs one of the
 * program's threads, which is what every barrier command promises. */
#define MEMBARRIER_CMD_QUERY 0
#define MEMBARRIER_CMD_GLOBAL 1
#define MEMBARRIER_CMD_GLOBAL_EXPEDITED 2
#define MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED 4
#define MEMBARRIER_CMD_PRIVATE_EXPEDITED 8
#define MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED 16
#define MEMBARRIER_SUPPORTED 0x1f
static bool private_registered, global_registered;

SYSCALL_DECL(membarrier)
{
    int cmd = (int)s->a[0];
    if (s->a[1] != 0)
        return -EINVAL; /* MEMBARRIER_CMD_FLAG_CPU goes with the rseq commands only */
    switch (cmd) {
    case MEMBARRIER_CMD_QUERY:
        return MEMBARRIER_SUPPORTED;
    case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
        private_registered = true;
        return 0;
    case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
        global_registered = true;
        return 0;
    case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
        if (!private_registered)
            return -EPERM; /* as Linux: register first */
        tlb_shootdown();
        return 0;
    case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
    case MEMBARRIER_CMD_GLOBAL:
        tlb_shootdown();
        return 0;
    default:
        return -EINVAL;
    }
}
