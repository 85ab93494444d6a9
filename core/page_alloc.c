/* Bitmap physical page allocator (pure logic): see page_alloc.h. */
#include <string.h>
#include "bitops.h"
#include "page_alloc.h"

static int bit_get(const struct page_alloc *pa, uint64_t i) { return (pa->bitmap[i / 64] >> (i % 64)) & 1; }
static void bit_set(struct page_alloc *pa, uint64_t i) { pa->bitmap[i / 64] |= 1ull << (i % 64); }
static void bit_clear(struct page_alloc *pa, uint64_t i) { pa->bitmap[i / 64] &= ~(1ull << (i % 64)); }

void page_alloc_init(struct page_alloc *pa, uint64_t base_pfn, uint64_t npages, uint64_t *bitmap)
{
    pa->base_pfn = base_pfn;
    pa->npages = npages;
    pa->bitmap = bitmap;
    pa->free_pages = 0;
    pa->hint = UINT64_MAX; /* no word yet: searches start at the top */
    pa->pref_end = UINT64_MAX;
    memset(bitmap, 0xff, page_alloc_bitmap_words(npages) * 8);
}

/* Clamps [pfn, pfn+count) to the span; returns the index range or 0 if empty. */
static int clamp(const struct page_alloc *pa, uint64_t pfn, uint64_t count, uint64_t *lo, uint64_t *hi)
{
    uint64_t end = pfn + count;
    if (end < pfn)
        end = UINT64_MAX;
    uint64_t span_end = pa->base_pfn + pa->npages;
    uint64_t a = pfn > pa->base_pfn ? pfn : pa->base_pfn;
    uint64_t b = end < span_end ? end : span_end;
    if (a >= b)
        return 0;
    *lo = a - pa->base_pfn;
    *hi = b - pa->base_pfn;
    return 1;
}

void page_alloc_mark_free(struct page_alloc *pa, uint64_t pfn, uint64_t count)
{
    uint64_t lo, hi;
    if (!clamp(pa, pfn, count, &lo, &hi))
        return;
    /* Whole words at a time: boot frees all of RAM through here. */
    for (uint64_t i = lo; i < hi;) {
        if (i % 64 == 0 && hi - i >= 64) {
            pa->free_pages += popcount64(pa->bitmap[i / 64]);
            pa->bitmap[i / 64] = 0;
            i += 64;
            continue;
        }
        if (bit_get(pa, i)) {
            bit_clear(pa, i);
            pa->free_pages++;
        }
        i++;
    }
}

void page_alloc_mark_used(struct page_alloc *pa, uint64_t pfn, uint64_t count)
{
    uint64_t lo, hi;
    if (!clamp(pa, pfn, count, &lo, &hi))
        return;
    for (uint64_t i = lo; i < hi; i++) {
        if (!bit_get(pa, i)) {
            bit_set(pa, i);
            pa->free_pages--;
        }
    }
}

/* Pages are handed out top-down, first below pa->pref_end (4 GiB in the
 * kernel: devices that take 32-bit DMA addresses), then above it: low RAM
 * stays free the longest, so a Linux program linked at a low address
 * (0x400000) finds its frames there (linux/memory.c claims them by
 * physical address). */
static int64_t alloc_one_in(struct page_alloc *pa, uint64_t lo_w, uint64_t hi_w)
{
    if (hi_w <= lo_w)
        return -1;
    uint64_t n = hi_w - lo_w;
    uint64_t start = pa->hint >= lo_w && pa->hint < hi_w ? pa->hint : hi_w - 1;
    for (uint64_t k = 0; k < n; k++) {
        uint64_t w = lo_w + (start - lo_w + n - k) % n;
        if (pa->bitmap[w] == ~0ull)
            continue;
        uint64_t i = w * 64 + 63 - (uint64_t)__builtin_clzll(~pa->bitmap[w]);
        if (i >= pa->npages)
            continue;
        bit_set(pa, i);
        pa->free_pages--;
        pa->hint = w;
        return (int64_t)(pa->base_pfn + i);
    }
    return -1;
}

static uint64_t pref_words(const struct page_alloc *pa)
{
    uint64_t words = page_alloc_bitmap_words(pa->npages);
    if (pa->pref_end <= pa->base_pfn)
        return words;
    uint64_t w = (pa->pref_end - pa->base_pfn + 63) / 64;
    return w < words ? w : words;
}

