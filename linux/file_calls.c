/* The file system calls: open/close, read and write in their forms, seek,
 * stat, directories, links, descriptors (dup, fcntl, ioctl), pipes, the
 * working directory and umask. Paths from the program are joined with the
 * working directory or a directory descriptor and resolved by the VFS. */
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "layout.h"
#include "linux_consts.h"
#include "log.h"
#include "memory.h"
#include "uaccess.h"

static struct mutex cwd_lock = MUTEX_INIT;

void lproc_cwd(char *out)
{
    struct lproc *p = lproc_current();
    mutex_lock(&cwd_lock);
    strlcpy(out, p->cwd, VFS_PATH_MAX + 1);
    mutex_unlock(&cwd_lock);
}

/* ---- paths ---- */

/* A program's path made absolute: the text as given, then joined. */
struct upath {
    char given[VFS_PATH_MAX + 1];
    char abs[VFS_PATH_MAX + 1];
};

static struct upath *upath_alloc(void) { return malloc(sizeof(struct upath)); }

/* Copies the program's path string: 0, -EFAULT, -ENAMETOOLONG. */
static int upath_copy(struct upath *u, const char *upath)
{
    long n = strncpy_from_user(u->given, upath, sizeof(u->given) - 1);
    return n < 0 ? (int)n : 0;
}

/* The directory a relative path starts from: the working directory, or the
 * directory open as dirfd. */
static int at_base(int dirfd, char *out)
{
    if (dirfd == LX_AT_FDCWD) {
        lproc_cwd(out);
        return 0;
    }
    struct lfile *f = fd_get(dirfd);
    if (!f)
        return -EBADF;
    int rc = 0;
    if (!f->vn || !f->path || (f->vn->mode & VFS_S_IFMT) != VFS_S_IFDIR)
        rc = -ENOTDIR;
    else
        strlcpy(out, f->path, VFS_PATH_MAX + 1);
    lfile_put(f);
    return rc;
}

/* u->abs = upath resolved against dirfd. An empty path is -ENOENT unless
 * empty_ok (AT_EMPTY_PATH): then *self gets dirfd's own file. */
static int at_path(struct upath *u, int dirfd, const char *upath, bool empty_ok, struct lfile **self)
{
    int rc = upath_copy(u, upath);
    if (rc < 0)
        return rc;
    if (!u->given[0]) {
        if (!empty_ok)
            return -ENOENT;
        if (dirfd == LX_AT_FDCWD) {
            lproc_cwd(u->abs);
            return 0;
        }
        *self = fd_get(dirfd);
        return *self ? 0 : -EBADF;
    }
    if (u->given[0] == '/')
        return lx_path_join("/", u->given, u->abs);
    rc = at_base(dirfd, u->abs);
    return rc < 0 ? rc : lx_path_join(u->abs, u->given, u->abs);
}

/* ---- open and close ---- */

static long do_openat(int dirfd, const char *upath, int flags, uint32_t mode)
{
    if ((flags & LX_O_TMPFILE) == LX_O_TMPFILE)
        return -EOPNOTSUPP;
    if (flags & LX_O_PATH)
        flags &= LX_O_PATH | LX_O_DIRECTORY | LX_O_NOFOLLOW | LX_O_CLOEXEC;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, dirfd, upath, false, NULL);
    struct lfile *f = NULL;
    if (rc == 0)
        rc = lfile_open_path(u->abs, flags, mode & ~lproc_current()->umask, &f);
    free(u);
    if (rc < 0)
        return rc;
    return fd_install(f, 0, flags & LX_O_CLOEXEC);
}

long sys_open(const struct sysargs *s) { return do_openat(LX_AT_FDCWD, (const char *)s->a[0], (int)s->a[1], (uint32_t)s->a[2]); }

long sys_openat(const struct sysargs *s)
{
    return do_openat((int)s->a[0], (const char *)s->a[1], (int)s->a[2], (uint32_t)s->a[3]);
}

long sys_creat(const struct sysargs *s)
{
    return do_openat(LX_AT_FDCWD, (const char *)s->a[0], LX_O_CREAT | LX_O_WRONLY | LX_O_TRUNC, (uint32_t)s->a[1]);
}

long sys_close(const struct sysargs *s) { return fd_close((int)s->a[0]); }

/* ---- read and write ---- */

static bool can_read(const struct lfile *f)
{
    unsigned acc = f->status_flags & LX_O_ACCMODE;
    return !(f->status_flags & LX_O_PATH) && (acc == LX_O_RDONLY || acc == LX_O_RDWR);
}

static bool can_write(const struct lfile *f)
{
    unsigned acc = f->status_flags & LX_O_ACCMODE;
    return !(f->status_flags & LX_O_PATH) && (acc == LX_O_WRONLY || acc == LX_O_RDWR);
}

/* How much of a read of len can arrive: regular files end at their size, so
 * a buffer larger than the mapping that holds it is not a fault (as Linux,
 * which faults only where bytes land). */
static size_t read_span(struct lfile *f, size_t len, const uint64_t *pos)
{
    if (!f->vn || (f->vn->mode & VFS_S_IFMT) != VFS_S_IFREG || !f->ops->readable)
        return len;
    /* The size without the VFS lock (one aligned load): a read racing a
     * write to the same file may see the file before it, as on Linux. */
    uint64_t size = __atomic_load_n(&f->vn->size, __ATOMIC_RELAXED);
    uint64_t left = size > *pos ? size - *pos : 0;
    return left < len ? (size_t)left : len;
}

/* One read into the program's buffer at *pos (the file's offset or pread's). */
static long read_at(struct lfile *f, void *ubuf, size_t len, uint64_t *pos)
{
    if (len > LX_MAX_RW_COUNT)
        len = LX_MAX_RW_COUNT;
    if (!user_range_ok((uintptr_t)ubuf, len))
        return -EFAULT; /* Linux's access_ok: the whole range must be the program's */
    size_t span = read_span(f, len, pos);
    if (span && user_buffer_prepare(ubuf, span, true) < 0)
        return -EFAULT;
    return f->ops->read(f, ubuf, span, pos);
}

static long write_at(struct lfile *f, const void *ubuf, size_t len, uint64_t *pos)
{
    if (len > LX_MAX_RW_COUNT)
        len = LX_MAX_RW_COUNT;
    if (user_buffer_prepare(ubuf, len, false) < 0)
        return -EFAULT;
    if (!f->ops->write)
        return -EINVAL;
    return f->ops->write(f, ubuf, len, pos);
}

/* Locks the file's offset for files that have one (pipes and the console
 * have none, and may block in read). */
static bool pos_lock(struct lfile *f)
{
    if (!f->ops->lseek)
        return false;
    mutex_lock(&f->pos_lock);
    return true;
}

long sys_read(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = -EBADF;
    if (can_read(f)) {
        bool locked = pos_lock(f);
        rc = read_at(f, (void *)s->a[1], s->a[2], &f->pos);
        if (locked)
            mutex_unlock(&f->pos_lock);
    }
    lfile_put(f);
    return rc;
}

