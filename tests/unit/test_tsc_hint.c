/* The TSC-rate hint the VMware platform gives (backdoor GETHZ) and the
 * hypervisor leaf 0x40000010 VMware and VirtualBox's minimal interface use. */
#include "check.h"
#include "clock.h"

int main(void)
{
    uint64_t tsc = 0, lapic = 0;
    CHECK(tsc_freq_hinted(&tsc, &lapic) == 0);
    tsc_freq_hint(2000000000ull, 6250000, "backdoor GETHZ");
    const char *how = tsc_freq_hinted(&tsc, &lapic);
    CHECK(how != 0);
    CHECK_EQ(tsc, 2000000000ull);
    CHECK_EQ(lapic, 6250000);
    /* Leaf 0x40000010: only when the maximum leaf reaches it and says something. */
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000001, 2000000, 100000, &tsc, &lapic), -1);
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000010, 0, 100000, &tsc, &lapic), -1);
    CHECK_EQ(tsc_freq_from_hv_leaf(0x40000010, 2400000, 100000, &tsc, &lapic), 0);
    CHECK_EQ(tsc, 2400000000ull);
    CHECK_EQ(lapic, 100000000ull / 16);
    return check_report("test_tsc_hint");
}