static int64_t alloc_one(struct page_alloc *pa)
{
    uint64_t words = page_alloc_bitmap_words(pa->npages), pw = pref_words(pa);
    int64_t pfn = alloc_one_in(pa, 0, pw);
    return pfn >= 0 ? pfn : alloc_one_in(pa, pw, words);
}

/* The highest free page index in [lo, hi), or -1, a word at a time: a
 * search for a run walks down through used memory (the kernel's and the
 * programs' pages fill RAM from the top), and page by page that cost
 * ~190,000 instructions per nginx request (bench/insn/profile). */
static int64_t highest_free_below(const struct page_alloc *pa, uint64_t lo, uint64_t hi)
{
    while (hi > lo) {
        uint64_t i = hi - 1, w = i / 64;
        uint64_t free = ~pa->bitmap[w];
        if (i % 64 != 63)
            free &= (2ull << (i % 64)) - 1;
        if (free) {
            uint64_t f = w * 64 + 63 - (uint64_t)__builtin_clzll(free);
            return f >= lo ? (int64_t)f : -1;
        }
        hi = w * 64;
    }
    return -1;
}

/* Last fit of count pages over aligned starts in [lo, hi) (pfns), highest first. */
static int64_t alloc_run(struct page_alloc *pa, uint64_t count, uint64_t align, uint64_t lo, uint64_t hi)
{
    if (hi < lo + count)
        return -1;
    uint64_t start = (hi - count) & ~(align - 1);
    while (start >= lo) {
        uint64_t i = start - pa->base_pfn, run = 0;
        while (run < count && !bit_get(pa, i + run))
            run++;
        if (run == count) {
            for (uint64_t j = 0; j < count; j++)
                bit_set(pa, i + j);
            pa->free_pages -= count;
            return (int64_t)start;
        }
        /* The run must end at or below the highest free page under the
         * used page that broke it. */
        int64_t free = highest_free_below(pa, lo - pa->base_pfn, start + run - pa->base_pfn);
        if (free < 0)
            break;
        uint64_t top = pa->base_pfn + (uint64_t)free + 1;
        if (top < lo + count)
            break;
        uint64_t next = (top - count) & ~(align - 1);
        if (next >= start)
            break;
        start = next;
    }
    return -1;
}

int64_t page_alloc_alloc(struct page_alloc *pa, uint64_t count, uint64_t align)
{
    if (count == 0 || count > pa->free_pages || count > pa->npages)
        return -1;
    if (align <= 1 && count == 1)
        return alloc_one(pa);
    if (align == 0)
        align = 1;
    if (align & (align - 1))
        return -1;
    uint64_t end = pa->base_pfn + pa->npages;
    uint64_t mid = pa->pref_end > pa->base_pfn && pa->pref_end < end ? pa->pref_end : end;
    int64_t pfn = alloc_run(pa, count, align, pa->base_pfn, mid);
    return pfn >= 0 ? pfn : alloc_run(pa, count, align, mid, end);
}

int page_alloc_free(struct page_alloc *pa, uint64_t pfn, uint64_t count)
{
    int rc = 0;
    if (pfn < pa->base_pfn || pfn + count > pa->base_pfn + pa->npages || pfn + count < pfn)
        rc = -1;
    uint64_t lo, hi;
    if (!clamp(pa, pfn, count, &lo, &hi))
        return -1;
    for (uint64_t i = lo; i < hi; i++) {
        if (!bit_get(pa, i)) {
            rc = -1;
            continue;
        }
        bit_clear(pa, i);
        pa->free_pages++;
    }
    if (hi && (hi - 1) / 64 > pa->hint)
        pa->hint = (hi - 1) / 64;
    return rc;
}

void page_alloc_prefer_below(struct page_alloc *pa, uint64_t pfn) { pa->pref_end = pfn; }

int page_alloc_is_used(const struct page_alloc *pa, uint64_t pfn)
{
    if (pfn < pa->base_pfn || pfn >= pa->base_pfn + pa->npages)
        return 1;
    return bit_get(pa, pfn - pa->base_pfn);
}
