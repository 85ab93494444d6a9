/* ext4 writing: the running transaction's metadata blocks, checksums
 * (metadata_csum's crc32c, uninit_bg's crc16), block and inode allocation
 * in the group bitmaps, extent trees (rebuilt from the file's extent list
 * on change: depth 0 to 2), block maps (direct to triple indirect, changed
 * in place), directories (one-level htree indexes kept; other indexes made
 * linear on their first change, as the format allows), and the operations
 * the VFS calls. Pure logic: blocks come and go through fs->io. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ext4.h"
#include "ext4_priv.h"
#include "log.h"

#define TAIL_FT 0xde /* a directory block's checksum record */
#define COMPAT_WRITABLE 0x3f /* dir_prealloc, imagic, has_journal, ext_attr, resize_inode, dir_index */
#define INCOMPAT_WRITABLE (EXT4_INCOMPAT_FILETYPE | EXT4_INCOMPAT_RECOVER | EXT4_INCOMPAT_EXTENTS | \
                           EXT4_INCOMPAT_64BIT | EXT4_INCOMPAT_FLEX_BG | EXT4_INCOMPAT_CSUM_SEED | 0x4000)
#define RO_COMPAT_WRITABLE (0x1 | 0x2 | 0x8 | 0x10 | 0x20 | 0x40 | 0x400)

/* ---- checksums ---- */

static uint32_t crc32c_table[256];

uint32_t ext4_crc32c(uint32_t crc, const void *buf, size_t len)
{
    if (!crc32c_table[1]) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = c & 1 ? (c >> 1) ^ 0x82f63b78u : c >> 1;
            crc32c_table[i] = c;
        }
    }
    const uint8_t *p = buf;
    while (len--)
        crc = crc32c_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return crc;
}

uint16_t ext4_crc16(uint16_t crc, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len--) {
        crc ^= *p++;
        for (int k = 0; k < 8; k++)
            crc = (uint16_t)(crc & 1 ? (crc >> 1) ^ 0xa001 : crc >> 1);
    }
    return crc;
}

void ext4_sb_csum_set(struct ext4_fs *fs, uint8_t *sb)
{
    if (fs->csum)
        ext4_put32(sb + 0x3fc, ext4_crc32c(~0u, sb, 0x3fc));
}

static uint32_t le32v(uint32_t v)
{
    uint8_t b[4];
    ext4_put32(b, v);
    uint32_t r;
    memcpy(&r, b, 4);
    return r;
}

static void gd_csum_set(struct ext4_fs *fs, uint32_t g, uint8_t *d)
{
    uint32_t le_g = le32v(g);
    if (fs->csum) {
        uint32_t c = ext4_crc32c(fs->csum_seed, &le_g, 4);
        uint8_t zero[2] = { 0, 0 };
        c = ext4_crc32c(c, d, 0x1e);
        c = ext4_crc32c(c, zero, 2);
        if (fs->desc_size > 0x20)
            c = ext4_crc32c(c, d + 0x20, fs->desc_size - 0x20);
        ext4_put16(d + 0x1e, c & 0xffff);
    } else if (fs->gdt_csum) {
        uint16_t c = ext4_crc16(0xffff, fs->sb + 0x68, 16);
        c = ext4_crc16(c, &le_g, 4);
        c = ext4_crc16(c, d, 0x1e);
        if (fs->desc_size > 0x20)
            c = ext4_crc16(c, d + 0x20, fs->desc_size - 0x20);
        ext4_put16(d + 0x1e, c);
    }
}

static uint32_t inode_seed(struct ext4_fs *fs, uint32_t ino, uint32_t gen)
{
    uint32_t v = le32v(ino), gv = le32v(gen);
    uint32_t c = ext4_crc32c(fs->csum_seed, &v, 4);
    return ext4_crc32c(c, &gv, 4);
}

static void inode_csum_set(struct ext4_fs *fs, uint32_t ino, uint8_t *raw)
{
    if (!fs->csum)
        return;
    uint8_t zero[2] = { 0, 0 };
    uint32_t c = inode_seed(fs, ino, ext4_le32(raw + 0x64));
    c = ext4_crc32c(c, raw, 0x7c);
    c = ext4_crc32c(c, zero, 2);
    c = ext4_crc32c(c, raw + 0x7e, 128 - 0x7e);
    int hi = fs->inode_size > 128 && ext4_le16(raw + 0x80) >= 4;
    if (fs->inode_size > 128) {
        c = ext4_crc32c(c, raw + 128, 2);
        if (hi) {
            c = ext4_crc32c(c, zero, 2);
            c = ext4_crc32c(c, raw + 0x84, fs->inode_size - 0x84);
        } else {
            c = ext4_crc32c(c, raw + 0x82, fs->inode_size - 0x82);
        }
    }
    ext4_put16(raw + 0x7c, c & 0xffff);
    if (hi)
        ext4_put16(raw + 0x82, c >> 16);
}

static void extent_tail_set(struct ext4_fs *fs, const struct ext4_inode *in, uint8_t *blk)
{
    if (!fs->csum)
        return;
    size_t off = 12 + 12 * (size_t)ext4_le16(blk + 4);
    ext4_put32(blk + off, ext4_crc32c(inode_seed(fs, in->ino, in->generation), blk, off));
}

static uint32_t tail_size(const struct ext4_fs *fs) { return fs->csum ? 12 : 0; }

static void dir_tail_set(struct ext4_fs *fs, const struct ext4_inode *dir, uint8_t *blk)
{
    if (!fs->csum)
        return;
    uint8_t *t = blk + fs->block_size - 12;
    memset(t, 0, 12);
    ext4_put16(t + 4, 12);
    t[7] = TAIL_FT;
    ext4_put32(t + 8, ext4_crc32c(inode_seed(fs, dir->ino, dir->generation), blk, fs->block_size - 12));
}

/* ---- the running transaction's metadata blocks ---- */

static unsigned mb_bucket(uint64_t blk) { return (unsigned)((blk ^ (blk >> 8)) % EXT4_MBUF_BUCKETS); }

struct ext4_mbuf *ext4_mbuf_find(const struct ext4_fs *fs, uint64_t blk)
{
    for (struct ext4_mbuf *m = fs->mbufs[mb_bucket(blk)]; m; m = m->next) {
        if (m->blk == blk)
            return m;
    }
    return NULL;
}

static struct ext4_mbuf *mbuf_load(struct ext4_fs *fs, uint64_t blk, int fill, int *rc)
{
    struct ext4_mbuf *m = ext4_mbuf_find(fs, blk);
    if (m)
        return m;
    if (blk == 0 || blk >= fs->blocks_count) {
        *rc = ext4_corrupt(fs, "metadata block out of range", blk, 0);
        return NULL;
    }
    m = malloc(sizeof(*m) + fs->block_size);
    if (!m) {
        *rc = -ENOMEM;
        return NULL;
    }
    if (fill) {
        *rc = ext4_read_blocks(fs, blk, 1, m->data);
        if (*rc < 0) {
            free(m);
            return NULL;
        }
    } else {
        memset(m->data, 0, fs->block_size);
    }
    m->blk = blk;
    m->dirty = m->logged = m->escaped = 0;
    m->jpos = 0;
    m->next = fs->mbufs[mb_bucket(blk)];
    fs->mbufs[mb_bucket(blk)] = m;
    fs->n_mbufs++;
    return m;
}

static uint8_t *mark_dirty(struct ext4_fs *fs, struct ext4_mbuf *m)
{
    if (!m)
        return NULL;
    if (!m->dirty) {
        m->dirty = 1;
        fs->n_dirty++;
    }
    fs->dir_ino = 0; /* the reader's directory block copy may be this one */
    return m->data;
}

uint8_t *ext4_mbuf_get(struct ext4_fs *fs, uint64_t blk, int *rc) { return mark_dirty(fs, mbuf_load(fs, blk, 1, rc)); }

const uint8_t *ext4_mbuf_read(struct ext4_fs *fs, uint64_t blk, int *rc)
{
    struct ext4_mbuf *m = mbuf_load(fs, blk, 1, rc);
    return m ? m->data : NULL;
}

uint8_t *ext4_mbuf_new(struct ext4_fs *fs, uint64_t blk, int *rc)
{
    uint8_t *p = mark_dirty(fs, mbuf_load(fs, blk, 0, rc));
    if (p)
        memset(p, 0, fs->block_size);
    return p;
}

void ext4_mbuf_drop_all(struct ext4_fs *fs)
{
    for (unsigned i = 0; i < EXT4_MBUF_BUCKETS; i++) {
        for (struct ext4_mbuf *m = fs->mbufs[i], *n; m; m = n) {
            n = m->next;
            free(m);
        }
        fs->mbufs[i] = NULL;
    }
    fs->n_mbufs = fs->n_dirty = fs->n_logged = 0;
    fs->dir_ino = 0;
}

/* Frees the mbufs keep() rejects. */
static void mbuf_sweep(struct ext4_fs *fs, int (*keep)(struct ext4_fs *, struct ext4_mbuf *))
{
    for (unsigned i = 0; i < EXT4_MBUF_BUCKETS; i++) {
        struct ext4_mbuf **pp = &fs->mbufs[i];
        while (*pp) {
            struct ext4_mbuf *m = *pp;
            if (keep(fs, m)) {
                pp = &m->next;
                continue;
            }
            *pp = m->next;
            fs->n_mbufs--;
            free(m);
        }
    }
    fs->dir_ino = 0;
}

static int keep_committed(struct ext4_fs *fs, struct ext4_mbuf *m)
{
    if (m->dirty) {
        m->dirty = 0;
        fs->n_dirty--;
        if (!m->logged) {
            m->logged = 1;
            fs->n_logged++;
        }
    }
    return m->logged;
}

void ext4_mbuf_committed(struct ext4_fs *fs) { mbuf_sweep(fs, keep_committed); }

static int keep_unhomed(struct ext4_fs *fs, struct ext4_mbuf *m)
{
    if (m->logged) {
        m->logged = 0;
        fs->n_logged--;
    }
    return m->dirty;
}

void ext4_mbuf_checkpointed(struct ext4_fs *fs) { mbuf_sweep(fs, keep_unhomed); }

int ext4_sb_dirty(struct ext4_fs *fs)
{
    int rc = 0;
    uint64_t blk = fs->block_size == 1024 ? 1 : 0;
    uint32_t off = fs->block_size == 1024 ? 0 : 1024;
    /* Block 0 of a 4 KiB file system is out of the checked range: load it
     * by hand. */
    struct ext4_mbuf *m = ext4_mbuf_find(fs, blk);
    if (!m && blk == 0) {
        m = malloc(sizeof(*m) + fs->block_size);
        if (!m)
            return -ENOMEM;
        rc = fs->io.read(fs->io.ctx, 0, 1, m->data);
        if (rc < 0) {
            free(m);
            return -EIO;
        }
        m->blk = 0;
        m->dirty = m->logged = m->escaped = 0;
        m->jpos = 0;
        m->next = fs->mbufs[mb_bucket(0)];
        fs->mbufs[mb_bucket(0)] = m;
        fs->n_mbufs++;
    }
    uint8_t *p = m ? mark_dirty(fs, m) : ext4_mbuf_get(fs, blk, &rc);
    if (!p)
        return rc;
    ext4_sb_csum_set(fs, fs->sb);
    memcpy(p + off, fs->sb, 1024);
    return 0;
}

/* ---- mount-time set-up ---- */

static uint64_t sb_free_blocks(const struct ext4_fs *fs)
{
    return ext4_le32(fs->sb + 0x0c) | ((fs->incompat & EXT4_INCOMPAT_64BIT) ? (uint64_t)ext4_le32(fs->sb + 0x158) << 32 : 0);
}

