#ifndef KESTREL_TEST_VFS_MODEL_H
#define KESTREL_TEST_VFS_MODEL_H
/* A random workload for host tests of the VFS: create, write, truncate,
 * unlink, rmdir, mkdir, rename, link and chmod on a few colliding names,
 * run through the VFS and through the host's own system calls in a scratch
 * directory; every result (errno included) and the final trees compared.
 * Included by the test files (static functions, check.h counters). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "check.h"
#include "vfs.h"

int *__errno_location(void); /* the host's errno under Kestrel's errno.h */
#define host_errno (*__errno_location())

static long model_get(const char *path, char *buf, size_t len)
{
    int fd = vfs_open(path, VFS_O_RDONLY, 0);
    if (fd < 0)
        return fd;
    long n = vfs_read(fd, buf, len);
    vfs_close(fd);
    return n;
}

static char host_root[256];
static const char *vfs_base = "";
static unsigned model_span = 2000; /* write offsets and sizes range over this many bytes */
static uint64_t rng;

static unsigned rnd(unsigned n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (unsigned)(rng % n);
}

/* A path of 1-3 components from a small alphabet, so operations collide. */
static void rnd_path(char *out, size_t len)
{
    static const char *const names[] = { "a", "b", "c", "d" };
    unsigned depth = 1 + rnd(3);
    size_t n = (size_t)snprintf(out, len, "%s/z", vfs_base);
    for (unsigned i = 0; i < depth; i++)
        n += (size_t)snprintf(out + n, len - n, "/%s", names[rnd(4)]);
    if (rnd(16) == 0)
        snprintf(out + n, len - n, "/");
}

static void host_path(const char *p, char *out, size_t len) { snprintf(out, len, "%s%s", host_root, p + strlen(vfs_base)); }

static int h(int rc) { return rc < 0 ? -host_errno : rc; }

static void one_op(unsigned step)
{
    char p[64], q[64], hp[320], hq[320];
    rnd_path(p, sizeof(p));
    rnd_path(q, sizeof(q));
    host_path(p, hp, sizeof(hp));
    host_path(q, hq, sizeof(hq));
    unsigned op = rnd(10);
    int64_t size = rnd(3) ? (int64_t)rnd(model_span * 3 / 2) : -1;
    long k, l;
    static char pattern[1 << 17];
    if (!pattern[0]) {
        for (size_t i = 0; i < sizeof(pattern); i++)
            pattern[i] = (char)('a' + rnd(26));
    }
    const char *buf = pattern + rnd(1 << 16);
    size_t max_write = model_span >= 100000 ? 1 << 16 : 256;
    switch (op) {
    case 0: {
        int kf = vfs_open(p, VFS_O_WRONLY | VFS_O_CREAT | (rnd(2) ? VFS_O_APPEND : 0), 0644);
        int hf = open(hp, O_WRONLY | O_CREAT | (kf >= 0 && rnd(1) ? O_APPEND : 0), 0644);
        k = kf < 0 ? kf : 0;
        l = hf < 0 ? -host_errno : 0;
        if (kf >= 0 && hf >= 0) {
            uint64_t off = rnd(model_span);
            size_t n = 1 + rnd((unsigned)max_write);
            k = vfs_pwrite(kf, buf, n, off);
            l = h((int)pwrite(hf, buf, n, (off_t)off));
        }
        if (kf >= 0)
            vfs_close(kf);
        if (hf >= 0)
            close(hf);
        break;
    }
    case 1:
        k = vfs_truncate(p, size);
        l = h(truncate(hp, size));
        break;
    case 2:
        k = vfs_unlink(p);
        l = h(unlink(hp));
        break;
    case 3:
        k = vfs_rmdir(p);
        l = h(rmdir(hp));
        break;
    case 4:
    case 5:
        k = vfs_mkdir(p, 0755);
        l = h(mkdir(hp, 0755));
        break;
    case 6:
    case 7:
        k = vfs_rename(p, q);
        l = h(rename(hp, hq));
        break;
    case 8:
        k = vfs_link(p, q);
        l = h(link(hp, hq));
        break;
    default:
        size = 0700 | rnd(0100);
        k = vfs_chmod(p, (uint32_t)size);
        l = h(chmod(hp, (mode_t)size));
        if (k == 0)
            chmod(hp, 0700), vfs_chmod(p, 0700);
        break;
    }
    if (k != l)
        fprintf(stderr, "step %u: op %u on %s %s: vfs %ld, host %ld\n", step, op, p, q, k, l);
    CHECK_EQ(k, l);
}

/* Compares the trees under path: names, types, sizes, contents, links. */
static void compare_tree(const char *path)
{
    char hp[320];
    host_path(path, hp, sizeof(hp));
    DIR *d = opendir(hp);
    CHECK(d != NULL);
    if (!d)
        return;
    int n_host = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        n_host++;
        char p[300], hfile[640];
        snprintf(p, sizeof(p), "%s/%s", path, e->d_name);
        host_path(p, hfile, sizeof(hfile));
        struct stat hs;
        struct vfs_stat ks;
        lstat(hfile, &hs);
        CHECK_EQ(vfs_lstat(p, &ks), 0);
        CHECK_EQ(ks.mode, hs.st_mode);
        if (!S_ISDIR(hs.st_mode) || hs.st_nlink != 1) /* btrfs and others keep 1 for directories */
            CHECK_EQ(ks.nlink, hs.st_nlink);
        if (S_ISDIR(hs.st_mode)) {
            compare_tree(p);
            continue;
        }
        CHECK_EQ(ks.size, hs.st_size);
        static char a[1 << 21], b[1 << 21];
        int fd = open(hfile, O_RDONLY);
        long hn = read(fd, a, sizeof(a));
        close(fd);
        CHECK_EQ(model_get(p, b, sizeof(b)), hn);
        CHECK(hn < 0 || memcmp(a, b, (size_t)hn) == 0);
    }
    closedir(d);
    int kfd = vfs_open(path, VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
    struct vfs_dirent kd;
    int n_vfs = 0;
    while (vfs_readdir(kfd, &kd) == 1)
        n_vfs++;
    vfs_close(kfd);
    CHECK_EQ(n_vfs, n_host);
}

/* Runs steps random operations under base/z (a VFS path) and under
 * host/z, then compares the trees. */
static void model_run(const char *name, const char *base, const char *host, uint64_t seed, unsigned steps)
{
    printf("%s: random workload seed %llu, %u steps\n", name, (unsigned long long)seed, steps);
    rng = seed | 1;
    vfs_base = base;
    snprintf(host_root, sizeof(host_root), "%s", host);
    char cmd[600], z[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/z", host, host);
    if (system(cmd) != 0) {
        CHECK(0);
        return;
    }
    snprintf(z, sizeof(z), "%s/z", base);
    CHECK_EQ(vfs_mkdir(z, 0755), 0);
    umask(0);
    int failed = check_failed;
    for (unsigned i = 0; i < steps && check_failed == failed; i++)
        one_op(i);
    compare_tree(z);
}

#endif
