/* gce: Google Compute Engine (KVM; SMBIOS "Google" / "Google Compute Engine"). */
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (str_has(s->smbios_vendor, "Google"))
        detect_add(r, 40, "SMBIOS vendor Google");
    if (str_has(s->smbios_product, "Google Compute Engine"))
        detect_add(r, 30, "SMBIOS product Google Compute Engine");
    if (r->score && hv_is(s, HV_KVM))
        detect_add(r, 5, "CPUID KVMKVMKVM");
}

PLATFORM(gce) = {
    .name = "gce",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