static void sb_add_free_blocks(struct ext4_fs *fs, int64_t d)
{
    uint64_t v = sb_free_blocks(fs) + (uint64_t)d;
    ext4_put32(fs->sb + 0x0c, (uint32_t)v);
    if (fs->incompat & EXT4_INCOMPAT_64BIT)
        ext4_put32(fs->sb + 0x158, (uint32_t)(v >> 32));
}

static void sb_add_free_inodes(struct ext4_fs *fs, int32_t d)
{
    ext4_put32(fs->sb + 0x10, ext4_le32(fs->sb + 0x10) + (uint32_t)d);
}

/* Decides whether the file system can be written; names what stops it. */
int ext4_write_setup(struct ext4_fs *fs, const uint8_t *sb)
{
    memcpy(fs->sb, sb, 1024);
    fs->rw = 0;
    fs->compat = ext4_le32(sb + 0x5c);
    fs->ro_compat = ext4_le32(sb + 0x64);
    fs->csum = !!(fs->ro_compat & EXT4_RO_COMPAT_METADATA_CSUM);
    fs->gdt_csum = !fs->csum && (fs->ro_compat & EXT4_RO_COMPAT_GDT_CSUM);
    fs->csum_seed = (fs->incompat & EXT4_INCOMPAT_CSUM_SEED) ? ext4_le32(sb + 0x270) : ext4_crc32c(~0u, sb + 0x68, 16);
    fs->reserved_gdt = ext4_le16(sb + 0xce);
    uint32_t log_flex = sb[0x174];
    fs->flex_size = (fs->incompat & EXT4_INCOMPAT_FLEX_BG) && log_flex < 31 ? 1u << log_flex : 1;
    fs->journal_ino = (fs->compat & EXT4_COMPAT_HAS_JOURNAL) ? ext4_le32(sb + 0xe0) : 0;
    fs->gen = ext4_le32(sb + 0x68) ^ (uint32_t)fs->blocks_count;
    if (!fs->io.write)
        return 0;
    uint32_t c = fs->compat & ~COMPAT_WRITABLE, i = fs->incompat & ~INCOMPAT_WRITABLE,
             r = fs->ro_compat & ~RO_COMPAT_WRITABLE;
    const char *why = NULL;
    if (c || i || r)
        why = "features we cannot keep right";
    else if (fs->csum && ext4_le32(sb + 0x3fc) != ext4_crc32c(~0u, sb, 0x3fc))
        why = "superblock checksum mismatch";
    else if (ext4_le16(sb + 0x3a) != 1)
        why = "the file system was not cleanly checked (state has errors)";
    if (why) {
        pr_warn("ext4: %s: mounted read-only: %s (compat %#x, incompat %#x, ro_compat %#x not writable)\n", fs->name,
                why, c, i, r);
        return 0;
    }
    fs->rw = 1;
    return 0;
}

/* ---- group descriptors and bitmaps ---- */

static uint8_t *gd_get(struct ext4_fs *fs, uint32_t g, int *rc)
{
    uint32_t off;
    uint8_t *b = ext4_mbuf_get(fs, ext4_desc_block(fs, g, &off), rc);
    return b ? b + off : NULL;
}

static const uint8_t *gd_peek(struct ext4_fs *fs, uint32_t g, int *rc)
{
    uint32_t off;
    const uint8_t *b = ext4_mbuf_read(fs, ext4_desc_block(fs, g, &off), rc);
    return b ? b + off : NULL;
}

static uint64_t gd_u64(const struct ext4_fs *fs, const uint8_t *d, unsigned lo, unsigned hi)
{
    return ext4_le32(d + lo) | (fs->desc_size >= 64 ? (uint64_t)ext4_le32(d + hi) << 32 : 0);
}

static uint32_t gd_u32(const struct ext4_fs *fs, const uint8_t *d, unsigned lo, unsigned hi)
{
    return ext4_le16(d + lo) | (fs->desc_size >= 64 ? (uint32_t)ext4_le16(d + hi) << 16 : 0);
}

static void gd_set_u32(const struct ext4_fs *fs, uint8_t *d, unsigned lo, unsigned hi, uint32_t v)
{
    ext4_put16(d + lo, v);
    if (fs->desc_size >= 64)
        ext4_put16(d + hi, v >> 16);
}

static int has_super(const struct ext4_fs *fs, uint32_t g)
{
    if (g <= 1 || !(fs->ro_compat & EXT4_RO_COMPAT_SPARSE_SUPER))
        return 1;
    if (!(g & 1))
        return 0;
    for (uint32_t b = 3; b <= 7; b += 2) {
        uint64_t p = b;
        while (p < g)
            p *= b;
        if (p == g)
            return 1;
    }
    return 0;
}

static uint32_t group_blocks(const struct ext4_fs *fs, uint32_t g)
{
    uint64_t start = fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
    uint64_t n = fs->blocks_count - start;
    return n < fs->blocks_per_group ? (uint32_t)n : fs->blocks_per_group;
}

