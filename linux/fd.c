/* The process's descriptor table and its open files: files and directories
 * on the VFS, the console, and the character devices of /dev (chosen by
 * device number, as Linux's drivers are). Pipes are in pipe.c. */
#include <stdlib.h>
#include <string.h>
#include "console.h"
#include "files.h"
#include "layout.h"
#include "linux_consts.h"
#include "pseudofs.h"
#include "random.h"
#include "spinlock.h"

/* A spinlock, not a mutex: every call looks its descriptor up, the
 * sections are short, and a mutex would take the scheduler's lock twice. */
struct fdtable {
    struct spinlock lock;
    struct lfile *files[LINUX_NOFILE];
    uint8_t cloexec[LINUX_NOFILE];
};

/* ---- files ---- */

struct lfile *lfile_new(const struct lfile_ops *ops, unsigned status_flags, void *priv)
{
    struct lfile *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->ops = ops;
    f->refs = 1;
    f->status_flags = status_flags;
    f->priv = priv;
    mutex_init(&f->pos_lock);
    return f;
}

void lfile_get(struct lfile *f) { __atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED); }

bool lfile_tryget(struct lfile *f)
{
    unsigned r = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);
    while (r) {
        if (__atomic_compare_exchange_n(&f->refs, &r, r + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
            return true;
    }
    return false;
}

void lfile_put(struct lfile *f)
{
    if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
        return;
    lfile_poll_free(f); /* epoll forgets it, as Linux's registrations go with the file */
    if (f->ops->release)
        f->ops->release(f);
    if (f->vn)
        vfs_vn_put(f->vn);
    free(f->path);
    free(f);
}

/* ---- the descriptor table ---- */

struct fdtable *fdtable_create(void)
{
    return calloc(1, sizeof(struct fdtable)); /* zero is SPINLOCK_INIT */
}

static struct fdtable *table(void) { return lproc_current()->fdt; }

static bool fd_valid(int fd) { return fd >= 0 && fd < LINUX_NOFILE; }

struct lfile *fd_get(int fd)
{
    struct fdtable *t = table();
    if (!t || !fd_valid(fd))
        return NULL;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct lfile *f = t->files[fd];
    if (f)
        lfile_get(f);
    spin_unlock_irqrestore(&t->lock, irq);
    return f;
}

static int install_locked(struct fdtable *t, struct lfile *f, int min, bool cloexec)
{
    int end = (int)lproc_nofile();
    for (int fd = min; fd < end; fd++) {
        if (!t->files[fd]) {
            t->files[fd] = f;
            t->cloexec[fd] = cloexec;
            return fd;
        }
    }
    return -EMFILE;
}

int fd_install(struct lfile *f, int min, bool cloexec)
{
    struct fdtable *t = table();
    if (min < 0 || min >= (int)lproc_nofile()) {
        lfile_put(f);
        return -EINVAL;
    }
    uint64_t irq = spin_lock_irqsave(&t->lock);
    int fd = install_locked(t, f, min, cloexec);
    spin_unlock_irqrestore(&t->lock, irq);
    if (fd < 0)
        lfile_put(f);
    return fd;
}

int fd_install_at(struct lfile *f, int newfd, bool cloexec)
{
    struct fdtable *t = table();
    if (newfd < 0 || newfd >= (int)lproc_nofile()) { /* dup2 past the soft limit: Linux's -EBADF */
        lfile_put(f);
        return -EBADF;
    }
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct lfile *old = t->files[newfd];
    t->files[newfd] = f;
    t->cloexec[newfd] = cloexec;
    spin_unlock_irqrestore(&t->lock, irq);
    lfile_put(old); /* outside the lock: a release may block (a pipe's wake-ups) */
    return newfd;
}

int fd_close(int fd)
{
    struct fdtable *t = table();
    if (!fd_valid(fd))
        return -EBADF;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    struct lfile *f = t->files[fd];
    t->files[fd] = NULL;
    spin_unlock_irqrestore(&t->lock, irq);
    if (!f)
        return -EBADF;
    lfile_put(f);
    return 0;
}

int fd_get_cloexec(int fd)
{
    struct fdtable *t = table();
    if (!fd_valid(fd))
        return -EBADF;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    int rc = t->files[fd] ? t->cloexec[fd] : -EBADF;
    spin_unlock_irqrestore(&t->lock, irq);
    return rc;
}

int fd_set_cloexec(int fd, bool on)
{
    struct fdtable *t = table();
    if (!fd_valid(fd))
        return -EBADF;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    int rc = t->files[fd] ? 0 : -EBADF;
    if (rc == 0)
        t->cloexec[fd] = on;
    spin_unlock_irqrestore(&t->lock, irq);
    return rc;
}

int fd_next_open(int from)
{
    struct fdtable *t = table();
    if (!t || from < 0)
        return -1;
    uint64_t irq = spin_lock_irqsave(&t->lock);
    int fd = from;
    while (fd < LINUX_NOFILE && !t->files[fd])
        fd++;
    spin_unlock_irqrestore(&t->lock, irq);
    return fd < LINUX_NOFILE ? fd : -1;
}

/* ---- the console ---- */

static long con_read(struct lfile *f, void *buf, size_t len, uint64_t *pos) { return 0; }

static long con_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos)
{
    console_write(buf, len);
    return (long)len;
}

