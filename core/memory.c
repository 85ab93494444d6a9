/* Physical memory bring-up and the kernel's page-level services: the page
 * allocator over the boot memory map, device mappings and guarded stacks. */
#include <string.h>
#include "log.h"
#include "memory.h"
#include "page_alloc.h"
#include "panic.h"
#include "spinlock.h"

#define LOW_MEMORY_END 0x100000ull
#define STACK_AREA KERNEL_STACK_AREA
#define STACK_STRIDE 0x100000ull
#define STACK_SLOTS 1024

static struct page_alloc pa;
static struct spinlock pa_lock = SPINLOCK_INIT;
static uint64_t ram_bytes;
static uint64_t stack_slots[STACK_SLOTS / 64];
static struct spinlock stack_lock = SPINLOCK_INIT;

static uint64_t align_up(uint64_t v, uint64_t a) { return (v + a - 1) & ~(a - 1); }

/* Whole pages of ACPI NVS in the boot memory map (memory_firmware_spare). */
#define SPARE_MAX 8
static struct {
    uint64_t base, end;
} spare[SPARE_MAX];
static unsigned n_spare;
static uint64_t spare_end; /* the highest end: a quick miss above it */

/* Moves start past any boot module overlapping [start, start + bytes). */
static uint64_t skip_modules(const struct boot_info *bi, uint64_t start, uint64_t bytes)
{
    for (int moved = 1; moved;) {
        moved = 0;
        for (unsigned i = 0; i < bi->n_modules; i++) {
            const struct boot_module *m = &bi->modules[i];
            if (start < m->base + m->size && m->base < start + bytes) {
                start = align_up(m->base + m->size, PAGE_SIZE);
                moved = 1;
            }
        }
    }
    return start;
}

/* Bitmap goes in the first RAM range above the kernel that can hold it
 * without covering a boot module (an initrd GRUB put right after us). */
static uint64_t *place_bitmap(const struct boot_info *bi, uint64_t bytes)
{
    uint64_t kend = (uint64_t)(uintptr_t)__kernel_end;
    for (unsigned i = 0; i < bi->n_memmap; i++) {
        const struct mem_region *r = &bi->memmap[i];
        if (r->type != MEM_RAM)
            continue;
        uint64_t start = skip_modules(bi, align_up(r->base > kend ? r->base : kend, PAGE_SIZE), bytes);
        if (start >= r->base + r->size || r->base + r->size - start < bytes)
            continue;
        if (start + bytes > 0x100000000ull)
            continue; /* must be reachable through the boot page tables */
        return (uint64_t *)(uintptr_t)start;
    }
    return NULL;
}

/* Linux programs linked at a low address (0x400000, as most non-PIE ones
 * are) need the frames there (linux/memory.c). A boot module a loader put
 * in that range (GRUB and Xen's domain builder place them right after the
 * kernel) is moved up, while the entry code's 4 GiB identity map still
 * reaches both copies. */
#define PROGRAM_LOW_START 0x400000ull
#define PROGRAM_LOW_END 0x4000000ull

static int move_modules_up(struct boot_info *bi)
{
    int moved = 0;
    for (unsigned i = 0; i < bi->n_modules; i++) {
        struct boot_module *m = &bi->modules[i];
        uint64_t off = m->base % PAGE_SIZE, n = (m->size + off + PAGE_SIZE - 1) / PAGE_SIZE;
        if (m->size == 0 || m->base >= PROGRAM_LOW_END || m->base + m->size <= PROGRAM_LOW_START)
            continue;
        int64_t pfn = page_alloc_alloc(&pa, n, 1);
        if (pfn < 0)
            continue;
        uint64_t to = (uint64_t)pfn * PAGE_SIZE;
        if (to + n * PAGE_SIZE > 0x100000000ull || to < m->base) {
            page_alloc_free(&pa, (uint64_t)pfn, n);
            continue;
        }
        memcpy((void *)(uintptr_t)(to + off), (const void *)(uintptr_t)m->base, m->size);
        page_alloc_free(&pa, (m->base - off) / PAGE_SIZE, n);
        moved = 1;
        pr_debug("boot: module %u moved from %#llx to %#llx (out of Linux programs' way)\n", i,
                 (unsigned long long)m->base, (unsigned long long)(to + off));
        m->base = to + off;
    }
    return moved;
}

