/* The kernel command line, any bytes up to the size the loaders allow. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len > 2047)
        return 0;
    char *buf = malloc(len + 1);
    memcpy(buf, data, len);
    buf[len] = 0;
    static struct kernel_options o;
    if (cmdline_parse(&o, buf) == 0) {
        for (int i = 0; i < o.argc; i++)
            (void)strlen(o.argv[i]);
        cmdline_param(&o, "virtio_mmio.device", 0);
    }
    free(buf);
    return 0;
}
