/* The clock interface: sources register with a rating; clock_init() picks
 * one by the platform's preference, the best rating, or --clock=NAME. */
#ifndef KESTREL_CLOCK_H
#define KESTREL_CLOCK_H
#include <stdbool.h>
#include <stdint.h>

struct clock_source {
    const char *name;
    int rating;                /* higher is better */
    int (*probe)(void);        /* 0 when usable; sets up the source */
    uint64_t (*read_ns)(void); /* monotonic nanoseconds */
    uint64_t (*freq_hz)(void); /* counter frequency, for the boot line */
    bool stable_across_cpus;
};

/* The table holds pointers: gcc may pad structs to 32 bytes, pointers never. */
#define CLOCK_SOURCE(var)                                                                       \
    static const struct clock_source var;                                                       \
    static const struct clock_source *const var##_entry                                         \
        __attribute__((used, section(".kestrel.clocks." #var))) = &var;                         \
    static const struct clock_source var

/* Returns 0, or -1 when forced names an unknown or unusable source. */
int clock_init(const char *const *preference, const char *forced);
uint64_t clock_monotonic_ns(void);
const struct clock_source *clock_current(void);
/* Busy-waits; for early boot and drivers that must poll. */
void clock_delay_ns(uint64_t ns);

/* TSC helpers (drivers/clock/tsc.c) */
uint64_t tsc_hz(void);
uint64_t tsc_to_ns(uint64_t ticks);
/* Finds TSC and LAPIC timer rates: CPUID leaves, else PIT calibration. */
int tsc_calibrate(void);
/* PIT: count ticks of its 1.193182 MHz input over about us microseconds
 * while sampling the TSC and LAPIC timer. Returns 0 or -1 if absent. */
int pit_measure(uint64_t us, uint64_t *tsc_delta, uint64_t *lapic_delta, uint64_t *pit_ticks);
#define PIT_HZ 1193182ull

#endif
