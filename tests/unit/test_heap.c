/* Heap invariants over an aligned host page source: alignment, no overlap,
 * contents preserved by realloc, accounting back to zero, bad frees caught. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "heap.h"

static size_t pages_out;

static void *host_pages(void *ctx, size_t n, size_t align)
{
    (void)ctx;
    pages_out += n;
    /* C11 wants the size to be a multiple of the alignment. */
    size_t bytes = (n * 4096 + align - 1) / align * align;
    return aligned_alloc(align, bytes);
}

static void host_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    pages_out -= n;
    free(p);
}

struct blk {
    unsigned char *p;
    size_t n;
    unsigned char tag;
};

static int intact(const struct blk *b)
{
    for (size_t i = 0; i < b->n; i++) {
        if (b->p[i] != (unsigned char)(b->tag ^ i))
            return 0;
    }
    return 1;
}

int main(void)
{
    struct heap h;
    struct heap_ops ops = { host_pages, host_free, NULL };
    heap_init(&h, &ops);

    void *a = heap_alloc(&h, 10, 16);
    void *b = heap_alloc(&h, 10, 16);
    CHECK(a && b && a != b);
    CHECK((uintptr_t)a % 16 == 0);
    CHECK_EQ(heap_usable_size(&h, a), 16);
    for (size_t al = 16; al <= 65536; al *= 2) {
        void *p = heap_alloc(&h, 100, al);
        CHECK(p && (uintptr_t)p % al == 0);
        CHECK(heap_usable_size(&h, p) >= 100);
        heap_free(&h, p);
    }
    CHECK(heap_alloc(&h, 10, 24) == NULL); /* alignment must be a power of two */
    void *big = heap_alloc(&h, 100000, 16);
    CHECK(big && heap_usable_size(&h, big) >= 100000);
    memset(big, 0xab, 100000);
    heap_free(&h, big);
    heap_free(&h, a);
    heap_free(&h, b);
    CHECK_EQ(h.errors, 0);

    /* Bad frees are caught, not followed. */
    void *c = heap_alloc(&h, 40, 16);
    heap_free(&h, c);
    heap_free(&h, c);
    CHECK_EQ(h.errors, 1);
    void *d = heap_alloc(&h, 200, 16);
    heap_free(&h, (char *)d + 16);
    CHECK_EQ(h.errors, 2);
    heap_free(&h, (char *)d + 8);
    CHECK_EQ(h.errors, 3);
    heap_free(&h, d);
    /* A large block's pages go back to the page allocator on free, so a
     * second free of it is only caught while they are unused (not tested). */
    CHECK_EQ(h.errors, 3);
    h.errors = 0;

    /* Randomised stress with realloc. */
    enum { N = 3000 };
    static struct blk blks[N];
    srand(11);
    int overlaps = 0, damaged = 0;
    for (int round = 0; round < 4; round++) {
        for (int i = 0; i < N; i++) {
            size_t n = rand() % 10 == 0 ? 1 + (size_t)(rand() % 20000) : 1 + (size_t)(rand() % 1500);
            size_t al = rand() % 6 == 0 ? (size_t)16 << (rand() % 8) : 16;
            blks[i].p = heap_alloc(&h, n, al);
            blks[i].n = n;
            blks[i].tag = (unsigned char)rand();
            CHECK(blks[i].p != NULL);
            CHECK((uintptr_t)blks[i].p % al == 0);
            for (size_t k = 0; k < n; k++)
                blks[i].p[k] = (unsigned char)(blks[i].tag ^ k);
        }
        for (int i = 0; i < N; i += 3) {
            size_t n = 1 + (size_t)(rand() % 5000);
            damaged += !intact(&blks[i]);
            unsigned char *q = heap_realloc(&h, blks[i].p, n);
            CHECK(q != NULL);
            blks[i].p = q;
            blks[i].n = n < blks[i].n ? n : blks[i].n;
            damaged += !intact(&blks[i]);
            for (size_t k = 0; k < n; k++)
                q[k] = (unsigned char)(blks[i].tag ^ k);
            blks[i].n = n;
        }
        CHECK_EQ(heap_check(&h), 0);
        for (int i = N - 1; i > 0; i--) {
            int j = rand() % (i + 1);
            struct blk t = blks[i];
            blks[i] = blks[j];
            blks[j] = t;
        }
        for (int i = 0; i < N; i++) {
            damaged += !intact(&blks[i]);
            heap_free(&h, blks[i].p);
        }
        CHECK_EQ(heap_check(&h), 0);
    }
    CHECK_EQ(overlaps, 0);
    CHECK_EQ(damaged, 0);
    CHECK_EQ(h.errors, 0);
    CHECK_EQ(h.live_allocs, 0);
    CHECK_EQ(h.bytes_in_use, 0);
    /* Only the per-class empty slab caches remain. */
    CHECK(h.pages_in_use <= HEAP_NCLASSES);
    CHECK_EQ(pages_out, h.pages_in_use);
    return check_report("test_heap");
}