long sys_write(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = -EBADF;
    if (can_write(f)) {
        bool locked = pos_lock(f);
        rc = write_at(f, (const void *)s->a[1], s->a[2], &f->pos);
        if (locked)
            mutex_unlock(&f->pos_lock);
    }
    lfile_put(f);
    return rc;
}

static long pio(const struct sysargs *s, bool write)
{
    int64_t off = (int64_t)s->a[3];
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    uint64_t pos = (uint64_t)off;
    long rc = write ? (can_write(f) ? 0 : -EBADF) : (can_read(f) ? 0 : -EBADF);
    if (rc == 0 && off < 0)
        rc = -EINVAL;
    if (rc == 0 && (!f->ops->lseek || lfile_is_pipe(f)))
        rc = -ESPIPE;
    if (rc == 0)
        rc = write ? write_at(f, (const void *)s->a[1], s->a[2], &pos) : read_at(f, (void *)s->a[1], s->a[2], &pos);
    lfile_put(f);
    return rc;
}

long sys_pread64(const struct sysargs *s) { return pio(s, false); }
long sys_pwrite64(const struct sysargs *s) { return pio(s, true); }

/* readv/writev and their positioned forms: the iovec array is copied in and
 * checked whole first (count, lengths, ranges), then done piece by piece;
 * a short piece ends the call with what was done. */
static long vio(int fd, const void *uiov, unsigned long n, int64_t off, bool positioned, bool write)
{
    if (n > LX_IOV_MAX)
        return -EINVAL;
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    long rc = write ? (can_write(f) ? 0 : -EBADF) : (can_read(f) ? 0 : -EBADF);
    if (rc == 0 && positioned && off < 0)
        rc = -EINVAL;
    if (rc == 0 && positioned && (!f->ops->lseek || lfile_is_pipe(f)))
        rc = -ESPIPE;
    struct lx_iovec *iov = rc == 0 && n ? malloc(n * sizeof(*iov)) : NULL;
    if (rc == 0 && n && !iov)
        rc = -ENOMEM;
    if (rc == 0 && n && copy_from_user(iov, uiov, n * sizeof(*iov)) < 0)
        rc = -EFAULT;
    if (rc == 0)
        rc = lx_iov_check(iov, n, user_range_ok, iov);
    if (rc < 0) {
        free(iov);
        lfile_put(f);
        return rc;
    }
    uint64_t pos = (uint64_t)off;
    bool locked = !positioned && pos_lock(f);
    uint64_t *at = positioned ? &pos : &f->pos;
    long done = 0;
    for (unsigned long i = 0; i < n; i++) {
        if (!iov[i].len)
            continue;
        void *b = (void *)(uintptr_t)iov[i].base;
        long r = write ? write_at(f, b, (size_t)iov[i].len, at) : read_at(f, b, (size_t)iov[i].len, at);
        if (r < 0) {
            if (!done)
                done = r;
            break;
        }
        done += r;
        if ((uint64_t)r < iov[i].len)
            break;
    }
    if (locked)
        mutex_unlock(&f->pos_lock);
    free(iov);
    lfile_put(f);
    return done;
}

long sys_readv(const struct sysargs *s) { return vio((int)s->a[0], (const void *)s->a[1], s->a[2], 0, false, false); }
long sys_writev(const struct sysargs *s) { return vio((int)s->a[0], (const void *)s->a[1], s->a[2], 0, false, true); }
long sys_preadv(const struct sysargs *s)
{
    return vio((int)s->a[0], (const void *)s->a[1], s->a[2], (int64_t)s->a[3], true, false);
}
long sys_pwritev(const struct sysargs *s)
{
    return vio((int)s->a[0], (const void *)s->a[1], s->a[2], (int64_t)s->a[3], true, true);
}

long sys_lseek(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = -ESPIPE;
    if (f->status_flags & LX_O_PATH)
        rc = -EBADF;
    else if (f->ops->lseek) {
        mutex_lock(&f->pos_lock);
        rc = f->ops->lseek(f, (int64_t)s->a[1], (int)s->a[2]);
        mutex_unlock(&f->pos_lock);
    }
    lfile_put(f);
    return rc;
}

/* Copies up to count bytes from in at *in_at to out at *out_at through a
 * bounce buffer, both positions moved by what was written (what was read
 * but not written stays unread). Returns the bytes copied, or, when none
 * were, the error of the read or the write (a write of 0 bytes gives
 * zero_write). */
/* The bounce buffer's size. Not more: a socket takes what its send buffer
 * has room for, often less than a chunk, and each sendfile call reads a
 * whole chunk however little of it is sent. The buffer comes uncleared
 * straight from the page allocator (only bytes just read are written out;
 * malloc would clear its four pages on every call). */
#define COPY_CHUNK 16384

static long copy_through(struct lfile *in, uint64_t *in_at, struct lfile *out, uint64_t *out_at, uint64_t count,
                         long zero_write)
{
    size_t chunk = count < COPY_CHUNK ? (size_t)count : COPY_CHUNK;
    size_t pages = (chunk + PAGE_SIZE - 1) / PAGE_SIZE;
    uint8_t *buf = pages ? pages_alloc_uninit(pages, PAGE_SIZE) : NULL;
    if (pages && !buf)
        return -ENOMEM;
    long done = 0;
    while ((uint64_t)done < count) {
        size_t want = count - (uint64_t)done < chunk ? (size_t)(count - (uint64_t)done) : chunk;
        uint64_t at = *in_at;
        long r = in->ops->read(in, buf, want, &at);
        if (r <= 0) {
            if (r < 0 && !done)
                done = r;
            break;
        }
        long w = out->ops->write ? out->ops->write(out, buf, (size_t)r, out_at) : -EINVAL;
        if (w <= 0) {
            if (!done)
                done = w < 0 ? w : zero_write;
            break;
        }
        *in_at += (uint64_t)w;
        done += w;
        if (w < r)
            break;
    }
    if (buf)
        pages_free(buf, pages);
    return done;
}

/* sendfile(out, in, offset, count): through a bounce buffer; in is a file
 * with an offset, out anything writable but an O_APPEND file. */
long sys_sendfile(const struct sysargs *s)
{
    int64_t *uoff = (int64_t *)s->a[2];
    size_t count = s->a[3] > LX_MAX_RW_COUNT ? LX_MAX_RW_COUNT : s->a[3];
    struct lfile *out = fd_get((int)s->a[0]);
    struct lfile *in = fd_get((int)s->a[1]);
    long rc = !out || !in || !can_write(out) || !can_read(in) ? -EBADF : 0;
    if (rc == 0 && (!in->ops->lseek || lfile_is_pipe(in) || lfile_is_dir(in) || (out->status_flags & LX_O_APPEND)))
        rc = -EINVAL;
    int64_t off = 0;
    if (rc == 0 && uoff && copy_from_user(&off, uoff, sizeof(off)) < 0)
        rc = -EFAULT;
    if (rc == 0 && off < 0)
        rc = -EINVAL;
    if (rc == 0) {
        uint64_t pos = uoff ? (uint64_t)off : 0;
        if (!uoff)
            mutex_lock(&in->pos_lock);
        /* out's own position, kept only where it has one (not a pipe or socket). */
        uint64_t opos = out->pos;
        long done = copy_through(in, uoff ? &pos : &in->pos, out, &opos, count, 0);
        if (out->ops->lseek)
            out->pos = opos;
        if (!uoff)
            mutex_unlock(&in->pos_lock);
        off = (int64_t)pos;
        if (uoff && done >= 0 && copy_to_user(uoff, &off, sizeof(off)) < 0)
            done = -EFAULT;
        rc = done;
    }
    lfile_put(out);
    lfile_put(in);
    return rc;
}