static void set_bit(uint8_t *map, uint32_t i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void clear_bit(uint8_t *map, uint32_t i) { map[i / 8] &= (uint8_t)~(1u << (i % 8)); }
static int test_bit(const uint8_t *map, uint32_t i) { return map[i / 8] >> (i % 8) & 1; }

static void bitmap_csum_set(struct ext4_fs *fs, uint8_t *d, const uint8_t *map, int inode)
{
    if (!fs->csum)
        return;
    uint32_t bytes = (inode ? fs->inodes_per_group : fs->blocks_per_group) / 8;
    uint32_t c = ext4_crc32c(fs->csum_seed, map, bytes);
    ext4_put16(d + (inode ? 0x1a : 0x18), c & 0xffff);
    if (fs->desc_size >= 64)
        ext4_put16(d + (inode ? 0x3a : 0x38), c >> 16);
}

/* A group's block bitmap as the transaction holds it; an uninitialised one
 * is made as mke2fs would: the group's own metadata marked in use. */
static uint8_t *block_bitmap(struct ext4_fs *fs, uint32_t g, uint8_t **gd, int *rc)
{
    uint8_t *d = gd_get(fs, g, rc);
    if (!d)
        return NULL;
    *gd = d;
    uint64_t bb = gd_u64(fs, d, 0x00, 0x20);
    if (bb == 0 || bb >= fs->blocks_count) {
        *rc = ext4_corrupt(fs, "block bitmap out of range", g, bb);
        return NULL;
    }
    uint16_t flags = ext4_le16(d + 0x12);
    if (!(flags & EXT4_BG_BLOCK_UNINIT))
        return ext4_mbuf_get(fs, bb, rc);
    uint8_t *map = ext4_mbuf_new(fs, bb, rc);
    if (!map)
        return NULL;
    uint64_t start = fs->first_data_block + (uint64_t)g * fs->blocks_per_group;
    uint32_t n = 0;
    if (has_super(fs, g)) {
        uint32_t gdt = (uint32_t)(((uint64_t)fs->n_groups * fs->desc_size + fs->block_size - 1) / fs->block_size);
        n = 1 + gdt + fs->reserved_gdt;
    }
    for (uint32_t i = 0; i < n && i < fs->blocks_per_group; i++)
        set_bit(map, i);
    uint64_t own[3] = { bb, gd_u64(fs, d, 0x04, 0x24), gd_u64(fs, d, 0x08, 0x28) };
    uint32_t itb = (uint32_t)(((uint64_t)fs->inodes_per_group * fs->inode_size + fs->block_size - 1) / fs->block_size);
    for (int k = 0; k < 3; k++) {
        uint32_t len = k == 2 ? itb : 1;
        for (uint32_t j = 0; j < len; j++) {
            uint64_t b = own[k] + j;
            if (b >= start && b < start + fs->blocks_per_group)
                set_bit(map, (uint32_t)(b - start));
        }
    }
    for (uint32_t i = group_blocks(fs, g); i < fs->block_size * 8; i++)
        set_bit(map, i); /* past the group's end */
    ext4_put16(d + 0x12, flags & ~EXT4_BG_BLOCK_UNINIT);
    return map;
}

static uint8_t *inode_bitmap(struct ext4_fs *fs, uint32_t g, uint8_t **gd, int *rc)
{
    uint8_t *d = gd_get(fs, g, rc);
    if (!d)
        return NULL;
    *gd = d;
    uint64_t ib = gd_u64(fs, d, 0x04, 0x24);
    if (ib == 0 || ib >= fs->blocks_count) {
        *rc = ext4_corrupt(fs, "inode bitmap out of range", g, ib);
        return NULL;
    }
    uint16_t flags = ext4_le16(d + 0x12);
    if (!(flags & EXT4_BG_INODE_UNINIT))
        return ext4_mbuf_get(fs, ib, rc);
    uint8_t *map = ext4_mbuf_new(fs, ib, rc);
    if (!map)
        return NULL;
    for (uint32_t i = fs->inodes_per_group; i < fs->block_size * 8; i++)
        set_bit(map, i);
    ext4_put16(d + 0x12, flags & ~EXT4_BG_INODE_UNINIT);
    return map;
}

/* Up to want free blocks in a row in group g, at or after bit from. */
static uint32_t find_run(const uint8_t *map, uint32_t nbits, uint32_t from, uint32_t want, uint32_t *start)
{
    for (uint32_t i = from; i < nbits; i++) {
        if (map[i / 8] == 0xff && i % 8 == 0) {
            i += 7;
            continue;
        }
        if (test_bit(map, i))
            continue;
        uint32_t n = 0;
        while (i + n < nbits && n < want && !test_bit(map, i + n))
            n++;
        *start = i;
        return n;
    }
    return 0;
}

/* Allocates up to want blocks in a row near goal: *got blocks at *blk. */
static int alloc_blocks(struct ext4_fs *fs, uint64_t goal, uint32_t want, uint64_t *blk, uint32_t *got)
{
    if (goal < fs->first_data_block || goal >= fs->blocks_count)
        goal = fs->first_data_block + (uint64_t)fs->last_group * fs->blocks_per_group;
    uint32_t g0 = (uint32_t)((goal - fs->first_data_block) / fs->blocks_per_group);
    for (uint32_t k = 0; k <= fs->n_groups; k++) {
        uint32_t g = (g0 + k) % fs->n_groups;
        int rc = 0;
        const uint8_t *pd = gd_peek(fs, g, &rc);
        if (!pd)
            return rc;
        if (gd_u32(fs, pd, 0x0c, 0x2c) == 0)
            continue;
        uint8_t *d;
        uint8_t *map = block_bitmap(fs, g, &d, &rc);
        if (!map)
            return rc;
        uint32_t from = k == 0 ? (uint32_t)((goal - fs->first_data_block) % fs->blocks_per_group) : 0;
        uint32_t start, n = find_run(map, group_blocks(fs, g), from, want, &start);
        if (!n && from)
            n = find_run(map, group_blocks(fs, g), 0, want, &start);
        if (!n)
            continue;
        for (uint32_t i = 0; i < n; i++)
            set_bit(map, start + i);
        bitmap_csum_set(fs, d, map, 0);
        gd_set_u32(fs, d, 0x0c, 0x2c, gd_u32(fs, d, 0x0c, 0x2c) - n);
        gd_csum_set(fs, g, d);
        sb_add_free_blocks(fs, -(int64_t)n);
        *blk = fs->first_data_block + (uint64_t)g * fs->blocks_per_group + start;
        *got = n;
        fs->last_group = g;
        return ext4_sb_dirty(fs);
    }
    return -ENOSPC;
}

/* Blocks freed now go back to the bitmaps at the commit, so that no block
 * the committed metadata still points to is reused before then. */
static int free_blocks(struct ext4_fs *fs, uint64_t blk, uint32_t count)
{
    if (!count)
        return 0;
    if (blk < fs->first_data_block || blk >= fs->blocks_count || count > fs->blocks_count - blk)
        return ext4_corrupt(fs, "freeing blocks out of range", blk, count);
    unsigned n = fs->n_pending;
    if (n && fs->pending_free[n - 1].blk + fs->pending_free[n - 1].count == blk &&
        fs->pending_free[n - 1].count + count > count) {
        fs->pending_free[n - 1].count += count;
        return 0;
    }
    if (n == EXT4_MAX_PENDING_FREES) {
        int rc = ext4_apply_frees(fs); /* rare: a huge transaction; reuse is then possible before its commit */
        if (rc < 0)
            return rc;
        n = 0;
    }
    fs->pending_free[n].blk = blk;
    fs->pending_free[n].count = count;
    fs->n_pending = n + 1;
    return 0;
}

static int release_run(struct ext4_fs *fs, uint64_t blk, uint32_t count)
{
    while (count) {
        uint32_t g = (uint32_t)((blk - fs->first_data_block) / fs->blocks_per_group);
        uint32_t bit = (uint32_t)((blk - fs->first_data_block) % fs->blocks_per_group);
        uint32_t n = fs->blocks_per_group - bit < count ? fs->blocks_per_group - bit : count;
        int rc = 0;
        uint8_t *d, *map = block_bitmap(fs, g, &d, &rc);
        if (!map)
            return rc;
        for (uint32_t i = 0; i < n; i++) {
            if (!test_bit(map, bit + i))
                return ext4_corrupt(fs, "freeing a free block", blk + i, g);
            clear_bit(map, bit + i);
        }
        bitmap_csum_set(fs, d, map, 0);
        gd_set_u32(fs, d, 0x0c, 0x2c, gd_u32(fs, d, 0x0c, 0x2c) + n);
        gd_csum_set(fs, g, d);
        sb_add_free_blocks(fs, n);
        blk += n;
        count -= n;
    }
    return ext4_sb_dirty(fs);
}

int ext4_apply_frees(struct ext4_fs *fs)
{
    for (unsigned i = 0; i < fs->n_pending; i++) {
        int rc = release_run(fs, fs->pending_free[i].blk, fs->pending_free[i].count);
        if (rc < 0)
            return rc;
    }
    fs->n_pending = 0;
    return 0;
}

static int alloc_inode(struct ext4_fs *fs, uint32_t near, int dir, uint32_t *ino)
{
    uint32_t g0 = near ? (near - 1) / fs->inodes_per_group : 0;
    for (uint32_t k = 0; k < fs->n_groups; k++) {
        uint32_t g = (g0 + k) % fs->n_groups;
        int rc = 0;
        const uint8_t *pd = gd_peek(fs, g, &rc);
        if (!pd)
            return rc;
        if (gd_u32(fs, pd, 0x0e, 0x2e) == 0)
            continue;
        uint8_t *d, *map = inode_bitmap(fs, g, &d, &rc);
        if (!map)
            return rc;
        uint32_t first = g == 0 ? ext4_le32(fs->sb + 0x54) : 0; /* s_first_ino: reserved ones below */
        uint32_t i;
        for (i = first; i < fs->inodes_per_group && test_bit(map, i); i++)
            ;
        if (i >= fs->inodes_per_group)
            continue;
        set_bit(map, i);
        bitmap_csum_set(fs, d, map, 1);
        gd_set_u32(fs, d, 0x0e, 0x2e, gd_u32(fs, d, 0x0e, 0x2e) - 1);
        if (dir)
            gd_set_u32(fs, d, 0x10, 0x30, gd_u32(fs, d, 0x10, 0x30) + 1);
        if (fs->csum || fs->gdt_csum) {
            uint32_t unused = gd_u32(fs, d, 0x1c, 0x32);
            if (i + 1 > fs->inodes_per_group - unused)
                gd_set_u32(fs, d, 0x1c, 0x32, fs->inodes_per_group - (i + 1));
        }
        gd_csum_set(fs, g, d);
        sb_add_free_inodes(fs, -1);
        *ino = g * fs->inodes_per_group + i + 1;
        return ext4_sb_dirty(fs);
    }
    return -ENOSPC;
}

static int release_inode(struct ext4_fs *fs, uint32_t ino, int dir)
{
    uint32_t g = (ino - 1) / fs->inodes_per_group, i = (ino - 1) % fs->inodes_per_group;
    int rc = 0;
    uint8_t *d, *map = inode_bitmap(fs, g, &d, &rc);
    if (!map)
        return rc;
    if (!test_bit(map, i))
        return ext4_corrupt(fs, "freeing a free inode", ino, g);
    clear_bit(map, i);
    bitmap_csum_set(fs, d, map, 1);
    gd_set_u32(fs, d, 0x0e, 0x2e, gd_u32(fs, d, 0x0e, 0x2e) + 1);
    if (dir)
        gd_set_u32(fs, d, 0x10, 0x30, gd_u32(fs, d, 0x10, 0x30) - 1);
    gd_csum_set(fs, g, d);
    sb_add_free_inodes(fs, 1);
    return ext4_sb_dirty(fs);
}

/* ---- inodes ---- */

static uint8_t *inode_raw(struct ext4_fs *fs, uint32_t ino, int *rc)
{
    if (ino == 0 || ino > fs->inodes_count) {
        *rc = ext4_corrupt(fs, "inode number out of range", ino, 0);
        return NULL;
    }
    uint32_t g = (ino - 1) / fs->inodes_per_group, i = (ino - 1) % fs->inodes_per_group;
    const uint8_t *d = gd_peek(fs, g, rc);
    if (!d)
        return NULL;
    uint64_t table = gd_u64(fs, d, 0x08, 0x28);
    uint64_t off = (uint64_t)i * fs->inode_size;
    if (table == 0 || table >= fs->blocks_count) {
        *rc = ext4_corrupt(fs, "inode table out of range", g, table);
        return NULL;
    }
    uint8_t *b = ext4_mbuf_get(fs, table + off / fs->block_size, rc);
    return b ? b + off % fs->block_size : NULL;
}

static void put_time(uint8_t *raw, unsigned off, unsigned extra_off, int has_extra, int64_t t, uint32_t nsec)
{
    ext4_put32(raw + off, (uint32_t)t);
    if (has_extra)
        ext4_put32(raw + extra_off, nsec << 2 | (uint32_t)((t - (int64_t)(int32_t)t) >> 32 & 3));
}

int ext4_write_inode(struct ext4_fs *fs, const struct ext4_inode *in)
{
    if (!fs->rw)
        return -EROFS;
    int rc = 0;
    uint8_t *raw = inode_raw(fs, in->ino, &rc);
    if (!raw)
        return rc;
    ext4_put16(raw + 0x00, in->mode);
    ext4_put16(raw + 0x02, in->uid);
    ext4_put16(raw + 0x78, in->uid >> 16);
    ext4_put16(raw + 0x18, in->gid);
    ext4_put16(raw + 0x7a, in->gid >> 16);
    ext4_put32(raw + 0x04, (uint32_t)in->size);
    ext4_put32(raw + 0x6c, (uint32_t)(in->size >> 32));
    ext4_put16(raw + 0x1a, in->links);
    uint64_t blocks = in->blocks512;
    uint32_t flags = in->flags & ~EXT4_INODE_FLAG_HUGE_FILE;
    ext4_put32(raw + 0x1c, (uint32_t)blocks);
    ext4_put16(raw + 0x74, (uint16_t)(blocks >> 32));
    ext4_put32(raw + 0x20, flags);
    ext4_put32(raw + 0x14, in->dtime);
    ext4_put32(raw + 0x64, in->generation);
    uint16_t extra = fs->inode_size > 128 ? ext4_le16(raw + 0x80) : 0;
    put_time(raw, 0x0c, 0x84, extra >= 8, in->ctime, in->ctime_nsec);
    put_time(raw, 0x10, 0x88, extra >= 12, in->mtime, in->mtime_nsec);
    put_time(raw, 0x08, 0x8c, extra >= 16, in->atime, in->atime_nsec);
    memcpy(raw + 0x28, in->iblock, sizeof(in->iblock));
    inode_csum_set(fs, in->ino, raw);
    return 0;
}

/* ---- extent lists ---- */

struct ext {
    uint32_t lblk, len;
    uint64_t pblk;
    int uninit;
};

struct extlist {
    struct ext *e;
    unsigned n, cap;
    uint64_t *tree; /* the tree's own blocks, reused when it is rebuilt */
    unsigned nt, tcap;
    int changed;
};

static void extlist_free(struct extlist *l)
{
    free(l->e);
    free(l->tree);
    memset(l, 0, sizeof(*l));
}

static int ext_push(struct extlist *l, struct ext x)
{
    if (l->n == l->cap) {
        unsigned cap = l->cap ? l->cap * 2 : 16;
        struct ext *e = realloc(l->e, cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        l->e = e;
        l->cap = cap;
    }
    l->e[l->n++] = x;
    return 0;
}

static int tree_push(struct extlist *l, uint64_t b)
{
    if (l->nt == l->tcap) {
        unsigned cap = l->tcap ? l->tcap * 2 : 8;
        uint64_t *t = realloc(l->tree, cap * sizeof(*t));
        if (!t)
            return -ENOMEM;
        l->tree = t;
        l->tcap = cap;
    }
    l->tree[l->nt++] = b;
    return 0;
}

static int load_node(struct ext4_fs *fs, const struct ext4_inode *in, const uint8_t *node, size_t space,
                     int depth_expect, struct extlist *l, unsigned level)
{
    if (ext4_le16(node) != EXT4_EXTENT_MAGIC)
        return ext4_corrupt(fs, "extent header magic", in->ino, ext4_le16(node));
    uint16_t n = ext4_le16(node + 2), max = ext4_le16(node + 4), depth = ext4_le16(node + 6);
    if (max > (space - 12) / 12 || n > max || depth > EXT4_MAX_DEPTH ||
        (depth_expect >= 0 && depth != depth_expect) || level > EXT4_MAX_DEPTH)
        return ext4_corrupt(fs, "extent header", in->ino, depth);
    const uint8_t *e = node + 12;
    for (unsigned i = 0; i < n; i++, e += 12) {
        if (depth == 0) {
            struct ext x = { ext4_le32(e), ext4_le16(e + 4), ext4_le32(e + 8) | (uint64_t)ext4_le16(e + 6) << 32, 0 };
            if (x.len > EXT4_EXTENT_INIT_MAX) {
                x.len -= EXT4_EXTENT_INIT_MAX;
                x.uninit = 1;
            }
            if (x.len == 0 || x.pblk == 0 || x.pblk >= fs->blocks_count || x.len > fs->blocks_count - x.pblk ||
                (l->n && (uint64_t)l->e[l->n - 1].lblk + l->e[l->n - 1].len > x.lblk) ||
                (uint64_t)x.lblk + x.len > (1ull << 32))
                return ext4_corrupt(fs, "extent", in->ino, x.lblk);
            int rc = ext_push(l, x);
            if (rc < 0)
                return rc;
            continue;
        }
        uint64_t child = ext4_le32(e + 4) | (uint64_t)ext4_le16(e + 8) << 32;
        int rc = tree_push(l, child);
        if (rc < 0)
            return rc;
        uint8_t *buf = fs->meta[level + 1 <= EXT4_MAX_DEPTH ? level + 1 : EXT4_MAX_DEPTH];
        if ((rc = ext4_read_blocks(fs, child, 1, buf)) < 0)
            return rc;
        if ((rc = load_node(fs, in, buf, fs->block_size, depth - 1, l, level + 1)) < 0)
            return rc;
    }
    return 0;
}

static int extents_load(struct ext4_fs *fs, const struct ext4_inode *in, struct extlist *l)
{
    memset(l, 0, sizeof(*l));
    if (!(in->flags & EXT4_INODE_FLAG_EXTENTS))
        return -EOPNOTSUPP;
    int rc = load_node(fs, in, in->iblock, sizeof(in->iblock), -1, l, 0);
    if (rc < 0)
        extlist_free(l);
    return rc;
}

static void put_extent(uint8_t *p, const struct ext *x)
{
    ext4_put32(p, x->lblk);
    ext4_put16(p + 4, x->len + (x->uninit ? EXT4_EXTENT_INIT_MAX : 0));
    ext4_put16(p + 6, (uint32_t)(x->pblk >> 32));
    ext4_put32(p + 8, (uint32_t)x->pblk);
}

static void put_header(uint8_t *p, uint16_t n, uint16_t max, uint16_t depth)
{
    ext4_put16(p, EXT4_EXTENT_MAGIC);
    ext4_put16(p + 2, n);
    ext4_put16(p + 4, max);
    ext4_put16(p + 6, depth);
    ext4_put32(p + 8, 0);
}

static void put_index(uint8_t *p, uint32_t lblk, uint64_t child)
{
    ext4_put32(p, lblk);
    ext4_put32(p + 4, (uint32_t)child);
    ext4_put16(p + 8, (uint32_t)(child >> 32));
    ext4_put16(p + 10, 0);
}

/* Takes a tree block: one of the old tree's, else a new one. */
static int tree_block(struct ext4_fs *fs, struct extlist *l, unsigned *used, uint64_t goal, struct ext4_inode *in,
                      uint64_t *blk)
{
    if (*used < l->nt) {
        *blk = l->tree[(*used)++];
        return 0;
    }
    uint32_t got = 0;
    int rc = alloc_blocks(fs, goal, 1, blk, &got);
    if (rc == 0)
        in->blocks512 += fs->block_size / 512;
    return rc;
}

/* Writes the list back as a tree: in the inode (up to 4 extents), else
 * full leaves under the inode's root, or under index blocks. */
static int extents_store(struct ext4_fs *fs, struct ext4_inode *in, struct extlist *l)
{
    uint32_t per = (fs->block_size - 12) / 12;
    uint64_t goal = l->n ? l->e[0].pblk : 0;
    unsigned used = 0;
    int rc = 0;
    memset(in->iblock, 0, sizeof(in->iblock));
    if (l->n <= 4) {
        put_header(in->iblock, (uint16_t)l->n, 4, 0);
        for (unsigned i = 0; i < l->n; i++)
            put_extent(in->iblock + 12 + 12 * i, &l->e[i]);
    } else {
        unsigned leaves = (l->n + per - 1) / per;
        unsigned depth = leaves <= 4 ? 1 : 2;
        unsigned idx_blocks = depth == 2 ? (leaves + per - 1) / per : 0;
        if (idx_blocks > 4)
            return -EFBIG;
        uint64_t *leaf = malloc(leaves * sizeof(*leaf));
        if (!leaf)
            return -ENOMEM;
        for (unsigned k = 0; k < leaves && rc == 0; k++) {
            unsigned first = k * per, cnt = l->n - first < per ? l->n - first : per;
            rc = tree_block(fs, l, &used, goal, in, &leaf[k]);
            uint8_t *b = rc == 0 ? ext4_mbuf_new(fs, leaf[k], &rc) : NULL;
            if (!b)
                break;
            put_header(b, (uint16_t)cnt, (uint16_t)per, 0);
            for (unsigned i = 0; i < cnt; i++)
                put_extent(b + 12 + 12 * i, &l->e[first + i]);
            extent_tail_set(fs, in, b);
        }
        if (rc == 0 && depth == 1) {
            put_header(in->iblock, (uint16_t)leaves, 4, 1);
            for (unsigned k = 0; k < leaves; k++)
                put_index(in->iblock + 12 + 12 * k, l->e[k * per].lblk, leaf[k]);
        } else if (rc == 0) {
            put_header(in->iblock, (uint16_t)idx_blocks, 4, 2);
            for (unsigned k = 0; k < idx_blocks && rc == 0; k++) {
                unsigned first = k * per, cnt = leaves - first < per ? leaves - first : per;
                uint64_t ib;
                rc = tree_block(fs, l, &used, goal, in, &ib);
                uint8_t *b = rc == 0 ? ext4_mbuf_new(fs, ib, &rc) : NULL;
                if (!b)
                    break;
                put_header(b, (uint16_t)cnt, (uint16_t)per, 1);
                for (unsigned i = 0; i < cnt; i++)
                    put_index(b + 12 + 12 * i, l->e[(first + i) * per].lblk, leaf[first + i]);
                extent_tail_set(fs, in, b);
                put_index(in->iblock + 12 + 12 * k, l->e[first * per].lblk, ib);
            }
        }
        free(leaf);
        if (rc < 0)
            return rc;
    }
    /* Tree blocks no longer needed. */
    for (unsigned i = used; i < l->nt; i++) {
        if ((rc = free_blocks(fs, l->tree[i], 1)) < 0)
            return rc;
        in->blocks512 -= fs->block_size / 512;
    }
    l->nt = used;
    l->changed = 0;
    return 0;
}

/* The extent holding lblk (its index), or -1 with *next the first after. */
static int ext_find(const struct extlist *l, uint64_t lblk, unsigned *next)
{
    unsigned lo = 0, hi = l->n;
    while (lo < hi) {
        unsigned mid = (lo + hi) / 2;
        if ((uint64_t)l->e[mid].lblk + l->e[mid].len <= lblk)
            lo = mid + 1;
        else
            hi = mid;
    }
    *next = lo;
    return lo < l->n && l->e[lo].lblk <= lblk ? (int)lo : -1;
}

static int ext_insert_at(struct extlist *l, unsigned at, struct ext x)
{
    int rc = ext_push(l, x);
    if (rc < 0)
        return rc;
    memmove(&l->e[at + 1], &l->e[at], (l->n - 1 - at) * sizeof(*l->e));
    l->e[at] = x;
    l->changed = 1;
    return 0;
}

static void ext_remove_at(struct extlist *l, unsigned at)
{
    memmove(&l->e[at], &l->e[at + 1], (l->n - at - 1) * sizeof(*l->e));
    l->n--;
    l->changed = 1;
}

/* Adds a new mapped run in a hole, merged with its neighbours when they
 * continue it on disk. */
static int ext_add(struct extlist *l, uint32_t lblk, uint32_t len, uint64_t pblk)
{
    unsigned next;
    ext_find(l, lblk, &next);
    if (next > 0) {
        struct ext *p = &l->e[next - 1];
        if (!p->uninit && (uint64_t)p->lblk + p->len == lblk && p->pblk + p->len == pblk &&
            p->len + len <= EXT4_EXTENT_INIT_MAX) {
            p->len += len;
            l->changed = 1;
            if (next < l->n) {
                struct ext *q = &l->e[next];
                if (!q->uninit && (uint64_t)p->lblk + p->len == q->lblk && p->pblk + p->len == q->pblk &&
                    p->len + q->len <= EXT4_EXTENT_INIT_MAX) {
                    p->len += q->len;
                    ext_remove_at(l, next);
                }
            }
            return 0;
        }
    }
    if (next < l->n) {
        struct ext *q = &l->e[next];
        if (!q->uninit && lblk + len == q->lblk && pblk + len == q->pblk && q->len + len <= EXT4_EXTENT_INIT_MAX) {
            q->lblk = lblk;
            q->pblk = pblk;
            q->len += len;
            l->changed = 1;
            return 0;
        }
    }
    return ext_insert_at(l, next, (struct ext){ lblk, len, pblk, 0 });
}

/* Marks [lblk, lblk + len) of uninitialised extent i as written. */
static int ext_init_range(struct extlist *l, unsigned i, uint32_t lblk, uint32_t len)
{
    struct ext x = l->e[i];
    uint32_t before = lblk - x.lblk, after = x.lblk + x.len - (lblk + len);
    int rc = 0;
    l->e[i] = (struct ext){ lblk, len, x.pblk + before, 0 };
    if (after)
        rc = ext_insert_at(l, i + 1, (struct ext){ lblk + len, after, x.pblk + before + len, 1 });
    if (rc == 0 && before)
        rc = ext_insert_at(l, i, (struct ext){ x.lblk, before, x.pblk, 1 });
    l->changed = 1;
    return rc;
}

/* Drops every mapping at or past lblk, freeing the blocks. */
static int ext_cut(struct ext4_fs *fs, struct ext4_inode *in, struct extlist *l, uint64_t lblk)
{
    while (l->n) {
        struct ext *x = &l->e[l->n - 1];
        if ((uint64_t)x->lblk + x->len <= lblk)
            break;
        uint32_t keep = x->lblk >= lblk ? 0 : (uint32_t)(lblk - x->lblk);
        int rc = free_blocks(fs, x->pblk + keep, x->len - keep);
        if (rc < 0)
            return rc;
        in->blocks512 -= (uint64_t)(x->len - keep) * (fs->block_size / 512);
        l->changed = 1;
        if (keep)
            x->len = keep;
        else
            l->n--;
    }
    return 0;
}

/* ---- file data ---- */

/* A block about to take file data may still be metadata in the live log
 * (freed since, reused now): revoked, so that neither a replay nor the
 * checkpoint writes the old copy over the data, and no longer cached. */
static int forget_metadata(struct ext4_fs *fs, uint64_t pblk, uint32_t count)
{
    for (uint32_t i = 0; i < count && fs->n_logged; i++) {
        struct ext4_mbuf *m = ext4_mbuf_find(fs, pblk + i);
        if (!m || !m->logged)
            continue;
        int rc = ext4_journal_revoke(fs, m->blk);
        if (rc < 0)
            return rc;
        m->logged = 0;
        fs->n_logged--;
        if (!m->dirty) {
            struct ext4_mbuf **pp = &fs->mbufs[mb_bucket(m->blk)];
            while (*pp != m)
                pp = &(*pp)->next;
            *pp = m->next;
            fs->n_mbufs--;
            free(m);
        }
        fs->dir_ino = 0;
    }
    return 0;
}

static int write_data(struct ext4_fs *fs, uint64_t pblk, uint32_t count, const void *buf)
{
    int rc = forget_metadata(fs, pblk, count);
    if (rc < 0)
        return rc;
    rc = fs->io.write(fs->io.ctx, pblk, count, buf);
    return rc < 0 ? -EIO : 0;
}

/* An empty map for a new (or emptied) file: an extent root, or on a file
 * system without extents an empty block map. */
static void empty_map(const struct ext4_fs *fs, struct ext4_inode *in)
{
    memset(in->iblock, 0, sizeof(in->iblock));
    if (!(fs->incompat & EXT4_INCOMPAT_EXTENTS))
        return;
    put_header(in->iblock, 0, 4, 0);
    in->flags |= EXT4_INODE_FLAG_EXTENTS;
}

static void touch(struct ext4_inode *in, int64_t sec, uint32_t nsec, int mtime)
{
    in->ctime = sec;
    in->ctime_nsec = nsec;
    if (mtime) {
        in->mtime = sec;
        in->mtime_nsec = nsec;
    }
}

/* Writes [off, off + len) of one block whose other bytes are either on
 * disk (old) or zeros (a new block). */
static int write_partial(struct ext4_fs *fs, uint64_t pblk, uint32_t boff, const uint8_t *src, uint32_t n, int fresh)
{
    int rc = 0;
    if (fresh)
        memset(fs->scratch, 0, fs->block_size);
    else if ((rc = ext4_read_blocks(fs, pblk, 1, fs->scratch)) < 0)
        return rc;
    memcpy(fs->scratch + boff, src, n);
    return write_data(fs, pblk, 1, fs->scratch);
}

/* ---- block maps (files without the extents flag: ext2/ext3 and old
 * files) ---- */

/* Slots in the inode: 12 direct, then the single, double and triple
 * indirect blocks, each a block of 32-bit block numbers. */
#define BMAP_DIRECT 12

static uint64_t bmap_limit(const struct ext4_fs *fs)
{
    uint64_t p = fs->block_size / 4;
    return BMAP_DIRECT + p + p * p + p * p * p;
}

/* The path to lblk: the inode slot in idx[0], the entry in each indirect
 * block below; returns the number of indirect levels (0-3). */
static int bmap_path(const struct ext4_fs *fs, uint64_t lblk, uint32_t idx[4])
{
    uint64_t p = fs->block_size / 4;
    if (lblk < BMAP_DIRECT) {
        idx[0] = (uint32_t)lblk;
        return 0;
    }
    lblk -= BMAP_DIRECT;
    if (lblk < p) {
        idx[0] = BMAP_DIRECT;
        idx[1] = (uint32_t)lblk;
        return 1;
    }
    lblk -= p;
    if (lblk < p * p) {
        idx[0] = BMAP_DIRECT + 1;
        idx[1] = (uint32_t)(lblk / p);
        idx[2] = (uint32_t)(lblk % p);
        return 2;
    }
    lblk -= p * p;
    idx[0] = BMAP_DIRECT + 2;
    idx[1] = (uint32_t)(lblk / (p * p));
    idx[2] = (uint32_t)(lblk / p % p);
    idx[3] = (uint32_t)(lblk % p);
    return 3;
}

/* One block for a block map, which holds only 32-bit block numbers. */
static int bmap_alloc(struct ext4_fs *fs, struct ext4_inode *in, uint64_t goal, uint64_t *blk)
{
    uint32_t got = 0;
    if (goal > 0xffffffffull)
        goal = 0;
    int rc = alloc_blocks(fs, goal, 1, blk, &got);
    if (rc < 0)
        return rc;
    if (*blk > 0xffffffffull) { /* a 64-bit file system full below 2^32 */
        free_blocks(fs, *blk, 1);
        return -ENOSPC;
    }
    in->blocks512 += fs->block_size / 512;
    return 0;
}

static int bmap_check(struct ext4_fs *fs, const struct ext4_inode *in, uint64_t blk)
{
    if (blk < fs->first_data_block || blk >= fs->blocks_count)
        return ext4_corrupt(fs, "block map points outside the file system", blk, in->ino);
    return 0;
}

/* The block mapped at lblk (0: a hole). With alloc, a hole gets a new
 * block (near goal) and the indirect blocks on its way; *fresh says the
 * data block is new (its bytes are not on disk yet). Indirect blocks are
 * metadata of the transaction. */
static int bmap_get(struct ext4_fs *fs, struct ext4_inode *in, uint64_t lblk, int alloc, uint64_t goal,
                    uint64_t *pblk, int *fresh)
{
    uint32_t idx[4];
    int rc = 0;
    *pblk = 0;
    *fresh = 0;
    if (lblk >= bmap_limit(fs))
        return -EFBIG;
    int depth = bmap_path(fs, lblk, idx);
    uint64_t blk = ext4_le32(in->iblock + 4 * idx[0]);
    if (!blk) {
        if (!alloc)
            return 0;
        if ((rc = bmap_alloc(fs, in, goal, &blk)) < 0)
            return rc;
        if (depth > 0 && !ext4_mbuf_new(fs, blk, &rc))
            return rc;
        ext4_put32(in->iblock + 4 * idx[0], (uint32_t)blk);
        *fresh = depth == 0;
    }
    for (int level = 1; level <= depth; level++) {
        if ((rc = bmap_check(fs, in, blk)) < 0)
            return rc;
        const uint8_t *b = ext4_mbuf_read(fs, blk, &rc);
        if (!b)
            return rc;
        uint64_t next = ext4_le32(b + 4 * idx[level]);
        if (!next) {
            if (!alloc)
                return 0;
            if ((rc = bmap_alloc(fs, in, goal ? goal : blk + 1, &next)) < 0)
                return rc;
            if (level < depth && !ext4_mbuf_new(fs, next, &rc))
                return rc;
            uint8_t *w = ext4_mbuf_get(fs, blk, &rc);
            if (!w)
                return rc;
            ext4_put32(w + 4 * idx[level], (uint32_t)next);
            *fresh = level == depth;
        }
        blk = next;
    }
    if ((rc = bmap_check(fs, in, blk)) < 0)
        return rc;
    *pblk = blk;
    return 0;
}

/* Frees what the indirect block *slot (depth levels above the data,
 * mapping logical blocks from base) maps at or past from, and the block
 * itself when nothing in it is left (then *slot becomes 0). */
static int bmap_cut_tree(struct ext4_fs *fs, struct ext4_inode *in, uint8_t *slot, int depth, uint64_t base,
                         uint64_t from)
{
    uint64_t blk = ext4_le32(slot), p = fs->block_size / 4, span = 1;
    for (int i = 1; i < depth; i++)
        span *= p;
    int rc = bmap_check(fs, in, blk);
    if (rc < 0)
        return rc;
    int whole = base >= from; /* the block goes: no need to change it */
    const uint8_t *b = whole ? ext4_mbuf_read(fs, blk, &rc) : ext4_mbuf_get(fs, blk, &rc);
    if (!b)
        return rc;
    int left = 0;
    for (uint64_t i = 0; i < p; i++) {
        uint64_t cbase = base + i * span;
        uint8_t *e = (uint8_t *)b + 4 * i;
        uint64_t c = ext4_le32(e);
        if (!c)
            continue;
        if (cbase + span <= from) {
            left = 1;
            continue;
        }
        if (depth == 1) {
            if ((rc = bmap_check(fs, in, c)) < 0 || (rc = free_blocks(fs, c, 1)) < 0)
                return rc;
            in->blocks512 -= fs->block_size / 512;
            if (!whole)
                ext4_put32(e, 0);
            continue;
        }
        uint8_t tmp[4];
        memcpy(tmp, e, 4);
        if ((rc = bmap_cut_tree(fs, in, tmp, depth - 1, cbase, from)) < 0)
            return rc;
        if (!whole)
            memcpy(e, tmp, 4);
        left |= ext4_le32(tmp) != 0;
    }
    if (left)
        return 0;
    if ((rc = free_blocks(fs, blk, 1)) < 0)
        return rc;
    in->blocks512 -= fs->block_size / 512;
    ext4_put32(slot, 0);
    return 0;
}

/* Drops every mapping at or past lblk from, freeing data and the indirect
 * blocks left empty. */
static int bmap_cut(struct ext4_fs *fs, struct ext4_inode *in, uint64_t from)
{
    uint64_t p = fs->block_size / 4, base = BMAP_DIRECT;
    for (uint32_t i = 0; i < BMAP_DIRECT; i++) {
        uint64_t c = ext4_le32(in->iblock + 4 * i);
        if (i < from || !c)
            continue;
        int rc = bmap_check(fs, in, c);
        if (rc < 0 || (rc = free_blocks(fs, c, 1)) < 0)
            return rc;
        in->blocks512 -= fs->block_size / 512;
        ext4_put32(in->iblock + 4 * i, 0);
    }
    uint64_t span = p;
    for (int depth = 1; depth <= 3; depth++) {
        uint8_t *slot = in->iblock + 4 * (BMAP_DIRECT + depth - 1);
        if (ext4_le32(slot) && base + span > from) {
            int rc = bmap_cut_tree(fs, in, slot, depth, base, from);
            if (rc < 0)
                return rc;
        }
        base += span;
        span *= p;
    }
    return 0;
}

/* ext4_write for a block-mapped file: block by block. */
static long bmap_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf, size_t len)
{
    uint64_t bs = fs->block_size;
    if ((off + len + bs - 1) / bs > bmap_limit(fs))
        return -EFBIG;
    const uint8_t *src = buf;
    size_t done = 0;
    uint64_t goal = 0;
    int rc = 0, fresh;
    if (off / bs > 0 && (rc = bmap_get(fs, in, off / bs - 1, 0, 0, &goal, &fresh)) < 0)
        return rc;
    while (done < len) {
        uint64_t pos = off + done, pblk;
        uint32_t boff = (uint32_t)(pos % bs);
        if ((rc = bmap_get(fs, in, pos / bs, 1, goal ? goal + 1 : 0, &pblk, &fresh)) < 0)
            break;
        uint32_t n = (uint32_t)(bs - boff < len - done ? bs - boff : len - done), cnt = 1;
        int rc2 = 0;
        /* Whole blocks that follow on disk go in one request. */
        while (n == bs && cnt < 256 && len - done >= (size_t)(cnt + 1) * bs) {
            uint64_t nb;
            int fr;
            if ((rc2 = bmap_get(fs, in, pos / bs + cnt, 1, pblk + cnt, &nb, &fr)) < 0 || nb != pblk + cnt)
                break; /* a block mapped elsewhere is written next round */
            cnt++;
        }
        rc = n < bs ? write_partial(fs, pblk, boff, src + done, n, fresh) : write_data(fs, pblk, cnt, src + done);
        if (rc < 0)
            break;
        done += n < bs ? n : (size_t)cnt * bs;
        goal = pblk + cnt - 1;
        if ((rc = rc2) < 0)
            break;
    }
    if (done && off + done > in->size)
        in->size = off + done;
    if (rc < 0 && !done)
        return rc;
    return (long)done;
}

/* Maps one new block at lblk of a file or directory (either layout):
 * *pblk, a block not yet written. */
static int map_new_block(struct ext4_fs *fs, struct ext4_inode *in, uint64_t lblk, uint64_t goal, uint64_t *pblk)
{
    if (!(in->flags & EXT4_INODE_FLAG_EXTENTS)) {
        int fresh;
        return bmap_get(fs, in, lblk, 1, goal, pblk, &fresh);
    }
    struct extlist l;
    int rc = extents_load(fs, in, &l);
    if (rc < 0)
        return rc;
    if (!goal && l.n)
        goal = l.e[l.n - 1].pblk + l.e[l.n - 1].len;
    uint32_t got = 0;
    rc = alloc_blocks(fs, goal, 1, pblk, &got);
    if (rc == 0)
        rc = ext_add(&l, (uint32_t)lblk, 1, *pblk);
    if (rc == 0) {
        in->blocks512 += fs->block_size / 512;
        rc = extents_store(fs, in, &l);
    }
    extlist_free(&l);
    return rc;
}

long ext4_write(struct ext4_fs *fs, struct ext4_inode *in, uint64_t off, const void *buf, size_t len)
{
    if (!fs->rw)
        return -EROFS;
    if ((in->mode & EXT4_S_IFMT) != EXT4_S_IFREG && (in->mode & EXT4_S_IFMT) != EXT4_S_IFLNK)
        return -EINVAL;
    uint64_t bs = fs->block_size;
    if (off + len < off || (off + len + bs - 1) / bs > 0xffffffffull)
        return -EFBIG;
    if (!(in->flags & EXT4_INODE_FLAG_EXTENTS)) {
        if (in->blocks512 || in->size > sizeof(in->iblock) || !(fs->incompat & EXT4_INCOMPAT_EXTENTS))
            return bmap_write(fs, in, off, buf, len);
        empty_map(fs, in); /* nothing mapped yet: the file takes extents */
    }
    struct extlist l;
    int rc = extents_load(fs, in, &l);
    if (rc < 0)
        return rc;
    const uint8_t *src = buf;
    size_t done = 0;
    uint64_t fresh_lo = 0, fresh_hi = 0; /* blocks this call allocated: their other bytes are zeros */
    while (done < len && rc == 0) {
        uint64_t pos = off + done;
        uint32_t lblk = (uint32_t)(pos / bs), boff = (uint32_t)(pos % bs);
        uint32_t nblk = (uint32_t)((boff + (len - done) + bs - 1) / bs); /* blocks this write still touches */
        unsigned next;
        int i = ext_find(&l, lblk, &next);
        uint64_t pblk = 0;
        uint32_t run;
        int fresh = 0;
        if (i >= 0 && !l.e[i].uninit) {
            run = l.e[i].lblk + l.e[i].len - lblk;
            pblk = l.e[i].pblk + (lblk - l.e[i].lblk);
            fresh = lblk >= fresh_lo && lblk < fresh_hi;
        } else if (i >= 0) {
            run = l.e[i].lblk + l.e[i].len - lblk;
            run = run < nblk ? run : nblk;
            pblk = l.e[i].pblk + (lblk - l.e[i].lblk);
            rc = ext_init_range(&l, (unsigned)i, lblk, run);
            fresh = 1;
        } else {
            uint32_t hole = next < l.n ? l.e[next].lblk - lblk : 0xffffffffu - lblk;
            uint32_t want = nblk < hole ? nblk : hole;
            if (want > EXT4_EXTENT_INIT_MAX)
                want = EXT4_EXTENT_INIT_MAX;
            uint64_t goal = next > 0 ? l.e[next - 1].pblk + (lblk - l.e[next - 1].lblk) : 0;
            rc = alloc_blocks(fs, goal, want, &pblk, &run);
            if (rc == 0)
                rc = ext_add(&l, lblk, run, pblk);
            if (rc == 0)
                in->blocks512 += (uint64_t)run * (bs / 512);
            fresh = 1;
        }
        if (rc < 0)
            break;
        if (fresh && !(lblk >= fresh_lo && lblk < fresh_hi)) { /* a run mapped by this round */
            fresh_lo = lblk;
            fresh_hi = (uint64_t)lblk + run;
        }
        /* Whole blocks in one request; a partial head or tail alone. */
        if (boff || len - done < bs) {
            uint32_t n = (uint32_t)(bs - boff < len - done ? bs - boff : len - done);
            rc = write_partial(fs, pblk, boff, src + done, n, fresh);
            done += n;
            continue;
        }
        uint64_t whole = (len - done) / bs;
        uint32_t n = (uint32_t)(whole < run ? whole : run);
        rc = write_data(fs, pblk, n, src + done);
        done += (size_t)n * bs;
    }
    if (done && off + done > in->size)
        in->size = off + done;
    int rc2 = l.changed ? extents_store(fs, in, &l) : 0;
    extlist_free(&l);
    if (rc2 < 0)
        return rc2;
    if (rc < 0 && !done)
        return rc;
    return (long)done;
}

/* Timestamps for the writer's own changes come from the caller: the VFS
 * layer sets them on the inode before ext4_write_inode. */

int ext4_truncate(struct ext4_fs *fs, struct ext4_inode *in, uint64_t size)
{
    if (!fs->rw)
        return -EROFS;
    uint64_t bs = fs->block_size;
    if ((size + bs - 1) / bs > 0xffffffffull)
        return -EFBIG;
    if (!(in->flags & EXT4_INODE_FLAG_EXTENTS)) {
        if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFLNK && (in->blocks512 == 0 || in->size < sizeof(in->iblock))) {
            /* A fast symlink: the map holds its text (blocks512 may
             * count an attribute block), nothing to free. */
            in->size = size;
            return 0;
        }
        int rc = size < in->size ? bmap_cut(fs, in, (size + bs - 1) / bs) : 0;
        uint64_t pblk = 0;
        int fresh;
        if (rc == 0 && size < in->size && size % bs)
            rc = bmap_get(fs, in, size / bs, 0, 0, &pblk, &fresh);
        if (rc == 0 && pblk) { /* the kept block's tail reads zeros if the file grows again */
            rc = ext4_read_blocks(fs, pblk, 1, fs->scratch);
            if (rc == 0) {
                memset(fs->scratch + size % bs, 0, bs - size % bs);
                rc = write_data(fs, pblk, 1, fs->scratch);
            }
        }
        if (rc == 0)
            in->size = size;
        return rc;
    }
    struct extlist l;
    int rc = extents_load(fs, in, &l);
    if (rc < 0)
        return rc;
    if (size < in->size) {
        rc = ext_cut(fs, in, &l, (size + bs - 1) / bs);
        /* The kept part of the last block reads zeros past the new end if
         * the file grows again. */
        unsigned next;
        int i = rc == 0 && size % bs ? ext_find(&l, size / bs, &next) : -1;
        if (i >= 0 && !l.e[i].uninit) {
            uint64_t pblk = l.e[i].pblk + (size / bs - l.e[i].lblk);
            rc = ext4_read_blocks(fs, pblk, 1, fs->scratch);
            if (rc == 0) {
                memset(fs->scratch + size % bs, 0, bs - size % bs);
                rc = write_data(fs, pblk, 1, fs->scratch);
            }
        }
    }
    if (rc == 0 && l.changed)
        rc = extents_store(fs, in, &l);
    extlist_free(&l);
    if (rc == 0)
        in->size = size;
    return rc;
}

