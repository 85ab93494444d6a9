/* TSC and LAPIC timer rates from CPUID leaf values (pure logic, host-tested).
 * The caller reads the leaves; these functions only interpret them. */
#include "clock.h"

int tsc_freq_from_hv_leaf(uint32_t hv_max_leaf, uint32_t eax, uint32_t ebx, uint64_t *tsc, uint64_t *lapic)
{
    /* 0x40000010 (VMware's convention, also QEMU's vmware-cpuid-freq): TSC
     * kHz in EAX, LAPIC bus kHz in EBX; the timer divides the bus by 16. */
    if (hv_max_leaf < 0x40000010 || eax == 0)
        return -1;
    *tsc = (uint64_t)eax * 1000;
    *lapic = (uint64_t)ebx * 1000 / 16;
    return 0;
}

int tsc_freq_from_leaf15(uint32_t max_basic, uint32_t den, uint32_t num, uint32_t crystal_hz,
                         uint32_t base_mhz_16, uint64_t *tsc, uint64_t *lapic)
{
    /* 0x15: TSC = crystal * EBX / EAX; the APIC timer runs on the crystal.
     * Without a crystal rate, 0x16's base frequency stands in for the TSC. */
    if (max_basic < 0x15 || den == 0 || num == 0)
        return -1;
    if (crystal_hz) {
        *tsc = (uint64_t)crystal_hz * num / den;
        *lapic = crystal_hz / 16;
        return 0;
    }
    if (max_basic >= 0x16 && base_mhz_16) {
        *tsc = (uint64_t)base_mhz_16 * 1000000;
        *lapic = 0; /* unknown: measured against the TSC */
        return 0;
    }
    return -1;
}

/* A rate the platform learnt another way before clocks start (VMware's
 * backdoor GETHZ); tsc_calibrate() takes it first. */
static uint64_t hint_tsc, hint_lapic;
static const char *hint_how;

void tsc_freq_hint(uint64_t tsc, uint64_t lapic, const char *how)
{
    hint_tsc = tsc;
    hint_lapic = lapic;
    hint_how = how;
}

const char *tsc_freq_hinted(uint64_t *tsc, uint64_t *lapic)
{
    if (!hint_tsc)
        return 0;
    *tsc = hint_tsc;
    *lapic = hint_lapic;
    return hint_how;
}
