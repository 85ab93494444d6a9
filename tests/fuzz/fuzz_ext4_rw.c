/* ext4 mounted read-write over an arbitrary image: the journal replay
 * (whatever the log holds), the orphan list, then writes through every
 * mutation (create, write, truncate, mkdir, link, rename, unlink, free),
 * a commit, and a read-only walk of the result. A corrupt image must be
 * refused, degraded to read-only, or changed without faults. Seeded with
 * tests/fuzz/make_fs_seeds.sh's images (one with a journal to replay, and
 * block-mapped ones, ext3 as mkfs makes it, for the indirect-block
 * writer, and an htree directory for the index writer). */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../fs/ext4.h"

struct dev {
    uint8_t *data;
    size_t len;
    struct ext4_fs *fs;
};

static int dev_rw(struct dev *d, uint64_t blk, uint32_t count, uint64_t *off, uint64_t *n)
{
    uint64_t bs = d->fs->block_size;
    *off = blk * bs;
    *n = (uint64_t)count * bs;
    return blk > d->len || *off > d->len || *n > d->len - *off ? -EIO : 0;
}

static int dev_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct dev *d = ctx;
    uint64_t off, n;
    if (dev_rw(d, blk, count, &off, &n) < 0)
        return -EIO;
    memcpy(buf, d->data + off, (size_t)n);
    return 0;
}

static int dev_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
    struct dev *d = ctx;
    uint64_t off, n;
    if (dev_rw(d, blk, count, &off, &n) < 0)
        return -EIO;
    memcpy(d->data + off, buf, (size_t)n);
    return 0;
}

static int dev_flush(void *ctx)
{
    (void)ctx;
    return 0;
}

static uint8_t buf[20000];

static void mutate(struct ext4_fs *fs)
{
    struct ext4_inode root, f, dir, f2;
    if (ext4_read_inode(fs, EXT4_ROOT_INO, &root) < 0)
        return;
    memset(buf, 'x', sizeof(buf));
    if (ext4_create(fs, &root, "fz", 2, 0100644, NULL, 0, 0, &f) == 0) {
        ext4_write(fs, &f, 0, buf, 5000);
        ext4_write(fs, &f, 70000, buf, sizeof(buf));
        ext4_truncate(fs, &f, 3000);
        /* Far offsets: a block map's double and triple indirect blocks
         * (1 KiB blocks), a deeper extent tree's reach. */
        ext4_write(fs, &f, 300000, buf, 2000);
        ext4_write(fs, &f, 70u << 20, buf, 1500);
        ext4_truncate(fs, &f, 200000);
        ext4_write_inode(fs, &f);
        if (ext4_create(fs, &root, "dz", 2, 0040755, NULL, 0, 0, &dir) == 0) {
            ext4_link(fs, &dir, "hard", 4, &f);
            ext4_rename(fs, &root, "fz", 2, &f, &dir, "moved", 5);
            ext4_create(fs, &dir, "lnk", 3, 0120777, "a-target-longer-than-sixty-bytes-so-it-takes-a-block-of-its-own", 0,
                        0, &f2);
            ext4_unlink(fs, &dir, "hard", 4, &f);
        }
    }
    /* Names added to and removed from a directory "many" (an htree one in
     * a seed): leaf splits, the index kept. */
    uint32_t many;
    struct ext4_inode md, mf;
    if (ext4_lookup(fs, &root, "many", 4, &many) == 0 && ext4_read_inode(fs, many, &md) == 0 &&
        (md.mode & 0170000) == 0040000) {
        char nm[32];
        for (int i = 0; i < 40; i++) {
            int n = snprintf(nm, sizeof(nm), "fuzz-added-name-%d", i);
            if (ext4_create(fs, &md, nm, (size_t)n, 0100644, NULL, 0, 0, &mf) < 0)
                break;
            if (i % 3 == 0 && ext4_unlink(fs, &md, nm, (size_t)n, &mf) == 0 && mf.links == 0)
                ext4_free_inode(fs, &mf);
        }
    }
    /* Every name the root holds is looked up and, for the first few files,
     * written, truncated and removed. */
    struct ext4_dirent e;
    uint64_t pos = 0;
    unsigned budget = 20;
    while (budget-- && ext4_dir_next(fs, &root, &pos, &e) == 1) {
        struct ext4_inode in;
        if (e.name[0] == '.' || ext4_read_inode(fs, e.ino, &in) < 0 || (in.mode & 0170000) != 0100000)
            continue;
        ext4_write(fs, &in, in.size / 2, buf, 3000);
        ext4_truncate(fs, &in, in.size / 3);
        ext4_write_inode(fs, &in);
        if (ext4_unlink(fs, &root, e.name, e.name_len, &in) == 0 && in.links == 0)
            ext4_free_inode(fs, &in);
        if (ext4_read_inode(fs, EXT4_ROOT_INO, &root) < 0)
            break;
    }
    ext4_commit(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len > (4u << 20))
        return 0;
    struct ext4_fs fs;
    struct dev d = { malloc(len ? len : 1), len, &fs };
    memcpy(d.data, data, len);
    struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = &d };
    if (ext4_mount(&fs, &io, len, "fuzz") == 0) {
        if (fs.rw)
            mutate(&fs);
        ext4_unmount(&fs);
        /* What we wrote must read back as a file system or be refused. */
        struct ext4_io ro = { .read = dev_read, .ctx = &d };
        if (ext4_mount(&fs, &ro, len, "fuzz-again") == 0) {
            struct ext4_inode root;
            struct ext4_dirent e;
            uint64_t pos = 0;
            if (ext4_read_inode(&fs, EXT4_ROOT_INO, &root) == 0)
                while (ext4_dir_next(&fs, &root, &pos, &e) == 1)
                    ;
            ext4_unmount(&fs);
        }
    }
    free(d.data);
    return 0;
}
