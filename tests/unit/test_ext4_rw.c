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

void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static uint64_t fake_ns = 1700000000ull * 1000000000ull;
static uint64_t fake_clock(void) { return fake_ns += 1000; }

struct dev {
    uint8_t *data;
    size_t len;
    struct ext4_fs *fs;
    unsigned writes, flushes;
};

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
    return 0;
}

static int dev_flush(void *ctx)
{
    ((struct dev *)ctx)->flushes++;
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
    /* Linux's reader: debugfs dumps the tree, diff compares it. */
    CHECK_EQ(sh("rm -rf %s && mkdir -p %s", dump, dump), 0);
    snprintf(cmd, sizeof(cmd), "debugfs -R 'rdump /z %s' %s >/dev/null 2>&1 && diff -r %s/z %s/z >&2", dump, img,
             host, dump);
    CHECK_EQ(system(cmd), 0);
}

int main(int argc, char **argv)
{
    vfs_clock_ns = fake_clock;
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
    unsigned steps = argc > 2 ? (unsigned)atoi(argv[2]) : 2000;
    if (system("rm -rf " DIR_ " && mkdir -p " DIR_) != 0)
        return 1;
    CHECK_EQ(vfs_mount("ramfs", "none", "/", NULL), 0);
    run_image("k4", "-b 4096 -O ^resize_inode", "64M", 300000, seed, steps);
    run_image("k1", "-b 1024", "32M", 100000, seed + 1, steps);
    run_image("plain", "-b 4096 -O ^has_journal,^metadata_csum", "32M", 2000, seed + 2, steps);
    return check_report("test_ext4_rw");
}
