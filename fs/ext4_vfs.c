/* ext4 as a VFS file system type over a block device, through the block
 * cache: read-write when the device is writable (and not mounted ":ro"),
 * with the commit interval's thread (ext4.commit=SECONDS, default 5). The
 * vnodes are fs/ext4_vnode.c, the on-disk logic fs/ext4*.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bcache.h"
#include "block.h"
#include "cmdline.h"
#include "ext4.h"
#include "ext4_vnode.h"
#include "log.h"
#include "sched.h"
#include "vfs.h"

struct ext4_dev {
    struct block_dev *dev;
    struct ext4_fs *fs;
};

static int io_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct ext4_dev *d = ctx;
    uint64_t bs = d->fs->block_size;
    return bcache_read(d->dev, blk * bs, buf, (size_t)count * bs);
}

static int io_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
    struct ext4_dev *d = ctx;
    uint64_t bs = d->fs->block_size;
    return bcache_write(d->dev, blk * bs, buf, (size_t)count * bs);
}

static int io_flush(void *ctx)
{
    struct ext4_dev *d = ctx;
    return bcache_flush(d->dev);
}

static struct block_dev *find_dev(const char *name)
{
    for (unsigned i = 0; i < block_count(); i++) {
        if (strcmp(block_get(i)->name, name) == 0)
            return block_get(i);
    }
    return NULL;
}

static uint64_t commit_ns = 5000000000ull;
static int committer_started;

/* Commits every mounted file system each interval (vfs_sync takes the
 * VFS lock, so a commit never interleaves with a change). */
static void *committer(void *arg)
{
    (void)arg;
    for (;;) {
        thread_sleep_ns(commit_ns);
        vfs_sync();
    }
    return NULL;
}

static void start_committer(void)
{
    if (committer_started)
        return;
    committer_started = 1;
    const char *v = cmdline_param(kernel_options(), "ext4.commit", 0);
    if (v) {
        unsigned long s = strtoul(v, NULL, 10);
        if (s >= 1 && s <= 300)
            commit_ns = s * 1000000000ull;
        else
            pr_warn("ext4: ext4.commit=%s ignored (1..300 seconds)\n", v);
    }
    struct thread *t = thread_create("ext4-commit", committer, NULL, 16384);
    if (t)
        thread_detach(t);
    else
        pr_err("ext4: no commit thread: changes are committed on fsync, sync and power-off only\n");
}

/* data: NULL, or a pointer to an int that is non-zero for a read-only mount. */
static int ext4_vfs_mount(const char *source, void *data, struct vnode **root)
{
    struct block_dev *dev = source ? find_dev(source) : NULL;
    if (!dev)
        return -ENODEV;
    struct ext4_dev *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->dev = dev;
    int ro = dev->read_only || (data && *(const int *)data);
    struct ext4_io io = { .read = io_read, .write = ro ? NULL : io_write, .flush = io_flush, .ctx = d };
    int rc = ext4_vnode_mount(&io, dev->sectors * dev->sector_size, dev->name, root, &d->fs);
    if (rc < 0) {
        free(d);
        return rc;
    }
    struct ext4_fs *fs = d->fs;
    pr_info("ext4: %s: %u-byte blocks, %llu blocks, %u groups, label '%s', %s%s\n", dev->name, fs->block_size,
            (unsigned long long)fs->blocks_count, fs->n_groups, fs->label, fs->rw ? "read-write" : "read-only",
            fs->rw && fs->jinode ? " with its journal" : "");
    if (fs->rw)
        start_committer();
    return 0;
}

FS_TYPE(ext4_type) = { "ext4", ext4_vfs_mount };
