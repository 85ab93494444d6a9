/* virtualbox: Oracle VirtualBox (and QEMU dressed as it through SMBIOS).
 * VirtualBox's paravirtualisation setting changes CPUID: "KVM" shows
 * KVMKVMKVM and kvmclock, "minimal" VBoxVBoxVBox with only the timing leaf
 * 0x40000010, "none" nothing at all. So SMBIOS and VirtualBox's own PCI
 * devices decide, and CPUID only adds. */
#include "platform.h"
#include "power.h"

/* kvmclock probes only where CPUID offers it (the "KVM" setting). */
static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (hv_is(s, HV_VBOX))
        detect_add(r, 50, "CPUID VBoxVBoxVBox");
    if (str_has(s->smbios_vendor, "innotek"))
        detect_add(r, 40, "SMBIOS vendor innotek GmbH");
    if (str_has(s->smbios_product, "VirtualBox"))
        detect_add(r, 20, "SMBIOS product VirtualBox");
    if (signals_pci_id(s, 0x80ee, 0xcafe))
        detect_add(r, 40, "PCI 80ee:cafe");
    if (signals_pci_id(s, 0x80ee, 0xbeef))
        detect_add(r, 20, "PCI 80ee:beef");
}

PLATFORM(virtualbox) = {
    .name = "virtualbox",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
