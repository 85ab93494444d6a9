/* The ext4 journal (jbd2, inside the journal inode): commit, checkpoint
 * and replay. The log is circular (blocks s_first..s_maxlen-1): each commit
 * appends the running transaction at the head (descriptor blocks with tags,
 * the copies, revoke records, a commit block; checksums v3 when the file
 * system has metadata_csum), wrapping at the end:
 *   1. (first transaction of an empty log only) the journal superblock
 *      names its start and sequence, the superblock gets needs_recovery;
 *   2. the log blocks; a flush (file data written before it goes with it:
 *      ordered mode);
 *   3. the commit block; a flush.
 * The blocks stay in memory (pinned mbufs, which readers see) and go home
 * later, at a checkpoint: when the log is three quarters full, when they
 * hold too much memory, before a transaction that does not fit, and on
 * sync, the commit interval, power-off and unmount. A checkpoint writes
 * them home, flushes, then marks the log empty (s_start 0, needs_recovery
 * cleared) and flushes, so the journal superblock is written only when the
 * log starts and when it empties. A block the live log holds that becomes
 * file data gets a revoke record, so no replay or checkpoint writes the
 * old copy over it.
 * Replay (at an rw mount) takes every complete transaction from the log
 * start, wrapping, honours the revoke records of complete transactions,
 * checks the checksums and writes the blocks home. Pure logic over fs->io. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ext4.h"
#include "ext4_priv.h"
#include "log.h"

#define JBD2_MAGIC 0xc03b3998u
#define JBD2_DESCRIPTOR 1
#define JBD2_COMMIT 2
#define JBD2_SB_V1 3
#define JBD2_SB_V2 4
#define JBD2_REVOKE 5

#define JBD2_INCOMPAT_REVOKE 0x1
#define JBD2_INCOMPAT_64BIT 0x2
#define JBD2_INCOMPAT_ASYNC_COMMIT 0x4
#define JBD2_INCOMPAT_CSUM_V2 0x8
#define JBD2_INCOMPAT_CSUM_V3 0x10
#define JBD2_INCOMPAT_KNOWN (JBD2_INCOMPAT_REVOKE | JBD2_INCOMPAT_64BIT | JBD2_INCOMPAT_ASYNC_COMMIT | \
                             JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3)

#define TAG_ESCAPE 1
#define TAG_SAME_UUID 2
#define TAG_DELETED 4
#define TAG_LAST 8

static int csum_v23(const struct ext4_fs *fs) { return !!(fs->j_incompat & (JBD2_INCOMPAT_CSUM_V2 | JBD2_INCOMPAT_CSUM_V3)); }

static unsigned tag_bytes(const struct ext4_fs *fs)
{
    if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V3)
        return 16;
    unsigned n = 8; /* blocknr, 16-bit checksum, 16-bit flags */
    if (fs->j_incompat & JBD2_INCOMPAT_64BIT)
        n += 4;
    if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V2)
        n += 2; /* as jbd2 sizes v2 tags */
    return n;
}

/* Journal block n's place on the device. */
static int jmap(struct ext4_fs *fs, uint32_t n, uint64_t *pblk)
{
    struct ext4_run r;
    int rc = ext4_map_block(fs, fs->jinode, n, &r);
    if (rc < 0)
        return rc;
    if (r.pblk == 0)
        return ext4_corrupt(fs, "hole in the journal", n, 0);
    *pblk = r.pblk;
    return 0;
}

static int jread(struct ext4_fs *fs, uint32_t n, void *buf)
{
    uint64_t p = 0;
    int rc = jmap(fs, n, &p);
    return rc < 0 ? rc : ext4_read_blocks(fs, p, 1, buf);
}

static int dev_write(struct ext4_fs *fs, uint64_t blk, const void *buf)
{
    return fs->io.write(fs->io.ctx, blk, 1, buf) < 0 ? -EIO : 0;
}

static int dev_flush(struct ext4_fs *fs) { return fs->io.flush && fs->io.flush(fs->io.ctx) < 0 ? -EIO : 0; }

static int jwrite(struct ext4_fs *fs, uint32_t n, const void *buf)
{
    uint64_t p = 0;
    int rc = jmap(fs, n, &p);
    return rc < 0 ? rc : dev_write(fs, p, buf);
}

