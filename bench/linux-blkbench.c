/* The Linux guest's init for bench/blk: load the virtio modules, then time
 * O_DIRECT reads of BLK_DEV (/dev/vda; /dev/nvme0n1 on NVMe presets; /dev/sda
 * as well, for AHCI) at queue
 * depth 1 (as ktest blkbench does):
 * sequential 128 KiB passes over the disk for BENCH_SECONDS, then random
 * 4 KiB reads for BENCH_SECONDS. Powers off. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../include/insn_mark.h"
#include "linux_modules.h"

#ifndef BLK_DEV
#define BLK_DEV "/dev/vda"
#endif

#ifndef BENCH_SECONDS
#define BENCH_SECONDS 2.0
#endif

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    load_modules();
    int fd = -1;
    for (int i = 0; i < 3000 && fd < 0; i++) { /* a SCSI scan may take a while */
        fd = open(BLK_DEV, O_RDONLY | O_DIRECT);
        if (fd < 0)
            fd = open("/dev/sda", O_RDONLY | O_DIRECT);
        if (fd < 0)
            usleep(10000);
    }
    if (fd < 0) {
        printf("linux-blkbench: no %s or /dev/sda\n", BLK_DEV);
        reboot(RB_POWER_OFF);
    }
    off_t size = lseek(fd, 0, SEEK_END);
    void *buf;
    posix_memalign(&buf, 4096, 128 * 1024);
    insn_mark(INSN_MARK_START);
    double t0 = now(), seq;
    off_t done = 0, off = 0;
    while ((seq = now() - t0) < BENCH_SECONDS) {
        if (off + 131072 > size)
            off = 0;
        done += pread(fd, buf, 131072, off) == 131072 ? 131072 : 0;
        off += 131072;
    }
    insn_mark(INSN_MARK_END);
    uint64_t x = 88172645463325252ull;
    long ios = 0;
    insn_mark(INSN_MARK_START2);
    t0 = now();
    while (now() - t0 < BENCH_SECONDS) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        ios += pread(fd, buf, 4096, (off_t)(x % (uint64_t)(size / 4096)) * 4096) == 4096;
    }
    insn_mark(INSN_MARK_END2);
    double rnd = now() - t0;
    printf("linux-blkbench: bytes=%lld seq_mbps=%.1f iops=%.0f rand_reads=%ld\n", (long long)done, done / seq / 1e6,
           ios / rnd, ios);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return 0;
}
