/* Page allocator invariants: counts, alignment, no double hand-out,
 * double-free detection, and a randomised run against a shadow model. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "page_alloc.h"

#define NPAGES 1000

int main(void)
{
    static uint64_t bm[(NPAGES + 63) / 64];
    struct page_alloc pa;
    page_alloc_init(&pa, 256, NPAGES, bm);
    CHECK_EQ(pa.free_pages, 0);
    CHECK_EQ(page_alloc_alloc(&pa, 1, 1), -1);
    page_alloc_mark_free(&pa, 0, 100000); /* clamped to the span */
    CHECK_EQ(pa.free_pages, NPAGES);
    page_alloc_mark_used(&pa, 256, 10);
    CHECK_EQ(pa.free_pages, NPAGES - 10);
    page_alloc_mark_used(&pa, 256, 10); /* idempotent */
    CHECK_EQ(pa.free_pages, NPAGES - 10);

    int64_t p = page_alloc_alloc(&pa, 1, 1);
    CHECK_EQ(p, 256 + NPAGES - 1); /* top-down: low pages stay free longest */
    CHECK(page_alloc_is_used(&pa, 256 + NPAGES - 1));
    int64_t q = page_alloc_alloc(&pa, 16, 16);
    CHECK(q > 0 && q % 16 == 0);
    for (int i = 0; i < 16; i++)
        CHECK(page_alloc_is_used(&pa, (uint64_t)q + i));
    CHECK_EQ(page_alloc_free(&pa, (uint64_t)q, 16), 0);
    CHECK_EQ(page_alloc_free(&pa, (uint64_t)q, 16), -1); /* double free */
    CHECK_EQ(page_alloc_free(&pa, 5, 1), -1);             /* outside the span */
    CHECK_EQ(page_alloc_alloc(&pa, 0, 1), -1);
    CHECK_EQ(page_alloc_alloc(&pa, 2, 3), -1); /* alignment not a power of two */
    CHECK_EQ(page_alloc_alloc(&pa, NPAGES, 1), -1);
    CHECK_EQ(page_alloc_free(&pa, 256 + NPAGES - 1, 1), 0);
    q = page_alloc_alloc(&pa, 8, 1);
    CHECK_EQ(q, 256 + NPAGES - 8);
    CHECK_EQ(page_alloc_free(&pa, (uint64_t)q, 8), 0);

    /* Preferred zone: below pfn 512 first (top-down), then above. */
    {
        static uint64_t bm2[(NPAGES + 63) / 64];
        struct page_alloc z;
        page_alloc_init(&z, 256, NPAGES, bm2);
        page_alloc_mark_free(&z, 256, NPAGES);
        page_alloc_prefer_below(&z, 512);
        CHECK_EQ(page_alloc_alloc(&z, 1, 1), 511);
        CHECK_EQ(page_alloc_alloc(&z, 1, 1), 510);
        CHECK_EQ(page_alloc_alloc(&z, 4, 4), 504);
        page_alloc_mark_used(&z, 256, 250); /* below 512 only 508 and 509 are free */
        CHECK_EQ(page_alloc_alloc(&z, 8, 1), 256 + NPAGES - 8); /* no run of 8 below 512 */
        CHECK_EQ(page_alloc_alloc(&z, 1, 1), 509);
        CHECK_EQ(page_alloc_alloc(&z, 1, 1), 508);
        CHECK_EQ(page_alloc_alloc(&z, 1, 1), 256 + NPAGES - 9); /* then above */
    }

    /* Randomised: a shadow array must agree with the bitmap throughout. */
    static uint8_t shadow[NPAGES];
    static struct {
        int64_t pfn;
        uint64_t n;
    } live[4096];
    int nlive = 0;
    memset(shadow, 0, sizeof(shadow));
    for (int i = 0; i < 10; i++)
        shadow[i] = 1;
    srand(7);
    int overlap = 0, misaligned = 0, misfit = 0;
    for (int step = 0; step < 20000; step++) {
        if (nlive && (rand() % 2 || nlive == 4096)) {
            int k = rand() % nlive;
            CHECK_EQ(page_alloc_free(&pa, (uint64_t)live[k].pfn, live[k].n), 0);
            for (uint64_t j = 0; j < live[k].n; j++)
                shadow[live[k].pfn - 256 + (int64_t)j] = 0;
            live[k] = live[--nlive];
            continue;
        }
        uint64_t n = 1 + (uint64_t)(rand() % 8), align = 1ull << (rand() % 4);
        /* A run is the last fit: the highest aligned start with n free
         * pages (the search skips used words; the shadow checks it). */
        int64_t want = -1;
        for (int64_t s = 256 + NPAGES - (int64_t)n; s >= 256 && want < 0; s--) {
            if (s % (int64_t)align)
                continue;
            uint64_t j = 0;
            while (j < n && !shadow[s - 256 + (int64_t)j])
                j++;
            if (j == n)
                want = s;
        }
        int64_t pfn = page_alloc_alloc(&pa, n, align);
        if (n > 1 || align > 1)
            misfit += pfn != want;
        if (pfn < 0)
            continue;
        misaligned += pfn % (int64_t)align != 0;
        for (uint64_t j = 0; j < n; j++) {
            overlap += shadow[pfn - 256 + (int64_t)j];
            shadow[pfn - 256 + (int64_t)j] = 1;
        }
        live[nlive].pfn = pfn;
        live[nlive++].n = n;
    }
    CHECK_EQ(overlap, 0);
    CHECK_EQ(misaligned, 0);
    CHECK_EQ(misfit, 0);
    uint64_t used = 0;
    for (int i = 0; i < NPAGES; i++) {
        used += shadow[i];
        CHECK_EQ(page_alloc_is_used(&pa, 256 + (uint64_t)i), shadow[i]);
    }
    CHECK_EQ(pa.free_pages, NPAGES - used);
    return check_report("test_page_alloc");
}
