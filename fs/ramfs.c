/* ramfs: directories are lists of entries (name -> node, so a node may
 * have several names: hard links), files a buffer (pointing into the initrd
 * until first written), symlinks their target. The file system holds one
 * reference on a node while it has names; an unlinked node lives on while
 * an open file or a walk holds it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpio.h"
#include "log.h"
#include "ramfs.h"

struct ram_fs {
    struct ram_node *all; /* every node not yet released, for ramfs_free */
    const uint8_t *img, *img_end; /* the archive files' data may point into */
};

#define RAM_PAGE 4096u

struct ram_dirent {
    struct ram_dirent *next;
    struct ram_node *node;
    uint64_t seq; /* increasing in list order: the readdir cookie */
    size_t len;
    char name[];
};

struct ram_node {
    struct vnode vn;
    struct ram_fs *fs;
    struct ram_node *all_prev, *all_next;
    struct ram_dirent *first, *last, *hint; /* a directory's entries */
    uint64_t next_seq;
    uint8_t *data;
    size_t cap; /* bytes allocated; 0 while data points into the initrd */
};

static const struct fs_ops ram_ops;
static uint64_t next_ino = 1;

static int is_dir_node(const struct ram_node *n) { return (n->vn.mode & VFS_S_IFMT) == VFS_S_IFDIR; }

static void touch(struct vnode *vn, int mtime)
{
    struct vfs_timespec now = vfs_now();
    vn->ctime = now.sec;
    vn->ctime_nsec = now.nsec;
    if (mtime) {
        vn->mtime = now.sec;
        vn->mtime_nsec = now.nsec;
    }
}

static struct ram_node *node_new(struct ram_fs *fs, uint32_t mode)
{
    struct ram_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->vn.ops = &ram_ops;
    n->vn.ino = next_ino++;
    n->vn.mode = mode;
    n->vn.nlink = 0;
    n->vn.refs = 1; /* the file system's, while the node has a name */
    n->vn.priv = n;
    touch(&n->vn, 1);
    n->vn.atime = n->vn.mtime;
    n->vn.atime_nsec = n->vn.mtime_nsec;
    n->fs = fs;
    n->all_next = fs->all;
    if (fs->all)
        fs->all->all_prev = n;
    fs->all = n;
    return n;
}

static void node_free(struct ram_node *n)
{
    for (struct ram_dirent *d = n->first, *next; d; d = next) {
        next = d->next;
        free(d);
    }
    if (n->cap)
        free(n->data);
    if (n->all_prev)
        n->all_prev->all_next = n->all_next;
    else
        n->fs->all = n->all_next;
    if (n->all_next)
        n->all_next->all_prev = n->all_prev;
    free(n);
}

static struct ram_dirent *entry(struct ram_node *dir, const char *name, size_t len, struct ram_dirent **prev)
{
    struct ram_dirent *p = NULL;
    for (struct ram_dirent *d = dir->first; d; p = d, d = d->next) {
        if (d->len == len && memcmp(d->name, name, len) == 0) {
            if (prev)
                *prev = p;
            return d;
        }
    }
    return NULL;
}

static struct ram_dirent *dirent_new(const char *name, size_t len, struct ram_node *n)
{
    if (len == 0 || len > VFS_NAME_MAX || memchr(name, '/', len))
        return NULL;
    struct ram_dirent *d = malloc(sizeof(*d) + len + 1);
    if (!d)
        return NULL;
    d->next = NULL;
    d->node = n;
    d->len = len;
    memcpy(d->name, name, len);
    d->name[len] = 0;
    return d;
}

static void dirent_append(struct ram_node *dir, struct ram_dirent *d)
{
    d->next = NULL;
    d->seq = dir->next_seq++;
    if (dir->last)
        dir->last->next = d;
    else
        dir->first = d;
    dir->last = d;
    touch(&dir->vn, 1);
}

/* Takes the entry name (which must exist) out of dir's list. */
static struct ram_dirent *dirent_detach(struct ram_node *dir, const char *name, size_t len)
{
    struct ram_dirent *prev = NULL, *d = entry(dir, name, len, &prev);
    if (prev)
        prev->next = d->next;
    else
        dir->first = d->next;
    if (dir->last == d)
        dir->last = prev;
    if (dir->hint == d)
        dir->hint = NULL;
    touch(&dir->vn, 1);
    return d;
}

/* Adds name -> n to dir (one more link on n). */
static int entry_add(struct ram_node *dir, const char *name, size_t len, struct ram_node *n)
{
    struct ram_dirent *d = dirent_new(name, len, n);
    if (!d)
        return len == 0 || len > VFS_NAME_MAX ? -EINVAL : -ENOSPC;
    dirent_append(dir, d);
    n->vn.nlink++;
    if (is_dir_node(n)) {
        n->vn.nlink++;   /* its own "." */
        dir->vn.nlink++; /* its ".." */
    }
    touch(&n->vn, 0);
    return 0;
}

