/* Sparse physical memory for firmware parser tests and fuzzers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fw_image.h"

int fw_image_parse(struct fw_image *img, const uint8_t *data, size_t len)
{
    memset(img, 0, sizeof(*img));
    img->limit = 1ull << 32;
    size_t off = 0;
    while (off + 12 <= len && img->n < FW_IMAGE_PAGES) {
        uint64_t addr;
        uint32_t n;
        memcpy(&addr, data + off, 8);
        memcpy(&n, data + off + 8, 4);
        off += 12;
        if (n != 4096 || addr % 4096 || addr >= img->limit || len - off < n)
            return -1;
        img->addr[img->n] = addr;
        img->page[img->n] = malloc(4096);
        memcpy(img->page[img->n++], data + off, 4096);
        off += n;
    }
    return 0;
}

int fw_image_load(struct fw_image *img, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)len);
    int rc = fread(buf, 1, (size_t)len, f) == (size_t)len ? fw_image_parse(img, buf, (size_t)len) : -1;
    free(buf);
    fclose(f);
    return rc;
}

void fw_image_free(struct fw_image *img)
{
    for (unsigned i = 0; i < img->n; i++)
        free(img->page[i]);
    for (unsigned i = 0; i < img->nscratch; i++)
        free(img->scratch[i]);
    img->n = img->nscratch = 0;
}

uint8_t *fw_image_at(struct fw_image *img, uint64_t phys)
{
    for (unsigned i = 0; i < img->n; i++) {
        if (phys >= img->addr[i] && phys < img->addr[i] + 4096)
            return img->page[i] + (phys - img->addr[i]);
    }
    return NULL;
}

/* Copies [phys, phys+len) into a fresh buffer: captured pages as captured,
 * the rest as zeros (which is what the capture left out). */
static const void *image_map(void *ctx, uint64_t phys, uint64_t len)
{
    struct fw_image *img = ctx;
    if (len == 0 || len > (8u << 20) || phys + len < phys || phys + len > img->limit)
        return NULL;
    if (img->nscratch == sizeof(img->scratch) / sizeof(img->scratch[0]))
        return NULL; /* pointers must stay valid until fw_image_free */
    uint8_t *buf = calloc(1, len);
    for (unsigned i = 0; i < img->n; i++) {
        uint64_t a = img->addr[i], b = a + 4096;
        uint64_t lo = a > phys ? a : phys, hi = b < phys + len ? b : phys + len;
        if (lo < hi)
            memcpy(buf + (lo - phys), img->page[i] + (lo - a), hi - lo);
    }
    img->scratch[img->nscratch++] = buf;
    return buf;
}

struct fw_mem fw_image_mem(struct fw_image *img) { return (struct fw_mem){ .map = image_map, .ctx = img }; }

uint64_t fw_image_find(struct fw_image *img, const char *sig, uint64_t lo, uint64_t hi)
{
    size_t n = strlen(sig);
    for (uint64_t p = lo; p + n <= hi; p += 16) {
        uint8_t *q = fw_image_at(img, p);
        if (q && (p % 4096) + n <= 4096 && memcmp(q, sig, n) == 0)
            return p;
    }
    return 0;
}
