/* generic-pc: the fallback for any PC-compatible machine. It matches
 * everything weakly and ends the VM with the methods every PC has. */
#include <string.h>
#include "platform.h"
#include "power.h"

static int generic_pc_detect(const struct boot_info *bi, char *why, size_t len)
{
    (void)bi;
    strlcpy(why, "fallback", len);
    return 1;
}

static void generic_pc_power_off(int status)
{
    /* QEMU test presets carry isa-debug-exit, which also reports the status. */
    isa_debug_exit(status);
}

PLATFORM(generic_pc) = {
    .name = "generic-pc",
    .detect = generic_pc_detect,
    .power_off = generic_pc_power_off,
};
