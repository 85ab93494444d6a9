/* The vDSO: clock_gettime, gettimeofday and time without entering the
 * kernel when the kernel's clock is the TSC (the data page the kernel maps
 * just below this image says so, and how to scale it); otherwise, and for
 * clocks it does not know, the real system call. Runs in the program, in
 * ring 3: freestanding, position independent, no relocations, no data of
 * its own. A bad pointer faults in the program, as Linux's vDSO does. */
#include <stdint.h>
#include "vdso_data.h"

struct vts {
    int64_t sec, nsec;
};
struct vtv {
    int64_t sec, usec;
};

/* Defined by vdso.lds one page below the image. */
extern const volatile struct vdso_data vdso_data __attribute__((visibility("hidden")));

#define NR_GETTIMEOFDAY 96
#define NR_TIME 201
#define NR_CLOCK_GETTIME 228
#define NR_GETCPU 309
#define NS_PER_S 1000000000ull

static long syscall3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return ret;
}

static uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;
    /* lfence: the TSC is not read before earlier loads (the seq) complete. */
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
    return lo | (uint64_t)hi << 32;
}

/* The clock in ns as the kernel computes it: monotonic, or realtime when
 * `real`; 0 when the data page says the TSC is not the clock (no reading is
 * 0: the TSC base is taken at boot, before any program runs). Inlined into
 * each caller and computing only the clock asked for: clock_gettime is what
 * Go and the JVM call most, and every instruction here is on that path. */
static inline __attribute__((always_inline)) uint64_t read_clock(int real)
{
    for (;;) {
        uint32_t seq = vdso_data.seq;
        __asm__ volatile("" ::: "memory");
        if (__builtin_expect(seq & 1, 0)) {
            __asm__ volatile("pause");
            continue;
        }
        if (vdso_data.mode != VDSO_MODE_TSC)
            return 0;
        uint64_t t = rdtsc_ordered();
        uint64_t base = vdso_data.tsc_base, mult = vdso_data.mult;
        uint64_t off = real ? vdso_data.rt_base_ns - vdso_data.rt_base_mono : 0;
        __asm__ volatile("" ::: "memory");
        if (__builtin_expect(vdso_data.seq != seq, 0))
            continue;
        return (uint64_t)(((unsigned __int128)(t - base) * mult) >> 32) + off;
    }
}

int __vdso_clock_gettime(int clk, struct vts *ts)
{
    uint64_t ns;
    switch (clk) {
    case 0:  /* REALTIME */
    case 5:  /* REALTIME_COARSE */
    case 11: /* TAI (= REALTIME here, as the system call) */
        ns = read_clock(1);
        break;
    case 1:  /* MONOTONIC */
    case 4:  /* MONOTONIC_RAW */
    case 6:  /* MONOTONIC_COARSE */
    case 7:  /* BOOTTIME */
        ns = read_clock(0);
        break;
    default:
        ns = 0;
        break;
    }
    if (__builtin_expect(ns == 0, 0))
        return (int)syscall3(NR_CLOCK_GETTIME, clk, (long)ts, 0);
    ts->sec = (int64_t)(ns / NS_PER_S);
    ts->nsec = (int64_t)(ns % NS_PER_S);
    return 0;
}

int __vdso_gettimeofday(struct vtv *tv, void *tz)
{
    uint64_t real = tz ? 0 : read_clock(1);
    if (real == 0)
        return (int)syscall3(NR_GETTIMEOFDAY, (long)tv, (long)tz, 0);
    if (tv) {
        tv->sec = (int64_t)(real / NS_PER_S);
        tv->usec = (int64_t)(real % NS_PER_S / 1000);
    }
    return 0;
}

long __vdso_time(long *t)
{
    uint64_t real = read_clock(1);
    if (real == 0)
        return syscall3(NR_TIME, (long)t, 0, 0);
    long s = (long)(real / NS_PER_S);
    if (t)
        *t = s;
    return s;
}

int __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
    return (int)syscall3(NR_GETCPU, (long)cpu, (long)node, (long)cache);
}

int clock_gettime(int, struct vts *) __attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vtv *, void *) __attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *) __attribute__((weak, alias("__vdso_time")));
int getcpu(unsigned *, unsigned *, void *) __attribute__((weak, alias("__vdso_getcpu")));
