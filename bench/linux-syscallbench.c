/* bench/syscall's one program: the same static binary runs on Kestrel
 * (scripts/run --exec) and as /init of the Linux guest. Each line is
 * "syscallbench: NAME iters=N ns_per_op=X" (monotonic clock around a loop).
 * usage: syscallbench FILE [scale]   (FILE: at least 4 KiB to read) */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/reboot.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../include/insn_mark.h"

/* bench/syscall --insns: marks around each loop, START+2k and START+2k+1 for
 * the k-th operation in bench/syscall's OPS order. */
#define MARK_OPS 10

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void report(const char *name, long iters, double t0)
{
    printf("syscallbench: %s iters=%ld ns_per_op=%.1f\n", name, iters, (now_ns() - t0) / iters);
}

static void bench_getppid(long n)
{
    double t0 = now_ns();
    insn_mark(MARK_OPS + 0);
    for (long i = 0; i < n; i++)
        syscall(SYS_getppid);
    insn_mark(MARK_OPS + 1);
    report("getppid", n, t0);
}

static void bench_clock(long n)
{
    struct timespec ts;
    double t0 = now_ns();
    insn_mark(MARK_OPS + 2);
    for (long i = 0; i < n; i++)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    insn_mark(MARK_OPS + 3);
    report("clock_gettime", n, t0);
}

static int bench_read(const char *path, long n)
{
    static char buf[4096];
    int fd = open(path, O_RDONLY);
    if (fd < 0 || pread(fd, buf, sizeof(buf), 0) != sizeof(buf)) {
        printf("syscallbench: cannot read 4 KiB from %s\n", path);
        return -1;
    }
    double t0 = now_ns();
    insn_mark(MARK_OPS + 4);
    for (long i = 0; i < n; i++) {
        if (pread(fd, buf, sizeof(buf), 0) != sizeof(buf))
            return -1;
    }
    insn_mark(MARK_OPS + 5);
    report("read4k", n, t0);
    close(fd);
    return 0;
}

/* Ping-pong: each side waits until the word holds its value, then hands
 * over and wakes the other (one round trip = two wake-wait hand-offs). */
static _Atomic int word;
static long pingpong_rounds;

static void futex_wait(int val)
{
    while (atomic_load(&word) == val)
        syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_set(int val)
{
    atomic_store(&word, val);
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *pong(void *arg)
{
    for (long i = 0; i < pingpong_rounds; i++) {
        futex_wait(0);
        futex_set(0);
    }
    return arg;
}

static void bench_futex(long n)
{
    pthread_t t;
    pingpong_rounds = n;
    atomic_store(&word, 0);
    pthread_create(&t, NULL, pong, NULL);
    double t0 = now_ns();
    insn_mark(MARK_OPS + 6);
    for (long i = 0; i < n; i++) {
        futex_set(1);
        futex_wait(1);
    }
    insn_mark(MARK_OPS + 7);
    report("futex_pingpong", n, t0);
    pthread_join(t, NULL);
}

static void *nothing(void *arg)
{
    return arg;
}

static void bench_threads(long n)
{
    double t0 = now_ns();
    insn_mark(MARK_OPS + 8);
    for (long i = 0; i < n; i++) {
        pthread_t t;
        if (pthread_create(&t, NULL, nothing, NULL) != 0 || pthread_join(t, NULL) != 0) {
            printf("syscallbench: thread %ld failed\n", i);
            return;
        }
    }
    insn_mark(MARK_OPS + 9);
    report("thread_create_join", n, t0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *file = argc > 1 ? argv[1] : "/init";
    long scale = argc > 2 ? atol(argv[2]) : 1;
    bench_getppid(200000 * scale);
    bench_clock(200000 * scale);
    int rc = bench_read(file, 50000 * scale);
    bench_futex(5000 * scale);
    bench_threads(500 * scale);
    printf("syscallbench: done\n");
    if (getpid() == 1) { /* the Linux guest's init: nothing to return to */
        sync();
        reboot(RB_POWER_OFF);
    }
    return rc ? 1 : 0;
}
