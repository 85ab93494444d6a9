/* Time: clock_gettime/clock_getres over the kernel's clock (realtime,
 * monotonic and its variants, per-thread and per-process CPU time counted
 * by the scheduler), gettimeofday, time, nanosleep and clock_nanosleep. */
#include <string.h>
#include "abi.h"
#include "clock.h"
#include "layout.h"
#include "linux_consts.h"
#include "sched.h"
#include "thread.h"
#include "uaccess.h"

#define NS_PER_S 1000000000ull
#define COARSE_RES_NS 4000000ull /* a 250 Hz tick, as Debian's kernels */
#define SLEEP_MAX_NS (1ull << 62)

/* Linux's CPU-clock ids for a pid or tid: ~pid << 3 | thread << 2 | type. */
static bool cpu_clock_id(int clk, bool *thread)
{
    if (clk >= 0)
        return false;
    int id = ~(clk >> 3);
    *thread = clk & 4;
    return (clk & 3) != 3 && (id == 0 || (!*thread && id == lproc_current()->pid));
}

/* The clock's reading in ns, or -EINVAL for a clock we do not have. */
static int clock_read(int clk, uint64_t *ns)
{
    bool thread;
    switch (clk) {
    case LX_CLOCK_REALTIME:
    case LX_CLOCK_REALTIME_COARSE:
    case LX_CLOCK_REALTIME_ALARM:
    case LX_CLOCK_TAI:
        *ns = clock_realtime_ns();
        return 0;
    case LX_CLOCK_MONOTONIC:
    case LX_CLOCK_MONOTONIC_RAW:
    case LX_CLOCK_MONOTONIC_COARSE:
    case LX_CLOCK_BOOTTIME:
    case LX_CLOCK_BOOTTIME_ALARM:
        *ns = clock_monotonic_ns();
        return 0;
    case LX_CLOCK_PROCESS_CPUTIME_ID:
        *ns = sched_busy_ns();
        return 0;
    case LX_CLOCK_THREAD_CPUTIME_ID:
        *ns = thread_cpu_ns();
        return 0;
    default:
        if (!cpu_clock_id(clk, &thread))
            return -EINVAL;
        *ns = thread ? thread_cpu_ns() : sched_busy_ns();
        return 0;
    }
}

static void to_timespec(uint64_t ns, struct lx_timespec *ts)
{
    ts->tv_sec = (int64_t)(ns / NS_PER_S);
    ts->tv_nsec = (int64_t)(ns % NS_PER_S);
}

long sys_clock_gettime(const struct sysargs *s)
{
    uint64_t ns;
    int rc = clock_read((int)s->a[0], &ns);
    if (rc < 0)
        return rc;
    struct lx_timespec ts;
    to_timespec(ns, &ts);
    return copy_to_user((void *)s->a[1], &ts, sizeof(ts));
}

long sys_clock_getres(const struct sysargs *s)
{
    int clk = (int)s->a[0];
    uint64_t ns;
    int rc = clock_read(clk, &ns);
    if (rc < 0)
        return rc;
    if (!s->a[1])
        return 0;
    bool coarse = clk == LX_CLOCK_REALTIME_COARSE || clk == LX_CLOCK_MONOTONIC_COARSE;
    struct lx_timespec ts = { 0, coarse ? (int64_t)COARSE_RES_NS : 1 };
    return copy_to_user((void *)s->a[1], &ts, sizeof(ts));
}

long sys_gettimeofday(const struct sysargs *s)
{
    if (s->a[0]) {
        uint64_t ns = clock_realtime_ns();
        int64_t tv[2] = { (int64_t)(ns / NS_PER_S), (int64_t)(ns % NS_PER_S / 1000) };
        if (copy_to_user((void *)s->a[0], tv, sizeof(tv)) < 0)
            return -EFAULT;
    }
    if (s->a[1]) {
        int32_t tz[2] = { 0, 0 }; /* minutes west of UTC, DST kind */
        if (copy_to_user((void *)s->a[1], tz, sizeof(tz)) < 0)
            return -EFAULT;
    }
    return 0;
}

