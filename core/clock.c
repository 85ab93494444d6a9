/* Clock selection: forced by --clock, else the platform's preference, else
 * the best rating that probes. */
#include <stddef.h>
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "log.h"
#include "sched.h"

extern const struct clock_source *const __start_kestrel_clocks[], *const __stop_kestrel_clocks[];
#define for_each_clock(s)                                                                   \
    for (const struct clock_source *const *s##_p = __start_kestrel_clocks, *s;                \
         s##_p < __stop_kestrel_clocks && (s = *s##_p); s##_p++)
static const struct clock_source *current;

static const struct clock_source *find(const char *name)
{
    for_each_clock(s) {
        if (strcmp(s->name, name) == 0)
            return s;
    }
    return NULL;
}

static void list_names(void)
{
    for_each_clock(s)
        kprintf(" %s", s->name);
    kprintf("\n");
}

static uint64_t rtc_base_ns, rtc_base_mono;

/* The RTC only has whole seconds: reading it lands anywhere in the second,
 * so half a second is added to halve the worst-case error. */
static void rtc_anchor(void)
{
    uint64_t t = rtc_read_ns();
    if (t) {
        rtc_base_ns = t + 500000000ull;
        rtc_base_mono = clock_monotonic_ns();
    }
}

static int use(const struct clock_source *s)
{
    if (s->probe() != 0)
        return -1;
    current = s;
    pr_info("clock: %s, %llu Hz\n", s->name, (unsigned long long)(s->freq_hz ? s->freq_hz() : 0));
    if (!s->wall_ns)
        rtc_anchor();
    return 0;
}

int clock_init(const char *const *preference, const char *forced)
{
    if (forced && *forced) {
        const struct clock_source *s = find(forced);
        if (!s) {
            pr_err("clock: unknown clock source '%s'; known:", forced);
            list_names();
            return -1;
        }
        if (use(s) < 0) {
            pr_err("clock: clock source '%s' is not available on this machine\n", forced);
            return -1;
        }
        return 0;
    }
    for (; preference && *preference; preference++) {
        const struct clock_source *s = find(*preference);
        if (s && use(s) == 0)
            return 0;
    }
    const struct clock_source *best = NULL;
    for_each_clock(s) {
        if ((!best || s->rating > best->rating) && s->probe() == 0)
            best = s;
    }
    if (!best || use(best) < 0) {
        pr_err("clock: no usable clock source\n");
        return -1;
    }
    return 0;
}

uint64_t clock_monotonic_ns(void) { return current ? current->read_ns() : 0; }

uint64_t clock_realtime_ns(void)
{
    if (current && current->wall_ns)
        return current->wall_ns();
    return rtc_base_ns ? rtc_base_ns + (clock_monotonic_ns() - rtc_base_mono) : 0;
}

void clock_timers_ready(void)
{
    if (current && current->timers_ready)
        current->timers_ready();
}

void clock_cpu_init(void)
{
    if (current && current->cpu_init)
        current->cpu_init();
}

int nanosleep_ns(uint64_t ns)
{
    thread_sleep_ns(ns);
    return 0;
}

const struct clock_source *clock_current(void) { return current; }

int clock_user_tsc(uint64_t *tsc_base, uint64_t *mult, uint64_t *rt_base_ns, uint64_t *rt_base_mono)
{
    /* Only the plain TSC source is a formula user code can repeat: kvmclock,
     * Xen and the HPET/PIT need the kernel. */
    if (!current || strcmp(current->name, "tsc") != 0 || current->wall_ns || !current->stable_across_cpus ||
        !rtc_base_ns || tsc_mult() == 0)
        return -1;
    *tsc_base = tsc_boot_base();
    *mult = tsc_mult();
    *rt_base_ns = rtc_base_ns;
    *rt_base_mono = rtc_base_mono;
    return 0;
}

void clock_delay_ns(uint64_t ns)
{
    uint64_t end = clock_monotonic_ns() + ns;
    while (clock_monotonic_ns() < end)
        cpu_relax();
}