static void header(uint8_t *b, uint32_t type, uint32_t seq)
{
    ext4_putbe32(b, JBD2_MAGIC);
    ext4_putbe32(b + 4, type);
    ext4_putbe32(b + 8, seq);
}

/* The journal superblock: block 0 of the journal. */
static int jsb_write(struct ext4_fs *fs, uint32_t seq, uint32_t start)
{
    uint8_t *b = fs->scratch;
    int rc = jread(fs, 0, b);
    if (rc < 0)
        return rc;
    ext4_putbe32(b + 0x18, seq);
    ext4_putbe32(b + 0x1c, start);
    ext4_putbe32(b + 0x28, fs->j_incompat);
    if (csum_v23(fs)) {
        b[0x50] = 4; /* crc32c */
        ext4_putbe32(b + 0xfc, 0);
        ext4_putbe32(b + 0xfc, ext4_crc32c(~0u, b, 1024));
    }
    return jwrite(fs, 0, b);
}

/* The on-disk superblock with needs_recovery set or cleared (only that). */
static int sb_recover_flag(struct ext4_fs *fs, int on)
{
    uint64_t blk = fs->block_size == 1024 ? 1 : 0;
    uint32_t off = fs->block_size == 1024 ? 0 : 1024;
    uint8_t *b = fs->scratch;
    if (fs->io.read(fs->io.ctx, blk, 1, b) < 0)
        return -EIO;
    uint32_t inc = ext4_le32(b + off + 0x60);
    inc = on ? inc | EXT4_INCOMPAT_RECOVER : inc & ~EXT4_INCOMPAT_RECOVER;
    ext4_put32(b + off + 0x60, inc);
    ext4_sb_csum_set(fs, b + off);
    return dev_write(fs, blk, b);
}

/* ---- opening and replay ---- */

struct revoke {
    uint64_t blk;
    uint32_t seq;
};

struct scan {
    struct revoke *rv;
    unsigned n_rv, cap_rv;
    uint32_t end_seq; /* first transaction not complete */
};

static int revoke_add(struct scan *s, uint64_t blk, uint32_t seq)
{
    for (unsigned i = 0; i < s->n_rv; i++) {
        if (s->rv[i].blk == blk) {
            if ((int32_t)(seq - s->rv[i].seq) > 0)
                s->rv[i].seq = seq;
            return 0;
        }
    }
    if (s->n_rv == s->cap_rv) {
        unsigned cap = s->cap_rv ? s->cap_rv * 2 : 64;
        struct revoke *r = realloc(s->rv, cap * sizeof(*r));
        if (!r)
            return -ENOMEM;
        s->rv = r;
        s->cap_rv = cap;
    }
    s->rv[s->n_rv++] = (struct revoke){ blk, seq };
    return 0;
}

static int revoked(const struct scan *s, uint64_t blk, uint32_t seq)
{
    for (unsigned i = 0; i < s->n_rv; i++) {
        if (s->rv[i].blk == blk)
            return (int32_t)(seq - s->rv[i].seq) <= 0;
    }
    return 0;
}

static uint32_t jnext(const struct ext4_fs *fs, uint32_t pos) { return pos + 1 >= fs->j_maxlen ? fs->j_first : pos + 1; }

static int block_csum_ok(const struct ext4_fs *fs, uint8_t *b, unsigned at)
{
    if (!csum_v23(fs))
        return 1;
    uint32_t want = ext4_be32(b + at);
    ext4_putbe32(b + at, 0);
    uint32_t got = ext4_crc32c(fs->j_csum_seed, b, fs->block_size);
    ext4_putbe32(b + at, want);
    return got == want;
}

/* One tag of a descriptor: its block and flags; returns the tag's length
 * (with the UUID after it), 0 past the block. */