/* copy_file_range's checks, in Linux 6.1's order once the descriptors and
 * offsets are read: flags, kinds (-EISDIR, -EINVAL for anything but regular
 * files), modes (-EBADF: in not readable, out not writable or O_APPEND),
 * another file system (-EXDEV: Linux copies across only with the file
 * system's help), offsets that wrap as unsigned (-EOVERFLOW); *count is cut to in's
 * end; overlapping ranges of one file -EINVAL, negative offsets -EINVAL. */
static long copy_range_checks(struct lfile *in, int64_t pin, struct lfile *out, int64_t pout, uint64_t flags,
                              uint64_t *count)
{
    if (flags)
        return -EINVAL;
    uint32_t tin = in->vn ? in->vn->mode & VFS_S_IFMT : 0, tout = out->vn ? out->vn->mode & VFS_S_IFMT : 0;
    if (tin == VFS_S_IFDIR || tout == VFS_S_IFDIR)
        return -EISDIR;
    if (tin != VFS_S_IFREG || tout != VFS_S_IFREG)
        return -EINVAL;
    if (!can_read(in) || !can_write(out) || (out->status_flags & LX_O_APPEND))
        return -EBADF;
    if (in->vn->mnt != out->vn->mnt)
        return -EXDEV;
    uint64_t n = *count;
    if ((uint64_t)pin + n < (uint64_t)pin || (uint64_t)pout + n < (uint64_t)pout)
        return -EOVERFLOW; /* unsigned, as Linux adds them: a negative offset wraps */
    struct vfs_stat st;
    vfs_vn_stat(in->vn, &st);
    n = pin >= 0 && (uint64_t)pin >= st.size ? 0 : n < st.size - (uint64_t)pin ? n : st.size - (uint64_t)pin;
    if (in->vn == out->vn && pout + (int64_t)n > pin && pout < pin + (int64_t)n)
        return -EINVAL;
    if (pin < 0 || pout < 0)
        return -EINVAL;
    *count = n < LX_MAX_RW_COUNT ? n : LX_MAX_RW_COUNT;
    return 0;
}

/* copy_file_range(in, off_in, out, off_out, len, flags): between regular
 * files of one file system, through a bounce buffer; a NULL offset means
 * the file's own, which moves. */
long sys_copy_file_range(const struct sysargs *s)
{
    int64_t *uoff_in = (int64_t *)s->a[1], *uoff_out = (int64_t *)s->a[3];
    struct lfile *in = fd_get((int)s->a[0]);
    struct lfile *out = in ? fd_get((int)s->a[2]) : NULL;
    long rc = !in || !out ? -EBADF : 0;
    int64_t off_in = 0, off_out = 0;
    if (rc == 0 && uoff_in && copy_from_user(&off_in, uoff_in, sizeof(off_in)) < 0)
        rc = -EFAULT;
    if (rc == 0 && uoff_out && copy_from_user(&off_out, uoff_out, sizeof(off_out)) < 0)
        rc = -EFAULT;
    bool lock_in = rc == 0 && !uoff_in, lock_out = rc == 0 && !uoff_out && out != in;
    if (lock_in)
        mutex_lock(&in->pos_lock);
    if (lock_out)
        mutex_lock(&out->pos_lock);
    uint64_t pin = uoff_in ? (uint64_t)off_in : rc == 0 ? in->pos : 0;
    uint64_t pout = uoff_out ? (uint64_t)off_out : rc == 0 ? out->pos : 0;
    uint64_t count = s->a[4];
    if (rc == 0)
        rc = copy_range_checks(in, (int64_t)pin, out, (int64_t)pout, s->a[5], &count);
    long done = 0;
    if (rc == 0) {
        done = copy_through(in, &pin, out, &pout, count, -EIO);
        if (done < 0)
            rc = done;
    }
    if (rc == 0) {
        if (!uoff_in)
            in->pos = pin;
        if (!uoff_out)
            out->pos = pout;
    }
    if (lock_out)
        mutex_unlock(&out->pos_lock);
    if (lock_in)
        mutex_unlock(&in->pos_lock);
    off_in = (int64_t)pin;
    off_out = (int64_t)pout;
    if (rc == 0 && ((uoff_in && copy_to_user(uoff_in, &off_in, sizeof(off_in)) < 0) ||
                    (uoff_out && copy_to_user(uoff_out, &off_out, sizeof(off_out)) < 0)))
        rc = -EFAULT;
    lfile_put(out);
    lfile_put(in);
    return rc < 0 ? rc : done;
}

/* ---- stat ---- */

static int stat_out(const struct vfs_stat *v, void *ubuf)
{
    struct lx_stat st;
    lx_stat_from_vfs(v, &st);
    return copy_to_user(ubuf, &st, sizeof(st));
}

static int file_stat(struct lfile *f, struct vfs_stat *st)
{
    if (!f->ops->fstat)
        return -EBADF;
    return f->ops->fstat(f, st);
}

/* Stats what (dirfd, path) names into *st. */
static long stat_at(int dirfd, const char *upath, int flags, struct vfs_stat *st)
{
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    struct lfile *self = NULL;
    long rc = at_path(u, dirfd, upath, flags & LX_AT_EMPTY_PATH, &self);
    if (rc == 0 && self)
        rc = file_stat(self, st);
    else if (rc == 0) {
        struct vnode *vn;
        rc = vfs_resolve(u->abs, (flags & LX_AT_SYMLINK_NOFOLLOW) ? VFS_RESOLVE_NOFOLLOW : 0, &vn, NULL);
        if (rc == 0) {
            vfs_vn_stat(vn, st);
            vfs_vn_put(vn);
        }
    }
    lfile_put(self);
    free(u);
    return rc;
}

long sys_fstat(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    struct vfs_stat st;
    long rc = file_stat(f, &st);
    lfile_put(f);
    return rc < 0 ? rc : stat_out(&st, (void *)s->a[1]);
}

static long stat_common(int dirfd, const char *upath, void *ubuf, int flags)
{
    if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | LX_AT_NO_AUTOMOUNT))
        return -EINVAL;
    struct vfs_stat st;
    long rc = stat_at(dirfd, upath, flags, &st);
    return rc < 0 ? rc : stat_out(&st, ubuf);
}