/* Drops a name of n; the node goes when it has none and nobody holds it. */
static void link_drop(struct ram_node *dir, struct ram_node *n)
{
    if (is_dir_node(n)) {
        dir->vn.nlink--;
        n->vn.nlink = 0;
    } else {
        n->vn.nlink--;
    }
    touch(&n->vn, 0);
    if (n->vn.nlink == 0)
        vnode_put(&n->vn);
}

/* Removes name from dir (the entry must exist) and drops its link. */
static void entry_remove(struct ram_node *dir, const char *name, size_t len)
{
    struct ram_dirent *d = dirent_detach(dir, name, len);
    struct ram_node *n = d->node;
    free(d);
    link_drop(dir, n);
}

static int r_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct ram_dirent *d = entry(dir->priv, name, len, NULL);
    if (!d)
        return -ENOENT;
    if (!d->node->vn.mnt) /* filled from the initrd before the mount existed */
        d->node->vn.mnt = dir->mnt;
    vnode_ref(&d->node->vn);
    *out = &d->node->vn;
    return 0;
}

static long r_read(struct vnode *vn, uint64_t off, void *buf, size_t len)
{
    struct ram_node *n = vn->priv;
    if (off >= vn->size)
        return 0;
    if (len > vn->size - off)
        len = (size_t)(vn->size - off);
    memcpy(buf, n->data + off, len);
    return (long)len;
}

/* Makes room for size bytes in memory of our own. */
static int reserve(struct ram_node *n, uint64_t size)
{
    if (size <= n->cap)
        return 0;
    if (size < n->vn.size)
        size = n->vn.size; /* the first write inside a file still in the initrd: all of it moves */
    if (size > (1ull << 40))
        return -EFBIG;
    size_t cap = n->cap ? n->cap : 256;
    while (cap < size)
        cap *= 2;
    uint8_t *d = malloc(cap);
    if (!d)
        return -ENOSPC;
    if (n->vn.size)
        memcpy(d, n->data, (size_t)n->vn.size);
    memset(d + n->vn.size, 0, cap - (size_t)n->vn.size);
    if (n->cap)
        free(n->data);
    n->data = d;
    n->cap = cap;
    return 0;
}

static void set_size(struct ram_node *n, uint64_t size)
{
    n->vn.size = size;
    n->vn.blocks = (n->cap + 511) / 512;
}

static long r_write(struct vnode *vn, uint64_t off, const void *buf, size_t len)
{
    struct ram_node *n = vn->priv;
    int rc = reserve(n, off + len);
    if (rc < 0)
        return rc;
    memcpy(n->data + off, buf, len);
    set_size(n, off + len > vn->size ? off + len : vn->size);
    touch(vn, 1);
    return (long)len;
}

/* The archive's own page for a file never written whose data the archive
 * holds page aligned (scripts/kestrel_initrd.py places it so), when what
 * follows the file's end in that page is zero and inside the archive; the
 * archive is never written, so mappings may share its frames. */
static uint64_t r_page(struct vnode *vn, uint64_t off)
{
    struct ram_node *n = vn->priv;
    const struct ram_fs *fs = n->fs;
    if (n->cap || !n->data || off >= vn->size || off % RAM_PAGE)
        return 0;
    const uint8_t *p = n->data + off;
    if ((uintptr_t)p % RAM_PAGE || p < fs->img || p > fs->img_end || (size_t)(fs->img_end - p) < RAM_PAGE)
        return 0;
    for (uint64_t i = vn->size - off; i < RAM_PAGE; i++) {
        if (p[i])
            return 0;
    }
    return (uint64_t)(uintptr_t)p;
}

static int r_truncate(struct vnode *vn, uint64_t size)
{
    struct ram_node *n = vn->priv;
    int rc = reserve(n, size);
    if (rc < 0)
        return rc;
    if (size > vn->size)
        memset(n->data + vn->size, 0, (size_t)(size - vn->size));
    else if (n->cap)
        memset(n->data + size, 0, (size_t)(vn->size - size)); /* a later extension reads zeros */
    set_size(n, size);
    touch(vn, 1);
    return 0;
}

static long r_readlink(struct vnode *vn, char *buf, size_t len)
{
    struct ram_node *n = vn->priv;
    size_t c = vn->size < len ? (size_t)vn->size : len;
    memcpy(buf, n->data, c);
    return (long)c;
}

static uint8_t dtype(uint32_t mode)
{
    switch (mode & VFS_S_IFMT) {
    case VFS_S_IFDIR:
        return VFS_DT_DIR;
    case VFS_S_IFREG:
        return VFS_DT_REG;
    case VFS_S_IFLNK:
        return VFS_DT_LNK;
    case VFS_S_IFIFO:
        return VFS_DT_FIFO;
    case VFS_S_IFSOCK:
        return VFS_DT_SOCK;
    default:
        return VFS_DT_UNKNOWN;
    }
}

