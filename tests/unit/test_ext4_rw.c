/* ext4 read-write on the host, through the VFS and fs/ext4_vnode.c over
 * images mkfs.ext4 made (4 KiB and 1 KiB blocks, metadata_csum, a journal,
 * and one without either): a random workload (seed printed; argv[1] sets
 * it) run on ext4 and on the host's own file system and compared, then
 * the image checked by e2fsck -fn, read back by a fresh mount of ours and
 * by debugfs (Linux's reader) and compared with the host tree again. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "../../fs/ext4.h"
#include "../../fs/ext4_vnode.h"
#include "../../fs/ramfs.h"
#include "check.h"
#include "sync.h"
#include "vfs.h"
#include "vfs_model.h"

#define DIR_ "build/host/ext4-rw"

static uint32_t ext4_le32_test(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint32_t ext4_be32_test(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static uint64_t fake_ns = 1700000000ull * 1000000000ull;
static uint64_t fake_clock(void) { return fake_ns += 1000; }

/* A write the crash test replays: blocks, or a flush (data NULL). */
struct wrec {
    uint64_t off;
    size_t len;
    uint8_t *data;
};

struct dev {
    uint8_t *data;
    size_t len;
    struct ext4_fs *fs;
    unsigned writes, flushes;
    struct wrec *log; /* when recording */
    size_t n_log, cap_log;
};

static void log_add(struct dev *d, uint64_t off, const void *buf, size_t len)
{
    if (!d->cap_log)
        return;
    if (d->n_log == d->cap_log) {
        d->cap_log *= 2;
        d->log = realloc(d->log, d->cap_log * sizeof(*d->log));
    }
    struct wrec *w = &d->log[d->n_log++];
    w->off = off;
    w->len = len;
    w->data = buf ? malloc(len) : NULL;
    if (buf)
        memcpy(w->data, buf, len);
}

static int dev_read(void *ctx, uint64_t blk, uint32_t count, void *buf)
{
    struct dev *d = ctx;
    uint64_t bs = d->fs->block_size;
    if (blk * bs + (uint64_t)count * bs > d->len)
        return -EIO;
    memcpy(buf, d->data + blk * bs, (size_t)count * bs);
    return 0;
}

static int dev_write(void *ctx, uint64_t blk, uint32_t count, const void *buf)
{
    struct dev *d = ctx;
    uint64_t bs = d->fs->block_size;
    if (blk * bs + (uint64_t)count * bs > d->len)
        return -EIO;
    memcpy(d->data + blk * bs, buf, (size_t)count * bs);
    d->writes++;
    log_add(d, blk * bs, buf, (size_t)count * bs);
    return 0;
}

static int dev_flush(void *ctx)
{
    ((struct dev *)ctx)->flushes++;
    log_add(ctx, 0, NULL, 0);
    return 0;
}

static struct dev *dev_load(const char *path)
{
    struct dev *d = calloc(1, sizeof(*d));
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "cannot open %s\n", path);
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    d->len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    d->data = malloc(d->len);
    if (fread(d->data, 1, d->len, f) != d->len)
        exit(1);
    fclose(f);
    return d;
}

static void dev_save(const struct dev *d, const char *path)
{
    FILE *f = fopen(path, "wb");
    CHECK(f && fwrite(d->data, 1, d->len, f) == d->len);
    if (f)
        fclose(f);
}

/* The VFS mounts "ext4test" with data = the struct dev. */
static int mount_dev(const char *src, void *data, struct vnode **root)
{
    struct dev *d = data;
    struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = d };
    return ext4_vnode_mount(&io, d->len, src, root, &d->fs);
}
static const struct fs_type test_ext4 = { "ext4test", mount_dev };
static const struct fs_type *const test_ext4_entry __attribute__((used, section("kestrel_fstypes"))) = &test_ext4;

static int sh(const char *fmt, const char *a, const char *b)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), fmt, a, b);
    return system(cmd);
}

static int e2fsck_clean(const char *img)
{
    int rc = sh("e2fsck -fn %s > %s.fsck 2>&1", img, img);
    if (rc != 0)
        sh("cat %s.fsck >&2", img, img);
    return rc;
}