long sys_stat(const struct sysargs *s) { return stat_common(LX_AT_FDCWD, (const char *)s->a[0], (void *)s->a[1], 0); }
long sys_lstat(const struct sysargs *s)
{
    return stat_common(LX_AT_FDCWD, (const char *)s->a[0], (void *)s->a[1], LX_AT_SYMLINK_NOFOLLOW);
}
long sys_newfstatat(const struct sysargs *s)
{
    return stat_common((int)s->a[0], (const char *)s->a[1], (void *)s->a[2], (int)s->a[3]);
}

long sys_statx(const struct sysargs *s)
{
    int flags = (int)s->a[2];
    unsigned mask = (unsigned)s->a[3];
    if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH | LX_AT_NO_AUTOMOUNT | LX_AT_STATX_SYNC_TYPE))
        return -EINVAL;
    if ((flags & LX_AT_STATX_SYNC_TYPE) == LX_AT_STATX_SYNC_TYPE || (mask & 0x80000000u))
        return -EINVAL;
    struct vfs_stat st;
    long rc = stat_at((int)s->a[0], (const char *)s->a[1], flags, &st);
    if (rc < 0)
        return rc;
    struct lx_statx sx;
    lx_statx_from_vfs(&st, &sx);
    return copy_to_user((void *)s->a[4], &sx, sizeof(sx));
}

/* ---- directories ---- */

long sys_getdents64(const struct sysargs *s)
{
    uint8_t *ubuf = (uint8_t *)s->a[1];
    size_t cap = s->a[2] > LX_MAX_RW_COUNT ? LX_MAX_RW_COUNT : s->a[2];
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = lfile_is_dir(f) ? 0 : (f->status_flags & LX_O_PATH) ? -EBADF : -ENOTDIR;
    if (rc == 0 && user_buffer_prepare(ubuf, cap, true) < 0)
        rc = -EFAULT;
    if (rc < 0) {
        lfile_put(f);
        return rc;
    }
    struct vfs_dirent *e = malloc(sizeof(*e));
    if (!e) {
        lfile_put(f);
        return -ENOMEM;
    }
    mutex_lock(&f->pos_lock);
    size_t used = 0;
    for (;;) {
        int got = lfile_dir_next(f, e);
        if (got <= 0) {
            if (got < 0 && used == 0)
                rc = got;
            break;
        }
        size_t n = lx_dirent64_pack(ubuf + used, cap - used, e->ino, (int64_t)f->pos + 1, e->type, e->name,
                                    strlen(e->name));
        if (n == 0) {
            lfile_dir_unread(f, e);
            if (used == 0)
                rc = -EINVAL; /* not even one record fits */
            break;
        }
        used += n;
        f->pos++;
    }
    mutex_unlock(&f->pos_lock);
    free(e);
    lfile_put(f);
    return rc < 0 ? rc : (long)used;
}

long sys_getcwd(const struct sysargs *s)
{
    char *cwd = malloc(VFS_PATH_MAX + 1);
    if (!cwd)
        return -ENOMEM;
    lproc_cwd(cwd);
    size_t len = strlen(cwd) + 1;
    long rc = s->a[1] < len ? -ERANGE : copy_to_user((void *)s->a[0], cwd, len) < 0 ? -EFAULT : (long)len;
    free(cwd);
    return rc;
}

static long set_cwd(struct lproc *p, const char *abs)
{
    struct vnode *vn;
    char *canon = malloc(VFS_PATH_MAX + 1);
    if (!canon)
        return -ENOMEM;
    long rc = vfs_resolve(abs, 0, &vn, canon);
    if (rc == 0) {
        if ((vn->mode & VFS_S_IFMT) != VFS_S_IFDIR)
            rc = -ENOTDIR;
        vfs_vn_put(vn);
    }
    if (rc == 0) {
        mutex_lock(&cwd_lock);
        strlcpy(p->cwd, canon, sizeof(p->cwd));
        mutex_unlock(&cwd_lock);
    }
    free(canon);
    return rc;
}

long sys_chdir(const struct sysargs *s)
{
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, LX_AT_FDCWD, (const char *)s->a[0], false, NULL);
    if (rc == 0)
        rc = set_cwd(lproc_current(), u->abs);
    free(u);
    return rc;
}

long sys_fchdir(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = !f->vn || !f->path || (f->vn->mode & VFS_S_IFMT) != VFS_S_IFDIR ? -ENOTDIR : set_cwd(lproc_current(), f->path);
    lfile_put(f);
    return rc;
}

static long mkdir_at(int dirfd, const char *upath, uint32_t mode)
{
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, dirfd, upath, false, NULL);
    if (rc == 0)
        rc = vfs_make_node(u->abs, VFS_S_IFDIR | (mode & ~lproc_current()->umask & 07777), NULL);
    free(u);
    return rc;
}

long sys_mkdir(const struct sysargs *s) { return mkdir_at(LX_AT_FDCWD, (const char *)s->a[0], (uint32_t)s->a[1]); }
long sys_mkdirat(const struct sysargs *s) { return mkdir_at((int)s->a[0], (const char *)s->a[1], (uint32_t)s->a[2]); }

#define LX_S_IFBLK 0060000

/* mknod(2) in Linux's order: the type first (-EINVAL), then the path
 * (-EFAULT, -ENOENT, -EEXIST...). Regular files (type 0 too), FIFOs and
 * sockets are made where the file system allows; devices are -EPERM, what
 * Linux gives a process without CAP_MKNOD: a Kestrel program's devices are
 * /dev's (linux/proc_files.c), a device number would name nothing. */
static long mknod_at(int dirfd, const char *upath, uint32_t mode)
{
    uint32_t type = mode & VFS_S_IFMT;
    if (type == 0)
        type = VFS_S_IFREG;
    if (type != VFS_S_IFREG && type != VFS_S_IFIFO && type != VFS_S_IFSOCK && type != VFS_S_IFCHR &&
        type != LX_S_IFBLK)
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, dirfd, upath, false, NULL);
    if (rc == 0 && (type == VFS_S_IFCHR || type == LX_S_IFBLK)) {
        struct vfs_stat st; /* a name that exists is -EEXIST first (a missing parent: -EPERM, not -ENOENT) */
        rc = vfs_lstat(u->abs, &st);
        rc = rc == 0 ? -EEXIST : rc == -ENOENT ? -EPERM : rc;
    }
    if (rc == 0)
        rc = vfs_make_node(u->abs, type | (mode & ~lproc_current()->umask & 07777), NULL);
    free(u);
    return rc;
}

long sys_mknod(const struct sysargs *s) { return mknod_at(LX_AT_FDCWD, (const char *)s->a[0], (uint32_t)s->a[1]); }
long sys_mknodat(const struct sysargs *s) { return mknod_at((int)s->a[0], (const char *)s->a[1], (uint32_t)s->a[2]); }

static long symlink_at(const char *utarget, int dirfd, const char *upath)
{
    struct upath *u = upath_alloc();
    char *target = malloc(VFS_PATH_MAX + 1);
    long rc = !u || !target ? -ENOMEM : 0;
    if (rc == 0) {
        long n = strncpy_from_user(target, utarget, VFS_PATH_MAX);
        rc = n < 0 ? n : n == 0 ? -ENOENT : 0;
    }
    if (rc == 0)
        rc = at_path(u, dirfd, upath, false, NULL);
    if (rc == 0)
        rc = vfs_make_node(u->abs, VFS_S_IFLNK | 0777, target);
    free(target);
    free(u);
    return rc;
}

