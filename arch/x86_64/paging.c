/* Kernel page tables: identity map of every range the memory map names, in
 * 2 MiB pages where a range allows it, with W^X on the kernel image and
 * page 0 left unmapped to catch NULL dereferences. */
#include <string.h>
#include "arch/x86.h"
#include "log.h"
#include "memory.h"
#include "panic.h"

#define HUGE 0x200000ull

static uint64_t *pml4;
static int nx_ok;

static uint64_t *table_alloc(void)
{
    uint64_t *t = pages_alloc(1, PAGE_SIZE);
    if (!t)
        panic("paging: out of memory for page tables");
    return t;
}

static uint64_t leaf_flags(unsigned flags)
{
    uint64_t f = PTE_P | PTE_G;
    if (flags & MAP_WRITE)
        f |= PTE_W;
    if (!(flags & MAP_EXEC) && nx_ok)
        f |= PTE_NX;
    if (flags & MAP_UNCACHED)
        f |= PTE_PCD | PTE_PWT;
    return f;
}

/* The next-level table under entry e, created (or split from a 2 MiB page)
 * when needed. */
static uint64_t *next_table(uint64_t *e, int level)
{
    if (*e & PTE_P) {
        if (!(*e & PTE_PS))
            return (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
        if (level != 2)
            panic("paging: cannot split a 1 GiB page");
        uint64_t *pt = table_alloc();
        uint64_t base = *e & PTE_ADDR & ~(HUGE - 1);
        uint64_t f = (*e & ~PTE_ADDR & ~PTE_PS) | (*e & PTE_NX);
        for (int i = 0; i < 512; i++)
            pt[i] = (base + (uint64_t)i * PAGE_SIZE) | f;
        *e = (uint64_t)(uintptr_t)pt | PTE_P | PTE_W;
        return pt;
    }
    uint64_t *t = table_alloc();
    *e = (uint64_t)(uintptr_t)t | PTE_P | PTE_W;
    return t;
}

static void map_one(uint64_t va, uint64_t pa, uint64_t f, int huge)
{
    uint64_t *pdpt = next_table(&pml4[(va >> 39) & 511], 4);
    uint64_t *pd = next_table(&pdpt[(va >> 30) & 511], 3);
    uint64_t *pde = &pd[(va >> 21) & 511];
    if (huge) {
        *pde = pa | f | PTE_PS;
        return;
    }
    uint64_t *pt = next_table(pde, 2);
    pt[(va >> 12) & 511] = pa | f;
}

int paging_map(uint64_t va, uint64_t pa, uint64_t size, unsigned flags)
{
    if ((va | pa | size) & (PAGE_SIZE - 1))
        return -1;
    uint64_t f = leaf_flags(flags);
    for (uint64_t off = 0; off < size;) {
        int huge = ((va + off) % HUGE == 0) && ((pa + off) % HUGE == 0) && size - off >= HUGE;
        map_one(va + off, pa + off, f, huge);
        if (pml4 == (uint64_t *)(uintptr_t)read_cr3())
            invlpg(va + off);
        off += huge ? HUGE : PAGE_SIZE;
    }
    return 0;
}

/* Walks the live tables (the entry code's before paging_init). */
static uint64_t *walk(uint64_t va, int *huge)
{
    uint64_t *t = (uint64_t *)(uintptr_t)(read_cr3() & PTE_ADDR);
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(*e & PTE_P))
            return NULL;
        if (*e & PTE_PS) {
            *huge = level;
            return e;
        }
        t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
    }
    *huge = 0;
    return &t[(va >> 12) & 511];
}

void paging_unmap(uint64_t va, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        int huge;
        uint64_t *e = walk(va + off, &huge);
        if (!e)
            continue;
        if (huge) {
            /* Split so only this page goes. */
            uint64_t *pdpt = (uint64_t *)(uintptr_t)(pml4[((va + off) >> 39) & 511] & PTE_ADDR);
            uint64_t *pd = (uint64_t *)(uintptr_t)(pdpt[((va + off) >> 30) & 511] & PTE_ADDR);
            uint64_t *pt = next_table(&pd[((va + off) >> 21) & 511], 2);
            e = &pt[((va + off) >> 12) & 511];
        }
        *e = 0;
        invlpg(va + off);
    }
}

