/* Kestrel test program: futex waits that time out (relative FUTEX_WAIT;
 * with "clock", absolute FUTEX_WAIT_BITSET on both clocks measured on the
 * guest's monotonic clock), EAGAIN for a changed word, EINVAL for a bad
 * timeout, EFAULT for a bad address, and a wake from another thread. Prints
 * one line per case; the boot test checks results and times. */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* From the Linux UAPI (musl has no linux/futex.h). */
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#define FUTEX_WAIT_BITSET_PRIVATE (9 | 128)
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

static uint32_t word;

static long futex(uint32_t *u, int op, uint32_t val, const struct timespec *ts, uint32_t val3)
{
    return syscall(SYS_futex, u, op, val, ts, NULL, val3);
}

static int64_t now_ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static void add_ns(struct timespec *ts, int64_t ns)
{
    int64_t t = ts->tv_sec * 1000000000ll + ts->tv_nsec + ns;
    ts->tv_sec = t / 1000000000ll;
    ts->tv_nsec = t % 1000000000ll;
}

static void *waker(void *arg)
{
    (void)arg;
    /* 50 ms by a futex time-out of its own (no nanosleep needed). */
    uint32_t never = 0;
    struct timespec d = {0, 50000000};
    futex(&never, FUTEX_WAIT_PRIVATE, 0, &d, 0);
    __atomic_store_n(&word, 1, __ATOMIC_SEQ_CST);
    futex(&word, FUTEX_WAKE_PRIVATE, 1, NULL, 0);
    return NULL;
}

static void timed_cases(void)
{
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    add_ns(&abs, 150000000);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    long r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, &abs, FUTEX_BITSET_MATCH_ANY);
    int e = errno;
    printf("futex: absolute_monotonic r=%ld errno=%d elapsed_ms=%lld\n", r, r ? e : 0,
           (long long)(now_ns(CLOCK_MONOTONIC) - t0) / 1000000);

    clock_gettime(CLOCK_REALTIME, &abs);
    add_ns(&abs, 100000000);
    t0 = now_ns(CLOCK_MONOTONIC);
    r = futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, FUTEX_BITSET_MATCH_ANY);
    e = errno;
    printf("futex: absolute_realtime r=%ld errno=%d elapsed_ms=%lld\n", r, r ? e : 0,
           (long long)(now_ns(CLOCK_MONOTONIC) - t0) / 1000000);

    struct timespec rel = {0, 200000000};
    t0 = now_ns(CLOCK_MONOTONIC);
    r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, 0);
    e = errno;
    printf("futex: relative_guest r=%ld errno=%d elapsed_ms=%lld\n", r, r ? e : 0,
           (long long)(now_ns(CLOCK_MONOTONIC) - t0) / 1000000);
}

/* argv[1] "clock": the cases timed on the guest's clock (clock_gettime);
 * otherwise those the host times by when the lines arrive, and errors. */
int main(int argc, char **argv)
{
    /* Line by line: the boot test times waits by when the lines arrive. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "clock")) {
        struct timespec ts;
        if (clock_gettime(CLOCK_MONOTONIC, &ts)) {
            printf("futex: no clock_gettime (errno %d)\n", errno);
            return 3;
        }
        timed_cases();
        return 0;
    }
    struct timespec rel = {0, 200000000};
    printf("futex: begin relative\n");
    long r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &rel, 0);
    printf("futex: relative r=%ld errno=%d\n", r, r ? errno : 0);

    r = futex(&word, FUTEX_WAIT_PRIVATE, 5, &rel, 0);
    printf("futex: changed r=%ld errno=%d\n", r, r ? errno : 0);
    struct timespec bad = {0, 1000000000};
    r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad, 0);
    printf("futex: bad_timeout r=%ld errno=%d\n", r, r ? errno : 0);
    r = futex((uint32_t *)8, FUTEX_WAIT_PRIVATE, 0, &rel, 0);
    printf("futex: bad_address r=%ld errno=%d\n", r, r ? errno : 0);

    pthread_t th;
    pthread_create(&th, NULL, waker, NULL);
    struct timespec long_wait = {5, 0};
    printf("futex: begin woken\n");
    r = futex(&word, FUTEX_WAIT_PRIVATE, 0, &long_wait, 0);
    int e = errno;
    /* A wake that came before the wait began shows as EAGAIN: both are a wake. */
    printf("futex: woken r=%ld errno=%d word=%u\n", r, r ? e : 0, word);
    pthread_join(th, NULL);
    return 0;
}
