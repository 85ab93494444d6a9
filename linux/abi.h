/* Private to linux/: the system-call handler shape, the one process and its
 * threads, and the file-descriptor layer's interface between the process
 * side (process.c, memory, threads, signals) and the file side (fd.c, file
 * calls, pipes, /proc). */
#ifndef KESTREL_LINUX_ABI_H
#define KESTREL_LINUX_ABI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "errno.h"
#include "irq.h"
#include "memory.h"
#include "spinlock.h"
#include "sync.h"
#include "vfs.h"
#include "signal_frame.h"

/* A system call's six arguments as the program passed them (rdi, rsi, rdx,
 * r10, r8, r9). Handlers cast each to its type and check pointers with
 * include/uaccess.h before use. */
struct sysargs {
    unsigned long a[6];
};
typedef long (*syscall_fn)(const struct sysargs *s);

/* linux/syscall_table.c: the one table, indexed by number (ENOSYS default,
 * each unimplemented call logged once by name; --strace prints every call). */
long syscall_dispatch(unsigned long nr, const struct sysargs *s);

/* Each family file declares its handlers here, in the table's order. */
#define SYSCALL_DECL(name) long sys_##name(const struct sysargs *s)

/* ---- open files: linux/fd.c ----
 * A descriptor names an lfile; dup'ed descriptors share one (offset, status
 * flags), as in Linux. Ops get kernel-usable buffers (user buffers already
 * passed user_buffer_prepare). */
struct lfile;
struct lfile_ops {
    long (*read)(struct lfile *f, void *buf, size_t len, uint64_t *pos);
    long (*write)(struct lfile *f, const void *buf, size_t len, uint64_t *pos);
    int64_t (*lseek)(struct lfile *f, int64_t off, int whence); /* NULL: -ESPIPE */
    int (*fstat)(struct lfile *f, struct vfs_stat *st);
    long (*ioctl)(struct lfile *f, unsigned long cmd, unsigned long arg); /* NULL: -ENOTTY */
    void (*release)(struct lfile *f);
    /* NULL: always ready. Bytes a read would return now (FIONREAD). */
    long (*readable)(struct lfile *f);
    /* The file's readiness now, as EPOLLIN/EPOLLOUT/EPOLLHUP/EPOLLERR/
     * EPOLLRDHUP bits (Linux values). NULL: EPOLLIN | EPOLLOUT, as Linux
     * answers for regular files. A file whose readiness can change calls
     * lfile_notify whenever it may have. */
    unsigned (*poll)(struct lfile *f);
};

/* ---- readiness: linux/poll_notify.c ----
 * poll, select and epoll attach a waiter to each file they watch; the file
 * calls lfile_notify from its own events (a pipe write, lwIP's callback),
 * never from a timer. wake runs under the file's poll lock with interrupts
 * off: it may only note the event and wake a thread. */
struct lpoll_waiter {
    struct lpoll_waiter *next, *prev;
    void (*wake)(struct lpoll_waiter *w, struct lfile *f, unsigned events);
    void *ctx;
};
struct lfile {
    const struct lfile_ops *ops;
    unsigned refs; /* atomic */
    unsigned status_flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK, O_PATH ... (Linux values) */
    uint64_t pos;
    void *priv;
    struct vnode *vn;  /* files on the VFS (a reference), else NULL */
    char *path;        /* its resolved path when on the VFS (/proc/self/fd, fchdir, dirfds) */
    struct mutex pos_lock; /* read/write/lseek on one file are serialised, as Linux's f_pos_lock */
    struct spinlock poll_lock;      /* guards pollers */
    struct lpoll_waiter *pollers;   /* waiters attached by poll/select/epoll */
};

/* The file's readiness (ops->poll, or EPOLLIN | EPOLLOUT). */
unsigned lfile_poll(struct lfile *f);
void lfile_poll_add(struct lfile *f, struct lpoll_waiter *w);
void lfile_poll_del(struct lfile *f, struct lpoll_waiter *w);
/* Readiness may have changed; events says which bits (0: any). Callable
 * from any thread; not from a device's interrupt handler. (timerfd calls
 * it from a timer callback: the waiters poll, select and epoll attach only
 * take spinlocks with interrupts off and wake threads, which is safe
 * there; a new kind of waiter must keep it so.) */
void lfile_notify(struct lfile *f, unsigned events);
/* The file's last reference went (lfile_put, before its release): each
 * waiter still attached (epoll's) is detached, then woken with
 * LX_POLLFREE so it forgets the file. */
void lfile_poll_free(struct lfile *f);

/* A new file holding one reference (NULL: -ENOMEM). */
struct lfile *lfile_new(const struct lfile_ops *ops, unsigned status_flags, void *priv);
void lfile_get(struct lfile *f);
/* A reference unless the last one is already gone (the file is being
 * freed): epoll reaches files it holds no reference to. */