/* The cookie is the sequence number of the next entry to return, so that
 * entries removed meanwhile leave no dangling position; the directory keeps
 * the last entry returned as a hint for the next call. */
static int r_readdir(struct vnode *dirv, uint64_t *cookie, struct vfs_dirent *d)
{
    struct ram_node *dir = dirv->priv;
    struct ram_dirent *e = dir->hint && dir->hint->seq < *cookie ? dir->hint->next : dir->first;
    while (e && e->seq < *cookie)
        e = e->next;
    if (!e)
        return 0;
    *cookie = e->seq + 1;
    dir->hint = e;
    d->ino = e->node->vn.ino;
    d->type = dtype(e->node->vn.mode);
    memcpy(d->name, e->name, e->len + 1);
    return 1;
}

static int r_create(struct vnode *dirv, const char *name, size_t len, uint32_t mode, const char *target,
                    struct vnode **out)
{
    struct ram_node *dir = dirv->priv;
    if (len == 0 || len > VFS_NAME_MAX || memchr(name, '/', len))
        return -EINVAL;
    if (entry(dir, name, len, NULL))
        return -EEXIST;
    struct ram_node *n = node_new(dir->fs, mode);
    if (!n)
        return -ENOSPC;
    n->vn.mnt = dirv->mnt;
    if ((target && r_write(&n->vn, 0, target, strlen(target)) < 0) || entry_add(dir, name, len, n) < 0) {
        node_free(n);
        return -ENOSPC;
    }
    vnode_ref(&n->vn);
    *out = &n->vn;
    return 0;
}

static int r_unlink(struct vnode *dirv, const char *name, size_t len, struct vnode *vn)
{
    (void)vn;
    entry_remove(dirv->priv, name, len);
    return 0;
}

static int r_rename(struct vnode *odirv, const char *oname, size_t olen, struct vnode *vn, struct vnode *ndirv,
                    const char *nname, size_t nlen, struct vnode *target)
{
    struct ram_node *n = vn->priv, *odir = odirv->priv, *ndir = ndirv->priv;
    struct ram_dirent *d = dirent_new(nname, nlen, n); /* first: nothing changes if this fails */
    if (!d)
        return -ENOSPC;
    free(dirent_detach(odir, oname, olen));
    if (target)
        entry_remove(ndir, nname, nlen);
    dirent_append(ndir, d);
    if (is_dir_node(n) && odir != ndir) {
        odir->vn.nlink--;
        ndir->vn.nlink++;
    }
    touch(vn, 0);
    return 0;
}

static int r_link(struct vnode *dirv, const char *name, size_t len, struct vnode *vn)
{
    if (vn->nlink >= 65000)
        return -EMLINK;
    return entry_add(dirv->priv, name, len, vn->priv);
}

static int r_setattr(struct vnode *vn, const struct vfs_attr *a)
{
    if (a->mask & VFS_ATTR_MODE)
        vn->mode = (vn->mode & VFS_S_IFMT) | (a->mode & 07777);
    if (a->mask & VFS_ATTR_UID)
        vn->uid = a->uid;
    if (a->mask & VFS_ATTR_GID)
        vn->gid = a->gid;
    if (a->mask & VFS_ATTR_ATIME) {
        vn->atime = a->atime.sec;
        vn->atime_nsec = a->atime.nsec;
    }
    if (a->mask & VFS_ATTR_MTIME) {
        vn->mtime = a->mtime.sec;
        vn->mtime_nsec = a->mtime.nsec;
    }
    if (a->mask & VFS_ATTR_CTIME) {
        vn->ctime = a->ctime.sec;
        vn->ctime_nsec = a->ctime.nsec;
    }
    return 0;
}

static void r_release(struct vnode *vn) { node_free(vn->priv); }

static const struct fs_ops ram_ops = {
    .lookup = r_lookup, .read = r_read, .write = r_write, .truncate = r_truncate, .readlink = r_readlink,
    .readdir = r_readdir, .create = r_create, .unlink = r_unlink, .rename = r_rename, .link = r_link,
    .setattr = r_setattr, .release = r_release, .page = r_page,
};

int ramfs_new(struct vnode **root)
{
    struct ram_fs *fs = calloc(1, sizeof(*fs));
    struct ram_node *n = fs ? node_new(fs, VFS_S_IFDIR | 0755) : NULL;
    if (!n) {
        free(fs);
        return -ENOMEM;
    }
    n->vn.nlink = 2;
    *root = &n->vn;
    return 0;
}

void ramfs_free(struct vnode *root)
{
    struct ram_fs *fs = ((struct ram_node *)root->priv)->fs;
    while (fs->all)
        node_free(fs->all);
    free(fs);
}