/* One image: the workload, e2fsck, our remount, Linux's reading. */
static void run_image(const char *name, const char *mkfs_opts, const char *size, unsigned span, uint64_t seed, unsigned steps)
{
    char img[256], host[256], mnt[64], mnt2[64], dump[256];
    snprintf(img, sizeof(img), DIR_ "/%s.img", name);
    snprintf(host, sizeof(host), DIR_ "/%s.host", name);
    snprintf(mnt, sizeof(mnt), "/%s", name);
    snprintf(mnt2, sizeof(mnt2), "/%s-again", name);
    snprintf(dump, sizeof(dump), DIR_ "/%s.dump", name);
    sh("rm -f %s %s", img, "");
    char cmd[1400];
    snprintf(cmd, sizeof(cmd), "/usr/sbin/mkfs.ext4 -q -F %s %s %s", mkfs_opts, img, size);
    CHECK_EQ(system(cmd), 0);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir(mnt, 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", name, mnt, d), 0);
    CHECK(d->fs->rw);
    model_span = span;
    model_run(name, mnt, host, seed, steps);
    /* Links and attributes, checked after the remount below. */
    static const char slow_target[] = "a/target/longer/than/sixty/bytes/so/that/it/takes/a/block/of/its/own/xxxxxxxx";
    char lp[96];
    snprintf(lp, sizeof(lp), "%s/fast", mnt);
    CHECK_EQ(vfs_symlink("z/a", lp), 0);
    snprintf(lp, sizeof(lp), "%s/slow", mnt);
    CHECK_EQ(vfs_symlink(slow_target, lp), 0);
    snprintf(lp, sizeof(lp), "%s/attr", mnt);
    int afd = vfs_open(lp, VFS_O_WRONLY | VFS_O_CREAT, 0600);
    CHECK(afd >= 0);
    vfs_close(afd);
    CHECK_EQ(vfs_chown(lp, 70000, 1234), 0);
    CHECK_EQ(vfs_chmod(lp, 04751), 0); /* after chown, which drops set-user-ID */
    struct vfs_timespec ts[2] = { { 1000000000, 123456789 }, { 2500000000ll, 987654321 } }; /* mtime past 2038 */
    CHECK_EQ(vfs_utimes(lp, ts, 0), 0);
    vfs_sync();
    printf("%s: %llu commits, %u writes, %u flushes\n", name, (unsigned long long)d->fs->commits, d->writes,
           d->flushes);
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    /* Our own reader, from the image alone. */
    struct dev *d2 = dev_load(img);
    CHECK_EQ(vfs_mkdir(mnt2, 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", name, mnt2, d2), 0);
    vfs_base = mnt2;
    char z[80];
    snprintf(z, sizeof(z), "%s/z", mnt2);
    compare_tree(z);
    char target[200];
    snprintf(lp, sizeof(lp), "%s/fast", mnt2);
    CHECK_EQ(vfs_readlink(lp, target, sizeof(target)), 3);
    CHECK(memcmp(target, "z/a", 3) == 0);
    snprintf(lp, sizeof(lp), "%s/slow", mnt2);
    CHECK_EQ(vfs_readlink(lp, target, sizeof(target)), (long)strlen(slow_target));
    CHECK(memcmp(target, slow_target, strlen(slow_target)) == 0);
    struct vfs_stat st;
    snprintf(lp, sizeof(lp), "%s/attr", mnt2);
    CHECK_EQ(vfs_stat(lp, &st), 0);
    CHECK_EQ(st.mode, VFS_S_IFREG | 04751);
    CHECK_EQ(st.uid, 70000);
    CHECK_EQ(st.gid, 1234);
    CHECK_EQ(st.atime, 1000000000);
    CHECK_EQ(st.mtime, 2500000000ll);
    if (d2->fs->inode_size >= 256) {
        CHECK_EQ(st.atime_nsec, 123456789);
        CHECK_EQ(st.mtime_nsec, 987654321);
    }
    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /attr' %s 2>/dev/null | grep -q 'User: 70000   Group:  1234'", img);
    CHECK_EQ(system(cmd), 0); /* Linux's reading of the owner */
    /* Linux's reader: debugfs dumps the tree, diff compares it. */
    CHECK_EQ(sh("rm -rf %s && mkdir -p %s", dump, dump), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'rdump /z %s' %s >/dev/null 2>&1 && diff -r %s/z %s/z >&2", dump, img,
             host, dump);
    CHECK_EQ(system(cmd), 0);
}

/* ---- crash consistency ---- */

/* Reads path (absolute, no links) on a mounted ext4_fs. */
static long fs_cat(struct ext4_fs *fs, const char *path, uint8_t *buf, size_t len)
{
    struct ext4_inode in;
    int rc = ext4_read_inode(fs, EXT4_ROOT_INO, &in);
    const char *p = path;
    while (rc == 0 && *p) {
        while (*p == '/')
            p++;
        size_t n = strcspn(p, "/");
        uint32_t ino;
        rc = ext4_lookup(fs, &in, p, n, &ino);
        if (rc == 0)
            rc = ext4_read_inode(fs, ino, &in);
        p += n;
    }
    return rc < 0 ? rc : ext4_read(fs, &in, 0, buf, len);
}

struct synced {
    char path[64];
    uint8_t *data;
    size_t len;
    size_t log_pos; /* the write log's length when fsync returned */
};

/* The device as a crash at log position cut leaves it: every write before
 * the last flush ahead of cut, and a random half of those after it (the
 * device may have done them in any order). */
static struct dev *crashed(const struct dev *base, const struct dev *run, size_t cut, uint64_t *rng_state)
{
    struct dev *d = calloc(1, sizeof(*d));
    d->len = base->len;
    d->data = malloc(d->len);
    memcpy(d->data, base->data, d->len);
    size_t barrier = 0;
    for (size_t i = 0; i < cut; i++) {
        if (!run->log[i].data)
            barrier = i;
    }
    for (size_t i = 0; i < cut; i++) {
        const struct wrec *w = &run->log[i];
        *rng_state ^= *rng_state << 13, *rng_state ^= *rng_state >> 7, *rng_state ^= *rng_state << 17;
        if (w->data && (i < barrier || (*rng_state & 1)))
            memcpy(d->data + w->off, w->data, w->len);
    }
    return d;
}

static void check_crash(const char *name, const char *mkfs_opts, uint64_t seed, unsigned kills)
{
    char img[128], mnt[64], sub[80], host[128], cmd0[400];
    snprintf(img, sizeof(img), DIR_ "/%s.img", name);
    snprintf(mnt, sizeof(mnt), "/%s", name);
    snprintf(sub, sizeof(sub), "/%s/s", name);
    snprintf(host, sizeof(host), DIR_ "/%s.host", name);
    printf("test_ext4_rw: %s test seed %llu, %u crash points\n", name, (unsigned long long)seed, kills);
    snprintf(cmd0, sizeof(cmd0), "/usr/sbin/mkfs.ext4 -q -F -b 1024 %s %s 16M", mkfs_opts, img);
    CHECK_EQ(system(cmd0), 0);
    struct dev *base = dev_load(img), *d = dev_load(img);
    d->cap_log = 1024;
    d->log = malloc(d->cap_log * sizeof(*d->log));
    CHECK_EQ(vfs_mkdir(mnt, 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", name, mnt, d), 0);
    CHECK_EQ(vfs_mkdir(sub, 0755), 0);
    static struct synced sy[64];
    unsigned n_sy = 0;
    model_span = 50000;
    model_run(name, mnt, host, seed, 0);
    for (unsigned i = 0; i < 48; i++) {
        for (int k = 0; k < 8; k++)
            one_op(i * 8 + k);
        struct synced *s = &sy[n_sy++];
        snprintf(s->path, sizeof(s->path), "/s/f%u", i);
        s->len = rnd(30000);
        s->data = malloc(s->len + 1);
        for (size_t j = 0; j < s->len; j++)
            s->data[j] = (uint8_t)rnd(256);
        char vpath[80];
        snprintf(vpath, sizeof(vpath), "%s%s", mnt, s->path);
        int fd = vfs_open(vpath, VFS_O_WRONLY | VFS_O_CREAT, 0644);
        CHECK(fd >= 0);
        CHECK_EQ(vfs_write(fd, s->data, s->len), (long)s->len);
        CHECK_EQ(vfs_fsync(fd), 0);
        vfs_close(fd);
        s->log_pos = d->n_log;
        if (i % 5 == 0)
            vfs_sync();
    }
    vfs_sync();
    printf("%s: %zu writes and flushes recorded, %llu commits\n", name, d->n_log, (unsigned long long)d->fs->commits);
    uint64_t st = seed | 1;
    uint8_t *buf = malloc(1 << 16);
    unsigned replays = 0;
    for (unsigned k = 0; k < kills; k++) {
        st ^= st << 13, st ^= st >> 7, st ^= st << 17;
        size_t cut = k == 0 ? d->n_log : (size_t)(st % (d->n_log + 1));
        struct dev *c = crashed(base, d, cut, &st);
        /* Linux's replay (e2fsck -fy) on a copy, then a clean check. */
        char cmd[512];
        dev_save(c, DIR_ "/crash-linux.img");
        snprintf(cmd, sizeof(cmd), "e2fsck -fy %s > %s.fsck 2>&1; e2fsck -fn %s > %s.fsck2 2>&1", DIR_ "/crash-linux.img",
                 DIR_ "/crash-linux.img", DIR_ "/crash-linux.img", DIR_ "/crash-linux.img");
        int lrc = system(cmd);
        if (lrc != 0) {
            fprintf(stderr, "crash point %zu: Linux's replay left errors\n", cut);
            system("cat " DIR_ "/crash-linux.img.fsck " DIR_ "/crash-linux.img.fsck2 >&2");
        }
        CHECK_EQ(lrc, 0);
        /* Ours: mount (replaying), then every synced file. */
        struct ext4_fs *fs = calloc(1, sizeof(*fs));
        c->fs = fs;
        struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = c };
        unsigned before = c->writes;
        int rc = ext4_mount(fs, &io, c->len, "crash");
        replays += c->writes != before;
        CHECK_EQ(rc, 0);
        CHECK(fs->rw);
        for (unsigned i = 0; rc == 0 && i < n_sy; i++) {
            if (sy[i].log_pos > cut)
                continue;
            long n = fs_cat(fs, sy[i].path, buf, 1 << 16);
            if (n != (long)sy[i].len || memcmp(buf, sy[i].data, sy[i].len) != 0)
                fprintf(stderr, "crash point %zu: %s not as synced (%ld bytes, want %zu)\n", cut, sy[i].path, n,
                        sy[i].len);
            CHECK_EQ(n, (long)sy[i].len);
            CHECK(n < 0 || memcmp(buf, sy[i].data, sy[i].len) == 0);
        }
        if (rc == 0)
            ext4_unmount(fs);
        dev_save(c, DIR_ "/crash-ours.img");
        int orc = e2fsck_clean(DIR_ "/crash-ours.img");
        if (orc != 0)
            fprintf(stderr, "crash point %zu: e2fsck after our replay failed\n", cut);
        CHECK_EQ(orc, 0);
        free(c->data);
        free(c);
        free(fs);
    }
    free(buf);
    free(base->data);
    free(base);
    for (unsigned i = 0; i < n_sy; i++) /* sy is reused by the next file system's run */
        free(sy[i].data);
    printf("%s: %u of %u crash points had a journal to replay\n", name, replays, kills);
}

/* Revoke blocks (jbd2 magic, type 5) among the recorded writes. */
static unsigned count_revoke_blocks(const struct dev *d, uint32_t bs)
{
    unsigned n = 0;
    for (size_t i = 0; i < d->n_log; i++) {
        const struct wrec *w = &d->log[i];
        for (size_t off = 0; w->data && off + bs <= w->len; off += bs)
            n += (unsigned)(ext4_be32_test(w->data + off) == 0xc03b3998u && ext4_be32_test(w->data + off + 4) == 5);
    }
    return n;
}

/* The circular log: a 1024-block journal of 1 KiB blocks, rounds of a
 * directory made (a block logged), emptied and removed (freed while still
 * in the log) and a file written (the freed block reused as data: a
 * revoke), each step fsynced, with no sync between, so the log wraps and
 * holds many transactions between checkpoints. Then a crash at every
 * step: at each flush with a random half of the writes since the last one
 * done, and just after it. Our replay must give back every synced file
 * and leave e2fsck clean (on every 8th); Linux's (e2fsck -fy, then -fn
 * clean) too, with every synced file read back (every 16th). */
static void check_circular(uint64_t seed)
{
    const char *img = DIR_ "/circ.img";
    printf("test_ext4_rw: circular log seed %llu\n", (unsigned long long)seed);
    CHECK_EQ(system("/usr/sbin/mkfs.ext4 -q -F -b 1024 -J size=1 " DIR_ "/circ.img 8M"), 0);
    struct dev *base = dev_load(img), *d = dev_load(img);
    d->cap_log = 1024;
    d->log = malloc(d->cap_log * sizeof(*d->log));
    CHECK_EQ(vfs_mkdir("/circ", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "circ", "/circ", d), 0);
    CHECK_EQ(vfs_mkdir("/circ/c", 0755), 0);
    enum { ROUNDS = 70 };
    static struct synced sy[ROUNDS];
    uint64_t st = seed | 1;
    unsigned wraps = 0, most_live = 0;
    uint64_t live_from = 0, ckpts = d->fs->checkpoints;
    uint32_t head = d->fs->j_head;
    char p[80], q[80];
    for (unsigned i = 0; i < ROUNDS; i++) {
        for (int step = 0; step < 3; step++) {
            int fd;
            snprintf(p, sizeof(p), "/circ/c/d%u", i);
            snprintf(q, sizeof(q), "/circ/c/d%u/x", i);
            if (step == 0) {
                CHECK_EQ(vfs_mkdir(p, 0755), 0);
                fd = vfs_open(q, VFS_O_WRONLY | VFS_O_CREAT, 0644);
            } else if (step == 1) {
                CHECK_EQ(vfs_unlink(q), 0);
                CHECK_EQ(vfs_rmdir(p), 0);
                fd = vfs_open("/circ/c", VFS_O_RDONLY, 0);
            } else {
                struct synced *s = &sy[i];
                snprintf(s->path, sizeof(s->path), "/c/f%u", i);
                s->len = 1 + (size_t)(st % 3000);
                s->data = malloc(s->len);
                for (size_t j = 0; j < s->len; j++) {
                    st ^= st << 13, st ^= st >> 7, st ^= st << 17;
                    s->data[j] = (uint8_t)st;
                }
                snprintf(q, sizeof(q), "/circ%s", s->path);
                fd = vfs_open(q, VFS_O_WRONLY | VFS_O_CREAT, 0644);
                CHECK(fd >= 0);
                CHECK_EQ(vfs_write(fd, s->data, s->len), (long)s->len);
            }
            CHECK(fd >= 0);
            CHECK_EQ(vfs_fsync(fd), 0);
            vfs_close(fd);
            if (step == 2)
                sy[i].log_pos = d->n_log;
            if (d->fs->checkpoints != ckpts) {
                ckpts = d->fs->checkpoints;
                live_from = d->fs->commits - 1; /* the last commit may have come after it */
            }
            if (d->fs->commits - live_from > most_live)
                most_live = (unsigned)(d->fs->commits - live_from);
            wraps += d->fs->j_head < head;
            head = d->fs->j_head;
        }
    }
    unsigned revokes = count_revoke_blocks(d, 1024);
    printf("circ: %llu commits, %llu checkpoints, %u wraps, up to %u transactions live, %u revoke blocks, %zu writes "
           "and flushes\n", (unsigned long long)d->fs->commits, (unsigned long long)d->fs->checkpoints, wraps, most_live,
           revokes, d->n_log);
    CHECK(wraps >= 1);
    CHECK(d->fs->checkpoints >= 2);
    CHECK(most_live >= 20);
    CHECK(revokes >= 1);
    uint8_t *buf = malloc(4096);
    unsigned cuts = 0, replays = 0, linux_checked = 0;
    for (size_t at = 0; at < d->n_log; at++) {
        if (d->log[at].data)
            continue; /* a flush: the step ends here */
        for (size_t cut = at; cut <= at + 1; cut++) {
            struct dev *c = crashed(base, d, cut, &st);
            cuts++;
            if (cuts % 16 == 0) {
                char cmd[512];
                dev_save(c, DIR_ "/circ-linux.img");
                snprintf(cmd, sizeof(cmd), "e2fsck -fy %s > %s.fsck 2>&1; e2fsck -fn %s > %s.fsck2 2>&1",
                         DIR_ "/circ-linux.img", DIR_ "/circ-linux.img", DIR_ "/circ-linux.img", DIR_ "/circ-linux.img");
                int lrc = system(cmd);
                if (lrc != 0) {
                    fprintf(stderr, "circ: cut %zu: Linux's replay left errors\n", cut);
                    system("cat " DIR_ "/circ-linux.img.fsck " DIR_ "/circ-linux.img.fsck2 >&2");
                }
                CHECK_EQ(lrc, 0);
                linux_checked++;
                /* What e2fsck replayed holds every synced file too. */
                struct dev *l = dev_load(DIR_ "/circ-linux.img");
                struct ext4_fs *lfs = calloc(1, sizeof(*lfs));
                l->fs = lfs;
                struct ext4_io lio = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = l };
                CHECK_EQ(ext4_mount(lfs, &lio, l->len, "circ-linux"), 0);
                for (unsigned i = 0; i < ROUNDS; i++) {
                    if (sy[i].log_pos > cut)
                        continue;
                    long n = fs_cat(lfs, sy[i].path, buf, 4096);
                    if (n != (long)sy[i].len || memcmp(buf, sy[i].data, sy[i].len) != 0)
                        fprintf(stderr, "circ: cut %zu: %s not as synced after e2fsck's replay\n", cut, sy[i].path);
                    CHECK_EQ(n, (long)sy[i].len);
                    CHECK(n < 0 || memcmp(buf, sy[i].data, sy[i].len) == 0);
                }
                ext4_unmount(lfs);
                free(lfs);
                free(l->data);
                free(l);
            }
            struct ext4_fs *fs = calloc(1, sizeof(*fs));
            c->fs = fs;
            struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = c };
            unsigned before = c->writes;
            int rc = ext4_mount(fs, &io, c->len, "circ-crash");
            replays += c->writes != before;
            CHECK_EQ(rc, 0);
            for (unsigned i = 0; rc == 0 && i < ROUNDS; i++) {
                if (sy[i].log_pos > cut)
                    continue;
                long n = fs_cat(fs, sy[i].path, buf, 4096);
                if (n != (long)sy[i].len || memcmp(buf, sy[i].data, sy[i].len) != 0)
                    fprintf(stderr, "circ: cut %zu: %s not as synced (%ld bytes, want %zu)\n", cut, sy[i].path, n,
                            sy[i].len);
                CHECK_EQ(n, (long)sy[i].len);
                CHECK(n < 0 || memcmp(buf, sy[i].data, sy[i].len) == 0);
            }
            if (rc == 0)
                ext4_unmount(fs);
            if (cuts % 8 == 0) {
                dev_save(c, DIR_ "/circ-ours.img");
                int orc = e2fsck_clean(DIR_ "/circ-ours.img");
                if (orc != 0)
                    fprintf(stderr, "circ: cut %zu: e2fsck after our replay failed\n", cut);
                CHECK_EQ(orc, 0);
            }
            free(c->data);
            free(c);
            free(fs);
        }
    }
    printf("circ: %u crash points (%u replayed by us, %u also by e2fsck)\n", cuts, replays, linux_checked);
    free(buf);
    for (unsigned i = 0; i < ROUNDS; i++)
        free(sy[i].data);
    for (size_t i = 0; i < d->n_log; i++)
        free(d->log[i].data);
    free(d->log);
    d->log = NULL;
    d->n_log = d->cap_log = 0; /* still mounted: later syncs are not recorded */
    free(base->data);
    free(base);
}

/* An htree directory mkfs.ext4 -d and e2fsck -D made: names added (leaves
 * split, the index kept), removed and renamed, the directory moved, then
 * compared and checked. */
static void check_htree(void)
{
    const char *tree = DIR_ "/htree.tree", *img = DIR_ "/htree.img";
    char cmd[600];
    snprintf(cmd, sizeof(cmd),
             "rm -rf %s && mkdir -p %s/z/big && cd %s/z/big && for i in $(seq 1 3000); do echo $i > name-$i; done && "
             "cd - >/dev/null && /usr/sbin/mkfs.ext4 -q -F -b 1024 -d %s %s 32M && { e2fsck -fyD %s >/dev/null 2>&1; true; } && "
             "debugfs -R 'stat /z/big' %s 2>/dev/null | grep -q 'Flags: 0x81000'",
             tree, tree, tree, tree, img, img, img);
    CHECK_EQ(system(cmd), 0); /* made, and it is an htree */
    unsigned htree_count0 = 0;
    snprintf(cmd, sizeof(cmd),
             "debugfs -R 'htree /z/big' %s 2>/dev/null | grep -m1 'Number of entries (count)' | awk '{print $5}'", img);
    FILE *pf = popen(cmd, "r");
    CHECK(pf && fscanf(pf, "%u", &htree_count0) == 1 && htree_count0 > 1);
    if (pf)
        pclose(pf);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir("/htree", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "htree", "/htree", d), 0);
    char p[80], q[80], hp[300], hq[300];
    for (int i = 1; i <= 3000; i += 3) {
        snprintf(p, sizeof(p), "/htree/z/big/name-%d", i);
        snprintf(hp, sizeof(hp), "%s/z/big/name-%d", tree, i);
        CHECK_EQ(vfs_unlink(p), 0);
        unlink(hp);
    }
    for (int i = 2; i <= 3000; i += 7) {
        if ((i - 1) % 3 == 0)
            continue; /* unlinked above */
        snprintf(p, sizeof(p), "/htree/z/big/name-%d", i);
        snprintf(q, sizeof(q), "/htree/z/big/renamed-%d-with-a-longer-name", i);
        snprintf(hp, sizeof(hp), "%s/z/big/name-%d", tree, i);
        snprintf(hq, sizeof(hq), "%s/z/big/renamed-%d-with-a-longer-name", tree, i);
        CHECK_EQ(vfs_rename(p, q), 0);
        rename(hp, hq);
    }
    for (int i = 0; i < 500; i++) {
        snprintf(p, sizeof(p), "/htree/z/big/new-%d", i);
        snprintf(hp, sizeof(hp), "%s/z/big/new-%d", tree, i);
        int fd = vfs_open(p, VFS_O_WRONLY | VFS_O_CREAT, 0644);
        CHECK(fd >= 0);
        vfs_close(fd);
        close(open(hp, O_WRONLY | O_CREAT, 0644));
    }
    /* The indexed directory moves to a new parent: its ".." changes in
     * the index's root block. */
    CHECK_EQ(vfs_mkdir("/htree/z/parent", 0755), 0);
    CHECK_EQ(mkdir(DIR_ "/htree.tree/z/parent", 0755), 0);
    CHECK_EQ(vfs_rename("/htree/z/big", "/htree/z/parent/big"), 0);
    CHECK_EQ(rename(DIR_ "/htree.tree/z/big", DIR_ "/htree.tree/z/parent/big"), 0);
    vfs_sync();
    vfs_base = "/htree";
    snprintf(host_root, sizeof(host_root), "%s", tree);
    compare_tree("/htree/z");
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    /* The index was kept (leaves split, not turned linear): Linux's
     * debugfs walks it, and more leaves are named than e2fsck -D made. */
    snprintf(cmd, sizeof(cmd),
             "debugfs -R 'stat /z/parent/big' %s 2>/dev/null | grep -q 'Flags: 0x81000' && "
             "debugfs -R 'htree /z/parent/big' %s 2>/dev/null | grep -m1 'Number of entries (count)' | "
             "awk '{ exit !($5 > %u) }'",
             img, img, htree_count0);
    CHECK_EQ(system(cmd), 0);
}

/* A file unlinked while open: freed at its close; after a crash while
 * still open, freed by the next mount from the orphan list. */
static void check_orphan(void)
{
    const char *img = DIR_ "/orphan.img";
    CHECK_EQ(system("/usr/sbin/mkfs.ext4 -q -F -b 1024 " DIR_ "/orphan.img 16M"), 0);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir("/orph", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "orphan", "/orph", d), 0);
    uint64_t free0 = ext4_le32_test(d->fs->sb + 0x0c);
    static char data[100000];
    memset(data, 'o', sizeof(data));
    int fd = vfs_open("/orph/f", VFS_O_RDWR | VFS_O_CREAT, 0644);
    CHECK_EQ(vfs_write(fd, data, sizeof(data)), (long)sizeof(data));
    CHECK_EQ(vfs_unlink("/orph/f"), 0);
    CHECK_EQ(ext4_le32_test(d->fs->sb + 0xe8) != 0, 1); /* on the orphan list */
    CHECK_EQ(vfs_pwrite(fd, "more", 4, sizeof(data)), 4);
    char b[4];
    CHECK_EQ(vfs_pread(fd, b, 4, sizeof(data)), 4);
    vfs_sync();
    dev_save(d, DIR_ "/orphan-crash.img"); /* a crash while the file is open */
    vfs_close(fd);
    vfs_sync();
    CHECK_EQ(ext4_le32_test(d->fs->sb + 0xe8), 0);
    CHECK_EQ(ext4_le32_test(d->fs->sb + 0x0c), free0);
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    struct dev *c = dev_load(DIR_ "/orphan-crash.img");
    struct ext4_fs *fs = calloc(1, sizeof(*fs));
    c->fs = fs;
    struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = c };
    CHECK_EQ(ext4_mount(fs, &io, c->len, "orphan-crash"), 0);
    CHECK_EQ(ext4_le32_test(fs->sb + 0xe8), 0);
    CHECK_EQ(ext4_le32_test(fs->sb + 0x0c), free0);
    ext4_unmount(fs);
    dev_save(c, DIR_ "/orphan-crash.img");
    CHECK_EQ(e2fsck_clean(DIR_ "/orphan-crash.img"), 0);
    free(fs);
    free(c->data);
    free(c);
}

