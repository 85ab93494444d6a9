/* ext4, read-only: superblock and features, group descriptors (32 and 64
 * bytes), inodes, extent trees and the old block maps, linear directories
 * (htree directories read linearly), symlinks and holes. Pure logic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ext4.h"
#include "ext4_priv.h"
#include "log.h"

#define SB_OFFSET 1024
#define SB_MAGIC 0xef53
#define EXTENT_MAGIC 0xf30a
#define EXTENT_INIT_MAX 32768
#define DIR_MAX_BYTES (1ull << 30) /* longer ee_len means an uninitialised extent */

#define INCOMPAT_COMPRESSION 0x1
#define INCOMPAT_FILETYPE 0x2
#define INCOMPAT_RECOVER 0x4
#define INCOMPAT_JOURNAL_DEV 0x8
#define INCOMPAT_META_BG 0x10
#define INCOMPAT_EXTENTS 0x40
#define INCOMPAT_64BIT 0x80
#define INCOMPAT_MMP 0x100
#define INCOMPAT_FLEX_BG 0x200
#define INCOMPAT_EA_INODE 0x400
#define INCOMPAT_DIRDATA 0x1000
#define INCOMPAT_CSUM_SEED 0x2000
#define INCOMPAT_LARGEDIR 0x4000
#define INCOMPAT_INLINE_DATA 0x8000
#define INCOMPAT_ENCRYPT 0x10000
#define INCOMPAT_CASEFOLD 0x20000

#define INODE_FLAG_EXTENTS 0x80000
#define INODE_FLAG_INLINE_DATA 0x10000000
#define S_IFMT_ 0170000
#define S_IFLNK_ 0120000
#define S_IFDIR_ 0040000

/* Incompatible features a reader must understand, and which we do. */
#define INCOMPAT_KNOWN (INCOMPAT_FILETYPE | INCOMPAT_RECOVER | INCOMPAT_EXTENTS | INCOMPAT_64BIT | INCOMPAT_MMP | \
                        INCOMPAT_FLEX_BG | INCOMPAT_EA_INODE | INCOMPAT_CSUM_SEED | INCOMPAT_LARGEDIR)

static const struct {
    uint32_t bit;
    const char *name;
} incompat_names[] = {
    { INCOMPAT_COMPRESSION, "compression" }, { INCOMPAT_JOURNAL_DEV, "journal_dev" },
    { INCOMPAT_META_BG, "meta_bg" },         { INCOMPAT_DIRDATA, "dirdata" },
    { INCOMPAT_INLINE_DATA, "inline_data" }, { INCOMPAT_ENCRYPT, "encrypt" },
    { INCOMPAT_CASEFOLD, "casefold" },
};

static uint16_t le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }

int ext4_corrupt(struct ext4_fs *fs, const char *what, uint64_t a, uint64_t b)
{
    pr_err("ext4: %s: corrupt file system: %s (%llu, %llu)\n", fs->name, what, (unsigned long long)a,
           (unsigned long long)b);
    return -EIO;
}

/* Reads count blocks after checking they lie inside the file system. */
int ext4_read_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t count, void *buf)
{
    if (blk == 0 || blk >= fs->blocks_count || count > fs->blocks_count - blk)
        return ext4_corrupt(fs, "block number out of range", blk, count);
    struct ext4_mbuf *m = count == 1 && fs->n_mbufs ? ext4_mbuf_find(fs, blk) : NULL;
    if (m) {
        memcpy(buf, m->data, fs->block_size);
        return 0;
    }
    int rc = fs->io.read(fs->io.ctx, blk, count, buf);
    if (rc < 0) {
        pr_err("ext4: %s: read error %d at block %llu\n", fs->name, rc, (unsigned long long)blk);
        return -EIO;
    }
    /* Blocks changed in memory or logged and not yet home: those copies. */
    for (uint32_t i = 0; count > 1 && fs->n_mbufs && i < count; i++) {
        if ((m = ext4_mbuf_find(fs, blk + i)))
            memcpy((uint8_t *)buf + (size_t)i * fs->block_size, m->data, fs->block_size);
    }
    return 0;
}

