/* A disk's first sectors, arbitrary: MBR (with extended chains) and GPT. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include "../../fs/part.h"

struct disk {
    const uint8_t *data;
    size_t len;
};

static int rd(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    const struct disk *d = ctx;
    if (s > d->len / 512 || n > d->len / 512 - s)
        return -EIO;
    memcpy(buf, d->data + s * 512, (size_t)n * 512);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct disk d = { data, len };
    /* The disk claims more sectors than the input holds, as a real one does
     * beyond what was read: reads past the input fail. */
    struct part_io io = { rd, &d, 512, len / 512 + 100000 };
    struct part_entry p[PART_MAX];
    part_scan(&io, "fuzz", p, PART_MAX);
    return 0;
}
