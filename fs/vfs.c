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
            /* "name/" must be a directory (a symlink to one is followed) */
            return plen > 1 && path[plen - 1] == '/' && !is_dir(w->stack[w->depth - 1]) ? -ENOTDIR : 0;
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
        if (is_link(vn) && (!last || !(how & WALK_NOFOLLOW) || p[len] == '/')) {
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
    size_t plen = strlen(path);
    if (rc == 0 && (mode & VFS_S_IFMT) != VFS_S_IFDIR && plen > 1 && path[plen - 1] == '/')
        rc = -EISDIR; /* a file cannot be made as "name/" */
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
            else { /* "/" + name after the directory ("/" itself gives "/name") */
                char *d = canon + at - (at == 1);
                d[0] = '/';
                memcpy(d + 1, name, len + 1);
            }
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

static uint64_t page_locked(struct vnode *vn, uint64_t off)
{
    if ((vn->mode & VFS_S_IFMT) != VFS_S_IFREG || !vn->ops->page || off >= vn->size || (off & 4095))
        return 0;
    return vn->ops->page(vn, off);
}

uint64_t vfs_page(int fd, uint64_t off)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    uint64_t pa = f && (f->flags & VFS_O_ACCMODE) != VFS_O_WRONLY ? page_locked(f->vn, off) : 0;
    mutex_unlock(&vfs_lock);
    return pa;
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
    st->uid = vn->uid;
    st->gid = vn->gid;
    st->atime = vn->atime;
    st->mtime = vn->mtime;
    st->ctime = vn->ctime;
    st->atime_nsec = vn->atime_nsec;
    st->mtime_nsec = vn->mtime_nsec;
    st->ctime_nsec = vn->ctime_nsec;
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

/* ---- mutations ---- */

uint64_t (*vfs_clock_ns)(void);

struct vfs_timespec vfs_now(void)
{
    uint64_t ns = vfs_clock_ns ? vfs_clock_ns() : 0;
    return (struct vfs_timespec){ (int64_t)(ns / 1000000000u), (uint32_t)(ns % 1000000000u) };
}

static int same_node(const struct vnode *a, const struct vnode *b) { return a->mnt == b->mnt && a->ino == b->ino; }

/* The directory holding a path's last component, and that component: name
 * is "" for "/", and may be "." or ".." (each call has its own error for
 * those). slash: the path ended in '/', so the entry must be a directory. */
struct parent {
    struct walk *w;
    struct vnode *dir;
    const char *name;
    size_t len;
    int slash;
    int dots; /* 1: ".", 2: "..", 0: a name */
};

static int parent_get(const char *path, struct parent *p)
{
    memset(p, 0, sizeof(*p));
    p->w = malloc(sizeof(*p->w));
    if (!p->w)
        return -ENOMEM;
    p->w->depth = 0;
    int rc = walk_path(p->w, path, WALK_PARENT);
    if (rc < 0)
        return rc;
    p->dir = p->w->stack[p->w->depth - 1];
    p->name = p->w->rest;
    p->len = strlen(p->name);
    size_t plen = strlen(path);
    p->slash = plen > 1 && path[plen - 1] == '/';
    if (p->len == 1 && p->name[0] == '.')
        p->dots = 1;
    else if (p->len == 2 && p->name[0] == '.' && p->name[1] == '.')
        p->dots = 2;
    return is_dir(p->dir) ? 0 : -ENOTDIR;
}

static void parent_put(struct parent *p)
{
    if (!p->w)
        return;
    walk_release(p->w);
    free(p->w);
    p->w = NULL;
}

/* The entry itself (not a mount on it). */
static int entry_get(struct parent *p, struct vnode **out) { return p->dir->ops->lookup(p->dir, p->name, p->len, out); }

static int dir_empty(struct vnode *dir)
{
    uint64_t cookie = 0;
    struct vfs_dirent *d = malloc(sizeof(*d));
    if (!d)
        return -ENOMEM;
    int rc = dir->ops->readdir(dir, &cookie, d);
    free(d);
    return rc < 0 ? rc : rc == 0;
}

static int unlink_locked(const char *path, int want_dir)
{
    struct parent p;
    struct vnode *vn = NULL;
    int rc = parent_get(path, &p);
    if (rc == 0 && !p.len)
        rc = want_dir ? -EBUSY : -EISDIR;
    else if (rc == 0 && p.dots)
        rc = !want_dir ? -EISDIR : p.dots == 1 ? -EINVAL : -ENOTEMPTY;
    if (rc == 0 && !p.dir->ops->unlink)
        rc = -EROFS;
    if (rc == 0)
        rc = entry_get(&p, &vn);
    if (rc == 0 && want_dir && !is_dir(vn))
        rc = -ENOTDIR;
    else if (rc == 0 && !want_dir && is_dir(vn))
        rc = -EISDIR;
    else if (rc == 0 && !want_dir && p.slash)
        rc = -ENOTDIR;
    if (rc == 0 && mount_on(vn))
        rc = -EBUSY;
    if (rc == 0 && want_dir) {
        rc = dir_empty(vn);
        rc = rc < 0 ? rc : rc ? 0 : -ENOTEMPTY;
    }
    if (rc == 0)
        rc = p.dir->ops->unlink(p.dir, p.name, p.len, vn);
    vnode_put(vn);
    parent_put(&p);
    return rc;
}

int vfs_unlink(const char *path)
{
    mutex_lock(&vfs_lock);
    int rc = unlink_locked(path, 0);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_rmdir(const char *path)
{
    mutex_lock(&vfs_lock);
    int rc = unlink_locked(path, 1);
    mutex_unlock(&vfs_lock);
    return rc;
}

/* Is vn one of the directories on the walk's stack (an ancestor of, or,
 * the directory the walk ended at)? */
static int on_stack(const struct walk *w, const struct vnode *vn)
{
    for (unsigned i = 0; i < w->depth; i++) {
        if (same_node(w->stack[i], vn))
            return 1;
    }
    return 0;
}

/* Linux's order of checks, after both entries were looked up; 1 when the
 * two names hold one inode (nothing to do). */
static int rename_check(struct parent *op, struct vnode *vn, struct parent *np, struct vnode *target)
{
    if (!is_dir(vn) && (op->slash || np->slash))
        return -ENOTDIR;
    if (on_stack(np->w, vn))
        return -EINVAL; /* a directory into itself or below */
    if (target && on_stack(op->w, target))
        return -ENOTEMPTY; /* the target holds the source */
    if (target && same_node(vn, target))
        return 1;
    if (target && is_dir(vn) && !is_dir(target))
        return -ENOTDIR;
    if (target && !is_dir(vn) && is_dir(target))
        return -EISDIR;
    if (mount_on(vn) || (target && mount_on(target)))
        return -EBUSY;
    if (!target || !is_dir(target))
        return 0;
    int rc = dir_empty(target);
    return rc < 0 ? rc : rc ? 0 : -ENOTEMPTY;
}

static int rename_locked(const char *oldpath, const char *newpath)
{
    struct parent op = { 0 }, np = { 0 };
    struct vnode *vn = NULL, *target = NULL;
    int rc = parent_get(oldpath, &op);
    if (rc == 0)
        rc = parent_get(newpath, &np);
    if (rc == 0 && op.dir->mnt != np.dir->mnt)
        rc = -EXDEV;
    if (rc == 0 && (!op.len || !np.len || op.dots || np.dots))
        rc = -EBUSY;
    if (rc == 0 && !op.dir->ops->rename)
        rc = -EROFS;
    if (rc == 0)
        rc = entry_get(&op, &vn);
    if (rc == 0) {
        int t = entry_get(&np, &target);
        rc = t == -ENOENT ? 0 : t;
    }
    if (rc == 0)
        rc = rename_check(&op, vn, &np, target);
    if (rc == 0)
        rc = op.dir->ops->rename(op.dir, op.name, op.len, vn, np.dir, np.name, np.len, target);
    vnode_put(target);
    vnode_put(vn);
    parent_put(&np);
    parent_put(&op);
    return rc < 0 ? rc : 0;
}

int vfs_rename(const char *oldpath, const char *newpath)
{
    mutex_lock(&vfs_lock);
    int rc = rename_locked(oldpath, newpath);
    mutex_unlock(&vfs_lock);
    return rc;
}

static int link_locked(const char *oldpath, const char *newpath)
{
    struct vnode *vn = NULL, *exist = NULL;
    struct parent np = { 0 };
    int rc = resolve(oldpath, WALK_NOFOLLOW, &vn); /* link(2) does not follow */
    if (rc == 0)
        rc = parent_get(newpath, &np);
    if (rc == 0 && (!np.len || np.dots))
        rc = -EEXIST;
    if (rc == 0 && !np.dir->ops->link)
        rc = -EROFS;
    if (rc == 0 && entry_get(&np, &exist) == 0)
        rc = -EEXIST;
    if (rc == 0 && np.slash)
        rc = -ENOENT; /* "new/" names a directory that does not exist */
    if (rc == 0 && np.dir->mnt != vn->mnt)
        rc = -EXDEV;
    if (rc == 0 && is_dir(vn))
        rc = -EPERM;
    if (rc == 0)
        rc = np.dir->ops->link(np.dir, np.name, np.len, vn);
    vnode_put(exist);
    vnode_put(vn);
    parent_put(&np);
    return rc;
}

int vfs_link(const char *oldpath, const char *newpath)
{
    mutex_lock(&vfs_lock);
    int rc = link_locked(oldpath, newpath);
    mutex_unlock(&vfs_lock);
    return rc;
}

static int truncate_vnode(struct vnode *vn, int64_t size)
{
    if (size < 0)
        return -EINVAL;
    if (is_dir(vn))
        return -EISDIR;
    if ((vn->mode & VFS_S_IFMT) != VFS_S_IFREG)
        return -EINVAL;
    if (!vn->ops->write || !vn->ops->truncate)
        return -EROFS;
    return vn->ops->truncate(vn, (uint64_t)size);
}

int vfs_truncate(const char *path, int64_t size)
{
    if (size < 0)
        return -EINVAL; /* before the lookup, as Linux */
    mutex_lock(&vfs_lock);
    struct vnode *vn;
    int rc = resolve(path, 0, &vn);
    if (rc == 0) {
        rc = truncate_vnode(vn, size);
        vnode_put(vn);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_ftruncate(int fd, int64_t size)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    int rc = !f ? -EBADF : (f->flags & VFS_O_ACCMODE) == VFS_O_RDONLY ? -EINVAL : truncate_vnode(f->vn, size);
    mutex_unlock(&vfs_lock);
    return rc;
}

static int fsync_fd(int fd, int datasync)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    int rc = !f ? -EBADF : f->vn->ops->fsync ? f->vn->ops->fsync(f->vn, datasync) : 0;
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_fsync(int fd) { return fsync_fd(fd, 0); }
int vfs_fdatasync(int fd) { return fsync_fd(fd, 1); }

void vfs_sync(void)
{
    mutex_lock(&vfs_lock);
    for (unsigned i = 0; i < n_mounts; i++) {
        struct vnode *root = mounts[i]->root;
        if (root->ops->fsync)
            root->ops->fsync(root, 0);
    }
    mutex_unlock(&vfs_lock);
}

/* Every attribute change also sets ctime. */
static int setattr_vnode(struct vnode *vn, struct vfs_attr *a)
{
    if (!vn->ops->setattr)
        return -EROFS;
    a->mask |= VFS_ATTR_CTIME;
    a->ctime = vfs_now();
    return vn->ops->setattr(vn, a);
}

/* Applies fn to the vnode path (or fd) names, under the lock. */
static int with_path(const char *path, int how, int (*fn)(struct vnode *, void *), void *arg)
{
    mutex_lock(&vfs_lock);
    struct vnode *vn;
    int rc = resolve(path, how, &vn);
    if (rc == 0) {
        rc = fn(vn, arg);
        vnode_put(vn);
    }
    mutex_unlock(&vfs_lock);
    return rc;
}

static int with_fd(int fd, int (*fn)(struct vnode *, void *), void *arg)
{
    mutex_lock(&vfs_lock);
    struct file *f = file_get(fd);
    int rc = f ? fn(f->vn, arg) : -EBADF;
    mutex_unlock(&vfs_lock);
    return rc;
}

static int do_chmod(struct vnode *vn, void *arg)
{
    struct vfs_attr a = { .mask = VFS_ATTR_MODE, .mode = *(uint32_t *)arg & 07777 };
    return setattr_vnode(vn, &a);
}

int vfs_chmod(const char *path, uint32_t mode) { return with_path(path, 0, do_chmod, &mode); }
int vfs_fchmod(int fd, uint32_t mode) { return with_fd(fd, do_chmod, &mode); }

static int do_chown(struct vnode *vn, void *arg)
{
    const uint32_t *ids = arg;
    struct vfs_attr a = { 0 };
    if (ids[0] != (uint32_t)-1) {
        a.mask |= VFS_ATTR_UID;
        a.uid = ids[0];
    }
    if (ids[1] != (uint32_t)-1) {
        a.mask |= VFS_ATTR_GID;
        a.gid = ids[1];
    }
    /* A changed owner must not inherit set-ID rights (Linux kills them
     * for root too; set-group-ID without group-execute is mandatory
     * locking's mark and stays). */
    uint32_t kill = VFS_S_ISUID | ((vn->mode & 0010) ? VFS_S_ISGID : 0);
    if (!is_dir(vn) && (vn->mode & kill)) {
        a.mask |= VFS_ATTR_MODE;
        a.mode = vn->mode & 07777 & ~kill;
    }
    return setattr_vnode(vn, &a);
}

static int chown_path(const char *path, uint32_t uid, uint32_t gid, int how)
{
    uint32_t ids[2] = { uid, gid };
    return with_path(path, how, do_chown, ids);
}

int vfs_chown(const char *path, uint32_t uid, uint32_t gid) { return chown_path(path, uid, gid, 0); }
int vfs_lchown(const char *path, uint32_t uid, uint32_t gid) { return chown_path(path, uid, gid, WALK_NOFOLLOW); }

int vfs_fchown(int fd, uint32_t uid, uint32_t gid)
{
    uint32_t ids[2] = { uid, gid };
    return with_fd(fd, do_chown, ids);
}

/* Fills a from utimensat's pair; 1 when nothing is to change. */
static int times_attr(const struct vfs_timespec ts[2], struct vfs_attr *a)
{
    struct vfs_timespec now = vfs_now(), t[2];
    memset(a, 0, sizeof(*a));
    for (int i = 0; i < 2; i++) {
        t[i] = ts ? ts[i] : (struct vfs_timespec){ 0, VFS_UTIME_NOW };
        if (t[i].nsec == VFS_UTIME_OMIT)
            continue;
        if (t[i].nsec == VFS_UTIME_NOW)
            t[i] = now;
        else if (t[i].nsec >= 1000000000u)
            return -EINVAL;
        a->mask |= i == 0 ? VFS_ATTR_ATIME : VFS_ATTR_MTIME;
    }
    a->atime = t[0];
    a->mtime = t[1];
    return a->mask == 0;
}

static int do_utimes(struct vnode *vn, void *arg)
{
    struct vfs_attr a;
    int rc = times_attr(arg, &a);
    return rc < 0 ? rc : rc ? 0 : setattr_vnode(vn, &a);
}

int vfs_utimes(const char *path, const struct vfs_timespec ts[2], int nofollow)
{
    return with_path(path, nofollow ? WALK_NOFOLLOW : 0, do_utimes, (void *)ts);
}

int vfs_futimes(int fd, const struct vfs_timespec ts[2]) { return with_fd(fd, do_utimes, (void *)ts); }

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

uint64_t vfs_vn_page(struct vnode *vn, uint64_t off)
{
    mutex_lock(&vfs_lock);
    uint64_t pa = page_locked(vn, off);
    mutex_unlock(&vfs_lock);
    return pa;
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
    if (size > INT64_MAX)
        return -EFBIG;
    mutex_lock(&vfs_lock);
    int rc = truncate_vnode(vn, (int64_t)size);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_fsync(struct vnode *vn, int datasync)
{
    mutex_lock(&vfs_lock);
    int rc = vn->ops->fsync ? vn->ops->fsync(vn, datasync) : 0;
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_chmod(struct vnode *vn, uint32_t mode)
{
    mutex_lock(&vfs_lock);
    int rc = do_chmod(vn, &mode);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_chown(struct vnode *vn, uint32_t uid, uint32_t gid)
{
    uint32_t ids[2] = { uid, gid };
    mutex_lock(&vfs_lock);
    int rc = do_chown(vn, ids);
    mutex_unlock(&vfs_lock);
    return rc;
}

int vfs_vn_utimes(struct vnode *vn, const struct vfs_timespec ts[2])
{
    mutex_lock(&vfs_lock);
    int rc = do_utimes(vn, (void *)ts);
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
