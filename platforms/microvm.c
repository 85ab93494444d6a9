/* microvm: QEMU's minimal machine: virtio-mmio devices, no PCI by default,
 * hardware-reduced ACPI or none at all. */
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (!s->qemu_fw_cfg)
        return;
    detect_add(r, 20, "fw_cfg says QEMU");
    if (s->mmio_devices)
        detect_add(r, 20, "virtio-mmio devices");
    if (s->acpi_hw_reduced)
        detect_add(r, 20, "hardware-reduced ACPI");
    if (!s->smbios && !s->acpi)
        detect_add(r, 15, "no SMBIOS, no ACPI");
    else if (!s->smbios)
        detect_add(r, 5, "no SMBIOS");
}

PLATFORM(microvm) = {
    .name = "microvm",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_qemu,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PCI_IF_ECAM | BUS_PROBE_MMIO_CMDLINE | BUS_PROBE_MMIO_ACPI,
    .isa_pvpanic = true,
};
