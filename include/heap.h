/* Kernel heap: size-class slabs of one page for small objects, whole pages
 * with a header for the rest. Pure logic over a page source, so host tests
 * can check its invariants; core/malloc.c adds the lock and the page source. */
#ifndef KESTREL_HEAP_H
#define KESTREL_HEAP_H
#include <stddef.h>
#include <stdint.h>

#define HEAP_NCLASSES 7 /* 16 .. 1024 bytes */

struct heap_ops {
    /* npages contiguous pages whose address is a multiple of align bytes. */
    void *(*alloc_pages)(void *ctx, size_t npages, size_t align);
    void (*free_pages)(void *ctx, void *p, size_t npages);
    void *ctx;
};

struct slab;

struct heap {
    struct heap_ops ops;
    struct slab *partial[HEAP_NCLASSES]; /* slabs with at least one free object */
    size_t bytes_in_use;                 /* small ones counted at their class size */
    size_t pages_in_use;
    size_t live_allocs;
    size_t errors; /* bad or double frees detected */
};

void heap_init(struct heap *h, const struct heap_ops *ops);
void *heap_alloc(struct heap *h, size_t size, size_t align);
void heap_free(struct heap *h, void *p);
void *heap_realloc(struct heap *h, void *p, size_t size);
/* Usable size of an allocation (>= what was asked), 0 for a bad pointer. */
size_t heap_usable_size(struct heap *h, void *p);
/* Walks the partial lists checking headers and counts: 0 if consistent. */
int heap_check(struct heap *h);

#endif
