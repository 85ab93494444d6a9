/* POSIX file calls over the VFS: negative errnos become -1 and errno. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "net.h"
#include "vfs.h"

static long ret(long rc)
{
    if (rc >= 0)
        return rc;
    errno = (int)-rc;
    return -1;
}

int open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    if (flags & O_CREAT) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    return (int)ret(vfs_open(path, flags & ~O_CLOEXEC, mode));
}

int close(int fd)
{
    if (fd >= VFS_FD_END)
        return net_fd_close(fd);
    return (int)ret(vfs_close(fd));
}

ssize_t read(int fd, void *buf, size_t len)
{
    if (fd >= VFS_FD_END)
        return net_fd_read(fd, buf, len);
    return ret(vfs_read(fd, buf, len));
}

ssize_t pread(int fd, void *buf, size_t len, off_t off)
{
    return off < 0 ? ret(-EINVAL) : ret(vfs_pread(fd, buf, len, (uint64_t)off));
}
ssize_t pwrite(int fd, const void *buf, size_t len, off_t off)
{
    return off < 0 ? ret(-EINVAL) : ret(vfs_pwrite(fd, buf, len, (uint64_t)off));
}
off_t lseek(int fd, off_t off, int whence) { return ret(vfs_lseek(fd, off, whence)); }
ssize_t readlink(const char *path, char *buf, size_t len) { return ret(vfs_readlink(path, buf, len)); }
int symlink(const char *target, const char *path) { return (int)ret(vfs_symlink(target, path)); }
int mkdir(const char *path, mode_t mode) { return (int)ret(vfs_mkdir(path, mode)); }
int unlink(const char *path) { return (int)ret(vfs_unlink(path)); }
int rmdir(const char *path) { return (int)ret(vfs_rmdir(path)); }
int rename(const char *oldpath, const char *newpath) { return (int)ret(vfs_rename(oldpath, newpath)); }
int link(const char *oldpath, const char *newpath) { return (int)ret(vfs_link(oldpath, newpath)); }
int truncate(const char *path, off_t len) { return (int)ret(vfs_truncate(path, len)); }
int ftruncate(int fd, off_t len) { return (int)ret(vfs_ftruncate(fd, len)); }
int fsync(int fd) { return (int)ret(vfs_fsync(fd)); }
int fdatasync(int fd) { return (int)ret(vfs_fdatasync(fd)); }
void sync(void) { vfs_sync(); }
int chmod(const char *path, mode_t mode) { return (int)ret(vfs_chmod(path, mode)); }
int fchmod(int fd, mode_t mode) { return (int)ret(vfs_fchmod(fd, mode)); }
int chown(const char *path, uid_t uid, gid_t gid) { return (int)ret(vfs_chown(path, uid, gid)); }
int lchown(const char *path, uid_t uid, gid_t gid) { return (int)ret(vfs_lchown(path, uid, gid)); }
int fchown(int fd, uid_t uid, gid_t gid) { return (int)ret(vfs_fchown(fd, uid, gid)); }

/* The console is reached through stdio's stdout and stderr, not through
 * descriptors 1 and 2. */
ssize_t write(int fd, const void *buf, size_t len)
{
    if (fd >= VFS_FD_END)
        return net_fd_write(fd, buf, len);
    return ret(vfs_write(fd, buf, len));
}

static void to_stat(const struct vfs_stat *v, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_dev = v->dev;
    st->st_ino = v->ino;
    st->st_mode = v->mode;
    st->st_nlink = v->nlink;
    st->st_uid = v->uid;
    st->st_gid = v->gid;
    st->st_size = (off_t)v->size;
    st->st_blksize = v->blksize;
    st->st_blocks = (blkcnt_t)v->blocks;
    st->st_atime = v->atime;
    st->st_mtime = v->mtime;
    st->st_ctime = v->ctime;
}

static int stat_with(int (*fn)(const char *, struct vfs_stat *), const char *path, struct stat *st)
{
    struct vfs_stat v;
    int rc = fn(path, &v);
    if (rc == 0)
        to_stat(&v, st);
    return (int)ret(rc);
}

int stat(const char *path, struct stat *st) { return stat_with(vfs_stat, path, st); }
int lstat(const char *path, struct stat *st) { return stat_with(vfs_lstat, path, st); }

int fstat(int fd, struct stat *st)
{
    struct vfs_stat v;
    int rc = vfs_fstat(fd, &v);
    if (rc == 0)
        to_stat(&v, st);
    return (int)ret(rc);
}

struct dir_stream {
    int fd;
    struct dirent ent;
};

DIR *opendir(const char *path)
{
    int fd = vfs_open(path, VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    DIR *d = malloc(sizeof(*d));
    if (!d) {
        vfs_close(fd);
        errno = ENOMEM;
        return NULL;
    }
    d->fd = fd;
    return d;
}

struct dirent *readdir(DIR *d)
{
    struct vfs_dirent v;
    int rc = vfs_readdir(d->fd, &v);
    if (rc <= 0) {
        if (rc < 0)
            errno = -rc;
        return NULL;
    }
    d->ent.d_ino = v.ino;
    d->ent.d_type = v.type;
    memcpy(d->ent.d_name, v.name, sizeof(d->ent.d_name));
    return &d->ent;
}

int closedir(DIR *d)
{
    int rc = vfs_close(d->fd);
    free(d);
    return (int)ret(rc);
}

int dirfd(DIR *d) { return d->fd; }

char *strerror(int err)
{
    static const struct {
        int e;
        const char *s;
    } names[] = {
        { 0, "Success" }, { EPERM, "Operation not permitted" }, { ENOENT, "No such file or directory" },
        { EIO, "Input/output error" }, { EBADF, "Bad file descriptor" }, { ENOMEM, "Cannot allocate memory" },
        { EACCES, "Permission denied" }, { EBUSY, "Device or resource busy" }, { EEXIST, "File exists" },
        { ENODEV, "No such device" }, { ENOTDIR, "Not a directory" }, { EISDIR, "Is a directory" },
        { EINVAL, "Invalid argument" }, { EMFILE, "Too many open files" }, { EFBIG, "File too large" },
        { ENOSPC, "No space left on device" }, { ESPIPE, "Illegal seek" }, { EROFS, "Read-only file system" },
        { ENAMETOOLONG, "File name too long" }, { ENOSYS, "Function not implemented" },
        { ELOOP, "Too many levels of symbolic links" }, { EOPNOTSUPP, "Operation not supported" },
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].e == err)
            return (char *)names[i].s;
    }
    return (char *)"Unknown error";
}