int ext4_probe_superblock(const uint8_t *sb) { return le16(sb + 0x38) == SB_MAGIC; }

static int is_pow2(uint32_t v) { return v && !(v & (v - 1)); }

static int check_features(struct ext4_fs *fs, uint32_t incompat)
{
    uint32_t unknown = incompat & ~INCOMPAT_KNOWN;
    if (!unknown)
        return 0;
    for (size_t i = 0; i < sizeof(incompat_names) / sizeof(incompat_names[0]); i++) {
        if (unknown & incompat_names[i].bit) {
            pr_err("ext4: %s: unsupported incompatible feature '%s'\n", fs->name, incompat_names[i].name);
            unknown &= ~incompat_names[i].bit;
        }
    }
    if (unknown)
        pr_err("ext4: %s: unsupported incompatible feature bits %#x\n", fs->name, unknown);
    return -EOPNOTSUPP;
}

static int parse_superblock(struct ext4_fs *fs, const uint8_t *sb, uint64_t dev_bytes)
{
    if (!ext4_probe_superblock(sb))
        return -EINVAL;
    uint32_t log_bs = le32(sb + 0x18);
    if (log_bs > 6)
        return ext4_corrupt(fs, "block size exponent", log_bs, 6);
    fs->block_size = 1024u << log_bs;
    fs->incompat = le32(sb + 0x60);
    int rc = check_features(fs, fs->incompat);
    if (rc < 0)
        return rc;
    fs->blocks_count = le32(sb + 0x04);
    if (fs->incompat & INCOMPAT_64BIT)
        fs->blocks_count |= (uint64_t)le32(sb + 0x150) << 32;
    fs->first_data_block = le32(sb + 0x14);
    fs->blocks_per_group = le32(sb + 0x20);
    fs->inodes_per_group = le32(sb + 0x28);
    fs->inodes_count = le32(sb + 0x00);
    uint32_t rev = le32(sb + 0x4c);
    fs->inode_size = rev == 0 ? 128 : le16(sb + 0x58);
    fs->desc_size = (fs->incompat & INCOMPAT_64BIT) ? le16(sb + 0xfe) : 32;
    memcpy(fs->label, sb + 0x78, 16);
    fs->label[16] = 0;
    if (fs->inode_size < 128 || !is_pow2(fs->inode_size) || fs->inode_size > fs->block_size)
        return ext4_corrupt(fs, "inode size", fs->inode_size, fs->block_size);
    if (fs->desc_size < 32 || !is_pow2(fs->desc_size) || fs->desc_size > fs->block_size ||
        ((fs->incompat & INCOMPAT_64BIT) && fs->desc_size < 64))
        return ext4_corrupt(fs, "group descriptor size", fs->desc_size, fs->block_size);
    uint64_t bits = (uint64_t)fs->block_size * 8;
    if (!fs->blocks_per_group || fs->blocks_per_group > bits || !fs->inodes_per_group || fs->inodes_per_group > bits)
        return ext4_corrupt(fs, "blocks or inodes per group", fs->blocks_per_group, fs->inodes_per_group);
    if (fs->first_data_block > 1 || fs->blocks_count <= fs->first_data_block + 1)
        return ext4_corrupt(fs, "block count", fs->blocks_count, fs->first_data_block);
    if (fs->blocks_count > dev_bytes / fs->block_size)
        return ext4_corrupt(fs, "file system larger than its device (blocks)", fs->blocks_count,
                       dev_bytes / fs->block_size);
    uint64_t groups = (fs->blocks_count - fs->first_data_block + fs->blocks_per_group - 1) / fs->blocks_per_group;
    if (groups > 0xffffffffu || (uint64_t)fs->inodes_count > groups * fs->inodes_per_group || fs->inodes_count < 11)
        return ext4_corrupt(fs, "group or inode count", groups, fs->inodes_count);
    fs->n_groups = (uint32_t)groups;
    /* The descriptor table must fit before the end of the file system. */
    uint64_t gdt_blocks = (groups * fs->desc_size + fs->block_size - 1) / fs->block_size;
    if (fs->first_data_block + 1 + gdt_blocks > fs->blocks_count)
        return ext4_corrupt(fs, "group descriptor table past the end", gdt_blocks, fs->blocks_count);
    return 0;
}

