/* ramfs: directories are lists of children, files a buffer (pointing into
 * the initrd until first written), symlinks their target. Nodes live as long
 * as the file system (no unlink yet). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cpio.h"
#include "log.h"
#include "ramfs.h"

struct ram_node {
    struct vnode vn;
    struct ram_node *first, *last, *sibling; /* children of a directory */
    char *name;
    uint8_t *data;
    size_t cap;  /* bytes allocated; 0 while data points into the initrd */
};

static const struct fs_ops ram_ops;
static uint64_t next_ino = 1;

static struct ram_node *node_new(uint32_t mode)
{
    struct ram_node *n = calloc(1, sizeof(*n));
    if (!n)
        return NULL;
    n->vn.ops = &ram_ops;
    n->vn.ino = next_ino++;
    n->vn.mode = mode;
    n->vn.nlink = 1;
    n->vn.refs = 1; /* held by the file system itself */
    n->vn.priv = n;
    return n;
}

static struct ram_node *child(struct ram_node *dir, const char *name, size_t len)
{
    for (struct ram_node *c = dir->first; c; c = c->sibling) {
        if (strlen(c->name) == len && memcmp(c->name, name, len) == 0)
            return c;
    }
    return NULL;
}

static int r_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct ram_node *c = child(dir->priv, name, len);
    if (!c)
        return -ENOENT;
    if (!c->vn.mnt) /* filled from the initrd before the mount existed */
        c->vn.mnt = dir->mnt;
    vnode_ref(&c->vn);
    *out = &c->vn;
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

static long r_write(struct vnode *vn, uint64_t off, const void *buf, size_t len)
{
    struct ram_node *n = vn->priv;
    int rc = reserve(n, off + len);
    if (rc < 0)
        return rc;
    memcpy(n->data + off, buf, len);
    if (off + len > vn->size)
        vn->size = off + len;
    return (long)len;
}

static int r_truncate(struct vnode *vn, uint64_t size)
{
    struct ram_node *n = vn->priv;
    int rc = reserve(n, size);
    if (rc < 0)
        return rc;
    if (size > vn->size)
        memset(n->data + vn->size, 0, (size_t)(size - vn->size));
    vn->size = size;
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
    default:
        return VFS_DT_UNKNOWN;
    }
}

/* The cookie is the address of the next child; ~0 at the end. */
static int r_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d)
{
    struct ram_node *n = dir->priv;
    struct ram_node *c = *cookie == 0 ? n->first : *cookie == ~0ull ? NULL : (struct ram_node *)(uintptr_t)*cookie;
    if (!c)
        return 0;
    *cookie = c->sibling ? (uint64_t)(uintptr_t)c->sibling : ~0ull;
    d->ino = c->vn.ino;
    d->type = dtype(c->vn.mode);
    snprintf(d->name, sizeof(d->name), "%s", c->name);
    return 1;
}

static int r_create(struct vnode *dirv, const char *name, size_t len, uint32_t mode, const char *target,
                    struct vnode **out)
{
    struct ram_node *dir = dirv->priv;
    if (len == 0 || len > VFS_NAME_MAX || memchr(name, '/', len))
        return -EINVAL;
    if (child(dir, name, len))
        return -EEXIST;
    struct ram_node *n = node_new(mode);
    if (!n || !(n->name = malloc(len + 1))) {
        free(n);
        return -ENOSPC;
    }
    memcpy(n->name, name, len);
    n->name[len] = 0;
    n->vn.mnt = dirv->mnt;
    if (target && r_write(&n->vn, 0, target, strlen(target)) < 0) {
        free(n->name);
        free(n);
        return -ENOSPC;
    }
    if (dir->last)
        dir->last->sibling = n;
    else
        dir->first = n;
    dir->last = n;
    if ((mode & VFS_S_IFMT) == VFS_S_IFDIR)
        dirv->nlink++;
    vnode_ref(&n->vn);
    *out = &n->vn;
    return 0;
}

static void r_release(struct vnode *vn) { (void)vn; }

static const struct fs_ops ram_ops = {
    .lookup = r_lookup, .read = r_read, .write = r_write, .truncate = r_truncate, .readlink = r_readlink,
    .readdir = r_readdir, .create = r_create, .release = r_release,
};

int ramfs_new(struct vnode **root)
{
    struct ram_node *n = node_new(VFS_S_IFDIR | 0755);
    if (!n || !(n->name = malloc(1))) {
        free(n);
        return -ENOMEM;
    }
    n->name[0] = 0;
    n->vn.nlink = 2;
    *root = &n->vn;
    return 0;
}

void ramfs_free(struct vnode *root)
{
    struct ram_node *n = root->priv;
    for (struct ram_node *c = n->first, *next; c; c = next) {
        next = c->sibling;
        ramfs_free(&c->vn);
    }
    if (n->cap)
        free(n->data);
    free(n->name);
    free(n);
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
        struct ram_node *c = child(dir, p, l);
        if (!c) {
            struct vnode *v;
            int rc = r_create(&dir->vn, p, l, VFS_S_IFDIR | 0755, NULL, &v);
            if (rc < 0)
                return rc;
            c = v->priv;
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
    struct ram_node *old = rc == 0 ? child(dir, name, len) : NULL;
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
    n->vn.mtime = e->mtime;
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