static unsigned parse_tag(const struct ext4_fs *fs, const uint8_t *t, unsigned room, uint64_t *blk, uint32_t *flags,
                          uint32_t *csum)
{
    unsigned tb = tag_bytes(fs);
    if (room < tb)
        return 0;
    *blk = ext4_be32(t);
    if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V3) {
        *flags = ext4_be32(t + 4);
        if (fs->j_incompat & JBD2_INCOMPAT_64BIT)
            *blk |= (uint64_t)ext4_be32(t + 8) << 32;
        *csum = ext4_be32(t + 12);
    } else {
        *flags = (uint32_t)t[6] << 8 | t[7];
        *csum = (uint32_t)t[4] << 8 | t[5];
        if (fs->j_incompat & JBD2_INCOMPAT_64BIT)
            *blk |= (uint64_t)ext4_be32(t + 8) << 32;
    }
    unsigned n = tb + ((*flags & TAG_SAME_UUID) ? 0 : 16);
    return n <= room ? n : 0;
}

/* Walks the log from s_start (wrapping at the end of the log). pass 0:
 * finds the end (the first transaction without a valid commit block);
 * pass 1: the revoke records of the complete transactions; pass 2: writes
 * their blocks home. */
static int walk_log(struct ext4_fs *fs, uint32_t start, uint32_t seq, int pass, struct scan *s, unsigned *replayed)
{
    uint8_t *b = malloc(fs->block_size), *data = malloc(fs->block_size);
    int rc = b && data ? 0 : -ENOMEM;
    uint32_t pos = start;
    unsigned tail = csum_v23(fs) ? 4 : 0;
    for (uint32_t steps = 0; rc == 0 && steps < fs->j_maxlen; steps++) {
        if (pass > 0 && (int32_t)(seq - s->end_seq) >= 0)
            break;
        if ((rc = jread(fs, pos, b)) < 0)
            break;
        if (ext4_be32(b) != JBD2_MAGIC || ext4_be32(b + 8) != seq)
            break;
        uint32_t type = ext4_be32(b + 4);
        if (type == JBD2_DESCRIPTOR) {
            if (!block_csum_ok(fs, b, fs->block_size - 4))
                break;
            unsigned off = 12, room_end = fs->block_size - tail;
            uint32_t flags = 0;
            uint32_t dpos = jnext(fs, pos);
            while (!(flags & TAG_LAST)) {
                uint64_t blk;
                uint32_t csum;
                unsigned n = parse_tag(fs, b + off, room_end - off, &blk, &flags, &csum);
                if (!n)
                    break;
                off += n;
                if (pass == 2 && !revoked(s, blk, seq)) {
                    if ((rc = jread(fs, dpos, data)) < 0)
                        break;
                    int ok = 1;
                    if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V3) {
                        uint8_t sq[4];
                        ext4_putbe32(sq, seq);
                        uint32_t c = ext4_crc32c(fs->j_csum_seed, sq, 4);
                        ok = ext4_crc32c(c, data, fs->block_size) == csum;
                    }
                    if (flags & TAG_ESCAPE)
                        ext4_putbe32(data, JBD2_MAGIC);
                    if (!ok) {
                        pr_err("ext4: %s: journal block for %llu fails its checksum: not replayed\n", fs->name,
                               (unsigned long long)blk);
                    } else if (blk >= fs->blocks_count) {
                        pr_err("ext4: %s: journal names block %llu past the end\n", fs->name,
                               (unsigned long long)blk);
                    } else if ((rc = dev_write(fs, blk, data)) == 0) {
                        (*replayed)++;
                    }
                }
                dpos = jnext(fs, dpos);
            }
            pos = dpos;
            continue;
        }
        if (type == JBD2_COMMIT) {
            if (csum_v23(fs) && !block_csum_ok(fs, b, 0x10))
                break;
            if (pass == 0)
                s->end_seq = seq + 1;
            seq++;
            pos = jnext(fs, pos);
            continue;
        }
        if (type == JBD2_REVOKE) {
            if (!block_csum_ok(fs, b, fs->block_size - 4))
                break;
            uint32_t count = ext4_be32(b + 12);
            unsigned rsize = (fs->j_incompat & JBD2_INCOMPAT_64BIT) ? 8 : 4;
            if (count < 16 || count > fs->block_size - tail)
                break;
            for (unsigned off = 16; pass == 1 && off + rsize <= count && rc == 0; off += rsize) {
                uint64_t blk = rsize == 8 ? (uint64_t)ext4_be32(b + off) << 32 | ext4_be32(b + off + 4)
                                          : ext4_be32(b + off);
                rc = revoke_add(s, blk, seq);
            }
            pos = jnext(fs, pos);
            continue;
        }
        break;
    }
    free(b);
    free(data);
    return rc;
}

