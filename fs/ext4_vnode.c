/* ext4 under the VFS: vnodes over fs/ext4*.c, one per live inode (a table
 * of the ones in use, so two opens of a file share its state), the
 * mutations with their time stamps, and the commit policy: a transaction
 * commits on fsync, when it grows large, and when the VFS syncs (the
 * commit interval's thread, and power-off). An inode whose last name goes
 * while open is freed when its last reference does. Pure apart from
 * malloc and the VFS: the host tests mount it over an image file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ext4.h"
#include "ext4_vnode.h"
#include "log.h"
#include "vfs.h"

struct ext4_mount {
    struct ext4_fs fs;
    struct ext4_vnode *live;
};

struct ext4_vnode {
    struct vnode vn;
    struct ext4_mount *m;
    struct ext4_inode in;
    struct ext4_vnode *prev, *next;
    int orphan; /* on the orphan list: nameless but open */
};

static const struct fs_ops ext4_ops, ext4_ro_ops;

static void sync_vnode(struct ext4_vnode *v)
{
    v->vn.mode = v->in.mode;
    v->vn.nlink = v->in.links;
    v->vn.size = v->in.size;
    v->vn.blocks = v->in.blocks512;
    v->vn.uid = v->in.uid;
    v->vn.gid = v->in.gid;
    v->vn.atime = v->in.atime;
    v->vn.atime_nsec = v->in.atime_nsec;
    v->vn.mtime = v->in.mtime;
    v->vn.mtime_nsec = v->in.mtime_nsec;
    v->vn.ctime = v->in.ctime;
    v->vn.ctime_nsec = v->in.ctime_nsec;
}

static struct ext4_vnode *live_find(struct ext4_mount *m, uint32_t ino)
{
    for (struct ext4_vnode *v = m->live; v; v = v->next) {
        if (v->in.ino == ino)
            return v;
    }
    return NULL;
}

static struct vnode *vnode_new(struct ext4_mount *m, struct mount *mnt, const struct ext4_inode *in)
{
    struct ext4_vnode *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->m = m;
    v->in = *in;
    v->vn.ops = m->fs.rw ? &ext4_ops : &ext4_ro_ops;
    v->vn.mnt = mnt;
    v->vn.ino = in->ino;
    v->vn.refs = 1;
    v->vn.priv = v;
    sync_vnode(v);
    v->next = m->live;
    if (m->live)
        m->live->prev = v;
    m->live = v;
    return &v->vn;
}