/* ---- directories ---- */

static uint8_t file_type(uint16_t mode)
{
    switch (mode & EXT4_S_IFMT) {
    case EXT4_S_IFREG:
        return 1;
    case EXT4_S_IFDIR:
        return 2;
    case 0020000:
        return 3;
    case 0060000:
        return 4;
    case 0010000:
        return 5;
    case 0140000:
        return 6;
    case EXT4_S_IFLNK:
        return 7;
    default:
        return 0;
    }
}

static uint32_t entry_size(uint32_t name_len) { return (8 + name_len + 3) & ~3u; }

static void put_entry(uint8_t *e, uint32_t ino, uint32_t rec_len, const char *name, size_t len, uint8_t type,
                      uint32_t bs)
{
    ext4_put32(e, ino);
    ext4_put16(e + 4, rec_len == 65536 && bs == 65536 ? 65535 : rec_len);
    e[6] = (uint8_t)len;
    e[7] = type;
    memcpy(e + 8, name, len);
}

/* The directory's block lblk as a metadata block of the transaction. */
static uint8_t *dir_block(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t lblk, int *rc)
{
    struct ext4_run r;
    *rc = ext4_map_block(fs, dir, lblk, &r);
    if (*rc < 0)
        return NULL;
    if (r.pblk == 0) {
        *rc = ext4_corrupt(fs, "hole in a directory being changed", dir->ino, lblk);
        return NULL;
    }
    return ext4_mbuf_get(fs, r.pblk, rc);
}

