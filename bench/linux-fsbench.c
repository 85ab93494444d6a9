/* The Linux guest's init for bench/fs: load the virtio modules, mount the
 * ext4 disk read-only, then read every file of the tree (64 KiB read()s,
 * as fstest read does) and print the count, the bytes and the time. */
#define _GNU_SOURCE
#include <dirent.h>
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

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    load_modules();
    mkdir("/mnt", 0755);
    int rc = -1;
    for (int i = 0; i < 3000 && rc < 0; i++) {
        rc = mount("/dev/vda", "/mnt", "ext4", MS_RDONLY, "");
        if (rc < 0)
            usleep(10000);
    }
    if (rc < 0) {
        printf("linux-fsbench: cannot mount /dev/vda\n");
        reboot(RB_POWER_OFF);
    }
    double t0 = now();
    insn_mark(INSN_MARK_START);
    walk("/mnt");
    insn_mark(INSN_MARK_END);
    printf("linux-fsbench: read files=%lu bytes=%llu errors=%lu us=%.0f\n", files, bytes, errors, (now() - t0) * 1e6);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return 0;
}