/* A full disk: writes come back short or -ENOSPC, creations fail, and the
 * file system stays consistent. */
static void check_full(void)
{
    const char *img = DIR_ "/full.img";
    CHECK_EQ(system("/usr/sbin/mkfs.ext4 -q -F -b 1024 -N 64 " DIR_ "/full.img 2M"), 0);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir("/full", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "full", "/full", d), 0);
    static char data[65536];
    memset(data, 'f', sizeof(data));
    int fd = vfs_open("/full/big", VFS_O_WRONLY | VFS_O_CREAT, 0644);
    long n, total = 0;
    while ((n = vfs_write(fd, data, sizeof(data))) > 0)
        total += n;
    CHECK_EQ(n, -ENOSPC);
    CHECK(total > 500000);
    vfs_close(fd);
    char p[64];
    int made = 0, rc = 0;
    for (int i = 0; i < 200 && rc == 0; i++) {
        snprintf(p, sizeof(p), "/full/d%d", i);
        rc = vfs_mkdir(p, 0755);
        made += rc == 0;
    }
    CHECK_EQ(rc, -ENOSPC);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    CHECK_EQ(vfs_unlink("/full/big"), 0);
    snprintf(p, sizeof(p), "/full/d%d", made);
    CHECK_EQ(vfs_mkdir(p, 0755), 0);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
}

