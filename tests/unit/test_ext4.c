/* ext4 reader against images mkfs.ext4 -d made at test time
 * (tests/unit/ext4_images.sh): every file, link and directory compared with
 * the source tree on the host (4 KiB and 1 KiB blocks, extents across block
 * groups, old block maps up to triple indirect, holes, 100 000 entries in a
 * directory, an empty file system); then hostile images: targeted
 * corruptions of the superblock, inodes, extents and directory entries, and
 * random byte flips in the metadata, which must give errors, never faults. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "../../fs/ext4.h"
#include "check.h"

#define DIR_ "build/host/ext4-images"

struct dev {
    uint8_t *data;
    size_t len;
    struct ext4_fs *fs;
    unsigned reads;
    size_t *record; /* when set, byte offsets of single-block reads */
    unsigned n_record, max_record;
};

static int dev_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct dev *d = ctx;
    uint64_t bs = d->fs->block_size;
    d->reads++;
    if (blk * bs + (uint64_t)count * bs > d->len)
        return -EIO;
    if (d->record && count == 1 && d->n_record < d->max_record)
        d->record[d->n_record++] = (size_t)(blk * bs);
    memcpy(buf, d->data + blk * bs, (size_t)count * bs);
    return 0;
}

static struct dev load(const char *name)
{
    char path[256];
    snprintf(path, sizeof(path), DIR_ "/%s.img", name);
    int fd = open(path, O_RDONLY);
    struct stat st;
    struct dev d = { 0 };
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    d.len = (size_t)st.st_size;
    d.data = malloc(d.len);
    if (pread(fd, d.data, d.len, 0) != (ssize_t)d.len)
        exit(1);
    close(fd);
    return d;
}

static int mount_dev(struct dev *d, struct ext4_fs *fs)
{
    d->fs = fs;
    struct ext4_io io = { .read = dev_read, .ctx = d };
    return ext4_mount(fs, &io, d->len, "test");
}

static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v), put16(p + 2, (uint16_t)(v >> 16)); }

/* ---- comparing with the host tree ---- */

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len)
        *len = 0;
    fclose(f);
    return b;
}

static unsigned files_checked, links_checked, dirs_checked;

static void compare_file(struct ext4_fs *fs, const struct ext4_inode *in, const char *host)
{
    size_t len;
    uint8_t *want = slurp(host, &len);
    CHECK(want != NULL);
    CHECK_EQ(in->size, len);
    uint8_t *got = malloc(len + 1);
    /* Odd chunk sizes cross block and extent boundaries at every offset. */
    size_t off = 0, chunk = 1;
    while (off < len) {
        long n = ext4_read(fs, in, off, got + off, chunk);
        if (n <= 0) {
            CHECK(n > 0);
            break;
        }
        off += (size_t)n;
        chunk = chunk * 3 + 7;
        if (chunk > 3 * 1024 * 1024)
            chunk = 4093;
    }
    CHECK_EQ(off, len);
    CHECK(memcmp(got, want, len) == 0);
    char c;
    CHECK_EQ(ext4_read(fs, in, len, &c, 1), 0);
    free(got);
    free(want);
    files_checked++;
}

