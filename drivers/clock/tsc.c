/* The TSC clock source. Its rate comes from Xen's time leaf, the hypervisor
 * leaf 0x40000010, CPUID 0x15, or a short measurement against the PIT; the
 * LAPIC timer rate is found the same way, since the event timer needs it. */
#include "arch/x86.h"
#include "clock.h"
#include "irq.h"
#include "log.h"
#include "xen.h"

extern uint64_t boot_entry_tsc;

/* 2 ms of PIT is ~2400 ticks: +-1 tick at each end is 0.1%, and it is the
 * largest single cost of booting under TCG. */
#define CALIBRATION_US 2000

static uint64_t hz;
static uint64_t mult; /* ns = ticks * mult >> 32 */
static int calibrated;

uint64_t tsc_hz(void) { return hz; }

uint64_t tsc_mult(void) { return calibrated ? mult : 0; }
uint64_t tsc_boot_base(void) { return boot_entry_tsc; }
uint64_t tsc_to_ns(uint64_t ticks) { return (uint64_t)(((unsigned __int128)ticks * mult) >> 32); }

static void set_hz(uint64_t h)
{
    hz = h;
    mult = (1000000000ull << 32) / h; /* fits: 1e9 << 32 < 2^64 */
}

static int from_hypervisor_leaf(uint64_t *tsc, uint64_t *lapic)
{
    if (!(cpuid(1, 0).ecx & (1u << 31)))
        return -1;
    uint32_t max = cpuid(0x40000000, 0).eax;
    if (max < 0x40000010 || max > 0x400000ff)
        return -1;
    struct cpuid_regs r = cpuid(0x40000010, 0);
    return tsc_freq_from_hv_leaf(max, r.eax, r.ebx, tsc, lapic);
}

static int from_cpuid_15(uint64_t *tsc, uint64_t *lapic)
{
    uint32_t max = cpuid(0, 0).eax;
    if (max < 0x15)
        return -1;
    struct cpuid_regs r = cpuid(0x15, 0);
    uint32_t base = max >= 0x16 ? cpuid(0x16, 0).eax : 0;
    return tsc_freq_from_leaf15(max, r.eax, r.ebx, r.ecx, base, tsc, lapic);
}

/* The LAPIC timer's count with the TSC around its read. */
struct lapic_sample {
    uint64_t tsc; /* the middle of the two TSC reads */
    uint64_t bracket;
    uint32_t count;
};

/* The tighter of two samples: the first run of the read is translated
 * (TCG) between its TSC reads. */
static void lapic_sample(struct lapic_sample *s)
{
    for (int i = 0; i < 2; i++) {
        uint64_t before = rdtsc();
        uint32_t count = lapic_timer_count();
        uint64_t after = rdtsc();
        if (i == 0 || after - before < s->bracket) {
            s->tsc = before + (after - before) / 2;
            s->bracket = after - before;
            s->count = count;
        }
    }
}

static struct lapic_sample lapic_start;
static int lapic_window;

void tsc_lapic_window_open(void)
{
    lapic_timer_prepare_calibration();
    lapic_sample(&lapic_start);
    lapic_window = 1;
}

/* LAPIC rate against an already known TSC, over at least 1 ms since the
 * window opened (at lapic_init, usually longer ago than that). */
static uint64_t lapic_against_tsc(void)
{
    if (!lapic_window)
        tsc_lapic_window_open();
    lapic_window = 0;
    while (rdtsc() - lapic_start.tsc < hz / 1000)
        cpu_relax();
    struct lapic_sample end;
    lapic_sample(&end);
    uint64_t dt = end.tsc - lapic_start.tsc;
    uint32_t dl = lapic_start.count - end.count;
    return (uint64_t)dl * hz / dt;
}

/* Invariant TSC: constant rate through P-states and idle states. */
static int tsc_invariant(void)
{
    return cpuid(0x80000000, 0).eax >= 0x80000007 && (cpuid(0x80000007, 0).edx & (1u << 8));
}

/* Where CPUID (or Xen, checked at calibration) gives the rate, no window
 * is opened: its port writes are exits on a real hypervisor. */
void tsc_calibration_begin(void)
{
    uint64_t tsc, lapic;
    if (xen_present() || from_hypervisor_leaf(&tsc, &lapic) == 0 || from_cpuid_15(&tsc, &lapic) == 0)
        return;
    pit_window_open();
}

int tsc_calibrate(void)
{
    if (calibrated)
        return 0;
    uint64_t tsc = 0, lapic = 0;
    const char *how = "hypervisor leaf 0x40000010";
    const char *hinted = tsc_freq_hinted(&tsc, &lapic);
    if (hinted)
        how = hinted;
    else if ((tsc = xen_tsc_khz() * 1000) != 0)
        how = "Xen time leaf";
    else if (from_hypervisor_leaf(&tsc, &lapic) < 0) {
        how = "CPUID 0x15";
        if (from_cpuid_15(&tsc, &lapic) < 0) {
            how = "PIT over the boot";
            uint64_t dt, dl = 0, ticks;
            if (pit_window_close(CALIBRATION_US, &dt, &ticks) < 0) {
                how = "PIT calibration";
                lapic_window = 0; /* pit_measure restarts the LAPIC count */
                lapic_timer_prepare_calibration();
                if (pit_measure(CALIBRATION_US, &dt, &dl, &ticks) < 0) {
                    pr_err("tsc: no frequency from CPUID and no PIT to calibrate against\n");
                    return -1;
                }
            }
            tsc = dt * PIT_HZ / ticks;
            lapic = dl * PIT_HZ / ticks;
        }
    }
    set_hz(tsc);
    if (lapic == 0)
        lapic = lapic_against_tsc();
    lapic_timer_use_tsc_deadline(tsc);
    lapic_timer_calibrate(lapic);
    calibrated = 1;
    pr_debug("tsc: %llu Hz%s, lapic timer %llu Hz (%s)\n", (unsigned long long)tsc,
             tsc_invariant() ? " invariant" : "", (unsigned long long)lapic, how);
    return 0;
}

static int tsc_probe(void) { return tsc_calibrate(); }


static uint64_t tsc_read_ns(void) { return tsc_to_ns(rdtsc() - boot_entry_tsc); }

CLOCK_SOURCE(tsc_clock) = {
    .name = "tsc",
    .rating = 300,
    .probe = tsc_probe,
    .read_ns = tsc_read_ns,
    .freq_hz = tsc_hz,
    .stable_across_cpus = true,
};
