/* qemu-pc: QEMU's i440FX/PIIX machine (-M pc). */
#include "platform.h"
#include "power.h"

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (s->qemu_fw_cfg)
        detect_add(r, 20, "fw_cfg says QEMU");
    if (str_has(s->smbios_vendor, "QEMU"))
        detect_add(r, 40, "SMBIOS vendor QEMU");
    if (str_has(s->smbios_product, "i440FX"))
        detect_add(r, 30, "SMBIOS product i440FX");
    if (r->score && s->acpi && !s->ecam && !s->acpi_hw_reduced)
        detect_add(r, 10, "PC ACPI without ECAM");
}

PLATFORM(qemu_pc) = {
    .name = "qemu-pc",
    .detect = detect,
    .power_off = power_off_qemu,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
    .isa_pvpanic = true,
};