int64_t paging_translate(uint64_t va)
{
    int huge;
    uint64_t *e = walk(va, &huge);
    if (!e || !(*e & PTE_P))
        return -1;
    uint64_t mask = huge == 2 ? HUGE - 1 : huge == 3 ? (1ull << 30) - 1 : PAGE_SIZE - 1;
    return (int64_t)((*e & PTE_ADDR & ~mask) | (va & mask));
}

/* The lookup alone, when every level holds a table: no side effect. */
static uint64_t *pte_lookup(uint64_t va)
{
    uint64_t e = pml4[(va >> 39) & 511];
    if ((e & (PTE_P | PTE_PS)) != PTE_P)
        return NULL;
    e = ((const uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 30) & 511];
    if ((e & (PTE_P | PTE_PS)) != PTE_P)
        return NULL;
    e = ((const uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 21) & 511];
    if ((e & (PTE_P | PTE_PS)) != PTE_P)
        return NULL;
    return &((uint64_t *)(uintptr_t)(e & PTE_ADDR))[(va >> 12) & 511];
}

static __attribute__((noinline)) uint64_t *pte_walk(uint64_t va, int create)
{
    uint64_t *t = pml4;
    for (int level = 4; level > 1; level--) {
        uint64_t *e = &t[(va >> (12 + 9 * (level - 1))) & 511];
        if (!(*e & PTE_P) && !create)
            return NULL;
        if ((*e & PTE_PS) && level == 3)
            return NULL; /* 1 GiB pages are never made here */
        /* A table already there (the usual case) without the call. */
        t = (*e & (PTE_P | PTE_PS)) == PTE_P ? (uint64_t *)(uintptr_t)(*e & PTE_ADDR) : next_table(e, level);
        if (create)
            *e |= PTE_U | PTE_W;
    }
    return &t[(va >> 12) & 511];
}

uint64_t *paging_pte(uint64_t va, int create)
{
    /* The common case (a system call checking a buffer's pages) without the
     * general walk; absent levels and huge pages take the walk. */
    uint64_t *pte = create ? NULL : pte_lookup(va);
    return pte ? pte : pte_walk(va, create);
}

uint64_t paging_kernel_pte(uint64_t pa) { return pa | leaf_flags(MAP_WRITE); }
int paging_nx(void) { return nx_ok; }

static uint64_t align_down(uint64_t v, uint64_t a) { return v & ~(a - 1); }
static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

void paging_init(const struct boot_info *bi)
{
    nx_ok = (rdmsr(MSR_EFER) & 0x800) != 0;
    pml4 = table_alloc();
    for (unsigned i = 0; i < bi->n_memmap; i++) {
        const struct mem_region *r = &bi->memmap[i];
        /* Outward: a page holding the end of RAM and the start of a firmware
         * area (the MP table at 0x9fc00) must be readable. */
        uint64_t a = align_down(r->base, PAGE_SIZE), b = align_up(r->base + r->size, PAGE_SIZE);
        if (a == 0)
            a = PAGE_SIZE; /* page 0 stays unmapped */
        if (b > a)
            paging_map(a, a, b - a, MAP_WRITE);
    }
    /* The kernel image, page by page (map_one splits the 2 MiB page it sits
     * in): text RX, read-only data R, data RW. */
    uint64_t ke = (uint64_t)(uintptr_t)__kernel_end;
    uint64_t ts = (uint64_t)(uintptr_t)__text_start, te = align_up((uint64_t)(uintptr_t)__text_end, PAGE_SIZE);
    uint64_t rs = (uint64_t)(uintptr_t)__rodata_start, ds = (uint64_t)(uintptr_t)__data_start;
    for (uint64_t p = ts; p < te; p += PAGE_SIZE)
        map_one(p, p, leaf_flags(MAP_EXEC), 0);
    for (uint64_t p = rs; p < ds; p += PAGE_SIZE)
        map_one(p, p, leaf_flags(0), 0);
    for (uint64_t p = ds; p < ke; p += PAGE_SIZE)
        map_one(p, p, leaf_flags(MAP_WRITE), 0);
    write_cr3((uint64_t)(uintptr_t)pml4);
}