static int con_fstat(struct lfile *f, struct vfs_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->mode = VFS_S_IFCHR | 0620;
    st->rdev = lx_makedev(5, 1);
    st->ino = 1;
    st->nlink = 1;
    st->blksize = 1024;
    return 0;
}

/* No terminal behind it: TCGETS, TIOCGWINSZ and the rest are -ENOTTY, as
 * Linux answers for a console that is not a tty. */
static const struct lfile_ops console_ops = {
    .read = con_read, .write = con_write, .fstat = con_fstat,
};

struct lfile *lfile_console(unsigned status_flags) { return lfile_new(&console_ops, status_flags, NULL); }

int fdtable_init_stdio(struct fdtable *t)
{
    static const unsigned modes[3] = { LX_O_RDONLY, LX_O_WRONLY, LX_O_WRONLY };
    for (int fd = 0; fd < 3; fd++) {
        struct lfile *f = lfile_console(modes[fd]);
        if (!f)
            return -ENOMEM;
        uint64_t irq = spin_lock_irqsave(&t->lock);
        struct lfile *old = t->files[fd];
        t->files[fd] = f;
        spin_unlock_irqrestore(&t->lock, irq);
        lfile_put(old);
    }
    return 0;
}

/* ---- files and directories on the VFS ---- */

/* A directory's read position: "." and ".." first (the file systems do not
 * list them), then the file system's entries from cookie; an entry read but
 * not yet handed out (it did not fit) waits in pending. */
struct dir_state {
    uint64_t cookie;
    uint64_t index; /* entries handed out: the d_off of the last one */
    bool has_pending;
    struct vfs_dirent pending;
};

static long vn_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    long n = vfs_vn_read(f->vn, buf, len, *pos);
    if (n > 0)
        *pos += (uint64_t)n;
    return n;
}

static long vn_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos)
{
    if (f->status_flags & LX_O_APPEND) {
        struct vfs_stat st;
        vfs_vn_stat(f->vn, &st);
        *pos = st.size;
    }
    if (*pos + len < *pos || *pos + len > (1ull << 62))
        return -EFBIG;
    long n = vfs_vn_write(f->vn, buf, len, *pos);
    if (n > 0)
        *pos += (uint64_t)n;
    return n;
}

static int64_t seek_base(struct lfile *f, int64_t off, int whence, uint64_t size)
{
    int64_t base;
    switch (whence) {
    case LX_SEEK_SET:
        base = 0;
        break;
    case LX_SEEK_CUR:
        base = (int64_t)f->pos;
        break;
    case LX_SEEK_END:
        base = (int64_t)size;
        break;
    case LX_SEEK_DATA:
        return off < 0 ? -EINVAL : (uint64_t)off >= size ? -ENXIO : off;
    case LX_SEEK_HOLE:
        return off < 0 ? -EINVAL : (uint64_t)off >= size ? -ENXIO : (int64_t)size;
    default:
        return -EINVAL;
    }
    if ((off > 0 && base > INT64_MAX - off) || base + off < 0)
        return -EINVAL;
    return base + off;
}

static int64_t vn_lseek(struct lfile *f, int64_t off, int whence)
{
    struct vfs_stat st;
    vfs_vn_stat(f->vn, &st);
    int64_t to = seek_base(f, off, whence, st.size);
    if (to >= 0)
        f->pos = (uint64_t)to;
    return to;
}

static int vn_fstat(struct lfile *f, struct vfs_stat *st)
{
    vfs_vn_stat(f->vn, st);
    return 0;
}