/* The superblock again, with the block size known (a 4 KiB block 0 is out
 * of ext4_read_blocks' range). */
static int read_sb(struct ext4_fs *fs, uint8_t *sb)
{
    uint8_t *b = fs->scratch;
    uint64_t blk = fs->block_size == 1024 ? 1 : 0;
    if (fs->io.read(fs->io.ctx, blk, 1, b) < 0)
        return -EIO;
    memcpy(sb, b + (fs->block_size == 1024 ? 0 : 1024), 1024);
    return 0;
}

void ext4_unmount(struct ext4_fs *fs)
{
    if (fs->rw && fs->jinode && (fs->n_logged || fs->j_tail)) /* the log emptied: a clean file system */
        ext4_journal_checkpoint(fs);
    ext4_mbuf_drop_all(fs);
    free(fs->j_revoke);
    fs->j_revoke = NULL;
    fs->n_revoke = fs->cap_revoke = 0;
    free(fs->jinode);
    fs->jinode = NULL;
    for (int i = 0; i <= EXT4_MAX_DEPTH; i++) {
        free(fs->meta[i]);
        fs->meta[i] = NULL;
    }
    free(fs->scratch);
    free(fs->dir_buf);
    fs->scratch = fs->dir_buf = NULL;
}

int ext4_mount(struct ext4_fs *fs, const struct ext4_io *io, uint64_t dev_bytes, const char *name)
{
    memset(fs, 0, sizeof(*fs));
    fs->io = *io;
    fs->name = name;
    if (dev_bytes < SB_OFFSET + 1024)
        return -EINVAL;
    /* The superblock sits at byte 1024 whatever the block size: read it as
     * 1 KiB block 1 before we know the real size. */
    uint8_t *sb = malloc(1024);
    if (!sb)
        return -ENOMEM;
    fs->block_size = 1024;
    fs->blocks_count = dev_bytes / 1024;
    int rc = ext4_read_blocks(fs, 1, 1, sb), orc;
    if (rc == 0)
        rc = parse_superblock(fs, sb, dev_bytes);
    if (rc < 0) {
        free(sb);
        return rc;
    }
    for (int i = 0; i <= EXT4_MAX_DEPTH; i++) {
        if (!(fs->meta[i] = malloc(fs->block_size)))
            rc = -ENOMEM;
    }
    if (rc == 0 && (!(fs->scratch = malloc(fs->block_size)) || !(fs->dir_buf = malloc(fs->block_size))))
        rc = -ENOMEM;
    if (rc == 0)
        rc = ext4_write_setup(fs, sb);
    if (rc == 0 && fs->journal_ino) {
        int jrc = ext4_journal_open(fs);
        if (jrc < 0 && fs->rw) {
            pr_warn("ext4: %s: the journal cannot be used (%d): mounted read-only\n", fs->name, jrc);
            fs->rw = 0;
        }
        /* A replay may have rewritten the superblock. */
        if (jrc == 0 && fs->rw && (rc = read_sb(fs, sb)) == 0 && (rc = parse_superblock(fs, sb, dev_bytes)) == 0)
            rc = ext4_write_setup(fs, sb);
    } else if (rc == 0 && fs->rw && (fs->incompat & INCOMPAT_RECOVER)) {
        rc = ext4_corrupt(fs, "needs recovery but has no journal", fs->incompat, 0);
    }
    free(sb);
    if (rc == 0 && !fs->rw && (fs->incompat & INCOMPAT_RECOVER))
        pr_warn("ext4: %s: the journal needs recovery; reading without replaying it\n", fs->name);
    if (rc == 0) {
        struct ext4_inode root;
        rc = ext4_read_inode(fs, EXT4_ROOT_INO, &root);
        if (rc == 0 && (root.mode & S_IFMT_) != S_IFDIR_)
            rc = ext4_corrupt(fs, "root inode is not a directory", root.mode, 0);
    }
    if (rc == 0 && fs->rw && (orc = ext4_orphans_process(fs)) < 0) {
        pr_warn("ext4: %s: orphan list unusable (%d): mounted read-only\n", fs->name, orc);
        ext4_mbuf_drop_all(fs);
        fs->rw = 0;
    }
    if (rc < 0)
        ext4_unmount(fs);
    return rc;
}

