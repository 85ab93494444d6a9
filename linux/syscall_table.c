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
SYSCALL_DECL(getgroups);
SYSCALL_DECL(arch_prctl);
SYSCALL_DECL(set_tid_address);
SYSCALL_DECL(set_robust_list);
SYSCALL_DECL(get_robust_list);
SYSCALL_DECL(prctl);
SYSCALL_DECL(sched_yield);
SYSCALL_DECL(sched_getaffinity);
SYSCALL_DECL(getcpu);
SYSCALL_DECL(prlimit64);
SYSCALL_DECL(getrlimit);
SYSCALL_DECL(setrlimit);
SYSCALL_DECL(getpgid);
SYSCALL_DECL(getpgrp);
SYSCALL_DECL(getsid);
SYSCALL_DECL(setsid);
SYSCALL_DECL(setpgid);
SYSCALL_DECL(membarrier);
/* linux/file_calls.c */
SYSCALL_DECL(read);
SYSCALL_DECL(write);
SYSCALL_DECL(open);
SYSCALL_DECL(close);
SYSCALL_DECL(stat);
SYSCALL_DECL(fstat);
SYSCALL_DECL(lstat);
SYSCALL_DECL(lseek);
SYSCALL_DECL(ioctl);
SYSCALL_DECL(pread64);
SYSCALL_DECL(pwrite64);
SYSCALL_DECL(readv);
SYSCALL_DECL(writev);
SYSCALL_DECL(access);
SYSCALL_DECL(pipe);
SYSCALL_DECL(dup);
SYSCALL_DECL(dup2);
SYSCALL_DECL(sendfile);
SYSCALL_DECL(copy_file_range);
SYSCALL_DECL(fcntl);
SYSCALL_DECL(flock);
SYSCALL_DECL(fsync);
SYSCALL_DECL(fdatasync);
SYSCALL_DECL(truncate);
SYSCALL_DECL(ftruncate);
SYSCALL_DECL(getcwd);
SYSCALL_DECL(chdir);
SYSCALL_DECL(fchdir);
SYSCALL_DECL(mkdir);
SYSCALL_DECL(creat);
SYSCALL_DECL(symlink);
SYSCALL_DECL(readlink);
SYSCALL_DECL(umask);
SYSCALL_DECL(getdents64);
SYSCALL_DECL(fadvise64);
SYSCALL_DECL(openat);
SYSCALL_DECL(mkdirat);
SYSCALL_DECL(mknod);
SYSCALL_DECL(mknodat);
SYSCALL_DECL(newfstatat);
SYSCALL_DECL(symlinkat);
SYSCALL_DECL(readlinkat);
SYSCALL_DECL(faccessat);
SYSCALL_DECL(dup3);
SYSCALL_DECL(pipe2);
SYSCALL_DECL(preadv);
SYSCALL_DECL(pwritev);
SYSCALL_DECL(statx);
SYSCALL_DECL(faccessat2);
SYSCALL_DECL(unlink);
SYSCALL_DECL(rmdir);
SYSCALL_DECL(unlinkat);
SYSCALL_DECL(rename);
SYSCALL_DECL(renameat);
SYSCALL_DECL(renameat2);
SYSCALL_DECL(link);
SYSCALL_DECL(linkat);
SYSCALL_DECL(chmod);
SYSCALL_DECL(fchmod);
SYSCALL_DECL(fchmodat);
SYSCALL_DECL(utimensat);
SYSCALL_DECL(chown);
SYSCALL_DECL(fchown);
SYSCALL_DECL(lchown);
SYSCALL_DECL(fchownat);
SYSCALL_DECL(sync);
SYSCALL_DECL(syncfs);
SYSCALL_DECL(close_range);
SYSCALL_DECL(statfs);
SYSCALL_DECL(fstatfs);
SYSCALL_DECL(getxattr);
SYSCALL_DECL(lgetxattr);
SYSCALL_DECL(fgetxattr);
SYSCALL_DECL(listxattr);
SYSCALL_DECL(llistxattr);
SYSCALL_DECL(flistxattr);
SYSCALL_DECL(setxattr);
SYSCALL_DECL(lsetxattr);
SYSCALL_DECL(fsetxattr);
SYSCALL_DECL(removexattr);
SYSCALL_DECL(lremovexattr);
SYSCALL_DECL(fremovexattr);
/* linux/time_calls.c */
SYSCALL_DECL(nanosleep);
SYSCALL_DECL(gettimeofday);
SYSCALL_DECL(time);
SYSCALL_DECL(clock_gettime);
SYSCALL_DECL(clock_getres);
SYSCALL_DECL(clock_nanosleep);
/* linux/info_calls.c */
SYSCALL_DECL(uname);
SYSCALL_DECL(sethostname);
SYSCALL_DECL(setdomainname);
SYSCALL_DECL(sysinfo);
SYSCALL_DECL(getrandom);
/* linux/clone.c */
SYSCALL_DECL(clone);
SYSCALL_DECL(fork);
SYSCALL_DECL(vfork);
SYSCALL_DECL(wait4);
SYSCALL_DECL(waitid);
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
/* linux/socket_calls.c */
SYSCALL_DECL(socket);
SYSCALL_DECL(socketpair);
SYSCALL_DECL(bind);
SYSCALL_DECL(listen);
SYSCALL_DECL(accept);
SYSCALL_DECL(accept4);
SYSCALL_DECL(connect);
SYSCALL_DECL(shutdown);
SYSCALL_DECL(getsockname);
SYSCALL_DECL(getpeername);
SYSCALL_DECL(sendto);
SYSCALL_DECL(recvfrom);
SYSCALL_DECL(sendmsg);
SYSCALL_DECL(recvmsg);
SYSCALL_DECL(sendmmsg);
SYSCALL_DECL(recvmmsg);
SYSCALL_DECL(setsockopt);
SYSCALL_DECL(getsockopt);
/* linux/poll_calls.c */
SYSCALL_DECL(poll);
SYSCALL_DECL(ppoll);
SYSCALL_DECL(select);
SYSCALL_DECL(pselect6);
/* linux/epoll.c */
SYSCALL_DECL(epoll_create);
SYSCALL_DECL(epoll_create1);
SYSCALL_DECL(epoll_ctl);
SYSCALL_DECL(epoll_wait);
SYSCALL_DECL(epoll_pwait);
SYSCALL_DECL(epoll_pwait2);
/* linux/eventfd.c, linux/timerfd.c */
SYSCALL_DECL(eventfd);
SYSCALL_DECL(eventfd2);
SYSCALL_DECL(timerfd_create);
SYSCALL_DECL(timerfd_settime);
SYSCALL_DECL(timerfd_gettime);
/* linux/itimer.c */
SYSCALL_DECL(setitimer);
SYSCALL_DECL(getitimer);
SYSCALL_DECL(alarm);
SYSCALL_DECL(signalfd);
SYSCALL_DECL(signalfd4);

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
    [__NR_getgroups] = sys_getgroups,
    [__NR_arch_prctl] = sys_arch_prctl,
    [__NR_set_tid_address] = sys_set_tid_address,
    [__NR_set_robust_list] = sys_set_robust_list,
    [__NR_get_robust_list] = sys_get_robust_list,
    [__NR_prctl] = sys_prctl,
    [__NR_sched_yield] = sys_sched_yield,
    [__NR_sched_getaffinity] = sys_sched_getaffinity,
    [__NR_getcpu] = sys_getcpu,
    [__NR_prlimit64] = sys_prlimit64,
    [__NR_getrlimit] = sys_getrlimit,
    [__NR_setrlimit] = sys_setrlimit,
    [__NR_getpgid] = sys_getpgid,
    [__NR_getpgrp] = sys_getpgrp,
    [__NR_getsid] = sys_getsid,
    [__NR_setsid] = sys_setsid,
    [__NR_setpgid] = sys_setpgid,
    [__NR_membarrier] = sys_membarrier,
    /* file_calls.c, time_calls.c, info_calls.c */
    [__NR_read] = sys_read,
    [__NR_write] = sys_write,
    [__NR_open] = sys_open,
    [__NR_close] = sys_close,
    [__NR_stat] = sys_stat,
    [__NR_fstat] = sys_fstat,
    [__NR_lstat] = sys_lstat,
    [__NR_lseek] = sys_lseek,
    [__NR_ioctl] = sys_ioctl,
    [__NR_pread64] = sys_pread64,
    [__NR_pwrite64] = sys_pwrite64,
    [__NR_readv] = sys_readv,
    [__NR_writev] = sys_writev,
    [__NR_access] = sys_access,
    [__NR_pipe] = sys_pipe,
    [__NR_dup] = sys_dup,
    [__NR_dup2] = sys_dup2,
    [__NR_nanosleep] = sys_nanosleep,
    [__NR_sendfile] = sys_sendfile,
    [__NR_copy_file_range] = sys_copy_file_range,
    [__NR_uname] = sys_uname,
    [__NR_sethostname] = sys_sethostname,
    [__NR_setdomainname] = sys_setdomainname,
    [__NR_fcntl] = sys_fcntl,
    [__NR_flock] = sys_flock,
    [__NR_fsync] = sys_fsync,
    [__NR_fdatasync] = sys_fdatasync,
    [__NR_truncate] = sys_truncate,
    [__NR_ftruncate] = sys_ftruncate,
    [__NR_getcwd] = sys_getcwd,
    [__NR_chdir] = sys_chdir,
    [__NR_fchdir] = sys_fchdir,
    [__NR_rename] = sys_rename,
    [__NR_mkdir] = sys_mkdir,
    [__NR_rmdir] = sys_rmdir,
    [__NR_creat] = sys_creat,
    [__NR_link] = sys_link,
    [__NR_unlink] = sys_unlink,
    [__NR_symlink] = sys_symlink,
    [__NR_readlink] = sys_readlink,
    [__NR_chmod] = sys_chmod,
    [__NR_fchmod] = sys_fchmod,
    [__NR_chown] = sys_chown,
    [__NR_fchown] = sys_fchown,
    [__NR_lchown] = sys_lchown,
    [__NR_umask] = sys_umask,
    [__NR_gettimeofday] = sys_gettimeofday,
    [__NR_sysinfo] = sys_sysinfo,
    [__NR_statfs] = sys_statfs,
    [__NR_fstatfs] = sys_fstatfs,
    [__NR_sync] = sys_sync,
    [__NR_time] = sys_time,
    [__NR_getdents64] = sys_getdents64,
    [__NR_fadvise64] = sys_fadvise64,
    [__NR_clock_gettime] = sys_clock_gettime,
    [__NR_clock_getres] = sys_clock_getres,
    [__NR_clock_nanosleep] = sys_clock_nanosleep,
    [__NR_openat] = sys_openat,
    [__NR_mkdirat] = sys_mkdirat,
    [__NR_mknod] = sys_mknod,
    [__NR_mknodat] = sys_mknodat,
    [__NR_fchownat] = sys_fchownat,
    [__NR_newfstatat] = sys_newfstatat,
    [__NR_unlinkat] = sys_unlinkat,
    [__NR_renameat] = sys_renameat,
    [__NR_linkat] = sys_linkat,
    [__NR_symlinkat] = sys_symlinkat,
    [__NR_readlinkat] = sys_readlinkat,
    [__NR_fchmodat] = sys_fchmodat,
    [__NR_faccessat] = sys_faccessat,
    [__NR_utimensat] = sys_utimensat,
    [__NR_dup3] = sys_dup3,
    [__NR_pipe2] = sys_pipe2,
    [__NR_preadv] = sys_preadv,
    [__NR_pwritev] = sys_pwritev,
    [__NR_syncfs] = sys_syncfs,
    [__NR_renameat2] = sys_renameat2,
    [__NR_getrandom] = sys_getrandom,
    [__NR_statx] = sys_statx,
    [__NR_close_range] = sys_close_range,
    [__NR_faccessat2] = sys_faccessat2,
    [__NR_getxattr] = sys_getxattr,
    [__NR_lgetxattr] = sys_lgetxattr,
    [__NR_fgetxattr] = sys_fgetxattr,
    [__NR_listxattr] = sys_listxattr,
    [__NR_llistxattr] = sys_llistxattr,
    [__NR_flistxattr] = sys_flistxattr,
    [__NR_setxattr] = sys_setxattr,
    [__NR_lsetxattr] = sys_lsetxattr,
    [__NR_fsetxattr] = sys_fsetxattr,
    [__NR_removexattr] = sys_removexattr,
    [__NR_lremovexattr] = sys_lremovexattr,
    [__NR_fremovexattr] = sys_fremovexattr,
    /* clone.c */
    [__NR_clone] = sys_clone,
    [__NR_fork] = sys_fork,
    [__NR_vfork] = sys_vfork,
    [__NR_wait4] = sys_wait4,
    [__NR_waitid] = sys_waitid,
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
    /* socket_calls.c */
    [__NR_socket] = sys_socket,
    [__NR_socketpair] = sys_socketpair,
    [__NR_bind] = sys_bind,
    [__NR_listen] = sys_listen,
    [__NR_accept] = sys_accept,
    [__NR_accept4] = sys_accept4,
    [__NR_connect] = sys_connect,
    [__NR_shutdown] = sys_shutdown,
    [__NR_getsockname] = sys_getsockname,
    [__NR_getpeername] = sys_getpeername,
    [__NR_sendto] = sys_sendto,
    [__NR_recvfrom] = sys_recvfrom,
    [__NR_sendmsg] = sys_sendmsg,
    [__NR_recvmsg] = sys_recvmsg,
    [__NR_sendmmsg] = sys_sendmmsg,
    [__NR_recvmmsg] = sys_recvmmsg,
    [__NR_setsockopt] = sys_setsockopt,
    [__NR_getsockopt] = sys_getsockopt,
    /* poll_calls.c, epoll.c, eventfd.c, timerfd.c */
    [__NR_poll] = sys_poll,
    [__NR_ppoll] = sys_ppoll,
    [__NR_select] = sys_select,
    [__NR_pselect6] = sys_pselect6,
    [__NR_epoll_create] = sys_epoll_create,
    [__NR_epoll_create1] = sys_epoll_create1,
    [__NR_epoll_ctl] = sys_epoll_ctl,
    [__NR_epoll_wait] = sys_epoll_wait,
    [__NR_epoll_pwait] = sys_epoll_pwait,
    [__NR_epoll_pwait2] = sys_epoll_pwait2,
    [__NR_eventfd] = sys_eventfd,
    [__NR_eventfd2] = sys_eventfd2,
    [__NR_timerfd_create] = sys_timerfd_create,
    [__NR_timerfd_settime] = sys_timerfd_settime,
    [__NR_timerfd_gettime] = sys_timerfd_gettime,
    /* itimer.c */
    [__NR_setitimer] = sys_setitimer,
    [__NR_getitimer] = sys_getitimer,
    [__NR_alarm] = sys_alarm,
    [__NR_signalfd] = sys_signalfd,
    [__NR_signalfd4] = sys_signalfd4,
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
