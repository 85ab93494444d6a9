/* PVH start_info and multiboot2 information from a fuzzed physical memory
 * window at 0x10000 (the first byte picks the protocol). */
#include <string.h>
#include "boot_info.h"

static const uint8_t *mem;
static size_t mem_len;

static const void *map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx;
    if (phys < 0x10000 || phys + len < phys || phys - 0x10000 + len > mem_len)
        return NULL;
    return mem + (phys - 0x10000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1)
        return 0;
    static struct boot_info bi;
    mem = data + 1;
    mem_len = len - 1;
    struct fw_mem fm = { .map = map };
    boot_info_parse(&bi, data[0] & 1 ? BOOT_PROTO_MB2 : BOOT_PROTO_PVH, 0x10000, &fm);
    return 0;
}
