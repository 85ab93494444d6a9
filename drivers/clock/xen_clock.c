/* The Xen clock: the pvclock record in each vCPU's vcpu_info inside
 * shared_info (Xen's struct shared_info), and the wall clock beside it.
 * The Xen platform code maps shared_info and calls xen_clock_attach();
 * until then the probe fails. */
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "pvclock.h"
#include "xen_abi.h"

/* The pvclock code reads Xen's vcpu_time_info and wall clock through the
 * layout it shares with KVM: the same bytes, checked here. */
_Static_assert(sizeof(struct vcpu_time_info) == sizeof(struct pvclock_time_info) &&
                   offsetof(struct vcpu_time_info, tsc_to_system_mul) ==
                       offsetof(struct pvclock_time_info, tsc_to_system_mul) &&
                   offsetof(struct vcpu_time_info, flags) == offsetof(struct pvclock_time_info, flags),
               "vcpu_time_info is the pvclock record");
_Static_assert(offsetof(struct shared_info, wc_sec) - offsetof(struct shared_info, wc_version) ==
                       offsetof(struct pvclock_wall_clock, sec) &&
                   offsetof(struct shared_info, wc_nsec) - offsetof(struct shared_info, wc_version) ==
                       offsetof(struct pvclock_wall_clock, nsec),
               "shared_info's wall clock is the pvclock wall clock");

static volatile struct shared_info *shared;
static uint64_t last_ns;
static uint64_t hz;

void xen_clock_attach(volatile void *shared_info) { shared = shared_info; }

static uint64_t read_tsc(void) { return rdtsc(); }

static const volatile struct pvclock_time_info *record(unsigned cpu)
{
    return (const volatile struct pvclock_time_info *)&shared->vcpu_info[cpu].time;
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
    const volatile struct pvclock_wall_clock *wc = (const volatile void *)&shared->wc_version;
    uint64_t hi = shared->wc_sec_hi;
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