/* ---- inodes ---- */

uint64_t ext4_desc_block(const struct ext4_fs *fs, uint32_t g, uint32_t *off)
{
    uint64_t byte = (uint64_t)g * fs->desc_size;
    *off = (uint32_t)(byte % fs->block_size);
    return fs->first_data_block + 1 + byte / fs->block_size;
}

static int inode_table(struct ext4_fs *fs, uint32_t group, uint64_t *table)
{
    uint32_t off;
    int rc = ext4_read_blocks(fs, ext4_desc_block(fs, group, &off), 1, fs->meta[0]);
    if (rc < 0)
        return rc;
    const uint8_t *d = fs->meta[0] + off;
    *table = le32(d + 0x08);
    if (fs->desc_size >= 64)
        *table |= (uint64_t)le32(d + 0x28) << 32;
    if (*table == 0 || *table >= fs->blocks_count)
        return ext4_corrupt(fs, "inode table out of range", group, *table);
    return 0;
}

static int64_t time_with_extra(const uint8_t *p, unsigned off, unsigned extra_off, int has_extra, uint32_t *nsec)
{
    int64_t t = (int32_t)le32(p + off);
    *nsec = 0;
    if (!has_extra)
        return t;
    uint32_t x = le32(p + extra_off);
    t += (int64_t)(x & 3) << 32; /* epoch bits past 2038 */
    *nsec = x >> 2;
    if (*nsec >= 1000000000u)
        *nsec = 0;
    return t;
}

void ext4_parse_inode(const uint8_t *p, uint32_t inode_size, uint32_t ino, struct ext4_inode *out)
{
    memset(out, 0, sizeof(*out));
    out->ino = ino;
    out->mode = le16(p + 0x00);
    out->uid = le16(p + 0x02) | (uint32_t)le16(p + 0x78) << 16;
    out->gid = le16(p + 0x18) | (uint32_t)le16(p + 0x7a) << 16;
    out->size = le32(p + 0x04) | (uint64_t)le32(p + 0x6c) << 32;
    out->links = le16(p + 0x1a);
    out->blocks512 = le32(p + 0x1c) | (uint64_t)le16(p + 0x74) << 32;
    out->flags = le32(p + 0x20);
    out->dtime = le32(p + 0x14);
    out->generation = le32(p + 0x64);
    /* The ...time_extra fields exist when i_extra_isize covers them. */
    uint16_t extra = inode_size > 128 ? le16(p + 0x80) : 0;
    out->ctime = time_with_extra(p, 0x0c, 0x84, extra >= 8, &out->ctime_nsec);
    out->mtime = time_with_extra(p, 0x10, 0x88, extra >= 12, &out->mtime_nsec);
    out->atime = time_with_extra(p, 0x08, 0x8c, extra >= 16, &out->atime_nsec);
    memcpy(out->iblock, p + 0x28, sizeof(out->iblock));
}

int ext4_read_inode(struct ext4_fs *fs, uint32_t ino, struct ext4_inode *out)
{
    if (ino == 0 || ino > fs->inodes_count)
        return ext4_corrupt(fs, "inode number out of range", ino, fs->inodes_count);
    uint32_t group = (ino - 1) / fs->inodes_per_group, index = (ino - 1) % fs->inodes_per_group;
    uint64_t table;
    int rc = inode_table(fs, group, &table);
    if (rc < 0)
        return rc;
    uint64_t off = (uint64_t)index * fs->inode_size;
    rc = ext4_read_blocks(fs, table + off / fs->block_size, 1, fs->meta[0]);
    if (rc < 0)
        return rc;
    const uint8_t *p = fs->meta[0] + off % fs->block_size;
    if (fs->inode_size > 128 && le16(p + 0x80) > fs->inode_size - 128)
        return ext4_corrupt(fs, "inode extra size", ino, le16(p + 0x80));
    ext4_parse_inode(p, fs->inode_size, ino, out);
    if (out->flags & INODE_FLAG_INLINE_DATA)
        return ext4_corrupt(fs, "inline data on a file system without the feature", ino, out->flags);
    return 0;
}