static void mark_boot_used(const struct boot_info *bi, const uint64_t *bitmap, uint64_t bm_bytes)
{
    /* Low memory keeps firmware data and, later, the SMP trampoline. */
    page_alloc_mark_used(&pa, 0, LOW_MEMORY_END / PAGE_SIZE);
    uint64_t ks = (uint64_t)(uintptr_t)__kernel_start, ke = (uint64_t)(uintptr_t)__kernel_end;
    page_alloc_mark_used(&pa, ks / PAGE_SIZE, (ke - ks + PAGE_SIZE - 1) / PAGE_SIZE);
    page_alloc_mark_used(&pa, (uint64_t)(uintptr_t)bitmap / PAGE_SIZE, bm_bytes / PAGE_SIZE);
    for (unsigned i = 0; i < bi->n_modules; i++) {
        const struct boot_module *m = &bi->modules[i];
        page_alloc_mark_used(&pa, m->base / PAGE_SIZE, (m->size + (m->base % PAGE_SIZE) + PAGE_SIZE - 1) / PAGE_SIZE);
    }
}

void memory_init(struct boot_info *bi)
{
    uint64_t top = 0;
    for (unsigned i = 0; i < bi->n_memmap; i++) {
        const struct mem_region *r = &bi->memmap[i];
        if (r->type == MEM_RAM && r->base + r->size > top)
            top = r->base + r->size;
    }
    ram_bytes = memmap_ram_bytes(bi->memmap, bi->n_memmap);
    if (top == 0)
        panic("memory: the boot loader gave no RAM in its memory map");
    uint64_t npages = top / PAGE_SIZE;
    uint64_t bm_bytes = align_up(page_alloc_bitmap_words(npages) * 8, PAGE_SIZE);
    uint64_t *bitmap = place_bitmap(bi, bm_bytes);
    if (!bitmap)
        panic("memory: no room for the page bitmap (%llu bytes)", (unsigned long long)bm_bytes);
    page_alloc_init(&pa, 0, npages, bitmap);
    page_alloc_prefer_below(&pa, 0x100000000ull / PAGE_SIZE); /* 32-bit DMA stays easy */
    for (unsigned i = 0; i < bi->n_memmap; i++) {
        const struct mem_region *r = &bi->memmap[i];
        if (r->type != MEM_RAM)
            continue;
        uint64_t a = align_up(r->base, PAGE_SIZE), b = (r->base + r->size) & ~(PAGE_SIZE - 1);
        if (b > a)
            page_alloc_mark_free(&pa, a / PAGE_SIZE, (b - a) / PAGE_SIZE);
    }
    mark_boot_used(bi, bitmap, bm_bytes);
    for (unsigned i = 0; i < bi->n_memmap && n_spare < SPARE_MAX; i++) {
        const struct mem_region *r = &bi->memmap[i];
        uint64_t a = align_up(r->base, PAGE_SIZE), b = (r->base + r->size) & ~(PAGE_SIZE - 1);
        if (r->type != MEM_NVS || b <= a)
            continue;
        spare[n_spare].base = a;
        spare[n_spare++].end = b;
        if (b > spare_end)
            spare_end = b;
    }
    /* Moved modules give back their old pages whole; a page one shared with
     * the kernel, the bitmap or another module is marked again here. */
    if (move_modules_up(bi))
        mark_boot_used(bi, bitmap, bm_bytes);
    paging_init(bi);
}

void *pages_alloc_uninit(size_t npages, size_t align_bytes)
{
    uint64_t flags = spin_lock_irqsave(&pa_lock);
    int64_t pfn = page_alloc_alloc(&pa, npages, align_bytes > PAGE_SIZE ? align_bytes / PAGE_SIZE : 1);
    spin_unlock_irqrestore(&pa_lock, flags);
    return pfn < 0 ? NULL : (void *)(uintptr_t)((uint64_t)pfn * PAGE_SIZE);
}

void *pages_alloc(size_t npages, size_t align_bytes)
{
    void *p = pages_alloc_uninit(npages, align_bytes);
    if (p)
        memset(p, 0, npages * PAGE_SIZE);
    return p;
}

void pages_free(void *p, size_t npages)
{
    uint64_t flags = spin_lock_irqsave(&pa_lock);
    int rc = page_alloc_free(&pa, (uint64_t)(uintptr_t)p / PAGE_SIZE, npages);
    spin_unlock_irqrestore(&pa_lock, flags);
    if (rc < 0)
        panic("pages_free(%p, %zu): pages were not allocated", p, npages);
}