long sys_symlink(const struct sysargs *s) { return symlink_at((const char *)s->a[0], LX_AT_FDCWD, (const char *)s->a[1]); }
long sys_symlinkat(const struct sysargs *s)
{
    return symlink_at((const char *)s->a[0], (int)s->a[1], (const char *)s->a[2]);
}

static long readlink_at(int dirfd, const char *upath, char *ubuf, long size)
{
    if (size <= 0)
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, dirfd, upath, false, NULL);
    struct vnode *vn = NULL;
    if (rc == 0)
        rc = vfs_resolve(u->abs, VFS_RESOLVE_NOFOLLOW, &vn, NULL);
    if (rc == 0) {
        rc = vfs_vn_readlink(vn, u->given, VFS_PATH_MAX);
        vfs_vn_put(vn);
    }
    if (rc > 0) {
        if (rc > size)
            rc = size;
        if (copy_to_user(ubuf, u->given, (size_t)rc) < 0)
            rc = -EFAULT;
    }
    free(u);
    return rc;
}

long sys_readlink(const struct sysargs *s)
{
    return readlink_at(LX_AT_FDCWD, (const char *)s->a[0], (char *)s->a[1], (long)(int)s->a[2]);
}
long sys_readlinkat(const struct sysargs *s)
{
    return readlink_at((int)s->a[0], (const char *)s->a[1], (char *)s->a[2], (long)(int)s->a[3]);
}

/* access(2) for root: reading always allowed; writing unless the file
 * system is read-only; executing when some x bit is set (or a directory). */
static long access_at(int dirfd, const char *upath, int mode, int flags)
{
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(LX_AT_EACCESS | LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    struct lfile *self = NULL;
    long rc = at_path(u, dirfd, upath, flags & LX_AT_EMPTY_PATH, &self);
    struct vnode *vn = NULL;
    if (rc == 0 && self) {
        vn = self->vn;
        if (vn)
            vfs_vn_get(vn);
        else
            rc = (mode & LX_X_OK) ? -EACCES : 0; /* a pipe or the console */
    } else if (rc == 0)
        rc = vfs_resolve(u->abs, (flags & LX_AT_SYMLINK_NOFOLLOW) ? VFS_RESOLVE_NOFOLLOW : 0, &vn, NULL);
    if (rc == 0 && vn) {
        uint32_t type = vn->mode & VFS_S_IFMT;
        if ((mode & LX_W_OK) && type == VFS_S_IFREG && !vn->ops->write)
            rc = -EROFS;
        else if ((mode & LX_W_OK) && type == VFS_S_IFDIR && !vn->ops->create)
            rc = -EROFS;
        else if ((mode & LX_X_OK) && type != VFS_S_IFDIR && !(vn->mode & 0111))
            rc = -EACCES;
    }
    if (vn)
        vfs_vn_put(vn);
    lfile_put(self);
    free(u);
    return rc;
}

long sys_access(const struct sysargs *s) { return access_at(LX_AT_FDCWD, (const char *)s->a[0], (int)s->a[1], 0); }
long sys_faccessat(const struct sysargs *s) { return access_at((int)s->a[0], (const char *)s->a[1], (int)s->a[2], 0); }
long sys_faccessat2(const struct sysargs *s)
{
    return access_at((int)s->a[0], (const char *)s->a[1], (int)s->a[2], (int)s->a[3]);
}

long sys_umask(const struct sysargs *s)
{
    struct lproc *p = lproc_current();
    uint32_t old = __atomic_exchange_n(&p->umask, (uint32_t)s->a[0] & 0777, __ATOMIC_RELAXED);
    return old;
}

/* ---- truncation and sync ---- */

long sys_ftruncate(const struct sysargs *s)
{
    int64_t len = (int64_t)s->a[1];
    if (len < 0)
        return -EINVAL;
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = !can_write(f) ? -EBADF
            : !f->vn || (f->vn->mode & VFS_S_IFMT) != VFS_S_IFREG ? -EINVAL
            : vfs_vn_truncate(f->vn, (uint64_t)len);
    lfile_put(f);
    return rc;
}

long sys_truncate(const struct sysargs *s)
{
    int64_t len = (int64_t)s->a[1];
    if (len < 0)
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, LX_AT_FDCWD, (const char *)s->a[0], false, NULL);
    struct vnode *vn = NULL;
    if (rc == 0)
        rc = vfs_resolve(u->abs, 0, &vn, NULL);
    if (rc == 0) {
        uint32_t type = vn->mode & VFS_S_IFMT;
        rc = type == VFS_S_IFDIR ? -EISDIR : type != VFS_S_IFREG ? -EINVAL : vfs_vn_truncate(vn, (uint64_t)len);
        vfs_vn_put(vn);
    }
    free(u);
    return rc;
}

/* Files on the VFS commit through their file system (ext4's journal);
 * pipes and the console are -EINVAL, as in Linux. */
static long do_fsync(int fd, int datasync)
{
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    long rc = f->vn ? vfs_vn_fsync(f->vn, datasync) : -EINVAL;
    lfile_put(f);
    return rc;
}

long sys_fsync(const struct sysargs *s) { return do_fsync((int)s->a[0], 0); }
long sys_fdatasync(const struct sysargs *s) { return do_fsync((int)s->a[0], 1); }

/* ---- names: unlink, rmdir, rename, link (the VFS's mutations) ---- */

static long unlink_at(int dirfd, const char *upath, int flags)
{
    if (flags & ~LX_AT_REMOVEDIR)
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    long rc = at_path(u, dirfd, upath, false, NULL);
    if (rc == 0)
        rc = (flags & LX_AT_REMOVEDIR) ? vfs_rmdir(u->abs) : vfs_unlink(u->abs);
    free(u);
    return rc;
}

long sys_unlink(const struct sysargs *s) { return unlink_at(LX_AT_FDCWD, (const char *)s->a[0], 0); }
long sys_rmdir(const struct sysargs *s) { return unlink_at(LX_AT_FDCWD, (const char *)s->a[0], LX_AT_REMOVEDIR); }
long sys_unlinkat(const struct sysargs *s) { return unlink_at((int)s->a[0], (const char *)s->a[1], (int)s->a[2]); }

/* Two paths, each against its own directory. */
static long two_paths(int olddir, const char *uold, int newdir, const char *unew, bool link)
{
    struct upath *a = upath_alloc(), *b = upath_alloc();
    long rc = !a || !b ? -ENOMEM : at_path(a, olddir, uold, false, NULL);
    if (rc == 0)
        rc = at_path(b, newdir, unew, false, NULL);
    if (rc == 0)
        rc = link ? vfs_link(a->abs, b->abs) : vfs_rename(a->abs, b->abs);
    free(a);
    free(b);
    return rc;
}

