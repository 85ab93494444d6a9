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
};
struct lfile {
    const struct lfile_ops *ops;
    unsigned refs;
    unsigned status_flags; /* O_ACCMODE, O_APPEND, O_NONBLOCK, ... (Linux values) */
    uint64_t pos;
    void *priv;
};

struct fdtable;
struct fdtable *fdtable_create(void);
/* stdin, stdout and stderr on the console. */
int fdtable_init_stdio(struct fdtable *t);

/* ---- the one process ----
 * Kestrel runs one program; its threads share this. */
struct lproc {
    /* process side (linux/process.c) */
    int pid;
    const char *exe_path;
    /* file side (linux/fd.c, linux/file_calls.c) */
    struct fdtable *fdt;
    char cwd[VFS_PATH_MAX];
    uint32_t umask;
};
struct lproc *lproc_current(void);

#endif
