/* The kernel heap behind malloc/free, plus the small stdlib conversions
 * apps expect. */
#include <stdlib.h>
#include <string.h>
#include "heap.h"
#include "memory.h"
#include "panic.h"
#include "power.h"
#include "spinlock.h"

static struct heap heap;
static struct spinlock heap_lock = SPINLOCK_INIT;

static void *heap_pages(void *ctx, size_t n, size_t align)
{
    (void)ctx;
    return pages_alloc(n, align);
}

static void heap_pages_free(void *ctx, void *p, size_t n)
{
    (void)ctx;
    pages_free(p, n);
}

void malloc_init(void)
{
    struct heap_ops ops = { heap_pages, heap_pages_free, NULL };
    heap_init(&heap, &ops);
}

void *aligned_alloc(size_t align, size_t size)
{
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    void *p = heap_alloc(&heap, size, align);
    spin_unlock_irqrestore(&heap_lock, flags);
    return p;
}

void *malloc(size_t size) { return aligned_alloc(16, size); }

void *calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size)
        return NULL;
    void *p = malloc(n * size);
    if (p)
        memset(p, 0, n * size);
    return p;
}

void free(void *p)
{
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    size_t errors = heap.errors;
    heap_free(&heap, p);
    int bad = heap.errors != errors;
    spin_unlock_irqrestore(&heap_lock, flags);
    if (bad)
        panic("free(%p): heap corruption or bad pointer", p);
}

void *realloc(void *p, size_t size)
{
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    void *q = heap_realloc(&heap, p, size);
    spin_unlock_irqrestore(&heap_lock, flags);
    return q;
}

void heap_stats(size_t *bytes, size_t *pages, size_t *allocs)
{
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    *bytes = heap.bytes_in_use;
    *pages = heap.pages_in_use;
    *allocs = heap.live_allocs;
    spin_unlock_irqrestore(&heap_lock, flags);
}

int heap_consistent(void)
{
    uint64_t flags = spin_lock_irqsave(&heap_lock);
    int rc = heap_check(&heap);
    spin_unlock_irqrestore(&heap_lock, flags);
    return rc == 0 && heap.errors == 0;
}

static int digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    while (*s == ' ' || *s == '\t')
        s++;
    if ((base == 0 || base == 16) && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
        base = 16;
    } else if (base == 0) {
        base = s[0] == '0' ? 8 : 10;
    }
    unsigned long v = 0;
    while (digit(*s) < base)
        v = v * (unsigned long)base + (unsigned long)digit(*s++);
    if (end)
        *end = (char *)s;
    return v;
}

long strtol(const char *s, char **end, int base)
{
    while (*s == ' ' || *s == '\t')
        s++;
    int neg = *s == '-';
    if (*s == '-' || *s == '+')
        s++;
    unsigned long v = strtoul(s, end, base);
    return neg ? -(long)v : (long)v;
}

int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }

void exit(int status) { power_off(status); }

void abort(void) { panic("abort() called"); }