long sys_rename(const struct sysargs *s)
{
    return two_paths(LX_AT_FDCWD, (const char *)s->a[0], LX_AT_FDCWD, (const char *)s->a[1], false);
}
long sys_renameat(const struct sysargs *s)
{
    return two_paths((int)s->a[0], (const char *)s->a[1], (int)s->a[2], (const char *)s->a[3], false);
}

/* RENAME_NOREPLACE is checked before the rename (one process: no race);
 * RENAME_EXCHANGE and WHITEOUT are not supported (-EINVAL, as a file
 * system without them answers). */
long sys_renameat2(const struct sysargs *s)
{
    unsigned flags = (unsigned)s->a[4];
    if (flags & ~(unsigned)LX_RENAME_NOREPLACE)
        return -EINVAL;
    if (flags & LX_RENAME_NOREPLACE) {
        struct upath *u = upath_alloc();
        if (!u)
            return -ENOMEM;
        long rc = at_path(u, (int)s->a[2], (const char *)s->a[3], false, NULL);
        struct vnode *vn;
        if (rc == 0 && vfs_resolve(u->abs, VFS_RESOLVE_NOFOLLOW, &vn, NULL) == 0) {
            vfs_vn_put(vn);
            rc = -EEXIST;
        }
        free(u);
        if (rc < 0)
            return rc;
    }
    return sys_renameat(s);
}

long sys_link(const struct sysargs *s)
{
    return two_paths(LX_AT_FDCWD, (const char *)s->a[0], LX_AT_FDCWD, (const char *)s->a[1], true);
}
long sys_linkat(const struct sysargs *s)
{
    if ((int)s->a[4] & ~LX_AT_SYMLINK_FOLLOW)
        return -EINVAL;
    return two_paths((int)s->a[0], (const char *)s->a[1], (int)s->a[2], (const char *)s->a[3], true);
}

/* ---- attributes: chmod, utimensat ---- */

static long chmod_at(int dirfd, const char *upath, uint32_t mode, int flags)
{
    if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -EINVAL;
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    struct lfile *self = NULL;
    long rc = at_path(u, dirfd, upath, flags & LX_AT_EMPTY_PATH, &self);
    struct vnode *vn = NULL;
    if (rc == 0 && self) {
        vn = self->vn;
        if (vn)
            vfs_vn_get(vn);
        else
            rc = -EINVAL;
    } else if (rc == 0)
        rc = vfs_resolve(u->abs, (flags & LX_AT_SYMLINK_NOFOLLOW) ? VFS_RESOLVE_NOFOLLOW : 0, &vn, NULL);
    if (rc == 0)
        rc = (vn->mode & VFS_S_IFMT) == VFS_S_IFLNK ? -EOPNOTSUPP : vfs_vn_chmod(vn, mode & 07777);
    if (vn)
        vfs_vn_put(vn);
    lfile_put(self);
    free(u);
    return rc;
}

long sys_chmod(const struct sysargs *s) { return chmod_at(LX_AT_FDCWD, (const char *)s->a[0], (uint32_t)s->a[1], 0); }
long sys_fchmodat(const struct sysargs *s)
{
    return chmod_at((int)s->a[0], (const char *)s->a[1], (uint32_t)s->a[2], 0);
}

long sys_fchmod(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = f->vn ? vfs_vn_chmod(f->vn, (uint32_t)s->a[1] & 07777) : -EINVAL;
    lfile_put(f);
    return rc;
}

/* The vnode (dirfd, path, flags) names, with a reference: path resolved
 * (AT_SYMLINK_NOFOLLOW: not its last link), or dirfd's own file for an
 * empty path with AT_EMPTY_PATH. */
static long at_vnode(int dirfd, const char *upath, int flags, struct vnode **out)
{
    struct upath *u = upath_alloc();
    if (!u)
        return -ENOMEM;
    struct lfile *self = NULL;
    long rc = at_path(u, dirfd, upath, flags & LX_AT_EMPTY_PATH, &self);
    if (rc == 0 && self) {
        *out = self->vn;
        rc = *out ? 0 : -EINVAL;
        if (*out)
            vfs_vn_get(*out);
    } else if (rc == 0)
        rc = vfs_resolve(u->abs, (flags & LX_AT_SYMLINK_NOFOLLOW) ? VFS_RESOLVE_NOFOLLOW : 0, out, NULL);
    lfile_put(self);
    free(u);
    return rc;
}

static long chown_at(int dirfd, const char *upath, uint32_t uid, uint32_t gid, int flags)
{
    if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -EINVAL;
    struct vnode *vn;
    long rc = at_vnode(dirfd, upath, flags, &vn);
    if (rc == 0) {
        rc = vfs_vn_chown(vn, uid, gid);
        vfs_vn_put(vn);
    }
    return rc;
}

long sys_chown(const struct sysargs *s)
{
    return chown_at(LX_AT_FDCWD, (const char *)s->a[0], (uint32_t)s->a[1], (uint32_t)s->a[2], 0);
}
long sys_lchown(const struct sysargs *s)
{
    return chown_at(LX_AT_FDCWD, (const char *)s->a[0], (uint32_t)s->a[1], (uint32_t)s->a[2],
                    LX_AT_SYMLINK_NOFOLLOW);
}
long sys_fchownat(const struct sysargs *s)
{
    return chown_at((int)s->a[0], (const char *)s->a[1], (uint32_t)s->a[2], (uint32_t)s->a[3], (int)s->a[4]);
}

long sys_fchown(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = f->vn ? vfs_vn_chown(f->vn, (uint32_t)s->a[1], (uint32_t)s->a[2]) : -EINVAL;
    lfile_put(f);
    return rc;
}

/* struct statfs on x86-64 (120 bytes). */
struct lx_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags;
    int64_t f_spare[4];
};
_Static_assert(sizeof(struct lx_statfs) == 120, "x86-64 struct statfs");

/* The file system a vnode is on, as statfs says it: its magic number from
 * the mount's type; sizes for ramfs are the machine's memory, for the
 * others not known here (0, as some pseudo file systems answer). */
static long statfs_vnode(struct vnode *vn, void *ubuf)
{
    struct vfs_stat st;
    vfs_vn_stat(vn, &st);
    const char *type = "", *source = "";
    if (st.dev)
        vfs_mount_info((unsigned)st.dev - 1, &type, &source);
    struct lx_statfs sf;
    memset(&sf, 0, sizeof(sf));
    sf.f_bsize = sf.f_frsize = 4096;
    sf.f_namelen = VFS_NAME_MAX;
    sf.f_fsid[0] = (int32_t)st.dev;
    if (strcmp(type, "ramfs") == 0) {
        sf.f_type = 0x858458f6;
        sf.f_blocks = memory_ram_bytes() / 4096;
        sf.f_bfree = sf.f_bavail = memory_free_bytes() / 4096;
    } else if (strcmp(type, "ext4") == 0) {
        sf.f_type = 0xef53;
    } else if (strcmp(source, "proc") == 0) {
        sf.f_type = 0x9fa0;
    } else if (strcmp(source, "sysfs") == 0) {
        sf.f_type = 0x62656572;
    } else if (strcmp(source, "devtmpfs") == 0) {
        sf.f_type = 0x01021994;
    }
    return copy_to_user(ubuf, &sf, sizeof(sf));
}