/* A journal e2fsprogs wrote (debugfs jo/jw/jc: two transactions, the
 * second revoking a block of the first): our replay must write what Linux's
 * (e2fsck) writes. */
static void check_linux_journal(void)
{
    const char *img = DIR_ "/ljournal.img";
    CHECK_EQ(system("/usr/sbin/mkfs.ext4 -q -F -b 1024 -N 64 -O ^resize_inode -J size=1 " DIR_ "/ljournal.img 3M && "
                    "head -c 3072 /dev/urandom > " DIR_ "/lj.bin && head -c 1024 /dev/urandom > " DIR_ "/lj1.bin && "
                    "printf 'jo\\njw -b 1600 " DIR_ "/lj1.bin\\njc\\njo\\njw -b 1500,1501,1502 -r 1600 " DIR_
                    "/lj.bin\\njc\\n' | debugfs -w -f - " DIR_ "/ljournal.img >/dev/null 2>&1 && "
                    "cp " DIR_ "/ljournal.img " DIR_ "/ljournal-linux.img && e2fsck -fy " DIR_
                    "/ljournal-linux.img >/dev/null 2>&1"),
             0);
    struct dev *c = dev_load(img), *l = dev_load(DIR_ "/ljournal-linux.img");
    struct ext4_fs *fs = calloc(1, sizeof(*fs));
    c->fs = fs;
    struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = c };
    unsigned before = c->writes;
    CHECK_EQ(ext4_mount(fs, &io, c->len, "ljournal"), 0);
    CHECK(c->writes > before);
    CHECK(memcmp(c->data + 1500 * 1024, l->data + 1500 * 1024, 3 * 1024) == 0);
    CHECK(memcmp(c->data + 1600 * 1024, l->data + 1600 * 1024, 1024) == 0); /* revoked: not replayed by either */
    uint8_t zero[1024] = { 0 };
    CHECK(memcmp(c->data + 1600 * 1024, zero, 1024) == 0);
    CHECK(memcmp(c->data + 1500 * 1024, zero, 1024) != 0);
    ext4_unmount(fs);
    dev_save(c, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    free(fs);
    free(c->data);
    free(c);
    free(l->data);
    free(l);
}