/* The same for scanning: the copy joins the transaction only when changed
 * (through dir_block). */
static const uint8_t *dir_block_peek(struct ext4_fs *fs, const struct ext4_inode *dir, uint64_t lblk, int *rc)
{
    struct ext4_run r;
    *rc = ext4_map_block(fs, dir, lblk, &r);
    if (*rc < 0)
        return NULL;
    if (r.pblk == 0) {
        *rc = ext4_corrupt(fs, "hole in a directory being changed", dir->ino, lblk);
        return NULL;
    }
    return ext4_mbuf_read(fs, r.pblk, rc);
}

/* Checks a block's records before we change it: lengths inside the block,
 * names inside their records. */
static int dir_block_check(struct ext4_fs *fs, const struct ext4_inode *dir, const uint8_t *b, uint32_t end)
{
    for (uint32_t off = 0; off < end;) {
        uint32_t rl = ext4_rec_len(fs, b + off);
        if (rl < 8 || rl % 4 || rl > end - off || (uint32_t)b[off + 6] + 8 > rl)
            return ext4_corrupt(fs, "directory entry length", dir->ino, off);
        off += rl;
    }
    return 0;
}

/* An htree directory becomes linear: its index blocks turn into empty
 * leaf blocks (with tails), the root keeps "." and "..". */