long sys_statfs(const struct sysargs *s)
{
    struct vnode *vn;
    long rc = at_vnode(LX_AT_FDCWD, (const char *)s->a[0], 0, &vn);
    if (rc == 0) {
        rc = statfs_vnode(vn, (void *)s->a[1]);
        vfs_vn_put(vn);
    }
    return rc;
}

long sys_fstatfs(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = f->vn ? statfs_vnode(f->vn, (void *)s->a[1]) : -EINVAL;
    lfile_put(f);
    return rc;
}

/* sync/syncfs: every mounted file system commits (there is one page cache
 * to flush: none). */
long sys_sync(const struct sysargs *s)
{
    vfs_sync();
    return 0;
}

long sys_syncfs(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    lfile_put(f);
    vfs_sync();
    return 0;
}

/* close_range(first, last, flags): CLOSE_RANGE_CLOEXEC marks instead of
 * closing; CLOSE_RANGE_UNSHARE has nothing to unshare (one table). */
long sys_close_range(const struct sysargs *s)
{
    unsigned first = (unsigned)s->a[0], last = (unsigned)s->a[1], flags = (unsigned)s->a[2];
    if (flags & ~6u || first > last)
        return -EINVAL;
    for (int fd = fd_next_open((int)(first < LINUX_NOFILE ? first : LINUX_NOFILE)); fd >= 0 && (unsigned)fd <= last;
         fd = fd_next_open(fd + 1)) {
        if (flags & 4u)
            fd_set_cloexec(fd, true);
        else
            fd_close(fd);
    }
    return 0;
}

/* utimensat(dirfd, path, times, flags): path NULL means dirfd itself. */
long sys_utimensat(const struct sysargs *s)
{
    int dirfd = (int)s->a[0], flags = (int)s->a[3];
    const char *upath = (const char *)s->a[1];
    if (flags & ~(LX_AT_SYMLINK_NOFOLLOW | LX_AT_EMPTY_PATH))
        return -EINVAL;
    struct lx_timespec lt[2];
    struct vfs_timespec ts[2];
    if (s->a[2] && copy_from_user(lt, (const void *)s->a[2], sizeof(lt)) < 0)
        return -EFAULT;
    for (int i = 0; i < 2; i++) {
        ts[i].sec = s->a[2] ? lt[i].tv_sec : 0;
        ts[i].nsec = s->a[2] ? (uint32_t)lt[i].tv_nsec : VFS_UTIME_NOW;
        if (s->a[2] && (lt[i].tv_nsec < 0 || lt[i].tv_nsec >= 1000000000) && lt[i].tv_nsec != VFS_UTIME_NOW &&
            lt[i].tv_nsec != VFS_UTIME_OMIT)
            return -EINVAL;
    }
    struct vnode *vn = NULL;
    long rc;
    if (!upath) {
        struct lfile *f = dirfd == LX_AT_FDCWD ? NULL : fd_get(dirfd);
        rc = !f ? -EBADF : f->vn ? 0 : -EINVAL;
        if (rc == 0) {
            vn = f->vn;
            vfs_vn_get(vn);
        }
        lfile_put(f);
    } else {
        struct upath *u = upath_alloc();
        struct lfile *self = NULL;
        rc = !u ? -ENOMEM : at_path(u, dirfd, upath, flags & LX_AT_EMPTY_PATH, &self);
        if (rc == 0 && self) {
            vn = self->vn;
            rc = vn ? 0 : -EINVAL;
            if (vn)
                vfs_vn_get(vn);
        } else if (rc == 0)
            rc = vfs_resolve(u->abs, (flags & LX_AT_SYMLINK_NOFOLLOW) ? VFS_RESOLVE_NOFOLLOW : 0, &vn, NULL);
        lfile_put(self);
        free(u);
    }
    if (rc == 0)
        rc = vfs_vn_utimes(vn, ts);
    if (vn)
        vfs_vn_put(vn);
    return rc;
}

/* ---- descriptors ---- */

long sys_dup(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    return f ? fd_install(f, 0, false) : -EBADF;
}

static long dup_to(int oldfd, int newfd, bool cloexec)
{
    struct lfile *f = fd_get(oldfd);
    if (!f)
        return -EBADF;
    if (newfd < 0 || newfd >= (int)lproc_nofile()) {
        lfile_put(f);
        return -EBADF;
    }
    return fd_install_at(f, newfd, cloexec);
}

long sys_dup2(const struct sysargs *s)
{
    int oldfd = (int)s->a[0], newfd = (int)s->a[1];
    if (oldfd == newfd) {
        struct lfile *f = fd_get(oldfd);
        lfile_put(f);
        return f ? newfd : -EBADF;
    }
    return dup_to(oldfd, newfd, false);
}

long sys_dup3(const struct sysargs *s)
{
    int oldfd = (int)s->a[0], newfd = (int)s->a[1], flags = (int)s->a[2];
    if (flags & ~LX_O_CLOEXEC)
        return -EINVAL;
    if (oldfd == newfd)
        return -EINVAL;
    return dup_to(oldfd, newfd, flags & LX_O_CLOEXEC);
}

/* struct flock on x86-64: type, whence (shorts), start, len, pid. */
struct lx_flock {
    int16_t l_type;
    int16_t l_whence;
    int32_t pad;
    int64_t l_start;
    int64_t l_len;
    int32_t l_pid;
    int32_t pad2;
};

/* One process holds every lock: none ever conflicts. GETLK says unlocked;
 * SETLK/SETLKW succeed once the record is readable and sane. */
static long fcntl_lock(int cmd, void *uarg)
{
    struct lx_flock fl;
    if (copy_from_user(&fl, uarg, sizeof(fl)) < 0)
        return -EFAULT;
    if (fl.l_type < 0 || fl.l_type > LX_F_UNLCK || fl.l_whence < 0 || fl.l_whence > LX_SEEK_END)
        return -EINVAL;
    if (cmd == LX_F_GETLK || cmd == LX_F_OFD_GETLK) {
        fl.l_type = LX_F_UNLCK;
        return copy_to_user(uarg, &fl, sizeof(fl));
    }
    return 0;
}