static void compare_dir(struct ext4_fs *fs, const struct ext4_inode *dir, const char *host)
{
    dirs_checked++;
    unsigned n_ext4 = 0, n_host = 0;
    struct ext4_dirent d;
    uint64_t pos = 0;
    int rc;
    while ((rc = ext4_dir_next(fs, dir, &pos, &d)) == 1) {
        if (!strcmp(d.name, ".") || !strcmp(d.name, "..") || !strcmp(d.name, "lost+found"))
            continue;
        n_ext4++;
        char path[4096];
        snprintf(path, sizeof(path), "%s/%s", host, d.name);
        struct stat st;
        if (lstat(path, &st) < 0) {
            fprintf(stderr, "ext4 has %s, the host tree does not\n", path);
            CHECK(0);
            continue;
        }
        uint32_t ino;
        CHECK_EQ(ext4_lookup(fs, dir, d.name, d.name_len, &ino), 0);
        CHECK_EQ(ino, d.ino);
        struct ext4_inode in;
        CHECK_EQ(ext4_read_inode(fs, ino, &in), 0);
        CHECK_EQ(in.mode & 0170000, st.st_mode & 0170000);
        if (S_ISDIR(st.st_mode)) {
            CHECK_EQ(d.type, 2);
            compare_dir(fs, &in, path);
        } else if (S_ISLNK(st.st_mode)) {
            char want[4096], got[4096];
            ssize_t wl = readlink(path, want, sizeof(want));
            long gl = ext4_readlink(fs, &in, got, sizeof(got));
            CHECK_EQ(gl, wl);
            CHECK(gl == wl && memcmp(got, want, (size_t)wl) == 0);
            links_checked++;
        } else if (st.st_size < 100 * 1024 * 1024) {
            compare_file(fs, &in, path);
        }
    }
    CHECK_EQ(rc, 0);
    DIR *h = opendir(host);
    struct dirent *e;
    while (h && (e = readdir(h)))
        n_host += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    if (h)
        closedir(h);
    CHECK_EQ(n_ext4, n_host);
}

static void check_image(const char *name)
{
    struct dev d = load(name);
    struct ext4_fs fs;
    int rc = mount_dev(&d, &fs);
    CHECK_EQ(rc, 0);
    if (rc == 0) {
        struct ext4_inode root;
        CHECK_EQ(ext4_read_inode(&fs, EXT4_ROOT_INO, &root), 0);
        char host[256];
        snprintf(host, sizeof(host), DIR_ "/%s.tree", name);
        compare_dir(&fs, &root, host);
        ext4_unmount(&fs);
    }
    free(d.data);
}

static void check_lookups(void)
{
    struct dev d = load("ext4k");
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&d, &fs), 0);
    struct ext4_inode root, in;
    CHECK_EQ(ext4_read_inode(&fs, EXT4_ROOT_INO, &root), 0);
    uint32_t ino;
    CHECK_EQ(ext4_lookup(&fs, &root, "nope", 4, &ino), -ENOENT);
    CHECK_EQ(ext4_lookup(&fs, &root, "sizes", 5, &ino), 0);
    CHECK_EQ(ext4_read_inode(&fs, ino, &in), 0);
    CHECK_EQ(ext4_lookup(&fs, &in, "f409", 4, &ino), -ENOENT); /* a prefix is not a match */
    CHECK_EQ(ext4_lookup(&fs, &in, "allhole", 7, &ino), 0);
    struct ext4_inode hole;
    CHECK_EQ(ext4_read_inode(&fs, ino, &hole), 0);
    CHECK_EQ(hole.size, 2000000);
    CHECK(hole.blocks512 == 0); /* really sparse on disk */
    char buf[8192];
    memset(buf, 0x55, sizeof(buf));
    CHECK_EQ(ext4_read(&fs, &hole, 123457, buf, sizeof(buf)), 8192);
    int zero = 1;
    for (size_t i = 0; i < sizeof(buf); i++)
        zero &= buf[i] == 0;
    CHECK(zero);
    CHECK_EQ(ext4_dir_next(&fs, &hole, &(uint64_t){ 0 }, &(struct ext4_dirent){ 0 }), -ENOTDIR);
    CHECK_EQ(ext4_readlink(&fs, &hole, buf, 10), -EINVAL);
    ext4_unmount(&fs);
    free(d.data);
}

/* The htree image's big directory really is hash-indexed (so the walk
 * above read an htree linearly). */
static void check_htree_flag(void)
{
    struct dev d = load("htree");
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&d, &fs), 0);
    struct ext4_inode root, big;
    uint32_t ino;
    CHECK_EQ(ext4_read_inode(&fs, EXT4_ROOT_INO, &root), 0);
    CHECK_EQ(ext4_lookup(&fs, &root, "big", 3, &ino), 0);
    CHECK_EQ(ext4_read_inode(&fs, ino, &big), 0);
    CHECK(big.flags & 0x1000); /* EXT4_INDEX_FL */
    CHECK(big.size > 4 * fs.block_size);
    ext4_unmount(&fs);
    free(d.data);
}