long sys_time(const struct sysargs *s)
{
    int64_t t = (int64_t)(clock_realtime_ns() / NS_PER_S);
    if (s->a[0] && copy_to_user((void *)s->a[0], &t, sizeof(t)) < 0)
        return -EFAULT;
    return t;
}

/* A timespec from the program, checked as Linux does (0 <= nsec < 1e9,
 * sec >= 0 unless absolute). */
static int timespec_in(const void *uts, uint64_t *ns, bool absolute)
{
    struct lx_timespec ts;
    if (copy_from_user(&ts, uts, sizeof(ts)) < 0)
        return -EFAULT;
    if (ts.tv_nsec < 0 || ts.tv_nsec >= (int64_t)NS_PER_S || (ts.tv_sec < 0 && !absolute))
        return -EINVAL;
    if (ts.tv_sec < 0) {
        *ns = 0;
        return 0;
    }
    uint64_t sec = (uint64_t)ts.tv_sec;
    *ns = sec >= SLEEP_MAX_NS / NS_PER_S ? SLEEP_MAX_NS : sec * NS_PER_S + (uint64_t)ts.tv_nsec;
    return 0;
}

/* Sleeps ns; a signal cuts it short with -EINTR and *left what remained. */
static int sleep_for(uint64_t ns, uint64_t *left)
{
    if (!ns)
        return 0;
    if (ns > SLEEP_MAX_NS)
        ns = SLEEP_MAX_NS;
    uint64_t end = clock_monotonic_ns() + ns;
    int rc = lthread_sleep_ns(ns);
    if (rc == -EINTR && left) {
        uint64_t now = clock_monotonic_ns();
        *left = end > now ? end - now : 0;
    }
    return rc;
}

/* After -EINTR: the time left, where the program asked for it. */
static long interrupted(void *urem, uint64_t left)
{
    if (urem) {
        struct lx_timespec ts;
        to_timespec(left, &ts);
        if (copy_to_user(urem, &ts, sizeof(ts)) < 0)
            return -EFAULT;
    }
    return -EINTR;
}

long sys_nanosleep(const struct sysargs *s)
{
    uint64_t ns, left = 0;
    int rc = timespec_in((const void *)s->a[0], &ns, false);
    if (rc < 0)
        return rc;
    rc = sleep_for(ns, &left);
    return rc == -EINTR ? interrupted((void *)s->a[1], left) : 0;
}

long sys_clock_nanosleep(const struct sysargs *s)
{
    int clk = (int)s->a[0], flags = (int)s->a[1];
    bool absolute = flags & LX_TIMER_ABSTIME;
    if (clk == LX_CLOCK_THREAD_CPUTIME_ID)
        return -EINVAL;
    bool realtime = clk == LX_CLOCK_REALTIME || clk == LX_CLOCK_TAI || clk == LX_CLOCK_REALTIME_ALARM;
    bool mono = clk == LX_CLOCK_MONOTONIC || clk == LX_CLOCK_BOOTTIME || clk == LX_CLOCK_BOOTTIME_ALARM;
    if (!realtime && !mono)
        return clk == LX_CLOCK_PROCESS_CPUTIME_ID ? -EOPNOTSUPP : -EINVAL;
    uint64_t ns;
    int rc = timespec_in((const void *)s->a[2], &ns, absolute);
    if (rc < 0)
        return rc;
    if (absolute) {
        uint64_t now = realtime ? clock_realtime_ns() : clock_monotonic_ns();
        ns = ns > now ? ns - now : 0;
    }
    uint64_t left = 0;
    rc = sleep_for(ns, &left);
    if (rc != -EINTR)
        return 0;
    return absolute ? -EINTR : interrupted((void *)s->a[3], left); /* TIMER_ABSTIME leaves rem alone */
}
