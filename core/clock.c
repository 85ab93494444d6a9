/* Clock selection: forced by --clock, else the platform's preference, else
 * the best rating that probes. */
#include <stddef.h>
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "log.h"

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

static int use(const struct clock_source *s)
{
    if (s->probe() != 0)
        return -1;
    current = s;
    pr_info("clock: %s, %llu Hz\n", s->name, (unsigned long long)(s->freq_hz ? s->freq_hz() : 0));
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

const struct clock_source *clock_current(void) { return current; }

void clock_delay_ns(uint64_t ns)
{
    uint64_t end = clock_monotonic_ns() + ns;
    while (clock_monotonic_ns() < end)
        cpu_relax();
}
