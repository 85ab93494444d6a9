/* fs/: the virtual file system, ramfs, ext4 (read-only), partition tables
 * and the block cache. This file: mounts, path lookup and open files.
 *
 * One lock serialises every call: file systems below it need no locking of
 * their own, at the price of one I/O at a time (a per-mount lock is the next
 * step if a server needs parallel reads). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "sync.h"
#include "vfs.h"

struct mount {
    char path[VFS_PATH_MAX];
    char fstype[16];
    char source[32];
    struct vnode *root;
    struct vnode *covered; /* the directory this mount hides, NULL for "/" */
};

struct file {
    struct vnode *vn;
    uint64_t off;
    int flags;
    uint64_t dir_cookie;
};

#define MAX_DEPTH 256 /* path components held while walking */

static struct mutex vfs_lock = MUTEX_INIT;
static struct mount *mounts[VFS_MAX_MOUNTS];
static unsigned n_mounts;
static struct file *files[VFS_MAX_FILES];

extern const struct fs_type *const __start_kestrel_fstypes[], *const __stop_kestrel_fstypes[];

const struct fs_type *fs_type_find(const char *name)
{
    for (const struct fs_type *const *t = __start_kestrel_fstypes; t < __stop_kestrel_fstypes; t++) {
        if (strcmp((*t)->name, name) == 0)
            return *t;
    }
    return NULL;
}

void vnode_ref(struct vnode *vn) { vn->refs++; }

void vnode_put(struct vnode *vn)
{
    if (!vn || --vn->refs)
        return;
    if (vn->ops->release)
        vn->ops->release(vn);
}

static int is_dir(const struct vnode *vn) { return (vn->mode & VFS_S_IFMT) == VFS_S_IFDIR; }
static int is_link(const struct vnode *vn) { return (vn->mode & VFS_S_IFMT) == VFS_S_IFLNK; }

/* The mount whose covered directory is vn, if any. */
static struct mount *mount_on(const struct vnode *vn)
{
    for (unsigned i = 0; i < n_mounts; i++) {
        struct vnode *c = mounts[i]->covered;
        if (c && c->mnt == vn->mnt && c->ino == vn->ino)
            return mounts[i];
    }
    return NULL;
}

/* A walk in progress: the vnodes from the root down to where we are (so
 * ".." needs no parent pointers and crosses mounts back up), and the part
 * of the path still to resolve (symlink targets are spliced into it). */
struct walk {
    struct vnode *stack[MAX_DEPTH];
    unsigned depth;
    uint16_t clen[MAX_DEPTH]; /* canon's length at each stack level */
    char canon[VFS_PATH_MAX + 1]; /* the resolved path of the stack's top */
    char rest[VFS_PATH_MAX + 1];
    unsigned links;
};

static void walk_release(struct walk *w)
{
    while (w->depth)
        vnode_put(w->stack[--w->depth]);
}

static void walk_to_root(struct walk *w)
{
    walk_release(w);
    vnode_ref(mounts[0]->root);
    w->clen[0] = 0;
    w->canon[0] = 0;
    w->stack[w->depth++] = mounts[0]->root;
}

/* Pushes vn, found as name (len bytes) in the top directory. */
static int walk_push(struct walk *w, struct vnode *vn, const char *name, size_t len)
{
    size_t at = w->clen[w->depth - 1];
    if (w->depth == MAX_DEPTH || at + 1 + len > VFS_PATH_MAX)
        return -ENAMETOOLONG;
    w->canon[at] = '/';
    memcpy(w->canon + at + 1, name, len);
    w->canon[at + 1 + len] = 0;
    w->clen[w->depth] = (uint16_t)(at + 1 + len);
    w->stack[w->depth++] = vn;
    return 0;
}

/* The path of the stack's top ("/" for the root). */
static void walk_canon(const struct walk *w, char *out)
{
    size_t n = w->clen[w->depth - 1];
    if (n == 0) {
        out[0] = '/';
        out[1] = 0;
        return;
    }
    memcpy(out, w->canon, n);
    out[n] = 0;
}

