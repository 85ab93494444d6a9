/* firecracker: AWS Firecracker: KVM, virtio-mmio from the command line,
 * ACPI tables with OEM id FIRECK (recent versions) or an MP table, and the
 * i8042 reset line as its way to end the VM. No fw_cfg, no SMBIOS. Recent
 * releases can put the virtio devices on PCI instead, with an ECAM window
 * in MCFG: PCI is probed exactly when firmware lists one. */
#include <string.h>
#include "platform.h"
#include "power.h"

static const char *const clocks[] = { "kvmclock", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (strncmp(s->acpi_oem, "FIRECK", 6) == 0)
        detect_add(r, 60, "ACPI OEM FIRECK");
    if (s->qemu_fw_cfg)
        return;
    if (hv_is(s, HV_KVM) && !s->smbios && s->mmio_devices)
        detect_add(r, 30, "KVM with virtio-mmio devices, no fw_cfg or SMBIOS");
}

PLATFORM(firecracker) = {
    .name = "firecracker",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_firecracker,
    .reboot = power_reboot_pc,
    .i8042_cad = true,
    .buses = BUS_PROBE_PCI_IF_ECAM | BUS_PROBE_MMIO_CMDLINE | BUS_PROBE_MMIO_ACPI,
};