static int journal_replay(struct ext4_fs *fs, uint32_t start, uint32_t seq)
{
    struct scan s = { 0 };
    s.end_seq = seq;
    unsigned replayed = 0;
    int rc = walk_log(fs, start, seq, 0, &s, &replayed);
    if (rc == 0 && s.end_seq != seq)
        rc = walk_log(fs, start, seq, 1, &s, &replayed);
    if (rc == 0 && s.end_seq != seq)
        rc = walk_log(fs, start, seq, 2, &s, &replayed);
    free(s.rv);
    if (rc == 0)
        rc = dev_flush(fs);
    if (rc < 0)
        return rc;
    pr_info("ext4: %s: journal replayed: %u transactions, %u blocks\n", fs->name, s.end_seq - seq, replayed);
    /* One past the end (as jbd2 does): blocks of the unfinished transaction
     * may still carry end_seq. */
    fs->j_seq = s.end_seq + 1;
    return 0;
}

int ext4_journal_replay(struct ext4_fs *fs)
{
    uint8_t *b = fs->scratch;
    int rc = jread(fs, 0, b);
    if (rc < 0)
        return rc;
    uint32_t start = ext4_be32(b + 0x1c), seq = ext4_be32(b + 0x18);
    if (start == 0)
        return 0;
    if (start < fs->j_first || start >= fs->j_maxlen)
        return ext4_corrupt(fs, "journal start", start, fs->j_maxlen);
    rc = journal_replay(fs, start, seq);
    if (rc == 0)
        rc = jsb_write(fs, fs->j_seq, 0);
    if (rc == 0)
        rc = sb_recover_flag(fs, 0);
    return rc < 0 ? rc : dev_flush(fs);
}

int ext4_journal_open(struct ext4_fs *fs)
{
    if (!fs->journal_ino)
        return 0;
    fs->jinode = malloc(sizeof(*fs->jinode));
    if (!fs->jinode)
        return -ENOMEM;
    int rc = ext4_read_inode(fs, fs->journal_ino, fs->jinode);
    if (rc < 0)
        return rc;
    uint8_t *b = fs->scratch;
    if ((rc = jread(fs, 0, b)) < 0)
        return rc;
    uint32_t type = ext4_be32(b + 4);
    if (ext4_be32(b) != JBD2_MAGIC || (type != JBD2_SB_V1 && type != JBD2_SB_V2))
        return ext4_corrupt(fs, "journal superblock", ext4_be32(b), type);
    fs->j_maxlen = ext4_be32(b + 0x10);
    fs->j_first = ext4_be32(b + 0x14);
    fs->j_seq = ext4_be32(b + 0x18);
    fs->j_incompat = type == JBD2_SB_V2 ? ext4_be32(b + 0x28) : 0;
    memcpy(fs->j_uuid, b + 0x30, 16);
    fs->j_csum_seed = ext4_crc32c(~0u, fs->j_uuid, 16);
    if (ext4_be32(b + 0x0c) != fs->block_size || fs->j_first == 0 || fs->j_first >= fs->j_maxlen ||
        fs->j_maxlen < 64 || (uint64_t)fs->j_maxlen * fs->block_size > fs->jinode->size)
        return ext4_corrupt(fs, "journal geometry", fs->j_first, fs->j_maxlen);
    uint32_t unknown = fs->j_incompat & ~JBD2_INCOMPAT_KNOWN;
    if (unknown) {
        pr_warn("ext4: %s: journal features %#x unknown (fast commits?): mounted read-only\n", fs->name, unknown);
        return -EOPNOTSUPP;
    }
    if (csum_v23(fs) && b[0x50] == 4) {
        uint32_t want = ext4_be32(b + 0xfc);
        ext4_putbe32(b + 0xfc, 0);
        if (ext4_crc32c(~0u, b, 1024) != want)
            return ext4_corrupt(fs, "journal superblock checksum", want, 0);
    }
    if (!fs->rw)
        return 0;
    rc = ext4_journal_replay(fs);
    if (rc < 0)
        return rc;
    fs->j_head = fs->j_first; /* the log is empty */
    fs->j_tail = fs->j_used = 0;
    /* As Linux does on a metadata_csum file system: checksums v3, and
     * 64-bit block numbers when the file system has them. */
    uint32_t want = fs->j_incompat | JBD2_INCOMPAT_REVOKE;
    if (fs->csum && !(want & JBD2_INCOMPAT_CSUM_V2))
        want |= JBD2_INCOMPAT_CSUM_V3;
    if (fs->incompat & EXT4_INCOMPAT_64BIT)
        want |= JBD2_INCOMPAT_64BIT;
    if (want != fs->j_incompat && type == JBD2_SB_V2) {
        fs->j_incompat = want;
        if ((rc = jsb_write(fs, fs->j_seq, 0)) < 0 || (rc = dev_flush(fs)) < 0)
            return rc;
    }
    return 0;
}