/* debugfs's (Linux's) mapping of path's logical block lblk: the physical
 * block, 0 for a hole, -1 when debugfs fails. */
static long long debugfs_bmap(const char *img, const char *path, unsigned long long lblk)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "debugfs -R 'bmap %s %llu' %s 2>/dev/null", path, lblk, img);
    FILE *f = popen(cmd, "r");
    long long v = -1;
    if (f) {
        if (fscanf(f, "%lld", &v) != 1)
            v = -1;
        pclose(f);
    }
    return v;
}

/* Files past 4 and 16 GiB (logical blocks past 2^20 and 2^22, up to the
 * last block the format can name), truncated to and from such sizes, and a
 * file of thousands of fragments (an extent tree of depth 2), on an image
 * of 64 MiB: our reads, e2fsck -fn, and Linux's reading (debugfs bmap of
 * each written block, the bytes compared in the image; dump of the
 * fragmented file) agree. */
static void check_big(void)
{
    const char *img = DIR_ "/big.img", *frag_host = DIR_ "/frag.host", *frag_dump = DIR_ "/frag.dump";
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "rm -f %s && /usr/sbin/mkfs.ext4 -q -F -b 4096 %s 64M", img, img);
    CHECK_EQ(system(cmd), 0);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir("/big", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "big", "/big", d), 0);
    static const uint64_t offs[] = { (4ull << 30) - 100, (16ull << 30) - 5, (16ull << 30) + 3 * 4096 + 7,
                                     (1ull << 44) - 4096 - 24 - 3 };
    const uint64_t nbig = sizeof(offs) / sizeof(offs[0]);
    int fd = vfs_open("/big/sparse", VFS_O_RDWR | VFS_O_CREAT, 0644);
    CHECK(fd >= 0);
    char msg[8][32];
    for (unsigned i = 0; i < nbig; i++) {
        snprintf(msg[i], sizeof(msg[i]), "hello at %u, past 4 GiB", i);
        CHECK_EQ(vfs_pwrite(fd, msg[i], 24, offs[i]), 24);
    }
    CHECK_EQ(vfs_pwrite(fd, "x", 1, (1ull << 44) - 4096), -EFBIG); /* past the last block (2^32 - 2), as Linux */
    struct vfs_stat st;
    CHECK_EQ(vfs_fstat(fd, &st), 0);
    CHECK_EQ(st.size, (long long)(offs[nbig - 1] + 24));
    char back[32];
    for (unsigned i = 0; i < nbig; i++) {
        CHECK_EQ(vfs_pread(fd, back, 24, offs[i]), 24);
        CHECK(memcmp(back, msg[i], 24) == 0);
    }
    CHECK_EQ(vfs_pread(fd, back, 8, 8ull << 30), 8); /* a hole */
    CHECK(memcmp(back, "\0\0\0\0\0\0\0\0", 8) == 0);
    /* Truncated to 16 GiB: the last two go, a hole grows to it. */
    CHECK_EQ(vfs_ftruncate(fd, 16ull << 30), 0);
    CHECK_EQ(vfs_pread(fd, back, 24, offs[2]), 0);
    CHECK_EQ(vfs_pread(fd, back, 5, offs[1]), 5);
    CHECK(memcmp(back, msg[1], 5) == 0);
    CHECK_EQ(vfs_ftruncate(fd, (16ull << 30) + 4 * 4096), 0); /* grows: zeros */
    CHECK_EQ(vfs_pread(fd, back, 24, offs[2]), 24);
    CHECK(memcmp(back, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 24) == 0);
    CHECK_EQ(vfs_pread(fd, back, 24, (16ull << 30) - 24), 24);
    CHECK(memcmp(back + 19, msg[1], 5) == 0);
    vfs_close(fd);
    /* Thousands of fragments: every other block of 24 MiB, so no two
     * extents merge; the host keeps the same file. */
    int hf = open(frag_host, O_RDWR | O_CREAT | O_TRUNC, 0644);
    CHECK(hf >= 0);
    fd = vfs_open("/big/frag", VFS_O_RDWR | VFS_O_CREAT, 0644);
    CHECK(fd >= 0);
    static uint8_t blk[4096];
    for (unsigned b = 0; b < 6000; b += 2) {
        memset(blk, 'a' + b % 26, sizeof(blk));
        snprintf((char *)blk, 16, "blk %u", b);
        CHECK_EQ(vfs_pwrite(fd, blk, sizeof(blk), (uint64_t)b * 4096), 4096);
        CHECK_EQ(pwrite(hf, blk, sizeof(blk), (off_t)b * 4096), 4096);
    }
    /* Then the gaps in its middle, merging extents, and a truncate that
     * shrinks the tree. */
    for (unsigned b = 1001; b < 1600; b += 2) {
        memset(blk, 'A' + b % 26, sizeof(blk));
        CHECK_EQ(vfs_pwrite(fd, blk, sizeof(blk), (uint64_t)b * 4096), 4096);
        CHECK_EQ(pwrite(hf, blk, sizeof(blk), (off_t)b * 4096), 4096);
    }
    CHECK_EQ(vfs_ftruncate(fd, 5000ull * 4096 + 100), 0);
    CHECK_EQ(ftruncate(hf, 5000 * 4096 + 100), 0);
    vfs_close(fd);
    close(hf);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'ex /frag' %s 2>/dev/null | grep -q '^ 2/ 2'", img);
    if (system(cmd) != 0) {
        CHECK(!"debugfs sees a tree of depth 2");
        sh("cp %s %s.depth", img, img);
    }
    snprintf(cmd, sizeof(cmd), "rm -f %s && debugfs -R 'dump /frag %s' %s >/dev/null 2>&1 && cmp %s %s", frag_dump,
             frag_dump, img, frag_host, frag_dump);
    CHECK_EQ(system(cmd), 0);
    /* Linux's mapping of each block the sparse file still holds. */
    for (unsigned i = 0; i < 2; i++) {
        for (unsigned k = 0; k < 2; k++) { /* both blocks of a write across a block boundary */
            uint64_t lblk = offs[i] / 4096 + k;
            if (lblk > (offs[i] + 23) / 4096 || (i == 1 && lblk >= (16ull << 30) / 4096))
                break; /* past the write, or cut by the truncate */
            long long pb = debugfs_bmap(img, "/sparse", lblk);
            CHECK(pb > 0 && (uint64_t)pb < d->len / 4096);
            if (pb <= 0 || (uint64_t)pb >= d->len / 4096)
                continue;
            uint64_t lo = lblk * 4096 > offs[i] ? lblk * 4096 : offs[i];
            uint64_t hi = (lblk + 1) * 4096 < offs[i] + 24 ? (lblk + 1) * 4096 : offs[i] + 24;
            if (i == 1 && hi > 16ull << 30)
                hi = 16ull << 30; /* where the truncate cut it */
            CHECK(memcmp(d->data + pb * 4096 + lo % 4096, msg[i] + (lo - offs[i]), hi - lo) == 0);
        }
    }
    CHECK_EQ(debugfs_bmap(img, "/sparse", offs[2] / 4096), 0); /* cut, then a hole */
    CHECK_EQ(debugfs_bmap(img, "/sparse", (8ull << 30) / 4096), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /sparse' %s 2>/dev/null | grep -q 'Size: %llu$'", img,
             (unsigned long long)((16ull << 30) + 4 * 4096));
    CHECK_EQ(system(cmd), 0);
    /* Shrunk to nothing: every block back. */
    CHECK_EQ(vfs_truncate("/big/sparse", 0), 0);
    CHECK_EQ(vfs_truncate("/big/frag", 0), 0);
    CHECK_EQ(vfs_stat("/big/frag", &st), 0);
    CHECK_EQ(st.blocks, 0);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
}