/* ---- block mapping ---- */

struct extent_hdr {
    uint16_t entries, max, depth;
};

static int extent_header(struct ext4_fs *fs, const uint8_t *p, size_t space, struct extent_hdr *h)
{
    if (le16(p) != EXTENT_MAGIC)
        return ext4_corrupt(fs, "extent header magic", le16(p), 0);
    h->entries = le16(p + 2);
    h->max = le16(p + 4);
    h->depth = le16(p + 6);
    if (h->max > (space - 12) / 12 || h->entries > h->max)
        return ext4_corrupt(fs, "extent header counts", h->entries, h->max);
    return 0;
}

static int map_extent(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *r)
{
    const uint8_t *node = in->iblock;
    size_t space = sizeof(in->iblock);
    struct extent_hdr h;
    int rc = extent_header(fs, node, space, &h);
    if (rc < 0)
        return rc;
    if (h.depth > EXT4_MAX_DEPTH)
        return ext4_corrupt(fs, "extent tree too deep", h.depth, in->ino);
    uint64_t next_start = 1ull << 32; /* where the hole after lblk ends */
    for (unsigned level = 0;; level++) {
        const uint8_t *e = node + 12;
        if (h.depth == 0) {
            for (unsigned i = 0; i < h.entries; i++, e += 12) {
                uint32_t start = le32(e);
                uint32_t len = le16(e + 4);
                int uninit = len > EXTENT_INIT_MAX;
                if (uninit)
                    len -= EXTENT_INIT_MAX;
                if (lblk < start) {
                    if (start < next_start)
                        next_start = start;
                    break;
                }
                if (lblk < (uint64_t)start + len) {
                    uint64_t pstart = le32(e + 8) | (uint64_t)le16(e + 6) << 32;
                    if (len == 0 || pstart == 0 || pstart >= fs->blocks_count || len > fs->blocks_count - pstart)
                        return ext4_corrupt(fs, "extent points outside the file system", pstart, len);
                    r->pblk = uninit ? 0 : pstart + (lblk - start);
                    r->count = (uint64_t)start + len - lblk;
                    return 0;
                }
            }
            r->pblk = 0;
            r->count = next_start > lblk ? next_start - lblk : 1;
            return 0;
        }
        /* An index: the last entry starting at or before lblk. */
        int pick = -1;
        for (unsigned i = 0; i < h.entries; i++) {
            uint32_t start = le32(e + i * 12);
            if (start > lblk) {
                if (start < next_start)
                    next_start = start;
                break;
            }
            pick = (int)i;
        }
        if (pick < 0) {
            r->pblk = 0;
            r->count = next_start > lblk ? next_start - lblk : 1;
            return 0;
        }
        const uint8_t *ie = e + pick * 12;
        uint64_t child = le32(ie + 4) | (uint64_t)le16(ie + 8) << 32;
        uint8_t *buf = fs->meta[level + 1 <= EXT4_MAX_DEPTH ? level + 1 : EXT4_MAX_DEPTH];
        if ((rc = ext4_read_blocks(fs, child, 1, buf)) < 0)
            return rc;
        uint16_t want = (uint16_t)(h.depth - 1);
        if ((rc = extent_header(fs, buf, fs->block_size, &h)) < 0)
            return rc;
        if (h.depth != want)
            return ext4_corrupt(fs, "extent tree depth does not decrease", h.depth, want);
        node = buf;
    }
}

/* The old block map: 12 direct blocks, then single, double and triple
 * indirect blocks of 32-bit block numbers. */