/* 100 000 entries in one directory. mkfs.ext4 -d takes quadratic time to
 * make such a directory (hours), so the test writes one: the data blocks of
 * a 20 MB file mkfs made are filled with directory records naming that
 * file's own inode, and the inode becomes a directory. */
static void write_records(uint8_t *blk, uint32_t bs, unsigned *next, unsigned total, uint32_t ino)
{
    uint32_t off = 0, last = 0;
    while (*next < total && off + 20 <= bs) {
        uint8_t *e = blk + off;
        memset(e, 0, 20);
        e[0] = (uint8_t)ino, e[1] = (uint8_t)(ino >> 8), e[2] = (uint8_t)(ino >> 16), e[3] = (uint8_t)(ino >> 24);
        e[4] = 20;
        e[6] = 11;
        e[7] = 1;
        char name[16];
        snprintf(name, sizeof(name), "entry%06u", (*next)++);
        memcpy(e + 8, name, 11);
        last = off;
        off += 20;
    }
    if (off == 0) { /* an empty record fills an unused block */
        memset(blk, 0, 8);
        blk[4] = (uint8_t)bs, blk[5] = (uint8_t)(bs >> 8);
        return;
    }
    uint32_t rl = bs - last;
    blk[last + 4] = (uint8_t)rl, blk[last + 5] = (uint8_t)(rl >> 8);
}

static size_t inode_offset(struct dev *d, struct ext4_fs *fs, uint32_t ino);
static uint32_t find(struct ext4_fs *fs, const char *dir, const char *name);

static void check_bigdir(void)
{
    enum { TOTAL = 100000 };
    struct dev d = load("ext4k");
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&d, &fs), 0);
    uint32_t ino = find(&fs, "sizes", "big");
    uint8_t *raw = d.data + inode_offset(&d, &fs, ino);
    const uint8_t *hdr = raw + 0x28;
    CHECK_EQ(hdr[0] | hdr[1] << 8, 0xf30a);
    CHECK_EQ(hdr[6] | hdr[7] << 8, 0); /* a leaf in the inode */
    unsigned next = 0, nblocks = 0;
    for (int i = 0; i < (hdr[2] | hdr[3] << 8); i++) {
        const uint8_t *x = hdr + 12 + 12 * i;
        uint32_t len = (uint32_t)(x[4] | x[5] << 8);
        uint64_t start = get32(x + 8) | (uint64_t)(x[6] | x[7] << 8) << 32;
        for (uint32_t b = 0; b < len; b++, nblocks++)
            write_records(d.data + (start + b) * fs.block_size, fs.block_size, &next, TOTAL, ino);
    }
    CHECK_EQ(next, TOTAL);
    put16(raw + 0x00, 040755);
    put32(raw + 0x04, nblocks * fs.block_size);
    put32(raw + 0x6c, 0);
    fs.dir_ino = 0;
    struct ext4_inode dir;
    CHECK_EQ(ext4_read_inode(&fs, ino, &dir), 0);
    static uint8_t seen[TOTAL];
    struct ext4_dirent e;
    uint64_t pos = 0;
    unsigned n = 0, bad = 0;
    int rc;
    while ((rc = ext4_dir_next(&fs, &dir, &pos, &e)) == 1) {
        unsigned k;
        if (sscanf(e.name, "entry%06u", &k) == 1 && k < TOTAL && !seen[k] && e.ino == ino)
            seen[k] = 1, n++;
        else
            bad++;
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(n, TOTAL);
    CHECK_EQ(bad, 0);
    /* Every name by lookup, in directory order (as a walk does). */
    unsigned found = 0;
    for (unsigned k = 0; k < TOTAL; k++) {
        char name[16];
        uint32_t got;
        snprintf(name, sizeof(name), "entry%06u", k);
        found += ext4_lookup(&fs, &dir, name, 11, &got) == 0 && got == ino;
    }
    CHECK_EQ(found, TOTAL);
    uint32_t got;
    CHECK_EQ(ext4_lookup(&fs, &dir, "entry000000", 11, &got), 0); /* wraps round from the hint */
    CHECK_EQ(ext4_lookup(&fs, &dir, "entry100000", 11, &got), -ENOENT);
    ext4_unmount(&fs);
    free(d.data);
}