/* Writes and truncates of a block-mapped file at every level of its map
 * (1 KiB blocks: direct to 12, single indirect to 268, double to 65 804,
 * triple past it), kept alike in a host file; a directory of many blocks;
 * then e2fsck -fn, debugfs's dump and its view of the map, and every
 * block back at the end. The file system has metadata_csum but no
 * extents feature (mkfs.ext4 -O ^extent). */
static void check_bmap_deep(void)
{
    const char *img = DIR_ "/bmap.img", *hostf = DIR_ "/bmap.host", *dumpf = DIR_ "/bmap.dump";
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "rm -f %s && /usr/sbin/mkfs.ext4 -q -F -b 1024 -O ^extent,^64bit %s 32M", img, img);
    CHECK_EQ(system(cmd), 0);
    struct dev *d = dev_load(img);
    CHECK_EQ(vfs_mkdir("/bmap", 0755), 0);
    CHECK_EQ(vfs_mount("ext4test", "bmap", "/bmap", d), 0);
    CHECK(d->fs->rw);
    int hf = open(hostf, O_RDWR | O_CREAT | O_TRUNC, 0644);
    int fd = vfs_open("/bmap/deep", VFS_O_RDWR | VFS_O_CREAT, 0644);
    CHECK(fd >= 0 && hf >= 0);
    static const uint64_t kb = 1024;
    static const uint64_t at[] = { 0, 11 * kb + 1000, 267 * kb + 500, 268 * kb, 65803 * kb + 700, 65804 * kb,
                                   (65804 + 256 * 256 + 3) * kb + 9, 70000 * kb, 5000 * kb };
    static char buf[5000];
    for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        for (size_t k = 0; k < sizeof(buf); k++)
            buf[k] = (char)('a' + (i * 7 + k) % 26);
        CHECK_EQ(vfs_pwrite(fd, buf, sizeof(buf), at[i]), (long)sizeof(buf));
        CHECK_EQ(pwrite(hf, buf, sizeof(buf), (off_t)at[i]), (long)sizeof(buf));
    }
    /* The format's last block (12 + 256 + 256^2 + 256^3 blocks) is the limit. */
    uint64_t limit = (12 + 256 + 65536 + 16777216ull) * kb;
    CHECK_EQ(vfs_pwrite(fd, "x", 1, limit), -EFBIG);
    static char back[5000];
    for (unsigned i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
        CHECK_EQ(vfs_pread(fd, back, sizeof(back), at[i]), (long)sizeof(back));
        CHECK_EQ(pread(hf, buf, sizeof(buf), (off_t)at[i]), (long)sizeof(buf));
        CHECK(memcmp(back, buf, sizeof(buf)) == 0);
    }
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /deep' %s 2>/dev/null | grep -q '(TIND)'", img);
    CHECK_EQ(system(cmd), 0); /* Linux sees a triple indirect block */
    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /deep' %s 2>/dev/null | grep -q 'Flags: 0x0$'", img);
    CHECK_EQ(system(cmd), 0); /* and no extents */
    snprintf(cmd, sizeof(cmd), "rm -f %s && debugfs -R 'dump /deep %s' %s >/dev/null 2>&1 && cmp %s %s", dumpf, dumpf,
             img, hostf, dumpf);
    CHECK_EQ(system(cmd), 0);
    /* Truncates into the triple, double and single indirect ranges, then
     * growing with holes and filling some. */
    static const uint64_t cuts[] = { (65804 + 256 * 256 + 3) * kb + 100, 66000 * kb + 3, 65804 * kb, 20000 * kb + 1,
                                     300 * kb + 5, 268 * kb, 100 * kb + 17, 12 * kb, 5 * kb + 1 };
    for (unsigned i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++) {
        CHECK_EQ(vfs_ftruncate(fd, cuts[i]), 0);
        CHECK_EQ(ftruncate(hf, (off_t)cuts[i]), 0);
        if (i == 3) {
            vfs_sync();
            dev_save(d, img);
            CHECK_EQ(e2fsck_clean(img), 0);
        }
    }
    for (unsigned i = 0; i < 4; i++) {
        uint64_t off = at[i * 2 + 1] + 333;
        CHECK_EQ(vfs_pwrite(fd, buf, sizeof(buf), off), (long)sizeof(buf));
        CHECK_EQ(pwrite(hf, buf, sizeof(buf), (off_t)off), (long)sizeof(buf));
    }
    vfs_close(fd);
    close(hf);
    /* A directory of many blocks, some names removed, a subdirectory. */
    CHECK_EQ(vfs_mkdir("/bmap/many", 0755), 0);
    char p[64];
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "/bmap/many/file-with-a-long-name-%d", i);
        int f = vfs_open(p, VFS_O_WRONLY | VFS_O_CREAT, 0644);
        CHECK(f >= 0);
        if (i % 10 == 0)
            CHECK_EQ(vfs_pwrite(f, p, strlen(p), 300 * kb), (long)strlen(p));
        vfs_close(f);
    }
    for (int i = 0; i < 300; i += 3) {
        snprintf(p, sizeof(p), "/bmap/many/file-with-a-long-name-%d", i);
        CHECK_EQ(vfs_unlink(p), 0);
    }
    CHECK_EQ(vfs_mkdir("/bmap/many/sub", 0700), 0);
    CHECK_EQ(vfs_symlink("a/target/longer/than/sixty/bytes/so/that/it/takes/a/block/of/its/own/xxxxxxxx",
                         "/bmap/many/sub/slow"), 0);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    snprintf(cmd, sizeof(cmd), "rm -f %s && debugfs -R 'dump /deep %s' %s >/dev/null 2>&1 && cmp %s %s", dumpf, dumpf,
             img, hostf, dumpf);
    CHECK_EQ(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "debugfs -R 'ls -p /many' %s 2>/dev/null | grep -v '^/0/' | grep -c file-with > %s.n && grep -qx 200 %s.n",
             img, img, img);
    CHECK_EQ(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'cat /many/file-with-a-long-name-10' %s 2>/dev/null | tr -d '\\000' | "
             "grep -qx /bmap/many/file-with-a-long-name-10", img);
    CHECK_EQ(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'stat /many' %s 2>/dev/null | grep -q 'Flags: 0x0$'", img);
    CHECK_EQ(system(cmd), 0); /* a block-mapped directory */
    /* Everything back: the file's blocks and its indirect blocks. */
    struct vfs_stat st;
    CHECK_EQ(vfs_truncate("/bmap/deep", 0), 0);
    CHECK_EQ(vfs_stat("/bmap/deep", &st), 0);
    CHECK_EQ(st.blocks, 0);
    CHECK_EQ(vfs_unlink("/bmap/deep"), 0);
    vfs_sync();
    dev_save(d, img);
    CHECK_EQ(e2fsck_clean(img), 0);
    unlink(dumpf);
}

