/* ext4 under the VFS: a read-only fs_type over any block device, through
 * the block cache. The on-disk logic is fs/ext4.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bcache.h"
#include "block.h"
#include "ext4.h"
#include "log.h"
#include "vfs.h"

struct ext4_mount {
    struct ext4_fs fs;
    struct block_dev *dev;
};

struct ext4_vnode {
    struct vnode vn;
    struct ext4_mount *m;
    struct ext4_inode in;
};

static const struct fs_ops ext4_ops;

static int io_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct ext4_mount *m = ctx;
    uint64_t bs = m->fs.block_size;
    return bcache_read(m->dev, blk * bs, buf, (size_t)count * bs);
}

static int vnode_for(struct ext4_mount *m, struct mount *mnt, uint32_t ino, struct vnode **out)
{
    struct ext4_vnode *v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    int rc = ext4_read_inode(&m->fs, ino, &v->in);
    if (rc < 0) {
        free(v);
        return rc;
    }
    v->m = m;
    v->vn.ops = &ext4_ops;
    v->vn.mnt = mnt;
    v->vn.ino = ino;
    v->vn.mode = v->in.mode;
    v->vn.nlink = v->in.links;
    v->vn.size = v->in.size;
    v->vn.blocks = v->in.blocks512;
    v->vn.atime = v->vn.ctime = v->vn.mtime = v->in.mtime;
    v->vn.refs = 1;
    v->vn.priv = v;
    *out = &v->vn;
    return 0;
}

static int e_lookup(struct vnode *dir, const char *name, size_t len, struct vnode **out)
{
    struct ext4_vnode *d = dir->priv;
    uint32_t ino;
    int rc = ext4_lookup(&d->m->fs, &d->in, name, len, &ino);
    return rc < 0 ? rc : vnode_for(d->m, dir->mnt, ino, out);
}

static long e_read(struct vnode *vn, uint64_t off, void *buf, size_t len)
{
    struct ext4_vnode *v = vn->priv;
    return ext4_read(&v->m->fs, &v->in, off, buf, len);
}

static long e_readlink(struct vnode *vn, char *buf, size_t len)
{
    struct ext4_vnode *v = vn->priv;
    return ext4_readlink(&v->m->fs, &v->in, buf, len);
}

static uint8_t dtype(uint8_t t)
{
    switch (t) {
    case 1:
        return VFS_DT_REG;
    case 2:
        return VFS_DT_DIR;
    case 7:
        return VFS_DT_LNK;
    default:
        return VFS_DT_UNKNOWN;
    }
}

static int e_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d)
{
    struct ext4_vnode *v = dir->priv;
    struct ext4_dirent e;
    for (;;) {
        int rc = ext4_dir_next(&v->m->fs, &v->in, cookie, &e);
        if (rc <= 0)
            return rc;
        if ((e.name_len == 1 && e.name[0] == '.') || (e.name_len == 2 && e.name[0] == '.' && e.name[1] == '.'))
            continue;
        d->ino = e.ino;
        d->type = dtype(e.type);
        memcpy(d->name, e.name, (size_t)e.name_len + 1);
        return 1;
    }
}

static void e_release(struct vnode *vn) { free(vn->priv); }

static const struct fs_ops ext4_ops = {
    .lookup = e_lookup, .read = e_read, .readlink = e_readlink, .readdir = e_readdir, .release = e_release,
};

static struct block_dev *find_dev(const char *name)
{
    for (unsigned i = 0; i < block_count(); i++) {
        if (strcmp(block_get(i)->name, name) == 0)
            return block_get(i);
    }
    return NULL;
}

static int ext4_vfs_mount(const char *source, void *data, struct vnode **root)
{
    struct block_dev *dev = source ? find_dev(source) : NULL;
    if (!dev)
        return -ENODEV;
    struct ext4_mount *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->dev = dev;
    struct ext4_io io = { io_read, m };
    int rc = ext4_mount(&m->fs, &io, dev->sectors * dev->sector_size, dev->name);
    if (rc == 0) {
        rc = vnode_for(m, NULL, EXT4_ROOT_INO, root);
        if (rc < 0)
            ext4_unmount(&m->fs);
    }
    if (rc < 0) {
        free(m);
        return rc;
    }
    pr_info("ext4: %s: %u-byte blocks, %llu blocks, %u groups, label '%s'\n", dev->name, m->fs.block_size,
            (unsigned long long)m->fs.blocks_count, m->fs.n_groups, m->fs.label);
    return 0;
}

FS_TYPE(ext4_type) = { "ext4", ext4_vfs_mount };
