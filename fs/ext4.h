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
    /* NULL for a read-only device. Writes count blocks at blk; flush makes
     * every completed write durable (a device cache flush). */
    int (*write)(void *ctx, uint64_t blk, uint32_t count, const void *buf);
    int (*flush)(void *ctx);
    void *ctx;
};

/* A metadata block changed in the running transaction, or committed to
 * the log and not yet written home (the copy readers see until then). */
struct ext4_mbuf {
    struct ext4_mbuf *next;
    uint64_t blk;
    int dirty;     /* 0: a clean copy kept for reading */
    int logged;    /* committed to the log, not yet home (pinned) */
    uint32_t jpos; /* when logged: its copy's place in the log */
    int escaped;   /* that copy's first word was jbd2's magic, zeroed */
    uint8_t data[];
};
#define EXT4_MBUF_BUCKETS 256
#define EXT4_MAX_PENDING_FREES 4096

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
    /* Writing (fs/ext4_write.c, fs/ext4_journal.c); rw is 0 on a read-only
     * mount. */
    int rw;
    uint32_t compat, ro_compat;
    uint8_t sb[1024];     /* the superblock as we keep it */
    uint32_t csum_seed;   /* metadata_csum: crc32c of the uuid (or the stored seed) */
    int csum;             /* metadata_csum */
    int gdt_csum;         /* uninit_bg's crc16 descriptors */
    uint32_t reserved_gdt;
    uint32_t flex_size;
    struct ext4_mbuf *mbufs[EXT4_MBUF_BUCKETS];
    unsigned n_dirty;     /* metadata blocks in the running transaction */
    unsigned n_mbufs;     /* blocks held, clean ones included */
    struct { uint64_t blk; uint32_t count; } pending_free[EXT4_MAX_PENDING_FREES];
    unsigned n_pending;   /* blocks freed in the running transaction: reusable after its commit */
    uint32_t last_group;  /* allocation hint */
    uint32_t gen;         /* generation numbers for new inodes */
    /* the journal (jbd2), when the file system has one */
    uint32_t journal_ino;
    struct ext4_inode *jinode;
    uint32_t j_first, j_maxlen, j_seq;
    uint32_t j_head;      /* where the next transaction goes in the log */
    uint32_t j_tail;      /* the oldest live transaction's start; 0: the log is empty */
    uint32_t j_used;      /* log blocks from j_tail to j_head */
    unsigned n_logged;    /* mbufs logged but not home */
    uint64_t *j_revoke;   /* blocks the running transaction revokes */
    unsigned n_revoke, cap_revoke;
    uint32_t j_incompat;
    uint32_t j_csum_seed;
    uint8_t j_uuid[16];
    uint64_t commits;     /* transactions committed so far */
    uint64_t checkpoints; /* times the log was written home and emptied */
};

struct ext4_inode {
    uint32_t ino;
    uint16_t mode;
    uint16_t links;
    uint32_t flags;
    uint64_t size;
    uint64_t blocks512;
    uint32_t uid, gid;
    int64_t atime, ctime, mtime;
    uint32_t atime_nsec, ctime_nsec, mtime_nsec;
    uint32_t dtime;
    uint32_t generation;
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

/* ---- writing (fs/ext4_write.c): only on an rw mount, -EROFS otherwise.
 * Each call changes metadata in the running transaction; ext4_commit()
 * makes it durable (through the journal when there is one). ---- */

/* Writes the inode's fields back (mode, owner, times, links, size). */
int ext4_write_inode(struct ext4_fs *fs, const struct ext4_inode *in);
/* A new inode of mode (type included) named name in dir; link_target for
 * symlinks. *out is the new inode. */
int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, uint32_t mode,
                const char *link_target, uint32_t uid, uint32_t gid, struct ext4_inode *out);
/* Bytes written (allocating blocks, holes stay holes), or -errno. */
long ext4_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf, size_t len);
int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size);
/* Removes the entry name -> victim from dir and drops a link of victim (a
 * directory loses both of its and dir one). The inode is not freed: the
 * caller calls ext4_free_inode once nothing holds it (links == 0). */
int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len,
                struct ext4_inode *victim);
/* Adds name -> in to dir (one more link; a directory's ".." is for rename). */
int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, struct ext4_inode *in);
/* Moves odir/oname (in) to ndir/nname, which must not exist (the caller
 * unlinks a target first); a directory's ".." and link counts follow. */
int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname, size_t olen, struct ext4_inode *in,
                struct ext4_inode *ndir, const char *nname, size_t nlen);
/* Frees an inode with no links: its blocks, then the inode itself. */
int ext4_free_inode(struct ext4_fs *fs, struct ext4_inode *in);
/* The orphan list: an inode whose last name went while it is open joins
 * it (so a crash cannot leak it); it leaves before ext4_free_inode. The
 * rw mount frees what an unfinished run left there. */
int ext4_orphan_add(struct ext4_fs *fs, struct ext4_inode *in);
int ext4_orphan_del(struct ext4_fs *fs, struct ext4_inode *in);
int ext4_orphans_process(struct ext4_fs *fs);
/* Makes the running transaction durable. 0 or -EIO. */
int ext4_commit(struct ext4_fs *fs);
/* A commit, then every logged block home and the log emptied (sync(2),
 * the commit interval, power-off, unmount). 0 or -EIO. */
int ext4_sync(struct ext4_fs *fs);
/* Whether the running transaction should be committed before more work
 * (the journal is a quarter full). */
int ext4_should_commit(const struct ext4_fs *fs);

/* ---- the journal (fs/ext4_journal.c) ---- */
/* Replays committed transactions left by an unfinished run; 0, or -EIO
 * (the mount then stays read-only). Called by ext4_mount on rw mounts. */
int ext4_journal_replay(struct ext4_fs *fs);
/* Appends the running transaction to the log (its blocks are written
 * home later, at a checkpoint). */
int ext4_journal_commit(struct ext4_fs *fs);
/* Writes every logged block home and empties the log. */
int ext4_journal_checkpoint(struct ext4_fs *fs);
/* blk, logged by a live transaction, is about to hold file data: the
 * running transaction revokes it (no replay writes the old copy over the
 * data). 0 or -ENOMEM. */
int ext4_journal_revoke(struct ext4_fs *fs, uint64_t blk);

/* crc32c without pre- or post-inversion (ext4's and jbd2's checksums). */
uint32_t ext4_crc32c(uint32_t crc, const void *buf, size_t len);

#endif