/* ---- filling from a cpio archive ---- */

struct load {
    struct vnode *root;
    unsigned skipped;
};

/* The directory holding the last component of name (made as needed). */
static int parent_dir(struct vnode *root, const char **name, size_t *len, struct ram_node **out)
{
    struct ram_node *dir = root->priv;
    const char *p = *name, *end = *name + *len;
    for (;;) {
        while (p < end && *p == '/')
            p++;
        const char *q = p;
        while (q < end && *q != '/')
            q++;
        const char *r = q;
        while (r < end && *r == '/')
            r++;
        if (r == end) { /* p..q is the last component */
            *name = p;
            *len = (size_t)(q - p);
            *out = dir;
            return 0;
        }
        size_t l = (size_t)(q - p);
        if (l == 0 || (l == 1 && p[0] == '.')) {
            p = r;
            continue;
        }
        if (l == 2 && p[0] == '.' && p[1] == '.')
            return -EINVAL;
        struct ram_dirent *e = entry(dir, p, l, NULL);
        struct ram_node *c = e ? e->node : NULL;
        if (!c) {
            struct vnode *v;
            int rc = r_create(&dir->vn, p, l, VFS_S_IFDIR | 0755, NULL, &v);
            if (rc < 0)
                return rc;
            c = v->priv;
            vnode_put(v);
        }
        if ((c->vn.mode & VFS_S_IFMT) != VFS_S_IFDIR)
            return -ENOTDIR;
        dir = c;
        p = r;
    }
}

static int add_entry(void *ctx, const struct cpio_entry *e)
{
    struct load *ld = ctx;
    const char *name = e->name;
    size_t len = e->name_len;
    struct ram_node *dir;
    int rc = parent_dir(ld->root, &name, &len, &dir);
    uint32_t type = e->mode & VFS_S_IFMT;
    if (rc == 0 && (len == 0 || (len == 1 && name[0] == '.')))
        return 0; /* the archive's root itself */
    if (rc == 0 && (len > VFS_NAME_MAX || (len == 2 && name[0] == '.' && name[1] == '.')))
        rc = -EINVAL;
    if (rc == 0 && type != VFS_S_IFDIR && type != VFS_S_IFREG && type != VFS_S_IFLNK)
        rc = -EOPNOTSUPP;
    struct ram_dirent *oe = rc == 0 ? entry(dir, name, len, NULL) : NULL;
    struct ram_node *old = oe ? oe->node : NULL;
    if (old && type == VFS_S_IFDIR && (old->vn.mode & VFS_S_IFMT) == VFS_S_IFDIR)
        return 0; /* made already as a parent */
    if (old)
        rc = -EEXIST;
    struct vnode *v = NULL;
    if (rc == 0)
        rc = r_create(&dir->vn, name, len, type | (e->mode & 07777), NULL, &v);
    if (rc < 0) {
        ld->skipped++;
        pr_warn("initrd: entry '%.*s' skipped (%d)\n", (int)(e->name_len > 200 ? 200 : e->name_len), e->name, rc);
        return 0;
    }
    struct ram_node *n = v->priv;
    n->vn.atime = n->vn.mtime = n->vn.ctime = e->mtime;
    n->vn.atime_nsec = n->vn.mtime_nsec = n->vn.ctime_nsec = 0;
    vnode_put(v);
    if (type == VFS_S_IFDIR)
        return 0;
    /* Data stays in the archive until written; symlink targets too. */
    n->data = (uint8_t *)e->data;
    n->vn.size = e->size;
    if (type == VFS_S_IFLNK && (e->size == 0 || e->size >= VFS_PATH_MAX)) {
        n->vn.size = 0;
        pr_warn("initrd: symlink '%.*s' has a bad target length\n", (int)len, name);
    }
    return 0;
}

long ramfs_load_cpio(struct vnode *root, const uint8_t *buf, size_t len)
{
    struct load ld = { root, 0 };
    struct ram_fs *fs = ((struct ram_node *)root->priv)->fs;
    fs->img = buf;
    fs->img_end = buf + len;
    return cpio_walk(buf, len, add_entry, &ld);
}

static int ramfs_mount(const char *source, void *data, struct vnode **root)
{
    int rc = ramfs_new(root);
    if (rc < 0 || !data)
        return rc;
    const struct ramfs_image *img = data;
    long n = ramfs_load_cpio(*root, img->buf, img->len);
    if (n < 0)
        pr_err("initrd: %s: archive unreadable after some entries (%ld)\n", source ? source : "module", n);
    else
        pr_info("initrd: %ld entries from a %llu-byte cpio archive\n", n, (unsigned long long)img->len);
    return 0;
}

FS_TYPE(ramfs_type) = { "ramfs", ramfs_mount };
