/* The EFI system table's configuration tables and the SMBIOS entry point
 * they lead to, over a fuzzed physical memory window at 1 MiB (system table
 * at its start). */
#include <string.h>
#include "firmware.h"

static const uint8_t *mem;
static size_t mem_len;

static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx;
    if (phys < 0x100000 || phys + len < phys || phys - 0x100000 + len > mem_len)
        return NULL;
    return mem + (phys - 0x100000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct machine m;
    mem = data;
    mem_len = len;
    struct fw_mem fm = { .map = map };
    memset(&m, 0, sizeof(m));
    smbios_probe_efi(&m, &fm, 0x100000);
    return 0;
}