/* ---- commit ---- */

/* Shell sort by block number (no qsort in the kernel's C library). */
static void sort_blocks(struct ext4_mbuf **v, unsigned n)
{
    for (unsigned gap = n / 2; gap; gap = gap == 2 ? 1 : gap * 5 / 11) {
        for (unsigned i = gap; i < n; i++) {
            struct ext4_mbuf *x = v[i];
            unsigned j = i;
            for (; j >= gap && v[j - gap]->blk > x->blk; j -= gap)
                v[j] = v[j - gap];
            v[j] = x;
        }
    }
}

/* The dirty blocks, in block order. */
static struct ext4_mbuf **dirty_list(struct ext4_fs *fs, unsigned *n)
{
    struct ext4_mbuf **v = malloc((fs->n_dirty + 1) * sizeof(*v));
    if (!v)
        return NULL;
    *n = 0;
    for (unsigned i = 0; i < EXT4_MBUF_BUCKETS; i++) {
        for (struct ext4_mbuf *m = fs->mbufs[i]; m; m = m->next) {
            if (m->dirty)
                v[(*n)++] = m;
        }
    }
    sort_blocks(v, *n);
    return v;
}

/* Consecutive blocks go to the device in one request (up to BATCH). */
#define BATCH 64

struct batch {
    uint64_t start;
    uint32_t n;
    uint8_t *buf;
};

static int batch_flush(struct ext4_fs *fs, struct batch *b)
{
    int rc = 0;
    if (b->n && fs->io.write(fs->io.ctx, b->start, b->n, b->buf) < 0)
        rc = -EIO;
    b->n = 0;
    return rc;
}

static int batch_add(struct ext4_fs *fs, struct batch *b, uint64_t blk, const uint8_t *data)
{
    int rc = 0;
    if (b->n && (b->start + b->n != blk || b->n == BATCH))
        rc = batch_flush(fs, b);
    if (rc < 0)
        return rc;
    if (!b->n)
        b->start = blk;
    memcpy(b->buf + (size_t)b->n * fs->block_size, data, fs->block_size);
    b->n++;
    return 0;
}

static int write_home(struct ext4_fs *fs, struct ext4_mbuf **v, unsigned n)
{
    struct batch b = { 0, 0, malloc((size_t)BATCH * fs->block_size) };
    int rc = b.buf ? 0 : -ENOMEM;
    for (unsigned i = 0; i < n && rc == 0; i++)
        rc = batch_add(fs, &b, v[i]->blk, v[i]->data);
    if (rc == 0)
        rc = batch_flush(fs, &b);
    free(b.buf);
    return rc < 0 ? rc : dev_flush(fs);
}

static void put_tag(const struct ext4_fs *fs, uint8_t *t, uint64_t blk, uint32_t flags, uint32_t csum)
{
    unsigned tb = tag_bytes(fs);
    memset(t, 0, tb);
    ext4_putbe32(t, (uint32_t)blk);
    if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V3) {
        ext4_putbe32(t + 4, flags);
        ext4_putbe32(t + 8, (uint32_t)(blk >> 32));
        ext4_putbe32(t + 12, csum);
    } else {
        t[6] = (uint8_t)(flags >> 8);
        t[7] = (uint8_t)flags;
        if (fs->j_incompat & JBD2_INCOMPAT_64BIT)
            ext4_putbe32(t + 8, (uint32_t)(blk >> 32));
    }
}

