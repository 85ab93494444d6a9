/* QEMU's fw_cfg device: its signature register reads "QEMU" on every QEMU
 * machine (pc, q35, microvm) and on nothing else we run on. */
#include "arch/x86.h"
#include "platform.h"

#define FW_CFG_SELECT 0x510
#define FW_CFG_DATA 0x511

int qemu_fw_cfg_present(void)
{
    outw(FW_CFG_SELECT, 0); /* FW_CFG_SIGNATURE */
    char sig[4];
    for (int i = 0; i < 4; i++)
        sig[i] = (char)inb(FW_CFG_DATA);
    return sig[0] == 'Q' && sig[1] == 'E' && sig[2] == 'M' && sig[3] == 'U';
}
