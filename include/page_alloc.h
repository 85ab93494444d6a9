/* Physical page allocator: a bitmap over one span of page frames (1 = in use),
 * handing out the highest free pages first.
 * Pure logic; the kernel wraps it with a lock in core/memory.c. */
#ifndef KESTREL_PAGE_ALLOC_H
#define KESTREL_PAGE_ALLOC_H
#include <stdint.h>

#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12

struct page_alloc {
    uint64_t base_pfn;
    uint64_t npages;
    uint64_t *bitmap;
    uint64_t free_pages;
    uint64_t hint; /* word index where the last single-page search succeeded */
    uint64_t pref_end; /* pages below this pfn are handed out first */
};

/* Words of bitmap needed for npages. */
static inline uint64_t page_alloc_bitmap_words(uint64_t npages) { return (npages + 63) / 64; }

/* Starts with every page in use; callers free what the memory map says is RAM. */
void page_alloc_init(struct page_alloc *pa, uint64_t base_pfn, uint64_t npages, uint64_t *bitmap);
void page_alloc_mark_free(struct page_alloc *pa, uint64_t pfn, uint64_t count);
void page_alloc_mark_used(struct page_alloc *pa, uint64_t pfn, uint64_t count);

/* Hand out pages below pfn first (top-down), then those above (top-down). */
void page_alloc_prefer_below(struct page_alloc *pa, uint64_t pfn);

/* count contiguous pages whose first pfn is a multiple of align (pages, a
 * power of two, 0 or 1 for none). Returns the pfn or -1. */
int64_t page_alloc_alloc(struct page_alloc *pa, uint64_t count, uint64_t align);

/* Returns 0, or -1 if any page was outside the span or already free (the
 * pages that were in use are freed all the same). */
int page_alloc_free(struct page_alloc *pa, uint64_t pfn, uint64_t count);

int page_alloc_is_used(const struct page_alloc *pa, uint64_t pfn);

#endif