/* Block-mapped files mkfs.ext3 -d (e2fsprogs) wrote, changed by us:
 * overwritten, truncated into the single indirect range, extended past a
 * hole into the double indirect one; e2fsck -fn and debugfs dump agree
 * with a host copy changed alike. */
static void check_bmap_linux(void)
{
    const char *tree = DIR_ "/l3.tree", *img = DIR_ "/l3.img", *dumpf = DIR_ "/l3.dump";
    char cmd[800];
    snprintf(cmd, sizeof(cmd),
             "rm -rf %s && mkdir -p %s && head -c 1000000 /dev/urandom > %s/data && "
             "/usr/sbin/mkfs.ext4 -q -F -t ext3 -b 1024 -d %s %s 16M && "
             "debugfs -R 'stat /data' %s 2>/dev/null | grep -q '(DIND)'",
             tree, tree, tree, tree, img, img);
    CHECK_EQ(system(cmd), 0); /* made, block-mapped to double indirect */
    /* Through the ext4 API, not the VFS: one run mounts at most
     * VFS_MAX_MOUNTS file systems and there is no unmount. */
    struct dev *d = dev_load(img);
    struct ext4_fs *fs = calloc(1, sizeof(*fs));
    d->fs = fs;
    struct ext4_io io = { .read = dev_read, .write = dev_write, .flush = dev_flush, .ctx = d };
    CHECK_EQ(ext4_mount(fs, &io, d->len, "l3"), 0);
    CHECK(fs->rw);
    struct ext4_inode root, in;
    uint32_t ino = 0;
    CHECK_EQ(ext4_read_inode(fs, EXT4_ROOT_INO, &root), 0);
    CHECK_EQ(ext4_lookup(fs, &root, "data", 4, &ino), 0);
    CHECK_EQ(ext4_read_inode(fs, ino, &in), 0);
    char hp[300];
    snprintf(hp, sizeof(hp), "%s/data", tree);
    int hf = open(hp, O_RDWR);
    CHECK(hf >= 0);
    static char buf[70000];
    for (size_t k = 0; k < sizeof(buf); k++)
        buf[k] = (char)('A' + k % 23);
    CHECK_EQ(ext4_write(fs, &in, 500000, buf, 70000), 70000);
    CHECK_EQ(pwrite(hf, buf, 70000, 500000), 70000);
    CHECK_EQ(ext4_truncate(fs, &in, 200007), 0);
    CHECK_EQ(ftruncate(hf, 200007), 0);
    CHECK_EQ(ext4_write(fs, &in, 2000000, buf, 3000), 3000);
    CHECK_EQ(pwrite(hf, buf, 3000, 2000000), 3000);
    CHECK_EQ(ext4_write(fs, &in, 150000, buf, 1000), 1000);
    CHECK_EQ(pwrite(hf, buf, 1000, 150000), 1000);
    close(hf);
    CHECK_EQ(ext4_write_inode(fs, &in), 0);
    CHECK_EQ(ext4_commit(fs), 0);
    ext4_unmount(fs);
    free(fs);
    dev_save(d, img);
    free(d->data);
    free(d);
    CHECK_EQ(e2fsck_clean(img), 0);
    snprintf(cmd, sizeof(cmd), "rm -f %s && debugfs -R 'dump /data %s' %s >/dev/null 2>&1 && cmp %s %s", dumpf, dumpf,
             img, hp, dumpf);
    CHECK_EQ(system(cmd), 0);
    unlink(dumpf);
}