static unsigned revoke_size(const struct ext4_fs *fs) { return (fs->j_incompat & JBD2_INCOMPAT_64BIT) ? 8 : 4; }

static uint32_t revokes_per_block(const struct ext4_fs *fs)
{
    return (fs->block_size - 16 - (csum_v23(fs) ? 4 : 0)) / revoke_size(fs);
}

/* The running transaction's revoke records, from *pos on. */
static int write_revokes(struct ext4_fs *fs, struct batch *batch, uint8_t *b, uint32_t seq, uint32_t *pos)
{
    uint32_t bs = fs->block_size, per = revokes_per_block(fs);
    unsigned rsize = revoke_size(fs);
    int rc = 0;
    for (unsigned i = 0; i < fs->n_revoke && rc == 0;) {
        memset(b, 0, bs);
        header(b, JBD2_REVOKE, seq);
        uint32_t off = 16;
        for (uint32_t k = 0; k < per && i < fs->n_revoke; k++, i++, off += rsize) {
            if (rsize == 8) {
                ext4_putbe32(b + off, (uint32_t)(fs->j_revoke[i] >> 32));
                ext4_putbe32(b + off + 4, (uint32_t)fs->j_revoke[i]);
            } else {
                ext4_putbe32(b + off, (uint32_t)fs->j_revoke[i]);
            }
        }
        ext4_putbe32(b + 12, off); /* bytes used, the header's 16 included */
        if (csum_v23(fs))
            ext4_putbe32(b + bs - 4, ext4_crc32c(fs->j_csum_seed, b, bs));
        uint64_t p = 0;
        if ((rc = jmap(fs, *pos, &p)) == 0)
            rc = batch_add(fs, batch, p, b);
        *pos = jnext(fs, *pos);
    }
    return rc;
}

/* The transaction appended to the log at j_head: descriptors with the
 * blocks they tag and the revoke records, one flush (with the file data
 * written before, as ordered mode wants), the commit block, a flush.
 * *end: the position after the commit block. */
static int write_log(struct ext4_fs *fs, struct ext4_mbuf **v, unsigned n, uint32_t seq, uint32_t *end)
{
    uint32_t bs = fs->block_size, tail = csum_v23(fs) ? 4 : 0, tb = tag_bytes(fs);
    uint8_t *desc = malloc(bs), *copy = malloc(bs);
    struct batch batch = { 0, 0, malloc((size_t)BATCH * bs) };
    int rc = desc && copy && batch.buf ? 0 : -ENOMEM;
    uint32_t pos = fs->j_head;
    for (unsigned i = 0; i < n && rc == 0;) {
        /* One descriptor and the blocks its tags name. */
        header(desc, JBD2_DESCRIPTOR, seq);
        memset(desc + 12, 0, bs - 12);
        uint32_t dpos = pos, off = 12;
        pos = jnext(fs, pos);
        unsigned first = i;
        uint8_t *last_tag = NULL;
        while (i < n && off + tb + (i == first ? 16 : 0) <= bs - tail) {
            memcpy(copy, v[i]->data, bs);
            uint32_t flags = i == first ? 0 : TAG_SAME_UUID;
            v[i]->escaped = 0;
            if (ext4_be32(copy) == JBD2_MAGIC) {
                ext4_putbe32(copy, 0);
                flags |= TAG_ESCAPE;
                v[i]->escaped = 1;
            }
            uint32_t csum = 0;
            if (fs->j_incompat & JBD2_INCOMPAT_CSUM_V3) {
                uint8_t sq[4];
                ext4_putbe32(sq, seq);
                csum = ext4_crc32c(ext4_crc32c(fs->j_csum_seed, sq, 4), copy, bs);
            }
            put_tag(fs, desc + off, v[i]->blk, flags, csum);
            last_tag = desc + off;
            off += tb;
            if (i == first) {
                memcpy(desc + off, fs->j_uuid, 16);
                off += 16;
            }
            uint64_t p = 0;
            if ((rc = jmap(fs, pos, &p)) < 0 || (rc = batch_add(fs, &batch, p, copy)) < 0)
                break;
            v[i]->jpos = pos;
            pos = jnext(fs, pos);
            i++;
        }
        if (rc < 0)
            break;
        if (last_tag) { /* mark the last tag */
            uint64_t blk;
            uint32_t flags, csum;
            parse_tag(fs, last_tag, tb + 16, &blk, &flags, &csum);
            put_tag(fs, last_tag, blk, flags | TAG_LAST, csum);
        }
        if (tail) {
            ext4_putbe32(desc + bs - 4, 0);
            ext4_putbe32(desc + bs - 4, ext4_crc32c(fs->j_csum_seed, desc, bs));
        }
        rc = jwrite(fs, dpos, desc);
    }
    if (rc == 0)
        rc = write_revokes(fs, &batch, desc, seq, &pos);
    if (rc == 0)
        rc = batch_flush(fs, &batch);
    if (rc == 0)
        rc = dev_flush(fs);
    if (rc == 0) {
        memset(desc, 0, bs);
        header(desc, JBD2_COMMIT, seq);
        if (tail)
            ext4_putbe32(desc + 0x10, ext4_crc32c(fs->j_csum_seed, desc, bs));
        rc = jwrite(fs, pos, desc);
    }
    if (rc == 0)
        rc = dev_flush(fs);
    *end = jnext(fs, pos);
    free(desc);
    free(copy);
    free(batch.buf);
    return rc;
}

