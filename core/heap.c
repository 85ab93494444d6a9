/* Kernel heap (pure logic): see heap.h. Each heap page starts with a header
 * that free() finds at the page holding ptr-1, so small and large
 * allocations are told apart without any per-page side table. */
#include <string.h>
#include "bitops.h"
#include "heap.h"
#include "log.h"

#define HEAP_PAGE 4096u
#define HDR_SIZE 64u
#define SLAB_MAGIC 0x51ab51abu
#define LARGE_MAGIC 0x1a26e1a2u
#define FREED_MAGIC 0xdeadf4eeu

struct slab {
    uint32_t magic;
    uint16_t cls;
    uint16_t nfree;
    uint16_t total;
    uint16_t pad[3];
    struct slab *next, *prev;
    uint64_t used[4]; /* one bit per object: up to 256 objects of 16 bytes */
};

struct large {
    uint32_t magic;
    uint32_t pad;
    void *base;    /* first page of the allocation */
    size_t npages; /* pages from base */
    size_t size;   /* bytes the caller asked for */
};

_Static_assert(sizeof(struct slab) <= HDR_SIZE, "slab header too big");
_Static_assert(sizeof(struct large) <= HDR_SIZE, "large header too big");

static size_t class_size(unsigned cls) { return (size_t)16 << cls; }

static int size_class(size_t size)
{
    for (unsigned c = 0; c < HEAP_NCLASSES; c++) {
        if (size <= class_size(c))
            return (int)c;
    }
    return -1;
}

void heap_init(struct heap *h, const struct heap_ops *ops)
{
    memset(h, 0, sizeof(*h));
    h->ops = *ops;
}

static void list_remove(struct heap *h, struct slab *s)
{
    if (s->prev)
        s->prev->next = s->next;
    else
        h->partial[s->cls] = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->next = s->prev = NULL;
}

static void list_push(struct heap *h, struct slab *s)
{
    s->prev = NULL;
    s->next = h->partial[s->cls];
    if (s->next)
        s->next->prev = s;
    h->partial[s->cls] = s;
}

static struct slab *new_slab(struct heap *h, unsigned cls)
{
    struct slab *s = h->ops.alloc_pages(h->ops.ctx, 1, HEAP_PAGE);
    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->magic = SLAB_MAGIC;
    s->cls = (uint16_t)cls;
    s->total = (uint16_t)((HEAP_PAGE - HDR_SIZE) / class_size(cls));
    s->nfree = s->total;
    h->pages_in_use++;
    list_push(h, s);
    return s;
}

static void *slab_alloc(struct heap *h, unsigned cls)
{
    struct slab *s = h->partial[cls];
    if (!s && !(s = new_slab(h, cls)))
        return NULL;
    for (unsigned w = 0; w < 4; w++) {
        if (s->used[w] == ~0ull)
            continue;
        unsigned i = w * 64 + (unsigned)__builtin_ctzll(~s->used[w]);
        if (i >= s->total)
            break;
        s->used[w] |= 1ull << (i % 64);
        if (--s->nfree == 0)
            list_remove(h, s);
        return (char *)s + HDR_SIZE + i * class_size(cls);
    }
    /* nfree said there was room but the bitmap disagrees: corrupted header. */
    h->errors++;
    list_remove(h, s);
    return NULL;
}

static void *large_alloc(struct heap *h, size_t size, size_t align)
{
    /* The header occupies the page just below ptr, so ptr sits at
     * base + max(HDR_SIZE, align) with base aligned to align. */
    size_t lead = align > HDR_SIZE ? align : HDR_SIZE;
    if (size > SIZE_MAX - lead - HEAP_PAGE)
        return NULL;
    size_t npages = (lead + size + HEAP_PAGE - 1) / HEAP_PAGE;
    size_t page_align = align > HEAP_PAGE ? align : HEAP_PAGE;
    char *base = h->ops.alloc_pages(h->ops.ctx, npages, page_align);
    if (!base)
        return NULL;
    char *ptr = base + lead;
    struct large *l = (struct large *)(((uintptr_t)ptr - 1) & ~(uintptr_t)(HEAP_PAGE - 1));
    l->magic = LARGE_MAGIC;
    l->base = base;
    l->npages = npages;
    l->size = size;
    h->pages_in_use += npages;
    return ptr;
}

