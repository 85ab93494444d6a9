/* virtualbox: Oracle VirtualBox (and QEMU dressed as it through SMBIOS). */
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (hv_is(s, HV_VBOX))
        detect_add(r, 50, "CPUID VBoxVBoxVBox");
    if (str_has(s->smbios_vendor, "innotek"))
        detect_add(r, 40, "SMBIOS vendor innotek GmbH");
    if (str_has(s->smbios_product, "VirtualBox"))
        detect_add(r, 20, "SMBIOS product VirtualBox");
}

PLATFORM(virtualbox) = {
    .name = "virtualbox",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
