/* The Xen clock: the pvclock record in each vCPU's vcpu_info inside
 * shared_info, and the wall clock beside it. The Xen platform code maps
 * shared_info and calls xen_clock_attach(); until then the probe fails. */
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "pvclock.h"

/* Offsets in shared_info (xen/include/public/xen.h, x86_64): 32 vcpu_info
 * of 64 bytes, each with its vcpu_time_info at +32; then the event channel
 * bitmaps; wc_version, wc_sec, wc_nsec at 3072, wc_sec_hi at 3084. */
#define XEN_VCPU_INFO_SIZE 64
#define XEN_VCPU_TIME_OFFSET 32
#define XEN_LEGACY_MAX_VCPUS 32
#define XEN_WC_OFFSET 3072
#define XEN_WC_SEC_HI_OFFSET 3084

static volatile uint8_t *shared;
static uint64_t last_ns;
static uint64_t hz;

void xen_clock_attach(volatile void *shared_info) { shared = shared_info; }

static uint64_t read_tsc(void) { return rdtsc(); }

static const volatile struct pvclock_time_info *record(unsigned cpu)
{
    return (const volatile struct pvclock_time_info *)(shared + cpu * XEN_VCPU_INFO_SIZE + XEN_VCPU_TIME_OFFSET);
}

static int xen_clock_probe(void)
{
    if (!shared || ncpus > XEN_LEGACY_MAX_VCPUS)
        return -1;
    const volatile struct pvclock_time_info *ti = record(0);
    if (ti->tsc_to_system_mul == 0)
        return -1;
    hz = pvclock_tsc_hz(ti->tsc_to_system_mul, ti->tsc_shift);
    return 0;
}

uint64_t xen_clock_system_ns(void)
{
    uint64_t flags = irq_save();
    uint8_t f;
    uint64_t ns = pvclock_read(record(this_cpu()->id), read_tsc, &f);
    irq_restore(flags);
    return ns;
}

static uint64_t xen_clock_read(void)
{
    uint64_t flags = irq_save();
    uint8_t f;
    uint64_t ns = pvclock_read(record(this_cpu()->id), read_tsc, &f);
    irq_restore(flags);
    return pvclock_monotonic(ns, f, &last_ns);
}

static uint64_t xen_clock_wall(void)
{
    const volatile struct pvclock_wall_clock *wc = (const volatile void *)(shared + XEN_WC_OFFSET);
    uint64_t hi = *(const volatile uint32_t *)(shared + XEN_WC_SEC_HI_OFFSET);
    return pvclock_wall_ns(wc, xen_clock_read()) + hi * (1ull << 32) * 1000000000ull;
}

static uint64_t xen_clock_hz(void) { return hz; }

CLOCK_SOURCE(xen_clock_source) = {
    .name = "xen",
    .rating = 350,
    .probe = xen_clock_probe,
    .read_ns = xen_clock_read,
    .freq_hz = xen_clock_hz,
    .wall_ns = xen_clock_wall,
    .stable_across_cpus = true,
};