int pages_claim(uint64_t phys, size_t npages)
{
    uint64_t pfn = phys / PAGE_SIZE;
    uint64_t flags = spin_lock_irqsave(&pa_lock);
    for (size_t i = 0; i < npages; i++) {
        if (page_alloc_is_used(&pa, pfn + i)) {
            spin_unlock_irqrestore(&pa_lock, flags);
            return -1;
        }
    }
    page_alloc_mark_used(&pa, pfn, npages);
    spin_unlock_irqrestore(&pa_lock, flags);
    return 0;
}

/* ACPI NVS holds what firmware keeps for itself (OVMF: its early page
 * tables and the S3 lock box, at 8 MiB). The kernel never reads it after
 * boot: no S3 resume, and the AML it runs at boot reaches only port and
 * PCI configuration regions. */
bool memory_firmware_spare(uint64_t pa)
{
    if (pa >= spare_end)
        return false;
    for (unsigned i = 0; i < n_spare; i++) {
        if (pa >= spare[i].base && pa < spare[i].end)
            return true;
    }
    return false;
}

uint64_t memory_ram_bytes(void) { return ram_bytes; }
uint64_t memory_free_bytes(void) { return pa.free_pages * PAGE_SIZE; }

void *ioremap(uint64_t phys, size_t size)
{
    uint64_t a = phys & ~(PAGE_SIZE - 1), b = align_up(phys + size, PAGE_SIZE);
    if (paging_map(a, a, b - a, MAP_WRITE | MAP_UNCACHED) < 0)
        return NULL;
    return (void *)(uintptr_t)phys;
}

static int slot_take(void)
{
    uint64_t flags = spin_lock_irqsave(&stack_lock);
    for (unsigned w = 0; w < STACK_SLOTS / 64; w++) {
        if (stack_slots[w] == ~0ull)
            continue;
        unsigned b = (unsigned)__builtin_ctzll(~stack_slots[w]);
        stack_slots[w] |= 1ull << b;
        spin_unlock_irqrestore(&stack_lock, flags);
        return (int)(w * 64 + b);
    }
    spin_unlock_irqrestore(&stack_lock, flags);
    return -1;
}

static void slot_give(unsigned slot)
{
    uint64_t flags = spin_lock_irqsave(&stack_lock);
    stack_slots[slot / 64] &= ~(1ull << (slot % 64));
    spin_unlock_irqrestore(&stack_lock, flags);
}

/* A slot's pages stay mapped when its stack is freed, and the next stack
 * in the slot reuses them (mapping more if it is larger): a slot's virtual
 * addresses never change physical pages. Unmapping would need a TLB
 * shootdown: another CPU that ran a thread on the slot may still hold its
 * old translations, and a new thread there would read and write freed
 * pages (seen as corrupted return addresses under SMP). */
static uint32_t slot_pages[STACK_SLOTS]; /* pages mapped at the slot's base */

void *stack_alloc(size_t size, uint64_t *top)
{
    size = align_up(size, PAGE_SIZE);
    if (size == 0 || size > STACK_STRIDE - PAGE_SIZE)
        return NULL;
    int slot = slot_take();
    if (slot < 0)
        return NULL;
    uint64_t base = STACK_AREA + (uint64_t)slot * STACK_STRIDE + PAGE_SIZE;
    for (uint32_t p = slot_pages[slot]; p < size / PAGE_SIZE; p++) {
        void *page = pages_alloc(1, PAGE_SIZE);
        if (!page) {
            slot_give((unsigned)slot);
            return NULL;
        }
        paging_map(base + (uint64_t)p * PAGE_SIZE, (uint64_t)(uintptr_t)page, PAGE_SIZE, MAP_WRITE);
        slot_pages[slot] = p + 1;
    }
    *top = base + size;
    return (void *)(uintptr_t)base;
}

void stack_free(void *p, size_t size)
{
    (void)size;
    uint64_t base = (uint64_t)(uintptr_t)p;
    slot_give((unsigned)((base - PAGE_SIZE - STACK_AREA) / STACK_STRIDE));
}

int stack_guard_hit(uint64_t addr)
{
    if (addr < STACK_AREA || addr >= STACK_AREA + STACK_SLOTS * STACK_STRIDE)
        return 0;
    return (addr - STACK_AREA) % STACK_STRIDE < PAGE_SIZE;
}
