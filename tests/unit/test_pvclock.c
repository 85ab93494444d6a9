/* pvclock math checked against values worked out by hand from the formula
 * in the KVM and Xen documentation: ns = system_time +
 * ((tsc - tsc_timestamp) << shift) * mul / 2^32 (>> -shift for negative). */
#include <string.h>
#include "check.h"
#include "clock.h"
#include "pvclock.h"

static uint64_t fake_tsc;
static struct pvclock_time_info *torn; /* made odd then even across reads */
static int reads;

static uint64_t read_fake(void)
{
    reads++;
    if (torn && reads == 1)
        torn->version++; /* an update starts under the first read */
    if (torn && reads == 2)
        torn->version++; /* and completes: the reader must retry */
    return fake_tsc;
}

int main(void)
{
    /* A 2 GHz TSC: 0.5 ns per tick = mul 2^31, shift 0. 1000 ticks -> 500 ns. */
    CHECK_EQ(pvclock_scale(1000, 0x80000000u, 0), 500);
    /* 1 GHz with shift: delta << 1, mul 2^31 -> 1 ns per tick. */
    CHECK_EQ(pvclock_scale(123456789, 0x80000000u, 1), 123456789);
    /* 3 GHz: shift -1 then mul = 2^32 * 2/3 (0xaaaaaaaa): 3e9 ticks -> ~1e9 ns. */
    uint64_t ns = pvclock_scale(3000000000ull, 0xaaaaaaaau, -1);
    CHECK(ns >= 999999999ull && ns <= 1000000000ull);
    /* Large deltas need the 128-bit product: one day at 3 GHz. */
    uint64_t day_ticks = 3000000000ull * 86400;
    ns = pvclock_scale(day_ticks, 0xaaaaaaaau, -1);
    CHECK(ns / 1000000000ull == 86399 || ns / 1000000000ull == 86400);
    CHECK_EQ(pvclock_scale(0, 0xffffffffu, 5), 0);

    CHECK_EQ(pvclock_tsc_hz(0x80000000u, 0), 2000000000ull);
    CHECK_EQ(pvclock_tsc_hz(0x80000000u, 1), 1000000000ull);
    uint64_t hz = pvclock_tsc_hz(0xaaaaaaaau, -1);
    CHECK(hz >= 2999999990ull && hz <= 3000000010ull);
    CHECK_EQ(pvclock_tsc_hz(0, 0), 0);

    struct pvclock_time_info ti;
    memset(&ti, 0, sizeof(ti));
    ti.version = 2;
    ti.tsc_timestamp = 1000000;
    ti.system_time = 5000000000ull;
    ti.tsc_to_system_mul = 0x80000000u;
    ti.flags = PVCLOCK_TSC_STABLE;
    fake_tsc = 1000000 + 2000;
    uint8_t flags = 0;
    CHECK_EQ(pvclock_read(&ti, read_fake, &flags), 5000001000ull);
    CHECK_EQ(flags, PVCLOCK_TSC_STABLE);
    /* A TSC before the timestamp (another CPU's record) counts as zero. */
    fake_tsc = 999000;
    CHECK_EQ(pvclock_read(&ti, read_fake, NULL), 5000000000ull);
    /* An update racing the read forces a retry; the result is consistent. */
    torn = &ti;
    reads = 0;
    fake_tsc = 1000000 + 4000;
    CHECK_EQ(pvclock_read(&ti, read_fake, NULL), 5000002000ull);
    CHECK(reads >= 3);
    CHECK_EQ(ti.version % 2, 0);
    torn = NULL;

    /* Monotonic clamp for sources without the stable bit. */
    uint64_t last = 0;
    CHECK_EQ(pvclock_monotonic(100, 0, &last), 100);
    CHECK_EQ(pvclock_monotonic(90, 0, &last), 100);
    CHECK_EQ(pvclock_monotonic(150, 0, &last), 150);
    CHECK_EQ(pvclock_monotonic(90, PVCLOCK_TSC_STABLE, &last), 90);

    struct pvclock_wall_clock wc = { 4, 1700000000u, 250000000u };
    CHECK_EQ(pvclock_wall_ns(&wc, 1500000000ull), 1700000001750000000ull);
    /* TSC rates from CPUID leaves. VMware-style 0x40000010: kHz values. */
    uint64_t tsc = 0, lapic = 0;
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000010, 2893299, 1000000, &tsc, &lapic), 0);
    CHECK_EQ(tsc, 2893299000ull);
    CHECK_EQ(lapic, 62500000ull);
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000001, 2893299, 1000000, &tsc, &lapic), -1); /* leaf absent */
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000010, 0, 0, &tsc, &lapic), -1);
    /* 0x15 on a Skylake-class part: 24 MHz crystal, ratio 188/2 -> 2.256 GHz. */
    CHECK_EQ(tsc_freq_from_leaf15(0x16, 2, 188, 24000000, 2200, &tsc, &lapic), 0);
    CHECK_EQ(tsc, 2256000000ull);
    CHECK_EQ(lapic, 1500000ull);
    /* No crystal rate: 0x16's base MHz; LAPIC left for measurement. */
    CHECK_EQ(tsc_freq_from_leaf15(0x16, 2, 188, 0, 2200, &tsc, &lapic), 0);
    CHECK_EQ(tsc, 2200000000ull);
    CHECK_EQ(lapic, 0);
    CHECK_EQ(tsc_freq_from_leaf15(0x15, 2, 188, 0, 0, &tsc, &lapic), -1);
    CHECK_EQ(tsc_freq_from_leaf15(0x14, 2, 188, 24000000, 0, &tsc, &lapic), -1);
    CHECK_EQ(tsc_freq_from_leaf15(0x16, 0, 188, 24000000, 0, &tsc, &lapic), -1);
    return check_report("test_pvclock");
}