bool lfile_tryget(struct lfile *f);
void lfile_put(struct lfile *f);
/* Opens path (absolute) on the VFS as open(2) does: files, directories,
 * devices under /dev (by their device number). */
long lfile_open_path(const char *path, int flags, uint32_t mode, struct lfile **out);
/* The console (stdin reads end of file, stdout/stderr print). */
struct lfile *lfile_console(unsigned status_flags);

/* The descriptor table's size: RLIMIT_NOFILE's hard limit, Linux's default
 * (INR_OPEN_MAX); the soft limit starts at 1024 (INR_OPEN_CUR), and Go's
 * runtime, like many servers, raises it to the hard one. */
#define LINUX_NOFILE 4096
#define LINUX_NOFILE_SOFT 1024
/* RLIMIT_NOFILE's soft limit now: new descriptors are below it. */
unsigned lproc_nofile(void);
struct fdtable;
struct fdtable *fdtable_create(void);
/* stdin, stdout and stderr on the console. */
int fdtable_init_stdio(struct fdtable *t);
/* The file fd names, with a reference (lfile_put), or NULL. */
struct lfile *fd_get(int fd);
/* Installs f (consuming the caller's reference) at the lowest free
 * descriptor >= min: the descriptor, or -EMFILE (f is then put). */
int fd_install(struct lfile *f, int min, bool cloexec);
/* dup2/dup3: installs f at newfd, closing what was there. */
int fd_install_at(struct lfile *f, int newfd, bool cloexec);
int fd_close(int fd);
int fd_get_cloexec(int fd); /* 0/1, or -EBADF */
int fd_set_cloexec(int fd, bool on);
/* The first open descriptor >= from, or -1 (for /proc/self/fd). */
int fd_next_open(int from);

/* Until the fd layer lands (abi-files): a positional read of descriptor
 * fd into a kernel buffer, for file mappings (linux/memory.c). Weak default
 * in linux/console_io.c answers -EBADF. */
long lfile_pread_fd(int fd, void *buf, size_t len, uint64_t off);
uint64_t lfile_page_fd(int fd, uint64_t off);

/* ---- memory: linux/memory.c ---- */
#define LINUX_PROT_READ 0x1
#define LINUX_PROT_WRITE 0x2
#define LINUX_PROT_EXEC 0x4
#define LINUX_PROT_MASK 0x7

#define VMA_ANON 0x1  /* may merge with a neighbour of the same rights */
#define VMA_STACK 0x2
#define VMA_BRK 0x4
#define VMA_SHARED_FILE 0x8 /* MAP_SHARED of a file: a read-only copy, never made writable */
#define VMA_VDSO 0x10 /* linux/vdso.c's image: [vdso] in /proc/self/maps */
#define VMA_VVAR 0x20 /* and its data page: [vvar] */

/* A region of the program's address space with its rights. Pages inside
 * are made present on first touch (demand zero), except file data, which is
 * read in when mapped. */
struct vma {
    uint64_t start, end; /* page aligned, end exclusive */
    unsigned prot;       /* LINUX_PROT_* */
    unsigned flags;      /* VMA_* */
};

struct lmm {
    struct mutex lock;
    struct vma *v; /* sorted by start, disjoint */
    unsigned n, cap;
    uint64_t brk_start, brk; /* the program break */
    uint64_t mmap_base;      /* where searches for free space begin */
};

/* Reads file bytes for a mapping: like pread into a kernel buffer. */
typedef long (*mm_read_fn)(void *ctx, void *buf, size_t len, uint64_t off);
/* The file's own frame holding bytes [off, off + PAGE_SIZE) to share
 * read-only (fs_ops.page), or 0: read them instead. */
typedef uint64_t (*mm_page_fn)(void *ctx, uint64_t off);

void mm_init(struct lmm *mm);
/* Maps [start, start+len) (page aligned, free) with prot; the first
 * file_bytes bytes come from read(ctx, ..., file_off) (read==NULL: none),
 * or whole pages of them from page(ctx, ...)'s shared frames when it has
 * them (page may be NULL).
 * 0, -ENOMEM (a frame the kernel holds, no memory) or -EINVAL. */
int mm_map(struct lmm *mm, uint64_t start, uint64_t len, unsigned prot, unsigned flags, mm_read_fn read,
           mm_page_fn page, void *ctx, uint64_t file_off, uint64_t file_bytes);
int mm_unmap(struct lmm *mm, uint64_t start, uint64_t len);
/* 0 when no region overlaps [start, start+len). */
int mm_range_free(struct lmm *mm, uint64_t start, uint64_t len);
/* A page fault in ring 3 at addr (error code bits: 1 present, 2 write, 16
 * fetch): 0 when the page is now there, else the signal (SIGSEGV) and
 * *code (SEGV_MAPERR 1 / SEGV_ACCERR 2). */
