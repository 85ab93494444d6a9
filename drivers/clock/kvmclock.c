/* kvmclock: KVM's pvclock, one time record per vCPU registered through MSR
 * 0x4b564d01, plus the wall clock through MSR 0x4b564d00. */
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "log.h"
#include "memory.h"
#include "platform.h"
#include "pvclock.h"

#define MSR_KVM_WALL_CLOCK_NEW 0x4b564d00
#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define KVM_FEATURE_CLOCKSOURCE_STABLE (1u << 24)

struct kvmclock_slot {
    struct pvclock_time_info ti;
} __attribute__((aligned(64)));

static struct kvmclock_slot slots[MAX_CPUS];
static struct pvclock_wall_clock wall;
static uint64_t last_ns;
static uint64_t hz;

static uint64_t read_tsc(void) { return rdtsc(); }

static void register_cpu(void)
{
    unsigned id = this_cpu()->id;
    wrmsr(MSR_KVM_SYSTEM_TIME_NEW, (uint64_t)(uintptr_t)&slots[id].ti | 1);
}

static int kvmclock_probe(void)
{
    uint32_t base = hypervisor_base(HV_KVM);
    if (!base || !(cpuid(base + 1, 0).eax & KVM_FEATURE_CLOCKSOURCE2))
        return -1;
    register_cpu();
    wrmsr(MSR_KVM_WALL_CLOCK_NEW, (uint64_t)(uintptr_t)&wall);
    if (slots[0].ti.tsc_to_system_mul == 0) {
        pr_warn("kvmclock: the hypervisor did not fill the time record\n");
        return -1;
    }
    hz = pvclock_tsc_hz(slots[0].ti.tsc_to_system_mul, slots[0].ti.tsc_shift);
    return 0;
}

static uint64_t kvmclock_read(void)
{
    /* Interrupts off so the thread cannot move CPUs between picking the
     * record and reading the TSC. */
    uint64_t flags = irq_save();
    uint8_t f;
    uint64_t ns = pvclock_read(&slots[this_cpu()->id].ti, read_tsc, &f);
    irq_restore(flags);
    return pvclock_monotonic(ns, f, &last_ns);
}

static uint64_t kvmclock_wall(void) { return pvclock_wall_ns(&wall, kvmclock_read()); }
static uint64_t kvmclock_hz(void) { return hz; }

CLOCK_SOURCE(kvmclock_source) = {
    .name = "kvmclock",
    .rating = 350,
    .probe = kvmclock_probe,
    .read_ns = kvmclock_read,
    .freq_hz = kvmclock_hz,
    .wall_ns = kvmclock_wall,
    .cpu_init = register_cpu,
    .stable_across_cpus = true,
};