static int map_indirect(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *r)
{
    uint64_t per = fs->block_size / 4;
    uint64_t span = 1; /* file blocks under the current pointer */
    unsigned levels = 0, slot = (unsigned)lblk;
    if (lblk < 12)
        lblk = 0; /* a direct pointer covers one block */
    else {
        lblk -= 12;
        slot = 12;
        for (levels = 1, span = per; lblk >= span; levels++, slot++) {
            lblk -= span;
            span *= per;
            if (levels == 3) { /* past what triple indirection reaches */
                r->pblk = 0;
                r->count = 1ull << 32;
                return 0;
            }
        }
    }
    uint64_t blk = le32(in->iblock + slot * 4);
    for (unsigned l = levels; l > 0 && blk; l--) {
        int rc = ext4_read_blocks(fs, blk, 1, fs->meta[l]);
        if (rc < 0)
            return rc;
        span /= per;
        blk = le32(fs->meta[l] + (lblk / span) * 4);
        lblk %= span;
    }
    if (blk == 0) { /* a hole as long as the rest of the missing subtree */
        r->pblk = 0;
        r->count = span - lblk;
        return 0;
    }
    if (blk >= fs->blocks_count)
        return ext4_corrupt(fs, "block map points outside the file system", blk, in->ino);
    r->pblk = blk;
    r->count = 1;
    return 0;
}

int ext4_map_block(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t lblk, struct ext4_run *r)
{
    if (in->flags & INODE_FLAG_EXTENTS)
        return map_extent(fs, in, lblk, r);
    return map_indirect(fs, in, lblk, r);
}

/* ---- file data ---- */

long ext4_read(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t off, void *buf, size_t len)
{
    if (off >= in->size)
        return 0;
    if (len > in->size - off)
        len = (size_t)(in->size - off);
    uint8_t *out = buf;
    size_t done = 0;
    while (done < len) {
        uint64_t pos = off + done;
        uint64_t lblk = pos / fs->block_size;
        uint32_t boff = (uint32_t)(pos % fs->block_size);
        struct ext4_run r;
        int rc = ext4_map_block(fs, in, lblk, &r);
        if (rc < 0)
            return rc;
        uint64_t avail = r.count * fs->block_size - boff;
        size_t n = len - done < avail ? len - done : (size_t)avail;
        if (r.pblk == 0) {
            memset(out + done, 0, n);
        } else if (boff == 0 && n >= fs->block_size) {
            uint64_t nb = n / fs->block_size;
            if (nb > 0xffffffffu / fs->block_size)
                nb = 0xffffffffu / fs->block_size;
            if ((rc = ext4_read_blocks(fs, r.pblk, (uint32_t)nb, out + done)) < 0)
                return rc;
            n = (size_t)nb * fs->block_size;
        } else {
            if ((rc = ext4_read_blocks(fs, r.pblk, 1, fs->scratch)) < 0)
                return rc;
            if (n > fs->block_size - boff)
                n = fs->block_size - boff;
            memcpy(out + done, fs->scratch + boff, n);
        }
        done += n;
    }
    return (long)done;
}

/* ---- directories ---- */

uint32_t ext4_rec_len(const struct ext4_fs *fs, const uint8_t *e)
{
    uint32_t v = le16(e + 4);
    /* 64 KiB blocks store a whole-block record as 0 or 65535. */
    if (fs->block_size == 65536 && (v == 0 || v == 65535))
        return 65536;
    return v;
}