/* Block-mapped files (no extents feature, as ext3 made them): the random
 * workload with offsets past the triple indirect block's start (1 KiB
 * blocks: 12 + 256 + 65536 blocks), then the same checks as every image. */
static void run_ext3(uint64_t seed, unsigned steps)
{
    run_image("ext3", "-t ext3 -b 1024", "32M", 69000000, seed, steps);
    check_bmap_deep();
    check_bmap_linux();
    check_crash("crash3", "-t ext3", seed + 5, 10); /* block maps' indirect blocks through the journal */
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    vfs_clock_ns = fake_clock;
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
    unsigned steps = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
    if (system("rm -rf " DIR_ " && mkdir -p " DIR_) != 0)
        return 1;
    CHECK_EQ(vfs_mount("ramfs", "none", "/", NULL), 0);
    /* EXT4_RW_ONLY=big (or ext3) runs that part alone while working on it. */
    const char *only = getenv("EXT4_RW_ONLY");
    if (only && strcmp(only, "big") == 0) {
        check_big();
        return check_report("test_ext4_rw");
    }
    if (only && strcmp(only, "circ") == 0) {
        check_circular(seed);
        return check_report("test_ext4_rw");
    }
    if (only && strcmp(only, "ext3") == 0) {
        run_ext3(seed, steps);
        return check_report("test_ext4_rw");
    }
    run_image("k4", "-b 4096 -O ^resize_inode", "64M", 300000, seed, steps);
    run_image("k1", "-b 1024", "32M", 100000, seed + 1, steps);
    check_big();
    check_htree();
    check_orphan();
    check_full();
    check_linux_journal();
    check_crash("crash", "", seed + 3, argc > 3 ? (unsigned)atoi(argv[3]) : 20);
    /* In a child: its mount would pass the VFS's mount table's size. */
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
        check_circular(seed + 6);
        _exit(check_report("test_ext4_rw circ"));
    }
    int status = -1;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    run_ext3(seed + 4, steps);
    run_image("plain", "-b 4096 -O ^has_journal,^metadata_csum", "32M", 2000, seed + 2, steps);
    return check_report("test_ext4_rw");
}