/* rest = target + "/" + rest; */
static int splice_link(struct walk *w, const char *target, size_t tlen, const char *rest)
{
    size_t rlen = strlen(rest);
    if (tlen + 1 + rlen > VFS_PATH_MAX)
        return -ENAMETOOLONG;
    memmove(w->rest + tlen + 1, rest, rlen + 1);
    memcpy(w->rest, target, tlen);
    w->rest[tlen] = '/';
    return 0;
}

static int follow_link(struct walk *w, struct vnode *link, const char *rest)
{
    if (++w->links > VFS_SYMLINK_MAX)
        return -ELOOP;
    char *target = malloc(VFS_PATH_MAX);
    if (!target)
        return -ENOMEM;
    long n = link->ops->readlink ? link->ops->readlink(link, target, VFS_PATH_MAX) : -EINVAL;
    int rc = n < 0 ? (int)n : n == 0 ? -ENOENT : splice_link(w, target, (size_t)n, rest);
    if (rc == 0 && target[0] == '/')
        walk_to_root(w);
    free(target);
    return rc;
}

/* One component: "." stays, ".." goes up, a name is looked up (and a mount
 * on it entered). Returns the found vnode in *out (not yet pushed). */
static int step(struct walk *w, const char *name, size_t len, struct vnode **out)
{
    struct vnode *dir = w->stack[w->depth - 1];
    if (!is_dir(dir))
        return -ENOTDIR;
    if (len > VFS_NAME_MAX)
        return -ENAMETOOLONG;
    int rc = dir->ops->lookup(dir, name, len, out);
    if (rc < 0)
        return rc;
    struct mount *m;
    while ((m = mount_on(*out))) {
        vnode_put(*out);
        *out = m->root;
        vnode_ref(*out);
    }
    return 0;
}

static size_t component_len(const char *p)
{
    size_t n = 0;
    while (p[n] && p[n] != '/')
        n++;
    return n;
}

#define WALK_NOFOLLOW 1 /* the last component may be a symlink */
#define WALK_PARENT 2   /* stop before the last component, returned in w->rest */

/* Resolves path; the result is the top of w->stack. */
static int walk_path(struct walk *w, const char *path, int how)
{
    if (!n_mounts)
        return -ENOENT;
    size_t plen = strnlen(path, VFS_PATH_MAX + 1);
    if (plen > VFS_PATH_MAX)
        return -ENAMETOOLONG;
    if (plen == 0)
        return -ENOENT;
    if (path[0] != '/')
        return -ENOENT; /* no working directory: paths are absolute */
    w->depth = 0;
    w->links = 0;
    walk_to_root(w);
    memcpy(w->rest, path, plen + 1);
    for (;;) {
        char *p = w->rest;
        while (*p == '/')
            p++;
        if (!*p) {
            w->rest[0] = 0;
            return 0;
        }
        size_t len = component_len(p);
        char *next = p + len;
        while (*next == '/')
            next++;
        int last = *next == 0;
        if (last && (how & WALK_PARENT)) {
            if (len > VFS_NAME_MAX)
                return -ENAMETOOLONG;
            memmove(w->rest, p, len);
            w->rest[len] = 0;
            return 0;
        }
        if (len == 1 && p[0] == '.') {
            if (!is_dir(w->stack[w->depth - 1]))
                return -ENOTDIR;
            memmove(w->rest, next, strlen(next) + 1);
            continue;
        }
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            if (!is_dir(w->stack[w->depth - 1]))
                return -ENOTDIR;
            if (w->depth > 1)
                vnode_put(w->stack[--w->depth]);
            memmove(w->rest, next, strlen(next) + 1);
            continue;
        }
        struct vnode *vn;
        int rc = step(w, p, len, &vn);
        if (rc < 0)
            return rc;
        if (is_link(vn) && (!last || !(how & WALK_NOFOLLOW) || p[len] == '/')) { /* "link/" means the target */
            rc = follow_link(w, vn, next);
            vnode_put(vn);
            if (rc < 0)
                return rc;
            continue;
        }
        rc = walk_push(w, vn, p, len);
        if (rc < 0) {
            vnode_put(vn);
            return rc;
        }
        memmove(w->rest, next, strlen(next) + 1);
    }
}