/* Log blocks the transaction needs: its blocks, descriptors, revoke
 * blocks, a commit (an upper bound). */
static uint32_t log_blocks(const struct ext4_fs *fs, unsigned n)
{
    uint32_t per = (fs->block_size - 12 - 4 - 16) / tag_bytes(fs), rper = revokes_per_block(fs);
    return n + (n + per - 1) / per + (fs->n_revoke + rper - 1) / rper + 1;
}

int ext4_journal_revoke(struct ext4_fs *fs, uint64_t blk)
{
    for (unsigned i = 0; i < fs->n_revoke; i++) {
        if (fs->j_revoke[i] == blk)
            return 0;
    }
    if (fs->n_revoke == fs->cap_revoke) {
        unsigned cap = fs->cap_revoke ? fs->cap_revoke * 2 : 64;
        uint64_t *r = realloc(fs->j_revoke, cap * sizeof(*r));
        if (!r)
            return -ENOMEM;
        fs->j_revoke = r;
        fs->cap_revoke = cap;
    }
    fs->j_revoke[fs->n_revoke++] = blk;
    return 0;
}

/* A block the transaction logs again needs no revoke: its new copy is
 * replayed after the old one. */
static void drop_relogged_revokes(struct ext4_fs *fs)
{
    unsigned k = 0;
    for (unsigned i = 0; i < fs->n_revoke; i++) {
        struct ext4_mbuf *m = ext4_mbuf_find(fs, fs->j_revoke[i]);
        if (!m || !m->dirty)
            fs->j_revoke[k++] = fs->j_revoke[i];
    }
    fs->n_revoke = k;
}

/* Logged blocks, in block order. */
static struct ext4_mbuf **logged_list(struct ext4_fs *fs, unsigned *n)
{
    struct ext4_mbuf **v = malloc((fs->n_logged + 1) * sizeof(*v));
    if (!v)
        return NULL;
    *n = 0;
    for (unsigned i = 0; i < EXT4_MBUF_BUCKETS; i++) {
        for (struct ext4_mbuf *m = fs->mbufs[i]; m; m = m->next) {
            if (m->logged && *n < fs->n_logged)
                v[(*n)++] = m;
        }
    }
    sort_blocks(v, *n);
    return v;
}

/* The checkpoint: every logged block home (its committed copy: the log's
 * when the running transaction has changed it since), a flush, then the
 * superblocks say the log is empty, a flush (before any of those blocks
 * can be reused as data, which no revoke would then cover). */
