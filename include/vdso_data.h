/* The page the kernel shares read-only with the program's vDSO: how to turn
 * the TSC into the kernel's own clock readings. Read under a seqlock: an odd
 * seq, or one that changed during the read, means read again. */
#ifndef KESTREL_VDSO_DATA_H
#define KESTREL_VDSO_DATA_H
#include <stdint.h>

#define VDSO_MODE_SYSCALL 0 /* the clock is not the TSC: ask the kernel */
#define VDSO_MODE_TSC 1     /* monotonic = (rdtsc - tsc_base) * mult >> 32 */

struct vdso_data {
    uint32_t seq;
    uint32_t mode;
    uint64_t tsc_base;
    uint64_t mult;
    /* realtime = rt_base_ns + (monotonic - rt_base_mono), as core/clock.c */
    uint64_t rt_base_ns;
    uint64_t rt_base_mono;
};

#endif
