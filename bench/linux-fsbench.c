/* The Linux guest's init for bench/fs: load the virtio modules, mount the
 * ext4 disk read-only, then read every file of the tree (64 KiB read()s,
 * as fstest read does) and print the count, the bytes and the time. Built
 * with -DWRITE_BENCH it mounts the disk read-write and runs fstest wbench's
 * workloads instead (SEQ_MIB, RAND_N, SMALL_N as defines). */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../include/insn_mark.h"
#include "linux_modules.h"

static char buf[65536];
static unsigned long files, errors;
static unsigned long long bytes;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static void walk(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        errors++;
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, "lost+found"))
            continue;
        char child[4096];
        snprintf(child, sizeof(child), "%s/%s", path, e->d_name);
        struct stat st;
        if (lstat(child, &st) < 0) {
            errors++;
        } else if (S_ISDIR(st.st_mode)) {
            walk(child);
        } else if (S_ISREG(st.st_mode)) {
            int fd = open(child, O_RDONLY);
            ssize_t n;
            if (fd < 0) {
                errors++;
                continue;
            }
            while ((n = read(fd, buf, sizeof(buf))) > 0)
                bytes += (unsigned long long)n;
            errors += n < 0;
            files++;
            close(fd);
        }
    }
    closedir(d);
}

#ifdef WRITE_BENCH
static char wbuf[1 << 20];
static uint64_t rs = 12345;

static uint64_t rnd(void)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return rs;
}

/* The same three workloads as fstest wbench. */
static void wbench(const char *dir)
{
    char path[256];
    memset(wbuf, 'w', sizeof(wbuf));
    snprintf(path, sizeof(path), "%s/seq", dir);
    double t0 = now();
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < SEQ_MIB; i++)
        errors += write(fd, wbuf, sizeof(wbuf)) != (ssize_t)sizeof(wbuf);
    errors += fsync(fd) != 0;
    double t1 = now();
    uint64_t blocks = (uint64_t)SEQ_MIB * 256;
    for (int i = 0; i < RAND_N; i++) {
        errors += pwrite(fd, wbuf, 4096, (off_t)(rnd() % blocks) * 4096) != 4096;
        if (i % 32 == 31)
            errors += fsync(fd) != 0;
    }
    errors += fsync(fd) != 0;
    close(fd);
    double t2 = now();
    snprintf(path, sizeof(path), "%s/small", dir);
    mkdir(path, 0755);
    for (int i = 0; i < SMALL_N; i++) {
        snprintf(path, sizeof(path), "%s/small/f%d", dir, i);
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        errors += fd < 0 || write(fd, wbuf, 4096) != 4096 || fsync(fd) != 0;
        close(fd);
    }
    double t3 = now();
    printf("linux-fsbench: wbench seq_us=%.0f seq_mib=%d rand_us=%.0f rand_n=%d small_us=%.0f small_n=%d errors=%lu\n",
           (t1 - t0) * 1e6, SEQ_MIB, (t2 - t1) * 1e6, RAND_N, (t3 - t2) * 1e6, SMALL_N, errors);
}
#endif

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    load_modules();
    mkdir("/mnt", 0755);
    int rc = -1;
    for (int i = 0; i < 3000 && rc < 0; i++) {
#ifdef WRITE_BENCH
        rc = mount("/dev/vda", "/mnt", "ext4", 0, "");
#else
        rc = mount("/dev/vda", "/mnt", "ext4", MS_RDONLY, "");
#endif
        if (rc < 0)
            usleep(10000);
    }
    if (rc < 0) {
        printf("linux-fsbench: cannot mount /dev/vda\n");
        reboot(RB_POWER_OFF);
    }
#ifdef WRITE_BENCH
    wbench("/mnt");
    umount("/mnt");
    sync();
    fflush(stdout);
    reboot(RB_POWER_OFF);
#endif
    double t0 = now();
    insn_mark(INSN_MARK_START);
    walk("/mnt");
    insn_mark(INSN_MARK_END);
    printf("linux-fsbench: read files=%lu bytes=%llu errors=%lu us=%.0f\n", files, bytes, errors, (now() - t0) * 1e6);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return 0;
}
