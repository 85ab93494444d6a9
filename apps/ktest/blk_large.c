/* blklarge START COUNT: on every block device, one write of COUNT sectors at
 * START from a buffer that starts inside a page (so a driver needs page
 * lists and, past its transfer limit, several commands), then one read
 * into another such buffer, compared. The harness checks the image. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"

int ktest_blklarge(int argc, char **argv);

static uint8_t large_pattern(unsigned disk, uint64_t sector, unsigned k)
{
    return (uint8_t)(sector * 31 + k * 7 + disk * 101 + 2 * 57);
}

static int one_disk(unsigned disk, struct block_dev *b, uint64_t start, uint32_t count)
{
    uint32_t ss = b->sector_size;
    size_t bytes = (size_t)count * ss;
    uint8_t *wbuf = aligned_alloc(4096, bytes + 4096), *rbuf = aligned_alloc(4096, bytes + 4096);
    if (!wbuf || !rbuf || start + count > b->sectors) {
        printf("blklarge: %s cannot run (%llu sectors)\n", b->name, (unsigned long long)b->sectors);
        return 1;
    }
    uint8_t *w = wbuf + 512, *r = rbuf + 1024;
    for (uint32_t s = 0; s < count; s++)
        for (unsigned k = 0; k < ss; k++)
            w[(size_t)s * ss + k] = large_pattern(disk, start + s, k);
    memset(r, 0xa5, bytes);
    struct block_request wr = { BLOCK_WRITE, start, count, w, NULL, NULL, 0 };
    int wrc = block_sync(b, &wr);
    struct block_request rd = { BLOCK_READ, start, count, r, NULL, NULL, 0 };
    int rrc = block_sync(b, &rd);
    long bad = 0;
    for (size_t i = 0; i < bytes; i++)
        bad += r[i] != w[i];
    printf("blklarge: %s start=%llu count=%u write=%d read=%d mismatches=%ld\n", b->name,
           (unsigned long long)start, count, wrc, rrc, bad);
    free(wbuf);
    free(rbuf);
    return wrc || rrc || bad ? 1 : 0;
}

int ktest_blklarge(int argc, char **argv)
{
    uint64_t start = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    uint32_t count = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 0) : 64;
    int rc = 0;
    for (unsigned i = 0; i < block_count(); i++)
        rc |= one_disk(i, block_get(i), start, count);
    return block_count() ? rc : 1;
}