int ext4_journal_checkpoint(struct ext4_fs *fs)
{
    if (!fs->jinode || (!fs->n_logged && !fs->j_tail))
        return 0;
    unsigned n = 0;
    struct ext4_mbuf **v = logged_list(fs, &n);
    struct batch b = { 0, 0, malloc((size_t)BATCH * fs->block_size) };
    uint8_t *copy = malloc(fs->block_size);
    int rc = v && b.buf && copy ? 0 : -ENOMEM;
    for (unsigned i = 0; i < n && rc == 0; i++) {
        const uint8_t *data = v[i]->data;
        if (v[i]->dirty) {
            if ((rc = jread(fs, v[i]->jpos, copy)) < 0)
                break;
            if (v[i]->escaped)
                ext4_putbe32(copy, JBD2_MAGIC);
            data = copy;
        }
        rc = batch_add(fs, &b, v[i]->blk, data);
    }
    if (rc == 0)
        rc = batch_flush(fs, &b);
    if (rc == 0)
        rc = dev_flush(fs);
    if (rc == 0)
        rc = sb_recover_flag(fs, 0);
    if (rc == 0)
        rc = jsb_write(fs, fs->j_seq, 0);
    if (rc == 0)
        rc = dev_flush(fs);
    free(v);
    free(b.buf);
    free(copy);
    if (rc < 0) {
        pr_err("ext4: %s: checkpoint failed (%d): the file system is now read-only\n", fs->name, rc);
        fs->rw = 0;
        return rc;
    }
    ext4_mbuf_checkpointed(fs);
    fs->j_tail = 0;
    fs->j_used = 0;
    fs->n_revoke = 0; /* nothing left in the log to revoke */
    fs->checkpoints++;
    return 0;
}

/* Logged blocks pinned in memory before a checkpoint is due. */
#define PIN_BYTES (4u << 20)

int ext4_journal_commit(struct ext4_fs *fs)
{
    int rc = ext4_sb_dirty(fs); /* every commit logs the superblock */
    if (rc < 0)
        return rc;
    drop_relogged_revokes(fs);
    unsigned n;
    struct ext4_mbuf **v = dirty_list(fs, &n);
    if (!v)
        return -ENOMEM;
    uint32_t room = fs->jinode ? fs->j_maxlen - fs->j_first : 0, need = fs->jinode ? log_blocks(fs, n) : 0;
    int journaled = fs->jinode && need < room;
    if (fs->jinode && !journaled)
        pr_err("ext4: %s: transaction of %u blocks exceeds the journal: written without it\n", fs->name, n);
    uint32_t seq = fs->j_seq;
    /* Room in the log, or a log emptied first (also before a transaction
     * goes home without it: no older copy may be replayed over it). */
    if (!journaled || fs->j_used + need >= room)
        rc = ext4_journal_checkpoint(fs);
    if (rc == 0 && journaled) {
        uint32_t end = 0;
        if (!fs->j_tail) { /* the first transaction of an empty log: flushed with it */
            rc = jsb_write(fs, seq, fs->j_head);
            if (rc == 0)
                rc = sb_recover_flag(fs, 1);
        }
        if (rc == 0)
            rc = write_log(fs, v, n, seq, &end);
        if (rc == 0) {
            if (!fs->j_tail)
                fs->j_tail = fs->j_head;
            fs->j_used += end >= fs->j_head ? end - fs->j_head : end + room - fs->j_head;
            fs->j_head = end;
            fs->j_seq = seq + 1;
        }
    } else if (rc == 0) {
        rc = dev_flush(fs); /* ordered: data before the metadata naming it */
        if (rc == 0)
            rc = write_home(fs, v, n);
    }
    free(v);
    if (rc < 0) {
        pr_err("ext4: %s: commit failed (%d): the file system is now read-only\n", fs->name, rc);
        fs->rw = 0;
        return rc;
    }
    fs->n_revoke = 0;
    fs->commits++;
    if (!journaled) {
        ext4_mbuf_drop_all(fs);
        return 0;
    }
    ext4_mbuf_committed(fs);
    /* The lazy checkpoint: once the log is three quarters full, or the
     * pinned blocks take too much memory. */
    if (fs->j_used > room / 4 * 3 || (uint64_t)fs->n_logged * fs->block_size > PIN_BYTES)
        return ext4_journal_checkpoint(fs);
    return 0;
}