void *heap_alloc(struct heap *h, size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (align & (align - 1))
        return NULL;
    if (size == 0)
        size = 1;
    size_t want = size < align ? align : size;
    int cls = align <= HDR_SIZE ? size_class(want) : -1;
    void *p = cls >= 0 ? slab_alloc(h, (unsigned)cls) : large_alloc(h, size, align);
    if (p) {
        h->bytes_in_use += cls >= 0 ? class_size((unsigned)cls) : size;
        h->live_allocs++;
    }
    return p;
}

static void *header_of(void *p) { return (void *)(((uintptr_t)p - 1) & ~(uintptr_t)(HEAP_PAGE - 1)); }

/* Index of p in its slab, or -1 if p is not the start of an object. */
static int slab_index(struct slab *s, void *p)
{
    if (s->cls >= HEAP_NCLASSES)
        return -1;
    size_t off = (size_t)((char *)p - (char *)s);
    size_t sz = class_size(s->cls);
    if (off < HDR_SIZE || (off - HDR_SIZE) % sz)
        return -1;
    size_t i = (off - HDR_SIZE) / sz;
    return i < s->total ? (int)i : -1;
}

static void bad_free(struct heap *h, void *p, const char *why)
{
    h->errors++;
    pr_err("heap: free(%p): %s\n", p, why);
}

static void slab_free(struct heap *h, struct slab *s, void *p)
{
    int i = slab_index(s, p);
    if (i < 0) {
        bad_free(h, p, "not the start of an object");
        return;
    }
    uint64_t bit = 1ull << (i % 64);
    if (!(s->used[i / 64] & bit)) {
        bad_free(h, p, "double free");
        return;
    }
    s->used[i / 64] &= ~bit;
    h->live_allocs--;
    h->bytes_in_use -= class_size(s->cls);
    if (s->nfree++ == 0)
        list_push(h, s);
    if (s->nfree == s->total && (s->prev || s->next)) {
        /* Keep one empty slab per class as a cache; give the rest back. */
        list_remove(h, s);
        s->magic = FREED_MAGIC;
        h->ops.free_pages(h->ops.ctx, s, 1);
        h->pages_in_use--;
    }
}

void heap_free(struct heap *h, void *p)
{
    if (!p)
        return;
    if ((uintptr_t)p % 16) {
        bad_free(h, p, "misaligned pointer");
        return;
    }
    uint32_t *magic = header_of(p);
    if (*magic == SLAB_MAGIC) {
        slab_free(h, (struct slab *)magic, p);
        return;
    }
    if (*magic == LARGE_MAGIC) {
        struct large *l = (struct large *)magic;
        l->magic = FREED_MAGIC;
        h->bytes_in_use -= l->size;
        h->live_allocs--;
        h->pages_in_use -= l->npages;
        h->ops.free_pages(h->ops.ctx, l->base, l->npages);
        return;
    }
    bad_free(h, p, *magic == FREED_MAGIC ? "double free" : "not a heap pointer");
}

size_t heap_usable_size(struct heap *h, void *p)
{
    (void)h;
    if (!p)
        return 0;
    uint32_t *magic = header_of(p);
    if (*magic == SLAB_MAGIC) {
        struct slab *s = (struct slab *)magic;
        return slab_index(s, p) >= 0 ? class_size(s->cls) : 0;
    }
    if (*magic == LARGE_MAGIC) {
        struct large *l = (struct large *)magic;
        return (size_t)((char *)l->base + l->npages * HEAP_PAGE - (char *)p);
    }
    return 0;
}

void *heap_realloc(struct heap *h, void *p, size_t size)
{
    if (!p)
        return heap_alloc(h, size, 16);
    if (size == 0) {
        heap_free(h, p);
        return NULL;
    }
    size_t have = heap_usable_size(h, p);
    if (have == 0) {
        bad_free(h, p, "realloc of a bad pointer");
        return NULL;
    }
    if (size <= have && size >= have / 2)
        return p;
    void *q = heap_alloc(h, size, 16);
    if (!q)
        return NULL;
    memcpy(q, p, size < have ? size : have);
    heap_free(h, p);
    return q;
}

int heap_check(struct heap *h)
{
    for (unsigned c = 0; c < HEAP_NCLASSES; c++) {
        struct slab *prev = NULL;
        for (struct slab *s = h->partial[c]; s; s = s->next) {
            if (s->magic != SLAB_MAGIC || s->cls != c || s->prev != prev || s->nfree == 0 ||
                s->nfree > s->total)
                return -1;
            unsigned used = 0;
            for (unsigned w = 0; w < 4; w++)
                used += popcount64(s->used[w]);
            if (used + s->nfree != s->total)
                return -1;
            prev = s;
        }
    }
    return 0;
}
