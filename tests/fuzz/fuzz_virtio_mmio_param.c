/* virtio_mmio.device= values straight from a (hostile) command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "virtio_mmio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    char *s = malloc(len + 1);
    memcpy(s, data, len);
    s[len] = 0;
    uint64_t base, size;
    uint32_t irq;
    if (virtio_mmio_parse(s, &base, &size, &irq) == 0 && (size < 0x100 || irq == 0 || base + size < base))
        abort();
    free(s);
    return 0;
}