static int dir_unindex(struct ext4_fs *fs, struct ext4_inode *dir)
{
    uint32_t bs = fs->block_size, ts = tail_size(fs);
    uint64_t nblocks = dir->size / bs;
    for (uint64_t lb = 0; lb < nblocks; lb++) {
        int rc;
        uint8_t *b = dir_block(fs, dir, lb, &rc);
        if (!b)
            return rc;
        if (lb == 0) {
            uint32_t rl0 = ext4_rec_len(fs, b);
            if (rl0 != 12 || ext4_rec_len(fs, b + 12) < 12)
                return ext4_corrupt(fs, "htree root", dir->ino, rl0);
            ext4_put16(b + 12 + 4, bs - 12 - ts);
        } else if (ext4_le32(b) == 0 && ext4_rec_len(fs, b) == bs) {
            memset(b, 0, bs);
            ext4_put16(b + 4, bs - ts);
        }
        dir_tail_set(fs, dir, b);
    }
    dir->flags &= ~EXT4_INODE_FLAG_INDEX;
    return 0;
}

static void dir_init_block(struct ext4_fs *fs, const struct ext4_inode *dir, uint8_t *b, uint32_t parent)
{
    uint32_t bs = fs->block_size;
    put_entry(b, dir->ino, 12, ".", 1, 2, bs);
    put_entry(b + 12, parent, bs - 12 - tail_size(fs), "..", 2, 2, bs);
    dir_tail_set(fs, dir, b);
}

/* Adds name to directory block lb if it has room: 0 done, 1 no room. */
static int dir_block_add(struct ext4_fs *fs, struct ext4_inode *dir, uint64_t lb, const char *name, size_t len,
                         uint32_t ino, uint8_t type)
{
    uint32_t bs = fs->block_size, end = bs - tail_size(fs), need = entry_size((uint32_t)len);
    int rc;
    const uint8_t *pb = dir_block_peek(fs, dir, lb, &rc);
    if (!pb)
        return rc;
    if ((rc = dir_block_check(fs, dir, pb, end)) < 0)
        return rc;
    for (uint32_t off = 0; off < end;) {
        const uint8_t *pe = pb + off;
        uint32_t rl = ext4_rec_len(fs, pe);
        uint32_t used = ext4_le32(pe) ? entry_size(pe[6]) : 0;
        if (rl - used >= need) {
            uint8_t *b = dir_block(fs, dir, lb, &rc), *e = b ? b + off : NULL;
            if (!b)
                return rc;
            if (used) {
                ext4_put16(e + 4, used);
                e += used;
            }
            put_entry(e, ino, rl - used, name, len, (fs->incompat & EXT4_INCOMPAT_FILETYPE) ? type : 0, bs);
            dir_tail_set(fs, dir, b);
            return 0;
        }
        off += rl;
    }
    return 1;
}

/* ---- htree directories: an index of one level (in the root block) is
 * kept up to date; anything else becomes linear (dir_unindex) ---- */

#define DX_COUNT 0x20 /* the root's limit, count and first block; entries of 8 bytes from here */
#define COMPAT_DIR_INDEX 0x20

struct dx_info {
    unsigned version; /* the hash, as ext4_dx_hash takes it */
    uint32_t seed[4];
    uint32_t limit, count;
};

/* Whether dir's index is one we keep: the root's header as mkfs and
 * Linux write it, one level, half_md4, blocks inside the directory,
 * hashes rising. Anything else is not corrupt for us: the directory
 * becomes linear. */