/* ---- hostile images ---- */


static int mount_patched(struct dev *d, size_t off, const void *bytes, size_t n)
{
    uint8_t save[16];
    memcpy(save, d->data + off, n);
    memcpy(d->data + off, bytes, n);
    struct ext4_fs fs;
    int rc = mount_dev(d, &fs);
    if (rc == 0)
        ext4_unmount(&fs);
    memcpy(d->data + off, save, n);
    return rc;
}

static void check_bad_superblocks(void)
{
    struct dev d = load("ext4k");
    const uint8_t z4[4] = { 0 }, big[4] = { 0xff, 0xff, 0xff, 0x7f }, seven[4] = { 7 }, three[2] = { 3 };
    const uint8_t unknown[4] = { 0xc2, 0x02, 0, 0x80 }; /* the usual bits plus bit 31 */
    CHECK_EQ(mount_patched(&d, 1024 + 0x38, z4, 2), -EINVAL);    /* magic */
    CHECK_EQ(mount_patched(&d, 1024 + 0x18, seven, 4), -EIO);    /* block size */
    CHECK_EQ(mount_patched(&d, 1024 + 0x28, z4, 4), -EIO);       /* inodes per group */
    CHECK_EQ(mount_patched(&d, 1024 + 0x20, big, 4), -EIO);      /* blocks per group */
    CHECK_EQ(mount_patched(&d, 1024 + 0x04, big, 4), -EIO);      /* blocks count past the device */
    CHECK_EQ(mount_patched(&d, 1024 + 0x00, big, 4), -EIO);      /* inodes count */
    CHECK_EQ(mount_patched(&d, 1024 + 0xfe, three, 2), -EIO);    /* descriptor size */
    CHECK_EQ(mount_patched(&d, 1024 + 0x58, three, 2), -EIO);    /* inode size */
    CHECK_EQ(mount_patched(&d, 1024 + 0x60, unknown, 4), -EOPNOTSUPP);
    struct dev small = d;
    small.len = 1500; /* a device too small for the superblock */
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&small, &fs), -EINVAL);
    small.len = 8 * 1024 * 1024; /* smaller than the file system says */
    CHECK_EQ(mount_dev(&small, &fs), -EIO);
    free(d.data);

    struct dev inl = load("inline");
    CHECK_EQ(mount_dev(&inl, &fs), -EOPNOTSUPP);
    free(inl.data);
}

/* Byte offset of an inode in the image, by the format's arithmetic. */
static size_t inode_offset(struct dev *d, struct ext4_fs *fs, uint32_t ino)
{
    uint32_t g = (ino - 1) / fs->inodes_per_group, i = (ino - 1) % fs->inodes_per_group;
    const uint8_t *desc = d->data + (size_t)(fs->first_data_block + 1) * fs->block_size + (size_t)g * fs->desc_size;
    uint64_t table = get32(desc + 8) | (fs->desc_size >= 64 ? (uint64_t)get32(desc + 0x28) << 32 : 0);
    return (size_t)table * fs->block_size + (size_t)i * fs->inode_size;
}

static uint32_t find(struct ext4_fs *fs, const char *dir, const char *name)
{
    struct ext4_inode root, in;
    uint32_t ino;
    ext4_read_inode(fs, EXT4_ROOT_INO, &root);
    if (ext4_lookup(fs, &root, dir, strlen(dir), &ino) < 0 || ext4_read_inode(fs, ino, &in) < 0)
        return 0;
    return ext4_lookup(fs, &in, name, strlen(name), &ino) < 0 ? 0 : ino;
}

/* Reads the whole file after patching n bytes at off; returns the result. */
static long read_patched(struct dev *d, struct ext4_fs *fs, uint32_t ino, size_t off, const void *bytes, size_t n)
{
    uint8_t save[16];
    memcpy(save, d->data + off, n);
    memcpy(d->data + off, bytes, n);
    struct ext4_inode in;
    long rc = ext4_read_inode(fs, ino, &in);
    static uint8_t buf[1 << 20];
    for (uint64_t pos = 0; rc >= 0 && pos < in.size && pos < (64u << 20); pos += sizeof(buf)) {
        long r = ext4_read(fs, &in, pos, buf, sizeof(buf));
        rc = r < 0 ? r : rc;
    }
    if (rc >= 0 && (in.mode & 0170000) == 0040000) {
        struct ext4_dirent e;
        uint64_t pos = 0;
        while ((rc = ext4_dir_next(fs, &in, &pos, &e)) == 1)
            ;
    }
    fs->dir_ino = 0; /* the directory block buffer saw the patch */
    memcpy(d->data + off, save, n);
    return rc;
}