/* The vnode path names, with a reference, or a negative errno; canon (if
 * not NULL) gets the resolved path. */
static int resolve_canon(const char *path, int how, struct vnode **out, char *canon)
{
    struct walk *w = malloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->depth = 0;
    int rc = walk_path(w, path, how);
    if (rc == 0) {
        *out = w->stack[w->depth - 1];
        vnode_ref(*out);
        if (canon)
            walk_canon(w, canon);
    }
    walk_release(w);
    free(w);
    return rc;
}

static int create_canon(const char *path, uint32_t mode, const char *target, int excl, struct vnode **out,
                        char *canon);
static int resolve(const char *path, int how, struct vnode **out) { return resolve_canon(path, how, out, NULL); }

/* Creates (or finds, when !excl) the last component of path. */
static int create_at(const char *path, uint32_t mode, const char *target, int excl, struct vnode **out)
{
    return create_canon(path, mode, target, excl, out, NULL);
}

static int create_canon(const char *path, uint32_t mode, const char *target, int excl, struct vnode **out,
                        char *canon)
{
    struct walk *w = malloc(sizeof(*w));
    if (!w)
        return -ENOMEM;
    w->depth = 0;
    int rc = walk_path(w, path, WALK_PARENT);
    if (rc == 0 && !w->rest[0])
        rc = -EEXIST; /* "/" itself */
    struct vnode *dir = rc == 0 ? w->stack[w->depth - 1] : NULL;
    if (rc == 0 && !is_dir(dir))
        rc = -ENOTDIR;
    if (rc == 0) {
        const char *name = w->rest;
        size_t len = strlen(name);
        struct vnode *vn;
        if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.'))
            rc = -EEXIST;
        else if (dir->ops->lookup(dir, name, len, &vn) == 0) {
            rc = excl ? -EEXIST : 0;
            if (rc == 0)
                *out = vn;
            else
                vnode_put(vn);
        } else if (!dir->ops->create)
            rc = -EROFS;
        else
            rc = dir->ops->create(dir, name, len, mode, target, out);
        if (rc == 0 && canon) {
            walk_canon(w, canon);
            size_t at = strlen(canon);
            if (at + 1 + len > VFS_PATH_MAX)
                rc = -ENAMETOOLONG;
            else
                snprintf(canon + at - (at == 1), VFS_PATH_MAX + 1 - at, "/%s", name);
            if (rc < 0)
                vnode_put(*out);
        }
    }
    walk_release(w);
    free(w);
    return rc;
}

/* ---- mounts ---- */

