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
    uint64_t (*wall_ns)(void); /* ns since 1970, if the source knows; else RTC */
    void (*cpu_init)(void);    /* per-CPU set-up on each AP (kvmclock) */
    void (*timers_ready)(void); /* timers work now (the PIT's keepalive) */
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
/* Time of day, ns since 1970-01-01 UTC: the source's wall clock, or the CMOS
 * RTC read at boot plus monotonic time since. */
uint64_t clock_realtime_ns(void);
void clock_cpu_init(void);
void clock_timers_ready(void);
/* Sleeps the calling thread (the POSIX name apps expect). */
int nanosleep_ns(uint64_t ns);
const struct clock_source *clock_current(void);
/* How user code (the vDSO) reads exactly what clock_monotonic_ns() and
 * clock_realtime_ns() return: 0 when the current source is the TSC and the
 * time of day comes from the RTC anchor, else -1 (use the system call). */
int clock_user_tsc(uint64_t *tsc_base, uint64_t *mult, uint64_t *rt_base_ns, uint64_t *rt_base_mono);
/* Busy-waits; for early boot and drivers that must poll. */
void clock_delay_ns(uint64_t ns);

/* TSC helpers (drivers/clock/tsc.c) */
uint64_t tsc_hz(void);
uint64_t tsc_to_ns(uint64_t ticks);
/* tsc_to_ns's factor (ns = ticks * mult >> 32) and the TSC at boot that the
 * TSC clock counts from; 0 when the TSC is not the clock's. */
uint64_t tsc_mult(void);
uint64_t tsc_boot_base(void);
/* Finds TSC and LAPIC timer rates: CPUID leaves, else PIT calibration. */
int tsc_calibrate(void);
/* Pure: rates from CPUID leaf values; 0 on success, -1 when they say nothing. */
int tsc_freq_from_hv_leaf(uint32_t hv_max_leaf, uint32_t eax, uint32_t ebx, uint64_t *tsc, uint64_t *lapic);
/* A rate the platform found before clocks (lapic may be 0: measured). */
void tsc_freq_hint(uint64_t tsc, uint64_t lapic, const char *how);
/* The hint's source name and rates, or NULL when none was given. */
const char *tsc_freq_hinted(uint64_t *tsc, uint64_t *lapic);
int tsc_freq_from_leaf15(uint32_t max_basic, uint32_t den, uint32_t num, uint32_t crystal_hz,
                         uint32_t base_mhz_16, uint64_t *tsc, uint64_t *lapic);

/* CMOS RTC: the time of day at the moment of reading, ns since 1970, or 0. */
uint64_t rtc_read_ns(void);
/* Pure: days since 1970-01-01 for a proleptic Gregorian date. */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/* HPET: the platform says where (ACPI HPET table, or the PC default). */
void hpet_set_address(uint64_t phys);

/* Xen clock: the Xen platform code hands over shared_info once mapped. */
void xen_clock_attach(volatile void *shared_info);
/* Xen system time now (this vCPU's record), what Xen's timers are set in. */
uint64_t xen_clock_system_ns(void);

/* PIT: count ticks of its 1.193182 MHz input over about us microseconds
 * while sampling the TSC and LAPIC timer. Returns 0 or -1 if absent. */
int pit_measure(uint64_t us, uint64_t *tsc_delta, uint64_t *lapic_delta, uint64_t *pit_ticks);
#define PIT_HZ 1193182ull
/* The same measurement spread over the boot: open early, closed when the
 * rate is wanted (after at least us microseconds, waiting for the rest).
 * -1 from close when there is no window to use (no PIT, over 55 ms, a
 * stall at an end): pit_measure then. */
void pit_window_open(void);
int pit_window_close(uint64_t us, uint64_t *tsc_delta, uint64_t *pit_ticks);

/* TSC calibration, begun early (kmain) so that the boot's work is the
 * measurement: the PIT window at entry, the LAPIC timer's once it is set
 * up; tsc_calibrate ends both. */
void tsc_calibration_begin(void);
void tsc_lapic_window_open(void);

#endif
