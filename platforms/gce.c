/* gce: Google Compute Engine (KVM): SMBIOS "Google" / "Google Compute
 * Engine", BIOS vendor "Google"; virtio-scsi PersistentDisk and virtio-net
 * on the older series, NVMe and gVNIC (1ae0:0042) on the third generation. */
#include "platform.h"
#include "power.h"

#define PCI_VENDOR_GOOGLE 0x1ae0
#define PCI_DEVICE_GVNIC 0x0042

static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (str_has(s->smbios_vendor, "Google"))
        detect_add(r, 40, "SMBIOS vendor Google");
    if (str_has(s->smbios_product, "Google Compute Engine"))
        detect_add(r, 30, "SMBIOS product Google Compute Engine");
    if (str_has(s->bios_vendor, "Google"))
        detect_add(r, 20, "BIOS vendor Google");
    if (signals_pci_id(s, PCI_VENDOR_GOOGLE, PCI_DEVICE_GVNIC))
        detect_add(r, 30, "PCI gVNIC 1ae0:0042");
    if (r->score && hv_is(s, HV_KVM))
        detect_add(r, 5, "CPUID KVMKVMKVM");
}

PLATFORM(gce) = {
    .name = "gce",
    .io_timeout_s = PLATFORM_NO_IO_TIMEOUT,
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
};