static int dx_usable(struct ext4_fs *fs, const struct ext4_inode *dir, const uint8_t *root, struct dx_info *x)
{
    uint32_t bs = fs->block_size;
    if (!(fs->compat & COMPAT_DIR_INDEX) || bs < 1024)
        return 0;
    if (ext4_rec_len(fs, root) != 12 || ext4_rec_len(fs, root + 12) != bs - 12)
        return 0;
    const uint8_t *info = root + 0x18;
    if (ext4_le32(info) != 0 || info[5] != 8 || info[6] != 0)
        return 0;
    x->version = info[4];
    if (x->version == EXT4_DX_HASH_HALF_MD4 && (ext4_le32(fs->sb + 0x160) & 0x2))
        x->version = EXT4_DX_HASH_HALF_MD4_UNSIGNED; /* the superblock's "unsigned char" flag */
    if (x->version != EXT4_DX_HASH_HALF_MD4 && x->version != EXT4_DX_HASH_HALF_MD4_UNSIGNED)
        return 0;
    for (int i = 0; i < 4; i++)
        x->seed[i] = ext4_le32(fs->sb + 0xec + 4 * i);
    x->limit = ext4_le16(root + DX_COUNT);
    x->count = ext4_le16(root + DX_COUNT + 2);
    if (x->limit != (bs - DX_COUNT - (fs->csum ? 8 : 0)) / 8 || x->count == 0 || x->count > x->limit)
        return 0;
    uint64_t nblocks = dir->size / bs;
    for (uint32_t i = 0; i < x->count; i++) {
        const uint8_t *e = root + DX_COUNT + 8 * i;
        uint32_t blk = ext4_le32(e + 4);
        if (blk == 0 || blk >= nblocks)
            return 0;
        if (i >= 2 && ext4_le32(e) <= ext4_le32(e - 8))
            return 0;
    }
    return 1;
}

static void dx_csum_set(struct ext4_fs *fs, const struct ext4_inode *dir, uint8_t *root, const struct dx_info *x)
{
    if (!fs->csum)
        return;
    uint8_t *t = root + DX_COUNT + 8 * x->limit;
    ext4_put32(t, 0);
    /* Over the header and the entries in use, 4 bytes more (as e2fsprogs
     * and Linux compute it), then the tail's reserved word. */
    uint32_t c = ext4_crc32c(inode_seed(fs, dir->ino, dir->generation), root, DX_COUNT + 4 + 8 * x->count);
    c = ext4_crc32c(c, t, 4);
    ext4_put32(t + 4, c);
}

struct dx_ent {
    uint32_t hash, minor, off;
};

static int dx_ent_less(const struct dx_ent *p, const struct dx_ent *q)
{
    return p->hash != q->hash ? p->hash < q->hash : p->minor < q->minor;
}

/* Shell sort by (hash, minor): a block holds at most a few thousand. */
static void dx_sort(struct dx_ent *e, unsigned n)
{
    for (unsigned gap = n / 2; gap; gap = gap == 2 ? 1 : gap * 5 / 11) {
        for (unsigned i = gap; i < n; i++) {
            struct dx_ent t = e[i];
            unsigned j = i;
            for (; j >= gap && dx_ent_less(&t, &e[j - gap]); j -= gap)
                e[j] = e[j - gap];
            e[j] = t;
        }
    }
}

/* Writes the records ents[0..n) of src packed into b (a whole block). */
static void dx_pack(struct ext4_fs *fs, const struct ext4_inode *dir, uint8_t *b, const uint8_t *src,
                    const struct dx_ent *ents, unsigned n)
{
    uint32_t end = fs->block_size - tail_size(fs), off = 0;
    memset(b, 0, fs->block_size);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = src + ents[i].off;
        uint32_t sz = entry_size(e[6]);
        memcpy(b + off, e, 8 + e[6]);
        ext4_put16(b + off + 4, i + 1 == n ? end - off : sz);
        off += sz;
    }
    if (n == 0)
        ext4_put16(b + 4, end);
    dir_tail_set(fs, dir, b);
}

/* Adds name through the index: into the leaf its hash falls in, split in
 * two by hash when full. 0 done, 1 the index cannot take it (the caller
 * makes the directory linear), or -errno. */
static int dx_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, uint32_t ino,
                  uint8_t type)
{
    uint32_t bs = fs->block_size, end = bs - tail_size(fs);
    int rc;
    const uint8_t *root = dir_block_peek(fs, dir, 0, &rc);
    if (!root)
        return rc;
    struct dx_info x;
    uint32_t h, minor;
    if (!dx_usable(fs, dir, root, &x) || ext4_dx_hash(name, len, x.version, x.seed, &h, &minor) < 0)
        return 1;
    uint32_t pos = 0;
    for (uint32_t i = 1; i < x.count; i++)
        if ((ext4_le32(root + DX_COUNT + 8 * i) & ~1u) <= h)
            pos = i;
    uint64_t lb = ext4_le32(root + DX_COUNT + 8 * pos + 4);
    if ((rc = dir_block_add(fs, dir, lb, name, len, ino, type)) != 1)
        return rc;
    if (x.count == x.limit)
        return 1;
    /* The leaf is full: its records sorted by hash, the upper half to a
     * new block at the directory's end, named in the index. */
    const uint8_t *pb = dir_block_peek(fs, dir, lb, &rc);
    if (!pb)
        return rc;
    uint8_t *src = malloc(bs);
    struct dx_ent *ents = malloc(sizeof(*ents) * (bs / 12 + 1));
    if (!src || !ents) {
        free(src);
        free(ents);
        return -ENOMEM;
    }
    memcpy(src, pb, bs);
    unsigned n = 0;
    for (uint32_t off = 0; off < end;) {
        uint32_t rl = ext4_rec_len(fs, src + off);
        if (ext4_le32(src + off)) {
            ents[n].off = off;
            ext4_dx_hash((const char *)src + off + 8, src[off + 6], x.version, x.seed, &ents[n].hash, &ents[n].minor);
            n++;
        }
        off += rl;
    }
    dx_sort(ents, n);
    /* A split point between two different hashes, nearest the middle. */
    unsigned m = n / 2;
    while (m > 0 && m < n && ents[m].hash == ents[m - 1].hash)
        m++;
    if (m >= n) {
        for (m = n / 2; m > 0 && ents[m].hash == ents[m - 1].hash; m--)
            ;
    }
    rc = 1;
    uint64_t pblk, nlb = dir->size / bs;
    if (m > 0 && m < n && nlb < 0xffffffffu && (rc = map_new_block(fs, dir, nlb, 0, &pblk)) == 0) {
        uint32_t boundary = ents[m].hash;
        uint8_t *nb = ext4_mbuf_new(fs, pblk, &rc), *ob = nb ? dir_block(fs, dir, lb, &rc) : NULL;
        uint8_t *r = ob ? dir_block(fs, dir, 0, &rc) : NULL;
        if (r) {
            dir->size += bs;
            dx_pack(fs, dir, ob, src, ents, m);
            dx_pack(fs, dir, nb, src, ents + m, n - m);
            uint8_t *at = r + DX_COUNT + 8 * (pos + 1);
            memmove(at + 8, at, 8 * (x.count - pos - 1));
            ext4_put32(at, boundary);
            ext4_put32(at + 4, (uint32_t)nlb);
            x.count++;
            ext4_put16(r + DX_COUNT + 2, x.count);
            dx_csum_set(fs, dir, r, &x);
            rc = dir_block_add(fs, dir, h >= boundary ? nlb : lb, name, len, ino, type);
        }
    }
    free(src);
    free(ents);
    return rc;
}

static int dir_add(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, uint32_t ino,
                   uint8_t type)
{
    uint32_t bs = fs->block_size, end = bs - tail_size(fs);
    int rc;
    if (dir->flags & EXT4_INODE_FLAG_INDEX) {
        if ((rc = dx_add(fs, dir, name, len, ino, type)) != 1)
            return rc;
        if ((rc = dir_unindex(fs, dir)) < 0)
            return rc;
    }
    uint64_t nblocks = dir->size / bs;
    for (uint64_t lb = 0; lb < nblocks; lb++) {
        if ((rc = dir_block_add(fs, dir, lb, name, len, ino, type)) != 1)
            return rc;
    }
    /* No room: one more block. */
    uint64_t pblk = 0;
    rc = map_new_block(fs, dir, nblocks, 0, &pblk);
    uint8_t *b = rc == 0 ? ext4_mbuf_new(fs, pblk, &rc) : NULL;
    if (!b)
        return rc;
    put_entry(b, ino, end, name, len, (fs->incompat & EXT4_INCOMPAT_FILETYPE) ? type : 0, bs);
    dir_tail_set(fs, dir, b);
    dir->size += bs;
    return 0;
}

/* Finds name in dir and removes its record; *ino is what it named. */
static int dir_remove(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, uint32_t *ino)
{
    uint32_t bs = fs->block_size, end = bs - tail_size(fs);
    int rc;
    uint64_t first = 0;
    if (dir->flags & EXT4_INODE_FLAG_INDEX) {
        struct dx_info x;
        const uint8_t *root = dir_block_peek(fs, dir, 0, &rc);
        if (!root)
            return rc;
        if (dx_usable(fs, dir, root, &x))
            first = 1; /* the index stays right: the root holds only "." and ".." */
        else if ((rc = dir_unindex(fs, dir)) < 0)
            return rc;
    }
    uint64_t nblocks = dir->size / bs;
    for (uint64_t lb = first; lb < nblocks; lb++) {
        const uint8_t *pb = dir_block_peek(fs, dir, lb, &rc);
        if (!pb)
            return rc;
        if ((rc = dir_block_check(fs, dir, pb, end)) < 0)
            return rc;
        int prev_off = -1;
        for (uint32_t off = 0; off < end;) {
            const uint8_t *pe = pb + off;
            uint32_t rl = ext4_rec_len(fs, pe);
            if (ext4_le32(pe) && pe[6] == len && memcmp(pe + 8, name, len) == 0) {
                uint8_t *b = dir_block(fs, dir, lb, &rc);
                if (!b)
                    return rc;
                uint8_t *e = b + off, *prev = prev_off >= 0 ? b + prev_off : NULL;
                *ino = ext4_le32(e);
                if (prev)
                    ext4_put16(prev + 4, ext4_rec_len(fs, prev) + rl);
                else
                    ext4_put32(e, 0);
                dir_tail_set(fs, dir, b);
                return 0;
            }
            prev_off = (int)off;
            off += rl;
        }
    }
    return -ENOENT;
}

static int set_dotdot(struct ext4_fs *fs, struct ext4_inode *dir, uint32_t parent)
{
    int rc;
    struct dx_info x;
    int dx = 0;
    if (dir->flags & EXT4_INODE_FLAG_INDEX) {
        const uint8_t *root = dir_block_peek(fs, dir, 0, &rc);
        if (!root)
            return rc;
        if (!(dx = dx_usable(fs, dir, root, &x)) && (rc = dir_unindex(fs, dir)) < 0)
            return rc;
    }
    uint8_t *b = dir_block(fs, dir, 0, &rc);
    if (!b)
        return rc;
    if (ext4_rec_len(fs, b) != 12 || b[12 + 6] != 2 || memcmp(b + 12 + 8, "..", 2) != 0)
        return ext4_corrupt(fs, "directory without '..' second", dir->ino, 0);
    ext4_put32(b + 12, parent);
    if (dx)
        dx_csum_set(fs, dir, b, &x);
    else
        dir_tail_set(fs, dir, b);
    return 0;
}

/* ---- operations ---- */