static void check_bad_metadata(void)
{
    struct dev d = load("ext4k");
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&d, &fs), 0);
    uint32_t f = find(&fs, "sizes", "f300000");
    CHECK(f != 0);
    size_t io = inode_offset(&d, &fs, f);
    const uint8_t z2[2] = { 0 }, deep[2] = { 30 }, many[2] = { 9 }, far[4] = { 0xf0, 0xff, 0xff, 0xff };
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28, z2, 2), -EIO);           /* extent magic */
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28 + 6, deep, 2), -EIO);     /* depth */
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28 + 2, many, 2), -EIO);     /* entries > max */
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28 + 4, many, 2), -EIO);     /* max past the inode */
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28 + 20, far, 4), -EIO);     /* extent start */
    const uint8_t one[2] = { 1 };
    CHECK_EQ(read_patched(&d, &fs, f, io + 0x28 + 6, one, 2), -EIO);      /* index into data */
    uint32_t big[] = { 0x7fffffff };
    CHECK(read_patched(&d, &fs, f, io + 0x6c, big, 4) >= 0);              /* huge size: holes, no fault */
    uint32_t l = find(&fs, "links", "slow");
    CHECK_EQ(read_patched(&d, &fs, l, inode_offset(&d, &fs, l) + 4, (uint8_t[4]){ 0, 0x20 }, 4), 0);
    struct ext4_inode lin;
    uint8_t save[4];
    size_t lo = inode_offset(&d, &fs, l) + 4;
    memcpy(save, d.data + lo, 4);
    put32(d.data + lo, 9000);
    CHECK_EQ(ext4_read_inode(&fs, l, &lin), 0);
    char t[64];
    CHECK_EQ(ext4_readlink(&fs, &lin, t, sizeof(t)), -EIO);
    memcpy(d.data + lo, save, 4);
    /* Directory entries: the "sizes" directory's first block. */
    struct ext4_inode root, sizes;
    uint32_t s;
    ext4_read_inode(&fs, EXT4_ROOT_INO, &root);
    ext4_lookup(&fs, &root, "sizes", 5, &s);
    ext4_read_inode(&fs, s, &sizes);
    uint64_t pblk = get32(sizes.iblock + 20) | (uint64_t)(sizes.iblock[18] | sizes.iblock[19] << 8) << 32;
    size_t db = (size_t)pblk * fs.block_size;
    CHECK_EQ(read_patched(&d, &fs, s, db + 4, z2, 2), -EIO);             /* rec_len 0 */
    CHECK_EQ(read_patched(&d, &fs, s, db + 4, (uint8_t[2]){ 6 }, 2), -EIO); /* rec_len too short */
    CHECK_EQ(read_patched(&d, &fs, s, db + 4, (uint8_t[2]){ 0xfc, 0xff }, 2), -EIO); /* past the block */
    CHECK_EQ(read_patched(&d, &fs, s, db + 6, (uint8_t[1]){ 200 }, 1), -EIO); /* name past the record */
    /* An entry naming an inode past the count: the lookup finds it, the
     * inode read refuses it. */
    memcpy(save, d.data + db + 12, 4);
    put32(d.data + db + 12, 0xfffffff0);
    fs.dir_ino = 0;
    uint32_t ino;
    CHECK_EQ(ext4_lookup(&fs, &sizes, "..", 2, &ino), 0);
    struct ext4_inode x;
    CHECK_EQ(ext4_read_inode(&fs, ino, &x), -EIO);
    memcpy(d.data + db + 12, save, 4);
    fs.dir_ino = 0;
    ext4_unmount(&fs);
    free(d.data);
}

