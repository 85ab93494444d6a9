/* generic-pc: the fallback for any PC-compatible machine. It matches
 * everything weakly and ends the VM with the methods every PC has. */
#include "platform.h"
#include "power.h"

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    (void)s;
    detect_add(r, 1, "fallback");
}

PLATFORM(generic_pc) = {
    .name = "generic-pc",
    .detect = detect,
    .power_off = power_off_qemu,
    .reboot = power_reboot_pc,
    .buses = BUS_PROBE_PC | BUS_PROBE_MMIO_CMDLINE,
};