int vfs_mount(const char *fstype, const char *source, const char *path, void *data)
{
    const struct fs_type *t = fs_type_find(fstype);
    if (!t)
        return -ENODEV;
    mutex_lock(&vfs_lock);
    int rc = 0;
    struct vnode *covered = NULL;
    if (n_mounts == VFS_MAX_MOUNTS)
        rc = -EBUSY;
    else if (n_mounts == 0 && strcmp(path, "/") != 0)
        rc = -ENOENT;
    else if (n_mounts) {
        rc = resolve(path, 0, &covered);
        if (rc == 0 && !is_dir(covered))
            rc = -ENOTDIR;
    }
    struct mount *m = rc == 0 ? calloc(1, sizeof(*m)) : NULL;
    if (rc == 0 && !m)
        rc = -ENOMEM;
    if (rc == 0)
        rc = t->mount(source, data, &m->root);
    if (rc == 0) {
        snprintf(m->path, sizeof(m->path), "%s", path);
        snprintf(m->fstype, sizeof(m->fstype), "%s", fstype);
        snprintf(m->source, sizeof(m->source), "%s", source ? source : "none");
        m->covered = covered;
        m->root->mnt = m;
        mounts[n_mounts++] = m;
    } else {
        vnode_put(covered);
        free(m);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

const char *vfs_mount_info(unsigned i, const char **fstype, const char **source)
{
    if (i >= n_mounts)
        return NULL;
    if (fstype)
        *fstype = mounts[i]->fstype;
    if (source)
        *source = mounts[i]->source;
    return mounts[i]->path;
}

/* ---- open files ---- */

static struct file *file_get(int fd)
{
    if (fd < VFS_FD_FIRST || fd >= VFS_FD_END)
        return NULL;
    return files[fd - VFS_FD_FIRST];
}

static int open_locked(const char *path, int flags, uint32_t mode)
{
    struct vnode *vn;
    int acc = flags & VFS_O_ACCMODE;
    int rc;
    if (acc == 3)
        return -EINVAL;
    if (flags & VFS_O_CREAT)
        rc = create_at(path, VFS_S_IFREG | (mode & 07777), NULL, flags & VFS_O_EXCL, &vn);
    else
        rc = resolve(path, (flags & VFS_O_NOFOLLOW) ? WALK_NOFOLLOW : 0, &vn);
    if (rc < 0)
        return rc;
    if (is_link(vn))
        rc = -ELOOP;
    else if ((flags & VFS_O_DIRECTORY) && !is_dir(vn))
        rc = -ENOTDIR;
    else if (is_dir(vn) && acc != VFS_O_RDONLY)
        rc = -EISDIR;
    else if (acc != VFS_O_RDONLY && !vn->ops->write)
        rc = -EROFS;
    else if ((flags & VFS_O_TRUNC) && acc != VFS_O_RDONLY)
        rc = vn->ops->truncate ? vn->ops->truncate(vn, 0) : -EROFS;
    int fd = -EMFILE;
    for (int i = 0; rc == 0 && i < VFS_MAX_FILES; i++) {
        if (!files[i]) {
            fd = i;
            break;
        }
    }
    if (rc == 0 && fd >= 0) {
        files[fd] = calloc(1, sizeof(struct file));
        if (!files[fd])
            fd = -ENOMEM;
    }
    if (rc < 0 || fd < 0) {
        vnode_put(vn);
        return rc < 0 ? rc : fd;
    }
    files[fd]->vn = vn;
    files[fd]->flags = flags;
    return fd + VFS_FD_FIRST;
}

int vfs_open(const char *path, int flags, uint32_t mode)
{
    mutex_lock(&vfs_lock);
    int rc = open_locked(path, flags, mode);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_close(int fd)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    if (f) {
        files[fd - VFS_FD_FIRST] = NULL;
        vnode_put(f->vn);
        free(f);
    }
    mutex_unlock(&vfs_lock);
    return f ? 0 : -EBADF;
}

static long read_locked(struct file *f, void *buf, size_t len, uint64_t off)
{
    if ((f->flags & VFS_O_ACCMODE) == VFS_O_WRONLY)
        return -EBADF;
    if (is_dir(f->vn))
        return -EISDIR;
    if (off >= f->vn->size || len == 0)
        return 0;
    if (len > f->vn->size - off)
        len = (size_t)(f->vn->size - off);
    return f->vn->ops->read(f->vn, off, buf, len);
}

long vfs_pread(int fd, void *buf, size_t len, uint64_t off)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    long rc = f ? read_locked(f, buf, len, off) : -EBADF;
    mutex_unlock(&vfs_lock);
    return rc;
}

long vfs_read(int fd, void *buf, size_t len)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    long rc = f ? read_locked(f, buf, len, f->off) : -EBADF;
    if (rc > 0)
        f->off += (uint64_t)rc;
    mutex_unlock(&vfs_lock);
    return rc;
}

static long write_locked(struct file *f, const void *buf, size_t len, uint64_t off)
{
    if ((f->flags & VFS_O_ACCMODE) == VFS_O_RDONLY)
        return -EBADF;
    if (!f->vn->ops->write)
        return -EROFS;
    if (off + len < off)
        return -EFBIG;
    return f->vn->ops->write(f->vn, off, buf, len);
}

long vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    long rc = f ? write_locked(f, buf, len, off) : -EBADF;
    mutex_unlock(&vfs_lock);
    return rc;
}

