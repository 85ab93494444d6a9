/* vmware: VMware Workstation/ESXi (and QEMU dressed as it: vmport + SMBIOS). */
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (hv_is(s, HV_VMWARE))
        detect_add(r, 50, "CPUID VMwareVMware");
    if (str_has(s->smbios_vendor, "VMware"))
        detect_add(r, 40, "SMBIOS vendor VMware");
    if (str_has(s->smbios_product, "VMware"))
        detect_add(r, 10, "SMBIOS product VMware");
}

PLATFORM(vmware) = {
    .name = "vmware",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