int ext4_create(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, uint32_t mode,
                const char *link_target, uint32_t uid, uint32_t gid, struct ext4_inode *out)
{
    if (!fs->rw)
        return -EROFS;
    if (len == 0 || len > 255)
        return -EINVAL;
    int is_dir = (mode & EXT4_S_IFMT) == EXT4_S_IFDIR;
    if (is_dir && dir->links >= 65000 && !(fs->ro_compat & EXT4_RO_COMPAT_DIR_NLINK))
        return -EMLINK;
    uint32_t ino = 0;
    int rc = alloc_inode(fs, dir->ino, is_dir, &ino);
    if (rc < 0)
        return rc;
    uint8_t *raw = inode_raw(fs, ino, &rc);
    if (!raw)
        return rc;
    memset(raw, 0, fs->inode_size);
    if (fs->inode_size >= 160)
        ext4_put16(raw + 0x80, 32); /* the extra fields up to crtime_extra */
    memset(out, 0, sizeof(*out));
    out->ino = ino;
    out->mode = (uint16_t)mode;
    out->uid = uid;
    out->gid = gid;
    out->links = is_dir ? 2 : 1;
    out->generation = ++fs->gen;
    out->ctime = dir->ctime;
    out->ctime_nsec = dir->ctime_nsec;
    out->atime = out->mtime = out->ctime;
    out->atime_nsec = out->mtime_nsec = out->ctime_nsec;
    if (fs->inode_size >= 160) {
        ext4_put32(raw + 0x90, (uint32_t)out->ctime);
        ext4_put32(raw + 0x94, out->ctime_nsec << 2);
    }
    size_t tlen = link_target ? strlen(link_target) : 0;
    if ((mode & EXT4_S_IFMT) == EXT4_S_IFLNK && tlen < sizeof(out->iblock)) {
        memcpy(out->iblock, link_target, tlen); /* a fast symlink */
        out->size = tlen;
    } else {
        empty_map(fs, out);
    }
    if (is_dir) {
        uint64_t pblk = 0;
        rc = map_new_block(fs, out, 0, 0, &pblk);
        uint8_t *b = rc == 0 ? ext4_mbuf_new(fs, pblk, &rc) : NULL;
        if (b)
            dir_init_block(fs, out, b, dir->ino);
        out->size = fs->block_size;
    }
    if (rc == 0 && (mode & EXT4_S_IFMT) == EXT4_S_IFLNK && tlen >= sizeof(out->iblock)) {
        long n = ext4_write(fs, out, 0, link_target, tlen);
        rc = n < 0 ? (int)n : 0;
    }
    int written = rc == 0 && (rc = ext4_write_inode(fs, out)) == 0;
    if (rc == 0)
        rc = dir_add(fs, dir, name, len, ino, file_type((uint16_t)mode));
    if (rc < 0 && written) { /* no name (the disk is full): give the inode back */
        out->links = 0;
        ext4_free_inode(fs, out);
        return rc;
    }
    if (rc < 0) {
        release_inode(fs, ino, is_dir);
        return rc;
    }
    if (rc == 0 && is_dir)
        dir->links = dir->links >= 65000 ? 1 : dir->links + 1;
    if (rc == 0) {
        touch(dir, out->ctime, out->ctime_nsec, 1);
        rc = ext4_write_inode(fs, dir);
    }
    return rc;
}

int ext4_unlink(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, struct ext4_inode *victim)
{
    if (!fs->rw)
        return -EROFS;
    uint32_t ino = 0;
    int rc = dir_remove(fs, dir, name, len, &ino);
    if (rc < 0)
        return rc;
    if (ino != victim->ino)
        return ext4_corrupt(fs, "entry changed under us", ino, victim->ino);
    if ((victim->mode & EXT4_S_IFMT) == EXT4_S_IFDIR) {
        victim->links = 0;
        if (dir->links > 2)
            dir->links--;
    } else if (victim->links) {
        victim->links--;
    }
    victim->ctime = dir->ctime;
    victim->ctime_nsec = dir->ctime_nsec;
    rc = ext4_write_inode(fs, victim);
    return rc < 0 ? rc : ext4_write_inode(fs, dir);
}

int ext4_link(struct ext4_fs *fs, struct ext4_inode *dir, const char *name, size_t len, struct ext4_inode *in)
{
    if (!fs->rw)
        return -EROFS;
    if (in->links >= 65000)
        return -EMLINK;
    int rc = dir_add(fs, dir, name, len, in->ino, file_type(in->mode));
    if (rc < 0)
        return rc;
    in->links++;
    in->ctime = dir->ctime;
    in->ctime_nsec = dir->ctime_nsec;
    rc = ext4_write_inode(fs, in);
    return rc < 0 ? rc : ext4_write_inode(fs, dir);
}

int ext4_rename(struct ext4_fs *fs, struct ext4_inode *odir, const char *oname, size_t olen, struct ext4_inode *in,
                struct ext4_inode *ndir, const char *nname, size_t nlen)
{
    if (!fs->rw)
        return -EROFS;
    uint32_t ino = 0;
    int rc = dir_add(fs, ndir, nname, nlen, in->ino, file_type(in->mode));
    if (rc == 0)
        rc = dir_remove(fs, odir, oname, olen, &ino);
    if (rc < 0)
        return rc;
    if ((in->mode & EXT4_S_IFMT) == EXT4_S_IFDIR && odir->ino != ndir->ino) {
        if ((rc = set_dotdot(fs, in, ndir->ino)) < 0)
            return rc;
        if (odir->links > 2)
            odir->links--;
        ndir->links = ndir->links >= 65000 ? 1 : ndir->links + 1;
    }
    in->ctime = ndir->ctime;
    in->ctime_nsec = ndir->ctime_nsec;
    odir->ctime = odir->mtime = ndir->mtime = ndir->ctime;
    odir->ctime_nsec = odir->mtime_nsec = ndir->mtime_nsec = ndir->ctime_nsec;
    rc = ext4_write_inode(fs, in);
    if (rc == 0)
        rc = ext4_write_inode(fs, odir);
    if (rc == 0 && odir->ino != ndir->ino)
        rc = ext4_write_inode(fs, ndir);
    return rc;
}

/* An extended-attribute block loses a reference; freed at zero. */
static int xattr_release(struct ext4_fs *fs, uint64_t blk)
{
    int rc;
    uint8_t *b = ext4_mbuf_get(fs, blk, &rc);
    if (!b)
        return rc;
    if (ext4_le32(b) != 0xea020000)
        return ext4_corrupt(fs, "xattr block magic", blk, ext4_le32(b));
    uint32_t refs = ext4_le32(b + 4);
    if (refs <= 1)
        return free_blocks(fs, blk, 1);
    ext4_put32(b + 4, refs - 1);
    if (fs->csum) {
        uint8_t le_blk[8];
        ext4_put32(le_blk, (uint32_t)blk);
        ext4_put32(le_blk + 4, (uint32_t)(blk >> 32));
        ext4_put32(b + 0x10, 0);
        uint32_t c = ext4_crc32c(fs->csum_seed, le_blk, 8);
        ext4_put32(b + 0x10, ext4_crc32c(c, b, fs->block_size));
    }
    return 0;
}

int ext4_free_inode(struct ext4_fs *fs, struct ext4_inode *in)
{
    if (!fs->rw)
        return -EROFS;
    int rc = 0;
    int slow = (in->flags & EXT4_INODE_FLAG_EXTENTS) || in->blocks512;
    if (slow)
        rc = ext4_truncate(fs, in, 0);
    if (rc < 0)
        return rc;
    const uint8_t *raw = inode_raw(fs, in->ino, &rc);
    if (!raw)
        return rc;
    uint64_t acl = ext4_le32(raw + 0x68) | (uint64_t)ext4_le16(raw + 0x76) << 32;
    if (acl) {
        if ((rc = xattr_release(fs, acl)) < 0)
            return rc;
        uint8_t *w = inode_raw(fs, in->ino, &rc);
        ext4_put32(w + 0x68, 0);
        ext4_put16(w + 0x76, 0);
        if (in->blocks512 >= fs->block_size / 512)
            in->blocks512 -= fs->block_size / 512;
    }
    in->links = 0;
    in->dtime = (uint32_t)in->ctime;
    in->size = 0;
    if ((rc = ext4_write_inode(fs, in)) < 0)
        return rc;
    return release_inode(fs, in->ino, (in->mode & EXT4_S_IFMT) == EXT4_S_IFDIR);
}

int ext4_should_commit(const struct ext4_fs *fs)
{
    uint32_t room = fs->j_maxlen > fs->j_first ? fs->j_maxlen - fs->j_first : 4096;
    return fs->n_dirty > room / 4 || fs->n_pending > EXT4_MAX_PENDING_FREES / 2 ||
           (uint64_t)(fs->n_mbufs - fs->n_logged) * fs->block_size > (8u << 20); /* memory held */
}

int ext4_commit(struct ext4_fs *fs)
{
    if (!fs->rw || (!fs->n_dirty && !fs->n_pending && !fs->n_revoke))
        return 0;
    int rc = ext4_apply_frees(fs);
    if (rc < 0)
        return rc;
    return ext4_journal_commit(fs);
}

int ext4_sync(struct ext4_fs *fs)
{
    int rc = ext4_commit(fs);
    if (rc == 0 && fs->rw)
        rc = ext4_journal_checkpoint(fs);
    return rc;
}

/* ---- the orphan list: inodes with no name that are still open ----
 * The superblock's s_last_orphan heads a chain through each inode's dtime,
 * so that a crash leaves them findable: the next rw mount frees them. */

int ext4_orphan_add(struct ext4_fs *fs, struct ext4_inode *in)
{
    if (!fs->rw)
        return -EROFS;
    in->dtime = ext4_le32(fs->sb + 0xe8);
    ext4_put32(fs->sb + 0xe8, in->ino);
    int rc = ext4_write_inode(fs, in);
    return rc < 0 ? rc : ext4_sb_dirty(fs);
}

int ext4_orphan_del(struct ext4_fs *fs, struct ext4_inode *in)
{
    if (!fs->rw)
        return -EROFS;
    uint32_t cur = ext4_le32(fs->sb + 0xe8);
    int rc = 0;
    if (cur == in->ino) {
        ext4_put32(fs->sb + 0xe8, in->dtime);
        rc = ext4_sb_dirty(fs);
    } else {
        for (uint32_t steps = 0; cur && steps < fs->inodes_count; steps++) {
            uint8_t *raw = inode_raw(fs, cur, &rc);
            if (!raw)
                return rc;
            uint32_t next = ext4_le32(raw + 0x14);
            if (next == in->ino) {
                ext4_put32(raw + 0x14, in->dtime);
                inode_csum_set(fs, cur, raw);
                break;
            }
            cur = next;
        }
    }
    in->dtime = 0;
    return rc;
}

int ext4_orphans_process(struct ext4_fs *fs)
{
    uint32_t cur = ext4_le32(fs->sb + 0xe8);
    unsigned freed = 0;
    for (uint32_t steps = 0; cur && steps < fs->inodes_count; steps++) {
        struct ext4_inode in;
        int rc = ext4_read_inode(fs, cur, &in);
        if (rc < 0)
            return rc;
        uint32_t next = in.dtime;
        ext4_put32(fs->sb + 0xe8, next);
        in.dtime = 0;
        rc = in.links == 0 ? ext4_free_inode(fs, &in) : ext4_write_inode(fs, &in);
        if (rc < 0)
            return rc;
        freed += in.links == 0;
        cur = next;
    }
    if (!freed && !ext4_le32(fs->sb + 0xe8) && !fs->n_dirty)
        return 0;
    ext4_put32(fs->sb + 0xe8, 0);
    int rc = ext4_sb_dirty(fs);
    if (rc == 0)
        rc = ext4_commit(fs);
    if (rc == 0 && freed)
        pr_info("ext4: %s: %u orphaned inodes freed\n", fs->name, freed);
    return rc;
}