long vfs_write(int fd, const void *buf, size_t len)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    long rc = -EBADF;
    if (f) {
        if (f->flags & VFS_O_APPEND)
            f->off = f->vn->size;
        rc = write_locked(f, buf, len, f->off);
        if (rc > 0)
            f->off += (uint64_t)rc;
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

int64_t vfs_lseek(int fd, int64_t off, int whence)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    int64_t rc = -EBADF;
    if (f) {
        int64_t base = whence == VFS_SEEK_SET ? 0 : whence == VFS_SEEK_CUR ? (int64_t)f->off
                     : whence == VFS_SEEK_END ? (int64_t)f->vn->size : -1;
        if (base < 0 || (off > 0 && base > INT64_MAX - off))
            rc = -EINVAL;
        else if (base + off < 0)
            rc = -EINVAL;
        else
            rc = (int64_t)(f->off = (uint64_t)(base + off));
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

static void fill_stat(const struct vnode *vn, struct vfs_stat *st)
{
    memset(st, 0, sizeof(*st));
    for (unsigned i = 0; i < n_mounts; i++) {
        if (mounts[i] == vn->mnt)
            st->dev = i + 1;
    }
    st->ino = vn->ino;
    st->mode = vn->mode;
    st->nlink = vn->nlink;
    st->size = vn->size;
    st->blocks = vn->blocks;
    st->blksize = 4096;
    st->atime = st->mtime = st->ctime = vn->mtime;
    st->rdev = vn->rdev;
}

int vfs_fstat(int fd, struct vfs_stat *st)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    if (f)
        fill_stat(f->vn, st);
    mutex_unlock(&vfs_lock);
    return f ? 0 : -EBADF;
}

static int stat_path(const char *path, struct vfs_stat *st, int how)
{
    mutex_lock(&vfs_lock);
    struct vnode *vn;
    int rc = resolve(path, how, &vn);
    if (rc == 0) {
        fill_stat(vn, st);
        vnode_put(vn);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_stat(const char *path, struct vfs_stat *st) { return stat_path(path, st, 0); }
int vfs_lstat(const char *path, struct vfs_stat *st) { return stat_path(path, st, WALK_NOFOLLOW); }

long vfs_readlink(const char *path, char *buf, size_t len)
{
    mutex_lock(&vfs_lock);
    struct vnode *vn;
    long rc = resolve(path, WALK_NOFOLLOW, &vn);
    if (rc == 0) {
        rc = !is_link(vn) ? -EINVAL : vn->ops->readlink(vn, buf, len);
        vnode_put(vn);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

static int make_node(const char *path, uint32_t mode, const char *target)
{
    mutex_lock(&vfs_lock);
    struct vnode *vn;
    int rc = create_at(path, mode, target, 1, &vn);
    if (rc == 0)
        vnode_put(vn);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_mkdir(const char *path, uint32_t mode) { return make_node(path, VFS_S_IFDIR | (mode & 07777), NULL); }

int vfs_symlink(const char *target, const char *path)
{
    if (strnlen(target, VFS_PATH_MAX) >= VFS_PATH_MAX)
        return -ENAMETOOLONG;
    return make_node(path, VFS_S_IFLNK | 0777, target);
}

int vfs_readdir(int fd, struct vfs_dirent *d)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    int rc = !f ? -EBADF : !is_dir(f->vn) ? -ENOTDIR : f->vn->ops->readdir(f->vn, &f->dir_cookie, d);
    mutex_unlock(&vfs_lock);
    return rc;
}

/* ---- vnode-level access ---- */

int vfs_resolve(const char *path, int how, struct vnode **out, char *canon)
{
    mutex_lock(&vfs_lock);
    int rc = resolve_canon(path, (how & VFS_RESOLVE_NOFOLLOW) ? WALK_NOFOLLOW : 0, out, canon);
    mutex_unlock(&vfs_lock);
    return rc;
}

static int open_checks(struct vnode *vn, int flags)
{
    int acc = flags & VFS_O_ACCMODE;
    if (flags & VFS_O_PATH)
        return (flags & VFS_O_DIRECTORY) && !is_dir(vn) ? -ENOTDIR : 0;
    if (is_link(vn))
        return -ELOOP;
    if ((flags & VFS_O_DIRECTORY) && !is_dir(vn))
        return -ENOTDIR;
    if (is_dir(vn) && acc != VFS_O_RDONLY)
        return -EISDIR;
    if ((vn->mode & VFS_S_IFMT) != VFS_S_IFREG)
        return 0; /* devices: their driver decides */
    if (acc != VFS_O_RDONLY && !vn->ops->write)
        return -EROFS;
    if ((flags & VFS_O_TRUNC) && acc != VFS_O_RDONLY)
        return vn->ops->truncate ? vn->ops->truncate(vn, 0) : -EROFS;
    return 0;
}

int vfs_open_vn(const char *path, int flags, uint32_t mode, struct vnode **out, char *canon)
{
    if ((flags & VFS_O_ACCMODE) == 3 && !(flags & VFS_O_PATH))
        return -EINVAL;
    mutex_lock(&vfs_lock);
    int how = (flags & VFS_O_NOFOLLOW) ? WALK_NOFOLLOW : 0;
    uint32_t file_mode = VFS_S_IFREG | (mode & 07777);
    struct vnode *vn = NULL;
    int rc;
    if ((flags & VFS_O_CREAT) && !(flags & VFS_O_EXCL)) {
        rc = resolve_canon(path, how, &vn, canon); /* an existing file, through a symlink too */
        if (rc == -ENOENT)
            rc = create_canon(path, file_mode, NULL, 0, &vn, canon);
    } else if (flags & VFS_O_CREAT)
        rc = create_canon(path, file_mode, NULL, 1, &vn, canon);
    else
        rc = resolve_canon(path, how, &vn, canon);
    if (rc == 0)
        rc = (flags & VFS_O_CREAT) && is_dir(vn) ? -EISDIR : open_checks(vn, flags);
    if (rc == 0)
        *out = vn;
    else if (vn)
        vnode_put(vn);
    mutex_unlock(&vfs_lock);
    return rc;
}

long vfs_vn_read(struct vnode *vn, void *buf, size_t len, uint64_t off)
{
    mutex_lock(&vfs_lock);
    long rc;
    if (is_dir(vn))
        rc = -EISDIR;
    else if (off >= vn->size || len == 0)
        rc = 0;
    else {
        if (len > vn->size - off)
            len = (size_t)(vn->size - off);
        rc = vn->ops->read(vn, off, buf, len);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

long vfs_vn_write(struct vnode *vn, const void *buf, size_t len, uint64_t off)
{
    mutex_lock(&vfs_lock);
    long rc = is_dir(vn) ? -EISDIR : !vn->ops->write ? -EROFS : off + len < off ? -EFBIG
            : vn->ops->write(vn, off, buf, len);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_truncate(struct vnode *vn, uint64_t size)
{
    mutex_lock(&vfs_lock);
    int rc = is_dir(vn) ? -EISDIR : !vn->ops->truncate || !vn->ops->write ? -EROFS : vn->ops->truncate(vn, size);
    mutex_unlock(&vfs_lock);
    return rc;
}

void vfs_vn_stat(struct vnode *vn, struct vfs_stat *st)
{
    mutex_lock(&vfs_lock);
    fill_stat(vn, st);
    mutex_unlock(&vfs_lock);
}

long vfs_vn_readlink(struct vnode *vn, char *buf, size_t len)
{
    mutex_lock(&vfs_lock);
    long rc = !is_link(vn) || !vn->ops->readlink ? -EINVAL : vn->ops->readlink(vn, buf, len);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d)
{
    mutex_lock(&vfs_lock);
    int rc = !is_dir(dir) ? -ENOTDIR : dir->ops->readdir(dir, cookie, d);
    mutex_unlock(&vfs_lock);
    return rc;
}

void vfs_vn_put(struct vnode *vn)
{
    mutex_lock(&vfs_lock);
    vnode_put(vn);
    mutex_unlock(&vfs_lock);
}

void vfs_vn_get(struct vnode *vn)
{
    mutex_lock(&vfs_lock);
    vnode_ref(vn);
    mutex_unlock(&vfs_lock);
}

int vfs_make_node(const char *path, uint32_t mode, const char *target) { return make_node(path, mode, target); }
