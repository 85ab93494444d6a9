/* pvclock: the time format KVM (kvmclock) and Xen (vcpu_time_info) share.
 * The hypervisor publishes (tsc_timestamp, system_time, mul, shift) per vCPU;
 * the guest computes system_time + scale(rdtsc() - tsc_timestamp). */
#ifndef KESTREL_PVCLOCK_H
#define KESTREL_PVCLOCK_H
#include <stdint.h>

struct pvclock_time_info {
    uint32_t version; /* odd while the hypervisor updates the record */
    uint32_t pad0;
    uint64_t tsc_timestamp;
    uint64_t system_time; /* ns */
    uint32_t tsc_to_system_mul;
    int8_t tsc_shift;
    uint8_t flags;
    uint8_t pad[2];
} __attribute__((packed));

struct pvclock_wall_clock {
    uint32_t version;
    uint32_t sec;
    uint32_t nsec;
} __attribute__((packed));

#define PVCLOCK_TSC_STABLE 0x01

/* (delta << shift or >> -shift) * mul / 2^32, without overflow. */
uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift);

/* Reads a consistent snapshot (retrying while the version is odd or
 * changes) and returns system time in ns for the TSC value read_tsc gives.
 * A TSC before tsc_timestamp counts as no time elapsed. */
uint64_t pvclock_read(const volatile struct pvclock_time_info *ti, uint64_t (*read_tsc)(void),
                      uint8_t *flags_out);

/* Never returns less than the last value returned (across CPUs), unless
 * the source says its TSC is stable across CPUs. */
uint64_t pvclock_monotonic(uint64_t ns, uint8_t flags, uint64_t *last);

/* TSC frequency implied by mul/shift: 2^32 * 1e9 / mul, shifted back. */
uint64_t pvclock_tsc_hz(uint32_t mul, int8_t shift);

/* Wall-clock ns since the epoch: the wall clock record + system time. */
uint64_t pvclock_wall_ns(const volatile struct pvclock_wall_clock *wc, uint64_t system_ns);

#endif