/* Walks everything with limits, as a program would; returns errors seen. */
static unsigned walk(struct ext4_fs *fs, uint32_t ino, int depth, unsigned *budget)
{
    struct ext4_inode in;
    if (ext4_read_inode(fs, ino, &in) < 0)
        return 1;
    static uint8_t buf[65536];
    unsigned errs = 0;
    if ((in.mode & 0170000) == 0100000) {
        for (uint64_t pos = 0; pos < in.size && pos < sizeof(buf); pos += sizeof(buf))
            errs += ext4_read(fs, &in, pos, buf, sizeof(buf)) < 0;
    } else if ((in.mode & 0170000) == 0120000) {
        errs += ext4_readlink(fs, &in, (char *)buf, 4096) < 0;
    } else if ((in.mode & 0170000) == 0040000 && depth < 8) {
        struct ext4_dirent e;
        uint64_t pos = 0;
        int rc = 0;
        while (*budget && (rc = ext4_dir_next(fs, &in, &pos, &e)) == 1) {
            (*budget)--;
            if (strcmp(e.name, ".") && strcmp(e.name, ".."))
                errs += walk(fs, e.ino, depth + 1, budget);
            uint32_t found;
            ext4_lookup(fs, &in, e.name, e.name_len, &found);
        }
        errs += rc < 0;
    }
    return errs;
}

/* Flips bytes in the blocks a clean walk read as single blocks (the
 * superblock, descriptors, inode tables, extent and directory blocks), then
 * walks again: errors are fine, faults and hangs are not. */
static void check_random_flips(const char *name, unsigned rounds)
{
    struct dev d = load(name);
    static size_t blocks[8192];
    d.record = blocks;
    d.max_record = 8192;
    struct ext4_fs fs;
    CHECK_EQ(mount_dev(&d, &fs), 0);
    unsigned budget = 2000;
    CHECK_EQ(walk(&fs, EXT4_ROOT_INO, 0, &budget), 0);
    uint32_t bs = fs.block_size;
    ext4_unmount(&fs);
    d.record = NULL;
    unsigned n_blocks = d.n_record;
    CHECK(n_blocks > 10);
    srand(1234);
    unsigned mounted = 0, errors = 0;
    for (unsigned r = 0; r < rounds; r++) {
        size_t off[4];
        uint8_t old[4];
        for (int k = 0; k < 4; k++) {
            off[k] = blocks[(unsigned)rand() % n_blocks] + (size_t)rand() % bs;
            old[k] = d.data[off[k]];
            d.data[off[k]] ^= (uint8_t)(1u << (rand() % 8));
        }
        if (getenv("KESTREL_TEST_VERBOSE"))
            fprintf(stderr, "round %u\n", r);
        if (mount_dev(&d, &fs) == 0) {
            budget = 2000;
            mounted++;
            errors += walk(&fs, EXT4_ROOT_INO, 0, &budget);
            ext4_unmount(&fs);
        }
        for (int k = 3; k >= 0; k--)
            d.data[off[k]] = old[k];
    }
    printf("  %s: %u rounds of bit flips in %u metadata blocks: %u mounted, %u errors reported\n", name, rounds,
           n_blocks, mounted, errors);
    CHECK(mounted > 0);
    free(d.data);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (getenv("EXT4_IMAGES_READY") == NULL && system("tests/unit/ext4_images.sh " DIR_) != 0) {
        fprintf(stderr, "test_ext4: making the images failed (mkfs.ext4 from e2fsprogs needed)\n");
        return 1;
    }
    const char *images[] = { "ext4k", "ext1k", "blockmap", "htree", "tiny" };
    for (size_t i = 0; i < sizeof(images) / sizeof(images[0]); i++)
        check_image(images[i]);
    printf("  compared %u files, %u links, %u directories with the host\n", files_checked, links_checked,
           dirs_checked);
    CHECK(files_checked >= 3 * 14);
    printf("  100 000 entries in one directory\n");
    check_lookups();
    check_htree_flag();
    check_bigdir();
    check_bad_superblocks();
    check_bad_metadata();
    check_random_flips("ext4k", 400);
    check_random_flips("blockmap", 400);
    check_random_flips("tiny", 400);
    return check_report("test_ext4");
}