static long vn_readable(struct lfile *f)
{
    struct vfs_stat st;
    vfs_vn_stat(f->vn, &st);
    return st.size > f->pos ? (long)(st.size - f->pos) : 0;
}

static const struct lfile_ops vnode_ops = {
    .read = vn_read, .write = vn_write, .lseek = vn_lseek, .fstat = vn_fstat, .readable = vn_readable,
};

static long dir_read(struct lfile *f, void *buf, size_t len, uint64_t *pos) { return -EISDIR; }

/* Seeking a directory: back to the start, or to the n-th entry (a d_off
 * getdents64 handed out) by reading again from the start. */
static int64_t dir_lseek(struct lfile *f, int64_t off, int whence)
{
    struct dir_state *d = f->priv;
    if (whence == LX_SEEK_CUR && off == 0)
        return (int64_t)d->index;
    if (whence != LX_SEEK_SET || off < 0)
        return -EINVAL;
    memset(d, 0, sizeof(*d));
    struct vfs_dirent e;
    while (d->index < (uint64_t)off) {
        int rc = lfile_dir_next(f, &e);
        if (rc <= 0)
            return rc < 0 ? rc : (int64_t)d->index;
    }
    return off;
}

static void dir_release(struct lfile *f) { free(f->priv); }

static const struct lfile_ops dir_ops = {
    .read = dir_read, .lseek = dir_lseek, .fstat = vn_fstat, .release = dir_release,
};

bool lfile_is_dir(const struct lfile *f) { return f->ops == &dir_ops; }

/* The inode number of the directory's parent (the root's is its own). */
static uint64_t parent_ino(struct lfile *f, uint64_t self)
{
    size_t n = f->path ? strlen(f->path) : 0;
    char *up = n ? malloc(n + 4) : NULL;
    if (!up)
        return self;
    memcpy(up, f->path, n);
    memcpy(up + n, "/..", 4);
    struct vnode *vn;
    uint64_t ino = self;
    if (vfs_resolve(up, 0, &vn, NULL) == 0) {
        ino = vn->ino;
        vfs_vn_put(vn);
    }
    free(up);
    return ino;
}

int lfile_dir_next(struct lfile *f, struct vfs_dirent *e)
{
    struct dir_state *d = f->priv;
    if (d->has_pending) {
        *e = d->pending;
    } else if (d->index < 2) {
        struct vfs_stat st;
        vfs_vn_stat(f->vn, &st);
        e->ino = st.ino;
        e->type = VFS_DT_DIR;
        strlcpy(e->name, d->index == 0 ? "." : "..", sizeof(e->name));
        if (d->index == 1)
            e->ino = parent_ino(f, st.ino);
    } else {
        int rc = vfs_vn_readdir(f->vn, &d->cookie, e);
        if (rc <= 0)
            return rc;
    }
    d->has_pending = false;
    d->index++;
    return 1;
}

void lfile_dir_unread(struct lfile *f, const struct vfs_dirent *e)
{
    struct dir_state *d = f->priv;
    d->pending = *e;
    d->has_pending = true;
    d->index--;
}

/* ---- character devices (/dev) ---- */

static long null_read(struct lfile *f, void *buf, size_t len, uint64_t *pos) { return 0; }
static long sink_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos) { return (long)len; }
static long full_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos) { return -ENOSPC; }

static long zero_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    memset(buf, 0, len);
    return (long)len;
}

static long random_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    random_bytes(buf, len);
    return (long)len;
}

static int64_t dev_lseek(struct lfile *f, int64_t off, int whence)
{
    f->pos = 0;
    return 0;
}

static const struct lfile_ops null_ops = {
    .read = null_read, .write = sink_write, .lseek = dev_lseek, .fstat = vn_fstat,
};
static const struct lfile_ops zero_ops = {
    .read = zero_read, .write = sink_write, .lseek = dev_lseek, .fstat = vn_fstat,
};
static const struct lfile_ops full_ops = {
    .read = zero_read, .write = full_write, .lseek = dev_lseek, .fstat = vn_fstat,
};
static const struct lfile_ops random_ops = {
    .read = random_read, .write = sink_write, .lseek = dev_lseek, .fstat = vn_fstat,
};
static const struct lfile_ops tty_ops = {
    .read = con_read, .write = con_write, .fstat = vn_fstat,
};

