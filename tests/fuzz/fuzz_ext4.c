/* The ext4 reader over an arbitrary disk image: mount, then walk the tree
 * (bounded), reading files and links and looking names up. Seeded with
 * images mkfs.ext4 -d made (tests/fuzz/make_fs_seeds.sh). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "../../fs/ext4.h"

struct dev {
    const uint8_t *data;
    size_t len;
    struct ext4_fs *fs;
};

static int dev_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct dev *d = ctx;
    uint64_t bs = d->fs->block_size, off = blk * bs, n = (uint64_t)count * bs;
    if (blk > d->len || off > d->len || n > d->len - off)
        return -EIO;
    memcpy(buf, d->data + off, (size_t)n);
    return 0;
}

static uint8_t buf[16384];

static void walk(struct ext4_fs *fs, uint32_t ino, int depth, unsigned *budget)
{
    struct ext4_inode in;
    if (!*budget || ext4_read_inode(fs, ino, &in) < 0)
        return;
    (*budget)--;
    switch (in.mode & 0170000) {
    case 0100000:
        ext4_read(fs, &in, 0, buf, sizeof(buf));
        ext4_read(fs, &in, in.size > 5000 ? in.size - 5000 : 0, buf, sizeof(buf));
        break;
    case 0120000:
        ext4_readlink(fs, &in, (char *)buf, sizeof(buf));
        break;
    case 0040000: {
        if (depth > 6)
            return;
        struct ext4_dirent e;
        uint64_t pos = 0;
        while (*budget && ext4_dir_next(fs, &in, &pos, &e) == 1) {
            (*budget)--;
            uint32_t found;
            ext4_lookup(fs, &in, e.name, e.name_len, &found);
            if (strcmp(e.name, ".") && strcmp(e.name, ".."))
                walk(fs, e.ino, depth + 1, budget);
        }
        break;
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct ext4_fs fs;
    struct dev d = { data, len, &fs };
    struct ext4_io io = { .read = dev_read, .ctx = &d };
    if (ext4_mount(&fs, &io, len, "fuzz") < 0)
        return 0;
    unsigned budget = 300;
    walk(&fs, EXT4_ROOT_INO, 0, &budget);
    ext4_unmount(&fs);
    return 0;
}
