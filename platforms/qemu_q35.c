/* qemu-q35: QEMU's Q35/ICH9 machine (-M q35), with PCIe ECAM. */
#include "platform.h"
#include "power.h"

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (s->qemu_fw_cfg)
        detect_add(r, 20, "fw_cfg says QEMU");
    if (str_has(s->smbios_vendor, "QEMU"))
        detect_add(r, 40, "SMBIOS vendor QEMU");
    if (str_has(s->smbios_product, "Q35"))
        detect_add(r, 30, "SMBIOS product Q35");
    if (r->score && s->ecam)
        detect_add(r, 15, "ACPI MCFG (ECAM)");
}

PLATFORM(qemu_q35) = {
    .name = "qemu-q35",
    .detect = detect,
    .power_off = power_off_qemu,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC,
    .isa_pvpanic = true,
};