long sys_fcntl(const struct sysargs *s)
{
    int fd = (int)s->a[0], cmd = (int)s->a[1];
    unsigned long arg = s->a[2];
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    long rc;
    switch (cmd) {
    case LX_F_DUPFD:
    case LX_F_DUPFD_CLOEXEC:
        if (arg >= lproc_nofile())
            rc = -EINVAL;
        else {
            lfile_get(f);
            rc = fd_install(f, (int)arg, cmd == LX_F_DUPFD_CLOEXEC);
        }
        break;
    case LX_F_GETFD:
        rc = fd_get_cloexec(fd);
        break;
    case LX_F_SETFD:
        rc = fd_set_cloexec(fd, arg & LX_FD_CLOEXEC);
        break;
    case LX_F_GETFL:
        rc = f->status_flags;
        break;
    case LX_F_SETFL: {
        unsigned changeable = LX_O_APPEND | LX_O_NONBLOCK | LX_O_FASYNC | LX_O_DIRECT | LX_O_NOATIME;
        rc = (f->status_flags & LX_O_PATH) ? -EBADF : 0;
        if (rc == 0)
            f->status_flags = (f->status_flags & ~changeable) | ((unsigned)arg & changeable);
        break;
    }
    case LX_F_GETLK:
    case LX_F_SETLK:
    case LX_F_SETLKW:
    case LX_F_OFD_GETLK:
    case LX_F_OFD_SETLK:
    case LX_F_OFD_SETLKW:
        rc = (f->status_flags & LX_O_PATH) ? -EBADF : fcntl_lock(cmd, (void *)arg);
        break;
    case LX_F_GETOWN:
    case LX_F_SETOWN:
        rc = 0;
        break;
    case LX_F_GETPIPE_SZ:
        rc = lfile_is_pipe(f) ? 65536 : -EBADF;
        break;
    case LX_F_SETPIPE_SZ:
        rc = !lfile_is_pipe(f) ? -EBADF : arg > 65536 ? -EPERM : 65536; /* the ring is fixed at 64 KiB */
        break;
    default:
        rc = -EINVAL;
    }
    lfile_put(f);
    return rc;
}

long sys_flock(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    unsigned op = (unsigned)s->a[1] & ~4u; /* LOCK_NB */
    long rc = (f->status_flags & LX_O_PATH) ? -EBADF : (op == 1 || op == 2 || op == 8) ? 0 : -EINVAL;
    lfile_put(f);
    return rc;
}

long sys_ioctl(const struct sysargs *s)
{
    int fd = (int)s->a[0];
    unsigned long cmd = (unsigned)s->a[1], arg = s->a[2];
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    long rc;
    int v;
    if (f->status_flags & LX_O_PATH)
        rc = -EBADF;
    else if (cmd == LX_FIOCLEX || cmd == LX_FIONCLEX)
        rc = fd_set_cloexec(fd, cmd == LX_FIOCLEX);
    else if (cmd == LX_FIONBIO) {
        rc = copy_from_user(&v, (void *)arg, sizeof(v));
        if (rc == 0 && v)
            __atomic_or_fetch(&f->status_flags, LX_O_NONBLOCK, __ATOMIC_RELAXED);
        else if (rc == 0)
            __atomic_and_fetch(&f->status_flags, ~(unsigned)LX_O_NONBLOCK, __ATOMIC_RELAXED);
    } else if (cmd == LX_FIONREAD && f->ops->readable) {
        v = (int)f->ops->readable(f);
        rc = copy_to_user((void *)arg, &v, sizeof(v));
    } else
        rc = f->ops->ioctl ? f->ops->ioctl(f, cmd, arg) : -ENOTTY;
    lfile_put(f);
    return rc;
}

long sys_fadvise64(const struct sysargs *s)
{
    struct lfile *f = fd_get((int)s->a[0]);
    if (!f)
        return -EBADF;
    long rc = lfile_is_pipe(f) ? -ESPIPE : (int)s->a[3] < 0 || (int)s->a[3] > 5 ? -EINVAL : 0;
    lfile_put(f);
    return rc;
}

/* ---- pipes ---- */

static long do_pipe2(int *ufds, int flags)
{
    if (flags & ~(LX_O_CLOEXEC | LX_O_NONBLOCK | LX_O_DIRECT))
        return -EINVAL;
    if (!user_range_ok((uintptr_t)ufds, 2 * sizeof(int)))
        return -EFAULT;
    struct lfile *rd, *wr;
    long rc = pipe_create((unsigned)flags, &rd, &wr);
    if (rc < 0)
        return rc;
    bool cloexec = flags & LX_O_CLOEXEC;
    int fds[2];
    fds[0] = fd_install(rd, 0, cloexec);
    if (fds[0] < 0) {
        lfile_put(wr);
        return fds[0];
    }
    fds[1] = fd_install(wr, 0, cloexec);
    if (fds[1] < 0) {
        fd_close(fds[0]);
        return fds[1];
    }
    if (copy_to_user(ufds, fds, sizeof(fds)) < 0) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return -EFAULT;
    }
    return 0;
}

long sys_pipe(const struct sysargs *s) { return do_pipe2((int *)s->a[0], 0); }
long sys_pipe2(const struct sysargs *s) { return do_pipe2((int *)s->a[0], (int)s->a[1]); }

/* ---- the process's file side ---- */

int lproc_files_init(struct lproc *p, const char *cwd)
{
    char *abs = malloc(VFS_PATH_MAX + 1);
    if (!abs)
        return -ENOMEM;
    int rc = lx_path_join("/", cwd && *cwd ? cwd : "/", abs); /* before p->cwd (cwd may be it) changes */
    p->umask = 022;
    strlcpy(p->cwd, "/", sizeof(p->cwd));
    p->fdt = rc == 0 ? fdtable_create() : NULL;
    if (rc == 0 && !p->fdt)
        rc = -ENOMEM;
    if (rc == 0)
        rc = fdtable_init_stdio(p->fdt);
    if (rc == 0) {
        pseudo_fs_mount_all();
        rc = (int)set_cwd(p, abs);
    }
    free(abs);
    return rc;
}

/* ---- extended attributes ----
 * No file system here keeps any: a file that exists has none (get and
 * remove: ENODATA, list: empty), and none can be set (EOPNOTSUPP), which
 * ls, cp and Python take as "no ACLs, no labels". */
static long xattr_path(const char *upath, bool follow)
{
    struct vfs_stat st;
    return stat_at(LX_AT_FDCWD, upath, follow ? 0 : LX_AT_SYMLINK_NOFOLLOW, &st);
}

static long xattr_fd(int fd)
{
    struct lfile *f = fd_get(fd);
    if (!f)
        return -EBADF;
    lfile_put(f);
    return 0;
}

static long xattr_none(long found, long answer) { return found < 0 ? found : answer; }

long sys_getxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], true), -ENODATA); }
long sys_lgetxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], false), -ENODATA); }
long sys_fgetxattr(const struct sysargs *s) { return xattr_none(xattr_fd((int)s->a[0]), -ENODATA); }
long sys_listxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], true), 0); }
long sys_llistxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], false), 0); }
long sys_flistxattr(const struct sysargs *s) { return xattr_none(xattr_fd((int)s->a[0]), 0); }
long sys_setxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], true), -EOPNOTSUPP); }
long sys_lsetxattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], false), -EOPNOTSUPP); }
long sys_fsetxattr(const struct sysargs *s) { return xattr_none(xattr_fd((int)s->a[0]), -EOPNOTSUPP); }
long sys_removexattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], true), -ENODATA); }
long sys_lremovexattr(const struct sysargs *s) { return xattr_none(xattr_path((const char *)s->a[0], false), -ENODATA); }
long sys_fremovexattr(const struct sysargs *s) { return xattr_none(xattr_fd((int)s->a[0]), -ENODATA); }
