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
#include "sync.h"
#include "vfs.h"

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
};

/* A new file holding one reference (NULL: -ENOMEM). */
struct lfile *lfile_new(const struct lfile_ops *ops, unsigned status_flags, void *priv);
void lfile_get(struct lfile *f);
void lfile_put(struct lfile *f);
/* Opens path (absolute) on the VFS as open(2) does: files, directories,
 * devices under /dev (by their device number). */
long lfile_open_path(const char *path, int flags, uint32_t mode, struct lfile **out);
/* The console (stdin reads end of file, stdout/stderr print). */
struct lfile *lfile_console(unsigned status_flags);

#define LINUX_NOFILE 1024 /* RLIMIT_NOFILE: descriptors 0 .. 1023 */
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

/* ---- the one process ----
 * Kestrel runs one program; its threads share this. */
struct lproc {
    /* process side (linux/process.c) */
    int pid;
    const char *exe_path;
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

#endif
