/* Synthetic file systems from node descriptions (include/pseudofs.h). A
 * lookup makes a fresh vnode; a symlink's target is generated then (the
 * walk needs it), a file's text when it is opened (pseudofs_fill, outside
 * the VFS lock: generators take other locks, such as the memory map's,
 * which is held around file reads), so a read sees one snapshot per open,
 * as /proc's seq files give. Until then a file's size is 0, as in /proc.
 * The file systems are read-only: no write, create or truncate. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "pseudofs.h"
#include "vfs.h"

struct pnode {
    struct vnode vn;
    const struct pseudo_node *def;
    long arg;
    char *data;
};

static const struct fs_ops pseudo_ops;

static uint32_t type_of(const struct pseudo_node *d) { return d->mode & VFS_S_IFMT; }

/* The contents, grown until they fit (a text larger than 1 MiB is cut). */
static int generate(struct pnode *n)
{
    size_t cap = 4096;
    for (;;) {
        char *buf = malloc(cap);
        if (!buf)
            return -ENOMEM;
        long len = n->def->text(buf, cap, n->arg);
        if (len < 0) {
            free(buf);
            return (int)len;
        }
        if ((size_t)len < cap || cap >= (1u << 20)) {
            n->data = buf;
            n->vn.size = (size_t)len < cap ? (uint64_t)len : cap;
            return 0;
        }
        free(buf);
        cap *= 4;
    }
}

static uint64_t ino_of(const struct pseudo_node *d, long arg)
{
    uint64_t h = (uint64_t)(uintptr_t)d * 0x9e3779b97f4a7c15ull ^ (uint64_t)arg * 0xbf58476d1ce4e5b9ull;
    return (h >> 16) | 1;
}

static int node_new(struct mount *mnt, const struct pseudo_node *d, long arg, struct vnode **out)
{
    struct pnode *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    n->def = d;
    n->arg = arg;
    n->vn.ops = &pseudo_ops;
    n->vn.mnt = mnt;
    n->vn.ino = ino_of(d, arg);
    n->vn.mode = d->mode;
    n->vn.rdev = d->rdev;
    n->vn.nlink = type_of(d) == VFS_S_IFDIR ? 2 : 1;
    n->vn.refs = 1;
    n->vn.priv = n;
    if (d->text && type_of(d) == VFS_S_IFLNK) {
        int rc = generate(n);
        if (rc < 0) {
            free(n);
            return rc;
        }
    }
    *out = &n->vn;
    return 0;
}

static bool name_is(const char *s, const char *name, size_t len) { return strlen(s) == len && memcmp(s, name, len) == 0; }

static int p_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct pnode *p = dir->priv;
    for (const struct pseudo_node *c = p->def->children; c && c->name; c++) {
        if (name_is(c->name, name, len))
            return node_new(dir->mnt, c, p->arg, out);
    }
    char buf[VFS_NAME_MAX + 1];
    long arg;
    for (unsigned i = 0; p->def->list && p->def->list(i, buf, sizeof(buf), &arg) == 1; i++) {
        if (name_is(buf, name, len))
            return node_new(dir->mnt, p->def->listed, arg, out);
    }
    return -ENOENT;
}

static long p_read(struct vnode *vn, uint64_t off, void *buf, size_t len)
{
    struct pnode *n = vn->priv;
    if (!n->data || off >= vn->size)
        return 0;
    if (len > vn->size - off)
        len = (size_t)(vn->size - off);
    memcpy(buf, n->data + off, len);
    return (long)len;
}

static long p_readlink(struct vnode *vn, char *buf, size_t len)
{
    return p_read(vn, 0, buf, len);
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
    case VFS_S_IFCHR:
        return VFS_DT_CHR;
    default:
        return VFS_DT_UNKNOWN;
    }
}

/* The cookie counts entries: the fixed ones, then the listed ones. */
static int p_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d)
{
    struct pnode *p = dir->priv;
    uint64_t i = *cookie;
    uint64_t nfixed = 0;
    for (const struct pseudo_node *c = p->def->children; c && c->name; c++, nfixed++) {
        if (nfixed == i) {
            d->ino = ino_of(c, p->arg);
            d->type = dtype(c->mode);
            strlcpy(d->name, c->name, sizeof(d->name));
            *cookie = i + 1;
            return 1;
        }
    }
    long arg;
    if (!p->def->list || p->def->list((unsigned)(i - nfixed), d->name, sizeof(d->name), &arg) != 1)
        return 0;
    d->ino = ino_of(p->def->listed, arg);
    d->type = dtype(p->def->listed->mode);
    *cookie = i + 1;
    return 1;
}

static void p_release(struct vnode *vn)
{
    struct pnode *n = vn->priv;
    free(n->data);
    free(n);
}

static const struct fs_ops pseudo_ops = {
    .lookup = p_lookup, .read = p_read, .readlink = p_readlink, .readdir = p_readdir, .release = p_release,
};

static int pseudofs_mount_fs(const char *source, void *data, struct vnode **root)
{
    if (!data)
        return -EINVAL;
    return node_new(NULL, data, 0, root);
}

int pseudofs_fill(struct vnode *vn)
{
    if (vn->ops != &pseudo_ops || type_of(((struct pnode *)vn->priv)->def) != VFS_S_IFREG)
        return 0;
    struct pnode *n = vn->priv;
    if (n->data || !n->def->text)
        return 0;
    return generate(n);
}

FS_TYPE(pseudofs_type) = { "pseudofs", pseudofs_mount_fs };

int pseudofs_mount(const char *source, const char *path, const struct pseudo_node *root)
{
    return vfs_mount("pseudofs", source, path, (void *)root);
}