int mm_fault(struct lmm *mm, uint64_t addr, uint64_t error, int *code);
/* Makes [addr, addr+len) present with rights for read (write): 0 or -EFAULT. */
int mm_prepare(struct lmm *mm, uint64_t addr, uint64_t len, bool write);
/* Maps the vDSO (linux/vdso.c): 0 and its ELF header's address, or -ENOMEM. */
int vdso_map(struct lmm *mm, uint64_t *ehdr);

#define LINUX_USER_STACK_TOP 0x7ffffffff000ull
#define LINUX_STACK_SIZE (8ull << 20)
#define LINUX_MMAP_BASE 0x100000000000ull /* 16 TiB: above any RAM the identity map covers */
#define LINUX_MMAP_END KERNEL_STACK_AREA
#define LINUX_ET_DYN_BASE 0x555555554000ull
#define LINUX_MIN_ADDR 0x10000ull /* as Linux's vm.mmap_min_addr */

/* ---- signals the kernel raises ---- */
#define LINUX_SIGILL 4
#define LINUX_SIGTRAP 5
#define LINUX_SIGBUS 7
#define LINUX_SIGFPE 8
#define LINUX_SIGKILL 9
#define LINUX_SIGSEGV 11
/* A fault of the running thread (f: its registers): delivered to the
 * program's handler when it has one (abi-threads), otherwise fatal:
 * "app: SIGSEGV at ADDR, rip RIP" and the machine powers off with 128+sig. */
void linux_fault_signal(struct int_frame *f, int sig, int code, uint64_t addr);
void linux_fatal_signal(int sig, uint64_t addr, uint64_t rip) __attribute__((noreturn));

/* ---- threads ----
 * A Linux thread is a Kestrel thread with a user context (include/user.h);
 * its Linux-side state hangs off thread->uctx->linux. */
struct lthread {
    int tid;
    uint64_t clear_child_tid;   /* set_tid_address, CLONE_CHILD_CLEARTID */
    uint64_t robust_list, robust_len; /* set_robust_list */
    char name[16];              /* prctl(PR_SET_NAME) */
    /* threads and signals (linux/clone.c, linux/signal.c; linux/thread.h) */
    struct thread *thread;
    lsigset_t blocked;
    lsigset_t saved_blocked;    /* rt_sigsuspend: the mask to restore */
    bool has_saved_blocked;
    lsigset_t waiting;          /* rt_sigtimedwait: blocked signals it takes */
    lsigset_t pending;          /* directed at this thread (tgkill, faults) */
    struct lsig_info info[LNX_NSIG];
    struct altstack alt;
    struct waitq *intr_wq;      /* an interruptible wait, under the scheduler lock */
    bool interrupted;
    bool exiting;               /* exit_group: stop at the next return to user mode */
    struct lthread *next;       /* the process's thread list */
};
struct lthread *lthread_current(void);
/* Entry and exit hooks (declared in include/user.h, defined in
 * linux/entry.c): linux_syscall(frame) runs the call (nr in rax, result to
 * rax); linux_user_exception(frame) turns a ring-3 fault into demand paging
 * or linux_fault_signal; linux_return_to_user(frame) runs with interrupts
 * enabled on every way back to ring 3 (after a call, an interrupt or a
 * fault that came from ring 3) and is where pending signals are delivered:
 * it may rewrite the frame (the exit then uses IRETQ, not SYSRET). A new
 * thread enters ring 3 with user_enter(frame) after thread->uctx is set
 * (user_ctx_create, user_fpu_copy_current for clone). */
/* The running thread's registers as it entered the kernel (top of its
 * kernel stack): what rt_sigreturn and clone read or rewrite. */
struct int_frame *linux_user_regs(void);

/* ---- the one process ----
 * Kestrel runs one program; its threads share this. */
struct lproc {
    /* process side (linux/process.c) */
    int pid;
    const char *exe_path;
    struct lmm mm;
    bool strace;
    /* file side (linux/fd.c, linux/file_calls.c) */
    struct fdtable *fdt;
    char cwd[VFS_PATH_MAX + 1]; /* resolved, absolute */
    uint32_t umask;
};
struct lproc *lproc_current(void);
/* linux/file_calls.c: the file side of a new process: descriptor table with
 * stdio on the console, working directory cwd ("/" when NULL) that must be
 * a directory, umask 022, /proc, /sys and /dev mounted where the root has
 * the directories (or can make them). 0 or a negative errno. */
int lproc_files_init(struct lproc *p, const char *cwd);
/* linux/etc_resolv.c: /etc/resolv.conf from the network configuration,
 * written in the background once an interface is configured. */
struct kernel_options;
void linux_resolv_start(const struct kernel_options *o);


#endif
