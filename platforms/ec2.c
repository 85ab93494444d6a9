/* ec2: Amazon EC2: Nitro instances (KVM, SMBIOS "Amazon EC2") and the older
 * Xen-based ones (Xen, BIOS version "x.y.amazon"). */
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "kvmclock", "xen", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (str_has(s->smbios_vendor, "Amazon EC2"))
        detect_add(r, 60, "SMBIOS vendor Amazon EC2");
    if (str_has(s->bios_version, "amazon"))
        detect_add(r, 60, "BIOS version amazon");
    if (r->score && hv_is(s, HV_XEN))
        detect_add(r, 50, "CPUID XenVMMXenVMM");
    if (r->score && hv_is(s, HV_KVM))
        detect_add(r, 5, "CPUID KVMKVMKVM");
}

PLATFORM(ec2) = {
    .name = "ec2",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
