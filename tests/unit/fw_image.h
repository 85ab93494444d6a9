/* Host-side sparse physical memory loaded from a firmware fixture, with an
 * fw_mem.map over it (see tests/fixtures/firmware/README.md). */
#ifndef KESTREL_TEST_FW_IMAGE_H
#define KESTREL_TEST_FW_IMAGE_H
#include <stddef.h>
#include <stdint.h>
#include "firmware.h"

#define FW_IMAGE_PAGES 512

struct fw_image {
    uint64_t addr[FW_IMAGE_PAGES];
    uint8_t *page[FW_IMAGE_PAGES];
    unsigned n;
    uint64_t limit;     /* map() refuses anything reaching past this */
    void *scratch[4096]; /* buffers handed out by map(), freed by fw_image_free */
    unsigned nscratch;
};

int fw_image_load(struct fw_image *img, const char *path);
/* Parses the chunk format from a buffer (the fuzzers' input); 0 or -1. */
int fw_image_parse(struct fw_image *img, const uint8_t *data, size_t len);
void fw_image_free(struct fw_image *img);
struct fw_mem fw_image_mem(struct fw_image *img);
/* A writable pointer to captured memory at phys (NULL if not captured). */
uint8_t *fw_image_at(struct fw_image *img, uint64_t phys);
/* Finds the first 16-byte aligned occurrence of sig in [lo, hi). */
uint64_t fw_image_find(struct fw_image *img, const char *sig, uint64_t lo, uint64_t hi);

#endif
