/* Private to fs/ext4*.c: on-disk offsets and the helpers the reader, the
 * writer and the journal share. Pure logic. */
#ifndef KESTREL_FS_EXT4_PRIV_H
#define KESTREL_FS_EXT4_PRIV_H
#include <stddef.h>
#include <stdint.h>
#include "ext4.h"

#define EXT4_SB_OFFSET 1024
#define EXT4_EXTENT_MAGIC 0xf30a
#define EXT4_EXTENT_INIT_MAX 32768

#define EXT4_COMPAT_HAS_JOURNAL 0x4
#define EXT4_INCOMPAT_FILETYPE 0x2
#define EXT4_INCOMPAT_RECOVER 0x4
#define EXT4_INCOMPAT_EXTENTS 0x40
#define EXT4_INCOMPAT_64BIT 0x80
#define EXT4_INCOMPAT_FLEX_BG 0x200
#define EXT4_INCOMPAT_CSUM_SEED 0x2000
#define EXT4_RO_COMPAT_SPARSE_SUPER 0x1
#define EXT4_RO_COMPAT_GDT_CSUM 0x10
#define EXT4_RO_COMPAT_DIR_NLINK 0x20
#define EXT4_RO_COMPAT_METADATA_CSUM 0x400

#define EXT4_INODE_FLAG_INDEX 0x1000
#define EXT4_INODE_FLAG_HUGE_FILE 0x40000
#define EXT4_INODE_FLAG_EXTENTS 0x80000
#define EXT4_INODE_FLAG_INLINE_DATA 0x10000000

#define EXT4_BG_INODE_UNINIT 0x1
#define EXT4_BG_BLOCK_UNINIT 0x2
#define EXT4_BG_INODE_ZEROED 0x4

#define EXT4_S_IFMT 0170000
#define EXT4_S_IFREG 0100000
#define EXT4_S_IFDIR 0040000
#define EXT4_S_IFLNK 0120000

static inline uint16_t ext4_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static inline uint32_t ext4_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline void ext4_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void ext4_put32(uint8_t *p, uint32_t v)
{
    ext4_put16(p, v);
    ext4_put16(p + 2, v >> 16);
}
static inline uint32_t ext4_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline void ext4_putbe32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* A run of a file's blocks from fs/ext4.c's mapper. */
struct ext4_run {
    uint64_t pblk; /* 0: a hole (or an uninitialised extent) */
    uint64_t count;
};

int ext4_corrupt(struct ext4_fs *fs, const char *what, uint64_t a, uint64_t b);
/* Reads blocks, checked against the file system's size; single blocks
 * come from the running transaction when it changed them. */
int ext4_read_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t count, void *buf);
int ext4_map_block(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *r);
uint32_t ext4_rec_len(const struct ext4_fs *fs, const uint8_t *e);
/* Byte offset of group g's descriptor in the table, and the block. */
uint64_t ext4_desc_block(const struct ext4_fs *fs, uint32_t g, uint32_t *off);
/* Fills *out from a raw on-disk inode. */
void ext4_parse_inode(const uint8_t *p, uint32_t inode_size, uint32_t ino, struct ext4_inode *out);

/* The running transaction's copy of a metadata block (read in on first
 * use); NULL with *rc set on error. Changing it changes the file system at
 * the next commit. */
uint8_t *ext4_mbuf_get(struct ext4_fs *fs, uint64_t blk, int *rc);
/* The same for reading only (the copy stays clean). */
const uint8_t *ext4_mbuf_read(struct ext4_fs *fs, uint64_t blk, int *rc);
/* A block about to be filled whole: not read from disk, zeroed, dirty. */
uint8_t *ext4_mbuf_new(struct ext4_fs *fs, uint64_t blk, int *rc);
struct ext4_mbuf *ext4_mbuf_find(const struct ext4_fs *fs, uint64_t blk);
void ext4_mbuf_drop_all(struct ext4_fs *fs);
/* After a commit: the running transaction's blocks stay, logged (pinned
 * until the checkpoint), clean copies go. */
void ext4_mbuf_committed(struct ext4_fs *fs);
/* After a checkpoint: logged blocks are home and go (dirty ones stay). */
void ext4_mbuf_checkpointed(struct ext4_fs *fs);

/* Returns blocks freed in the running transaction to the bitmaps (the
 * commit does it first). */
int ext4_apply_frees(struct ext4_fs *fs);
/* Copies the on-disk superblock, decides whether we may write (rw), and
 * derives the checksum seed and the journal's inode. */
int ext4_write_setup(struct ext4_fs *fs, const uint8_t *sb);
/* Finds the journal and checks it can be used; replays it when rw. */
int ext4_journal_open(struct ext4_fs *fs);

/* The htree hash of a name (fs/ext4_hash.c): versions as the root's
 * hash_version (+3 when the superblock says unsigned chars). 0, or -1 for
 * a version we do not compute (legacy, tea). */
#define EXT4_DX_HASH_HALF_MD4 1
#define EXT4_DX_HASH_HALF_MD4_UNSIGNED 4
int ext4_dx_hash(const char *name, size_t len, unsigned version, const uint32_t seed[4], uint32_t *hash,
                 uint32_t *minor);

/* Checksums (fs/ext4_write.c). */
void ext4_sb_csum_set(struct ext4_fs *fs, uint8_t *sb);
uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len);
/* The in-memory superblock goes into the running transaction. */
int ext4_sb_dirty(struct ext4_fs *fs);

#endif