static const struct lfile_ops *device_ops(uint64_t rdev)
{
    switch (rdev) {
    case LX_DEV_NULL:
        return &null_ops;
    case LX_DEV_ZERO:
        return &zero_ops;
    case LX_DEV_FULL:
        return &full_ops;
    case LX_DEV_RANDOM:
    case LX_DEV_URANDOM:
        return &random_ops;
    case LX_DEV_TTY:
    case LX_DEV_CONSOLE:
        return &tty_ops;
    default:
        return NULL;
    }
}

static long path_only_read(struct lfile *f, void *buf, size_t len, uint64_t *pos) { return -EBADF; }

/* O_PATH: a name to stat, fchdir to, or resolve from; no I/O. */
static const struct lfile_ops path_ops = {
    .read = path_only_read, .fstat = vn_fstat,
};

bool lfile_is_path_only(const struct lfile *f) { return f->ops == &path_ops; }

static const struct lfile_ops *ops_for(struct vnode *vn, int flags, void **priv)
{
    if (flags & LX_O_PATH)
        return &path_ops;
    switch (vn->mode & VFS_S_IFMT) {
    case VFS_S_IFDIR:
        *priv = calloc(1, sizeof(struct dir_state));
        return *priv ? &dir_ops : NULL;
    case VFS_S_IFCHR:
        return device_ops(vn->rdev);
    case VFS_S_IFREG:
        return &vnode_ops;
    default:
        return NULL;
    }
}

long lfile_open_path(const char *path, int flags, uint32_t mode, struct lfile **out)
{
    char *canon = malloc(VFS_PATH_MAX + 1);
    if (!canon)
        return -ENOMEM;
    struct vnode *vn;
    int rc = vfs_open_vn(path, flags, mode, &vn, canon);
    if (rc < 0) {
        free(canon);
        return rc;
    }
    rc = (flags & LX_O_PATH) ? 0 : pseudofs_fill(vn); /* /proc text, made outside the VFS lock */
    if (rc < 0) {
        free(canon);
        vfs_vn_put(vn);
        return rc;
    }
    unsigned keep = flags & (LX_O_ACCMODE | LX_O_APPEND | LX_O_NONBLOCK | LX_O_PATH | LX_O_DIRECTORY |
                             LX_O_NOFOLLOW | LX_O_LARGEFILE | LX_O_SYNC | LX_O_DSYNC | LX_O_NOATIME |
                             LX_O_DIRECT);
    void *priv = NULL;
    struct lfile *f = NULL;
    uint32_t type = vn->mode & VFS_S_IFMT;
    if (type == VFS_S_IFIFO && !(flags & LX_O_PATH)) {
        rc = (int)fifo_open(vn, keep | LX_O_LARGEFILE, &f); /* may wait for the other side */
    } else {
        const struct lfile_ops *ops = ops_for(vn, flags, &priv);
        /* A device without a driver, or a socket's name: Linux's -ENXIO. */
        rc = !ops ? (type == VFS_S_IFCHR || type == VFS_S_IFSOCK ? -ENXIO : -ENOMEM) : 0;
        f = rc == 0 ? lfile_new(ops, keep | LX_O_LARGEFILE, priv) : NULL;
    }
    if (!f) {
        free(priv);
        free(canon);
        vfs_vn_put(vn);
        return rc < 0 ? rc : -ENOMEM;
    }
    f->vn = vn;
    f->path = canon;
    *out = f;
    return 0;
}

/* For file mappings (linux/memory.c): the file's own page at off to share
 * read-only (fs_ops.page), 0 when there is none or fd is not readable. */
uint64_t lfile_page_fd(int fd, uint64_t off)
{
    struct lfile *f = fd_get(fd);
    if (!f)
        return 0;
    uint64_t pa = 0;
    if (f->ops == &vnode_ops && (f->status_flags & LX_O_ACCMODE) != LX_O_WRONLY)
        pa = vfs_vn_page(f->vn, off);
    lfile_put(f);
    return pa;
}

/* For file mappings (linux/memory.c): a positional read of descriptor fd
 * into a kernel buffer. */
long lfile_pread_fd(int fd, void *buf, size_t len, uint64_t off)
{
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    long rc = -EACCES;
    if (f->ops == &vnode_ops && (f->status_flags & LX_O_ACCMODE) != LX_O_WRONLY) {
        uint64_t pos = off;
        rc = vn_read(f, buf, len, &pos);
    }
    lfile_put(f);
    return rc;
}
