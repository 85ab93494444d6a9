/* ext4 read-only metadata and data logic over a block-read callback: pure,
 * shared by the kernel (fs/ext4_vfs.c over the block cache) and host tests
 * and fuzzers. Callers serialise calls on one ext4_fs. Every on-disk value
 * is checked before use; corruption gives -EIO and a log line. */
#ifndef KESTREL_FS_EXT4_H
#define KESTREL_FS_EXT4_H
#include <stddef.h>
#include <stdint.h>

#define EXT4_ROOT_INO 2
#define EXT4_MAX_DEPTH 5 /* extent tree depth the format allows */

struct ext4_io {
    /* Reads count blocks of the file system's block size from blk. 0 or -errno. */
    int (*read)(void *ctx, uint64_t blk, uint32_t count, void *buf);
    void *ctx;
};

struct ext4_fs {
    struct ext4_io io;
    const char *name; /* for log lines */
    uint32_t block_size;
    uint64_t blocks_count;
    uint32_t first_data_block;
    uint32_t blocks_per_group;
    uint32_t inodes_per_group;
    uint32_t inodes_count;
    uint32_t inode_size;
    uint32_t desc_size;
    uint32_t n_groups;
    uint32_t incompat;
    char label[17];
    uint8_t *meta[EXT4_MAX_DEPTH + 1]; /* one block per tree level */
    uint8_t *scratch;                  /* partial data blocks */
    uint8_t *dir_buf;                  /* the directory block last parsed: */
    uint32_t dir_ino;                  /* whose (0: none) */
    uint64_t dir_lblk;                 /* and which */
    uint32_t hint_ino;                 /* lookups in this directory start */
    uint64_t hint_pos;                 /* where the last one ended */
};

struct ext4_inode {
    uint32_t ino;
    uint16_t mode;
    uint16_t links;
    uint32_t flags;
    uint64_t size;
    uint64_t blocks512;
    uint32_t mtime;
    uint8_t iblock[60];
};

struct ext4_dirent {
    uint32_t ino;
    uint8_t type; /* on-disk file type: 1 file, 2 dir, 7 symlink ... */
    uint8_t name_len;
    char name[256];
};

/* Reads and checks the superblock; dev_bytes is the device's size.
 * -EINVAL: not ext2/3/4 at all; -EIO: corrupt; -EOPNOTSUPP: a feature we
 * do not understand (named in the log). */
int ext4_mount(struct ext4_fs *fs, const struct ext4_io *io, uint64_t dev_bytes, const char *name);
void ext4_unmount(struct ext4_fs *fs);
/* Whether a 1024-byte superblock (read from byte 1024) has ext4's magic. */
int ext4_probe_superblock(const uint8_t *sb);

int ext4_read_inode(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *out);
/* Bytes read (short only at end of file), or -errno. */
long ext4_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf, size_t len);
/* The next live entry at or after *pos (a byte offset in the directory):
 * 1 with *d filled and *pos advanced, 0 at the end, -EIO on corruption. */
int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos, struct ext4_dirent *d);
/* The inode number of name in dir: 0 with *ino set, -ENOENT, -EIO. */
int ext4_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len, uint32_t *ino);
/* A symlink's target (no NUL): its length, or -errno. */
long ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t len);

#endif