int ext4_dir_next(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t *pos, struct ext4_dirent *d)
{
    if ((dir->mode & S_IFMT_) != S_IFDIR_)
        return -ENOTDIR;
    /* Bounds the work a hostile directory can ask for: one that claims more
     * than the file system holds (or 1 GiB, some 40 million entries). */
    if (dir->size > DIR_MAX_BYTES || dir->size / fs->block_size > fs->blocks_count)
        return ext4_corrupt(fs, "directory larger than possible", dir->ino, dir->size);
    while (*pos < dir->size) {
        uint64_t blk_start = *pos - *pos % fs->block_size;
        uint32_t off = (uint32_t)(*pos - blk_start);
        /* Lookups walk a directory entry by entry: keep its block. */
        uint64_t lblk = blk_start / fs->block_size;
        if (fs->dir_ino != dir->ino || fs->dir_lblk != lblk) {
            struct ext4_run r;
            int rc = ext4_map_block(fs, dir, lblk, &r);
            if (rc < 0)
                return rc;
            if (r.pblk == 0) { /* a hole in a directory holds no entries */
                *pos = blk_start + r.count * fs->block_size;
                continue;
            }
            fs->dir_ino = 0;
            if ((rc = ext4_read_blocks(fs, r.pblk, 1, fs->dir_buf)) < 0)
                return rc;
            fs->dir_ino = dir->ino;
            fs->dir_lblk = lblk;
        }
        if (off % 4 || off + 8 > fs->block_size)
            return ext4_corrupt(fs, "directory position", dir->ino, *pos);
        const uint8_t *e = fs->dir_buf + off;
        uint32_t rl = ext4_rec_len(fs, e);
        uint8_t nl = e[6];
        if (rl < 8 || rl % 4 || rl > fs->block_size - off || (uint32_t)nl + 8 > rl)
            return ext4_corrupt(fs, "directory entry length", dir->ino, *pos);
        *pos += rl;
        uint32_t ino = le32(e);
        if (ino == 0 || nl == 0)
            continue; /* unused record, htree node or checksum tail */
        d->ino = ino;
        d->type = (fs->incompat & INCOMPAT_FILETYPE) ? e[7] : 0;
        d->name_len = nl;
        memcpy(d->name, e + 8, nl);
        d->name[nl] = 0;
        return 1;
    }
    return 0;
}

/* Scans [*pos, end) for name; 1 found (with *pos past it), 0 not, <0 error. */
static int scan_for(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len, uint64_t *pos,
                    uint64_t end, struct ext4_dirent *d)
{
    int rc = 0;
    while (*pos < end && (rc = ext4_dir_next(fs, dir, pos, d)) == 1) {
        if (d->name_len == len && memcmp(d->name, name, len) == 0)
            return 1;
    }
    return *pos < end ? rc : 0;
}

int ext4_lookup(struct ext4_fs *fs, const struct ext4_inode *dir, const char *name, size_t len, uint32_t *ino)
{
    if (len == 0 || len > 255)
        return -ENOENT;
    struct ext4_dirent *d = malloc(sizeof(*d));
    if (!d)
        return -ENOMEM;
    /* Programs tend to look names up in directory order: start where the
     * last lookup here ended, then wrap round. */
    uint64_t start = fs->hint_ino == dir->ino && fs->hint_pos < dir->size ? fs->hint_pos : 0;
    uint64_t pos = start;
    int rc = scan_for(fs, dir, name, len, &pos, dir->size, d);
    if (rc == 0 && start) {
        pos = 0;
        rc = scan_for(fs, dir, name, len, &pos, start, d);
    }
    if (rc == 1) {
        *ino = d->ino;
        fs->hint_ino = dir->ino;
        fs->hint_pos = pos;
    }
    free(d);
    return rc == 1 ? 0 : rc == 0 ? -ENOENT : rc;
}

long ext4_readlink(struct ext4_fs *fs, const struct ext4_inode *in, char *buf, size_t len)
{
    if ((in->mode & S_IFMT_) != S_IFLNK_)
        return -EINVAL;
    if (in->size > 4096)
        return ext4_corrupt(fs, "symlink longer than a page", in->ino, in->size);
    size_t n = (size_t)in->size < len ? (size_t)in->size : len;
    /* Short targets live in the inode's block array ("fast" symlinks). */
    if (in->size < sizeof(in->iblock) && !(in->flags & INODE_FLAG_EXTENTS) && in->blocks512 == 0) {
        memcpy(buf, in->iblock, n);
        return (long)n;
    }
    return ext4_read(fs, in, 0, buf, n);
}