static int vnode_for(struct ext4_mount *m, struct mount *mnt, uint32_t ino, struct vnode **out)
{
    struct ext4_vnode *v = live_find(m, ino);
    if (v) {
        vnode_ref(&v->vn);
        *out = &v->vn;
        return 0;
    }
    struct ext4_inode in;
    int rc = ext4_read_inode(&m->fs, ino, &in);
    if (rc < 0)
        return rc;
    if (in.links == 0) {
        pr_err("ext4: %s: a directory names free inode %u\n", m->fs.name, ino);
        return -EIO;
    }
    *out = vnode_new(m, mnt, &in);
    return *out ? 0 : -ENOMEM;
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

/* ---- writing ---- */

static void stamp(struct ext4_inode *in, int mtime)
{
    struct vfs_timespec now = vfs_now();
    in->ctime = now.sec;
    in->ctime_nsec = now.nsec;
    if (mtime) {
        in->mtime = now.sec;
        in->mtime_nsec = now.nsec;
    }
}

/* After each change: a commit when the transaction is large. */
static int after(struct ext4_mount *m, int rc)
{
    if (m->fs.rw && ext4_should_commit(&m->fs)) {
        int c = ext4_commit(&m->fs);
        if (rc >= 0 && c < 0)
            rc = c;
    }
    return rc;
}

/* Blocks freed in the running transaction come back only at its commit:
 * when the disk looks full with some pending, commit and try again (as
 * Linux does). */
static int retry_after_commit(struct ext4_fs *fs) { return fs->n_pending && ext4_commit(fs) == 0; }

static long e_write(struct vnode *vn, uint64_t off, const void *buf, size_t len)
{
    struct ext4_vnode *v = vn->priv;
    struct ext4_fs *fs = &v->m->fs;
    long n = ext4_write(fs, &v->in, off, buf, len);
    if (n == -ENOSPC && retry_after_commit(fs))
        n = ext4_write(fs, &v->in, off, buf, len);
    if (n > 0) {
        stamp(&v->in, 1);
        int rc = ext4_write_inode(fs, &v->in);
        if (rc < 0)
            n = rc;
    }
    sync_vnode(v);
    return after(v->m, (int)(n < 0 ? n : 0)) < 0 && n >= 0 ? -EIO : n;
}

static int e_truncate(struct vnode *vn, uint64_t size)
{
    struct ext4_vnode *v = vn->priv;
    int rc = ext4_truncate(&v->m->fs, &v->in, size);
    if (rc == 0) {
        stamp(&v->in, 1);
        rc = ext4_write_inode(&v->m->fs, &v->in);
    }
    sync_vnode(v);
    return after(v->m, rc);
}

static int e_create(struct vnode *dirv, const char *name, size_t len, uint32_t mode, const char *target,
                    struct vnode **out)
{
    struct ext4_vnode *d = dirv->priv;
    struct ext4_inode in;
    stamp(&d->in, 1);
    int rc = ext4_create(&d->m->fs, &d->in, name, len, mode, target, 0, 0, &in);
    if (rc == -ENOSPC && retry_after_commit(&d->m->fs))
        rc = ext4_create(&d->m->fs, &d->in, name, len, mode, target, 0, 0, &in);
    sync_vnode(d);
    if (rc == 0) {
        *out = vnode_new(d->m, dirv->mnt, &in);
        if (!*out)
            rc = -ENOMEM;
    }
    return after(d->m, rc);
}

static void resync(struct ext4_vnode *v)
{
    if (v)
        sync_vnode(v);
}

/* The caller's reference is one; more mean the inode is open elsewhere,
 * so it outlives its last name: onto the orphan list until released. */
static int orphan_if_open(struct ext4_vnode *v)
{
    if (v->in.links || v->vn.refs <= 1 || v->orphan)
        return 0;
    v->orphan = 1;
    return ext4_orphan_add(&v->m->fs, &v->in);
}

static int e_unlink(struct vnode *dirv, const char *name, size_t len, struct vnode *vn)
{
    struct ext4_vnode *d = dirv->priv, *v = vn->priv;
    stamp(&d->in, 1);
    int rc = ext4_unlink(&d->m->fs, &d->in, name, len, &v->in);
    if (rc == 0)
        rc = orphan_if_open(v);
    resync(d);
    resync(v);
    return after(d->m, rc);
}

static int e_rename(struct vnode *odirv, const char *oname, size_t olen, struct vnode *vn, struct vnode *ndirv,
                    const char *nname, size_t nlen, struct vnode *target)
{
    struct ext4_vnode *od = odirv->priv, *nd = ndirv->priv, *v = vn->priv;
    struct ext4_fs *fs = &od->m->fs;
    stamp(&nd->in, 1);
    int rc = 0;
    if (target) {
        struct ext4_vnode *t = target->priv;
        rc = ext4_unlink(fs, &nd->in, nname, nlen, &t->in);
        if (rc == 0)
            rc = orphan_if_open(t);
        resync(t);
    }
    if (rc == 0)
        rc = ext4_rename(fs, &od->in, oname, olen, &v->in, &nd->in, nname, nlen);
    resync(od);
    resync(nd);
    resync(v);
    return after(od->m, rc);
}

static int e_link(struct vnode *dirv, const char *name, size_t len, struct vnode *vn)
{
    struct ext4_vnode *d = dirv->priv, *v = vn->priv;
    stamp(&d->in, 1);
    int rc = ext4_link(&d->m->fs, &d->in, name, len, &v->in);
    resync(d);
    resync(v);
    return after(d->m, rc);
}

static int e_setattr(struct vnode *vn, const struct vfs_attr *a)
{
    struct ext4_vnode *v = vn->priv;
    struct ext4_inode *in = &v->in;
    if (a->mask & VFS_ATTR_MODE)
        in->mode = (uint16_t)((in->mode & 0170000) | (a->mode & 07777));
    if (a->mask & VFS_ATTR_UID)
        in->uid = a->uid;
    if (a->mask & VFS_ATTR_GID)
        in->gid = a->gid;
    if (a->mask & VFS_ATTR_ATIME) {
        in->atime = a->atime.sec;
        in->atime_nsec = a->atime.nsec;
    }
    if (a->mask & VFS_ATTR_MTIME) {
        in->mtime = a->mtime.sec;
        in->mtime_nsec = a->mtime.nsec;
    }
    if (a->mask & VFS_ATTR_CTIME) {
        in->ctime = a->ctime.sec;
        in->ctime_nsec = a->ctime.nsec;
    }
    int rc = ext4_write_inode(&v->m->fs, in);
    sync_vnode(v);
    return after(v->m, rc);
}

static int e_fsync(struct vnode *vn, int datasync)
{
    struct ext4_vnode *v = vn->priv;
    (void)datasync; /* a commit is the unit either way */
    /* The root's fsync is how the VFS syncs (sync(2), the commit interval,
     * power-off): the log is emptied too, leaving a clean file system. */
    if (v->in.ino == EXT4_ROOT_INO)
        return ext4_sync(&v->m->fs);
    return ext4_commit(&v->m->fs);
}

static void e_release(struct vnode *vn)
{
    struct ext4_vnode *v = vn->priv;
    struct ext4_mount *m = v->m;
    if (v->in.links == 0 && m->fs.rw) {
        stamp(&v->in, 0);
        int rc = v->orphan ? ext4_orphan_del(&m->fs, &v->in) : 0;
        if (rc == 0)
            rc = ext4_free_inode(&m->fs, &v->in);
        if (rc < 0)
            pr_err("ext4: %s: inode %u not freed (%d)\n", m->fs.name, v->in.ino, rc);
        after(m, rc);
    }
    if (v->prev)
        v->prev->next = v->next;
    else
        m->live = v->next;
    if (v->next)
        v->next->prev = v->prev;
    free(v);
}

static const struct fs_ops ext4_ops = {
    .lookup = e_lookup, .read = e_read, .write = e_write, .truncate = e_truncate, .readlink = e_readlink,
    .readdir = e_readdir, .create = e_create, .unlink = e_unlink, .rename = e_rename, .link = e_link,
    .setattr = e_setattr, .fsync = e_fsync, .release = e_release,
};

static const struct fs_ops ext4_ro_ops = {
    .lookup = e_lookup, .read = e_read, .readlink = e_readlink, .readdir = e_readdir, .release = e_release,
};

int ext4_vnode_mount(const struct ext4_io *io, uint64_t dev_bytes, const char *name, struct vnode **root,
                     struct ext4_fs **fs)
{
    struct ext4_mount *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    if (fs)
        *fs = &m->fs; /* before the mount: io callbacks may need the block size */
    int rc = ext4_mount(&m->fs, io, dev_bytes, name);
    if (rc == 0) {
        rc = vnode_for(m, NULL, EXT4_ROOT_INO, root);
        if (rc < 0)
            ext4_unmount(&m->fs);
    }
    if (rc < 0) {
        free(m);
        return rc;
    }
    return 0;
}
