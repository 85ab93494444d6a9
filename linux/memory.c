/* The program's address space: a sorted list of regions (VMAs) over the
 * kernel's own page tables. A page the identity map of RAM covers (a
 * program linked at 0x400000) uses exactly that frame, claimed when the
 * region is made (-ENOMEM when the kernel holds it); other pages get any
 * free frame on first touch. Device and non-RAM identity ranges are
 * refused. Pages are zero-filled on demand; file data is read in when
 * mapped, or, for a file whose data lies page aligned in memory (the
 * initrd's, fs_ops.page), its frames are mapped read-only as they are
 * (PTE_SW_SHARED: never freed here; a write fault copies the page). User
 * entries carry PTE_SW_USER with their frame, present or not (PROT_NONE
 * keeps the frame, not the rights). */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "arch/x86.h"
#include "log.h"
#include "memory.h"
#include "uaccess.h"
#include "user.h"

#define LOW_4G 0x100000000ull

static uint64_t align_up(uint64_t v) { return (v + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1); }

/* ---- memory accounting ----
 * As Linux's default (heuristic) overcommit: a mapping that could be
 * written is refused (ENOMEM) when it alone is larger than what is left;
 * pages are taken on first touch, and a touch that finds nothing left but
 * the kernel's reserve kills the program with SIGKILL, as Linux's OOM
 * killer does, rather than letting the kernel run dry (its threads, page
 * tables and buffers come from the same frames). */
#define RESERVE_MIN (8ull << 20)

static uint64_t kernel_reserve(void)
{
    uint64_t r = memory_ram_bytes() / 16;
    return r < RESERVE_MIN ? RESERVE_MIN : r;
}

/* Bytes a program may still take before reaching the reserve. */
static uint64_t user_available(void)
{
    uint64_t free = memory_free_bytes(), reserve = kernel_reserve();
    return free > reserve ? free - reserve : 0;
}

/* 0, or -ENOMEM for a writable private mapping larger than what is left. */
static int overcommit_check(uint64_t len, unsigned prot, bool shared_file)
{
    if (!(prot & LINUX_PROT_WRITE) || shared_file)
        return 0;
    return len > user_available() ? -ENOMEM : 0;
}

/* A fresh frame for the program, or NULL once only the reserve is left. */
static void *user_frame_alloc(void)
{
    if (memory_free_bytes() < kernel_reserve() + PAGE_SIZE)
        return NULL;
    return pages_alloc(1, PAGE_SIZE);
}

void mm_init(struct lmm *mm)
{
    memset(mm, 0, sizeof(*mm));
    mutex_init(&mm->lock);
    mm->mmap_base = LINUX_MMAP_BASE;
}

static uint64_t user_pte(uint64_t frame, unsigned prot)
{
    uint64_t e = frame | PTE_SW_USER;
    if (!(prot & LINUX_PROT_MASK))
        return e;
    e |= PTE_P | PTE_U;
    if (prot & LINUX_PROT_WRITE)
        e |= PTE_W;
    if (!(prot & LINUX_PROT_EXEC) && paging_nx())
        e |= PTE_NX;
    return e;
}

/* The entry for a file's shared frame: never writable (a write faults and
 * copies it, fault_locked). */
static uint64_t shared_pte(uint64_t frame, unsigned prot)
{
    return user_pte(frame, prot & ~(unsigned)LINUX_PROT_WRITE) | PTE_SW_SHARED;
}

/* A program page's entry e with new rights prot. */
static uint64_t reprotect(uint64_t e, unsigned prot)
{
    uint64_t frame = e & PTE_ADDR;
    return (e & PTE_SW_SHARED) ? shared_pte(frame, prot) : user_pte(frame, prot);
}

/* ---- the region list ---- */

static int vma_index(const struct lmm *mm, uint64_t addr)
{
    for (unsigned i = 0; i < mm->n; i++) {
        if (addr < mm->v[i].start)
            return -1;
        if (addr < mm->v[i].end)
            return (int)i;
    }
    return -1;
}

int mm_range_free(struct lmm *mm, uint64_t start, uint64_t len)
{
    for (unsigned i = 0; i < mm->n; i++) {
        if (mm->v[i].start < start + len && start < mm->v[i].end)
            return -1;
    }
    return 0;
}

static int vma_insert_at(struct lmm *mm, unsigned i, struct vma v)
{
    if (mm->n == mm->cap) {
        unsigned cap = mm->cap ? mm->cap * 2 : 32;
        struct vma *nv = realloc(mm->v, cap * sizeof(*nv));
        if (!nv)
            return -ENOMEM;
        mm->v = nv;
        mm->cap = cap;
    }
    memmove(&mm->v[i + 1], &mm->v[i], (mm->n - i) * sizeof(*mm->v));
    mm->v[i] = v;
    mm->n++;
    return 0;
}

static void vma_remove_at(struct lmm *mm, unsigned i)
{
    memmove(&mm->v[i], &mm->v[i + 1], (mm->n - i - 1) * sizeof(*mm->v));
    mm->n--;
}

static bool mergeable(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && a->prot == b->prot && a->flags == b->flags && (a->flags & VMA_ANON);
}

/* Adds v (its range free) and joins it with equal anonymous neighbours. */
static int vma_add(struct lmm *mm, struct vma v)
{
    unsigned i = 0;
    while (i < mm->n && mm->v[i].start < v.start)
        i++;
    if (i > 0 && mergeable(&mm->v[i - 1], &v)) {
        mm->v[i - 1].end = v.end;
        if (i < mm->n && mergeable(&mm->v[i - 1], &mm->v[i])) {
            mm->v[i - 1].end = mm->v[i].end;
            vma_remove_at(mm, i);
        }
        return 0;
    }
    if (i < mm->n && mergeable(&v, &mm->v[i])) {
        mm->v[i].start = v.start;
        return 0;
    }
    return vma_insert_at(mm, i, v);
}

/* Splits the region holding addr so that one starts at addr. */
static int vma_split(struct lmm *mm, uint64_t addr)
{
    int i = vma_index(mm, addr);
    if (i < 0 || mm->v[i].start == addr)
        return 0;
    struct vma hi = mm->v[i];
    hi.start = addr;
    mm->v[i].end = addr;
    return vma_insert_at(mm, (unsigned)i + 1, hi);
}

/* ---- pages ---- */

/* Where the program's page at va will live: 1 = the identity frame va
 * (free RAM, now claimed), 0 = any frame later, PAGE_LENT = any frame later
 * in place of the firmware's page the identity map showed there (its entry
 * now cleared: the caller drops other CPUs' translations), -ENOMEM = the
 * kernel's or a device's, or a hole below 4 GiB. */
#define PAGE_LENT 2

static int page_claim(uint64_t va)
{
    uint64_t *pte = paging_pte(va, 0);
    if (pte && (*pte & PTE_SW_USER))
        return -ENOMEM; /* a region's page still: callers made the range free */
    if (pte && (*pte & PTE_P)) {
        if ((*pte & PTE_ADDR) != va || (*pte & (PTE_PCD | PTE_PWT)))
            return -ENOMEM;
        if (pages_claim(va, 1) == 0)
            return 1;
        /* OVMF's ACPI NVS at 8 MiB lies amid a large program linked at
         * 0x400000 (Python, Go's net/http): the program gets other frames
         * there, the firmware's stay untouched. */
        if (!memory_firmware_spare(va))
            return -ENOMEM;
        *pte = 0;
        invlpg(va);
        return PAGE_LENT;
    }
    if (va < LOW_4G)
        return -ENOMEM; /* MMIO holes: device registers may be mapped there later */
    return 0;
}

/* Frames leave a program only after every CPU dropped its translations:
 * they are collected here and freed after a shootdown. */
#define FREE_BATCH 128
struct free_batch {
    uint64_t frame[FREE_BATCH];
    unsigned n;
    bool stale; /* shared frames were unmapped: translations to drop, nothing to free */
};

static void batch_flush(struct free_batch *b)
{
    if (b->n == 0 && !b->stale)
        return;
    tlb_shootdown();
    for (unsigned i = 0; i < b->n; i++)
        pages_free((void *)(uintptr_t)b->frame[i], 1);
    b->n = 0;
    b->stale = false;
}

static void batch_add(struct free_batch *b, uint64_t frame)
{
    if (b->n == FREE_BATCH)
        batch_flush(b);
    b->frame[b->n++] = frame;
}

/* A run of leaf entries: va's and those after it up to end or the end of
 * its page table (one table maps 2 MiB, its entries side by side), so a
 * walk over a large range looks the tables up once per 2 MiB instead of
 * once per page (madvise of a thread's 8 MiB stack at its exit). *pages
 * says how many pages the run covers; NULL: va's table is absent (or a
 * 1 GiB page), and so is every page of the run. */
#define PT_SPAN (512 * PAGE_SIZE)

static uint64_t *pte_run(uint64_t va, uint64_t end, uint64_t *pages)
{
    uint64_t next = (va & ~(PT_SPAN - 1)) + PT_SPAN;
    if (next > end || next < va)
        next = end;
    *pages = (next - va) / PAGE_SIZE;
    return paging_pte(va, 0);
}

/* Are all pages of the range the program's, present, and writable when
 * write? Then there is nothing to fault in, and no region to look up: a
 * page's entry says no more than its region does (user_pte). Without
 * mm->lock, as the access after mm_prepare is: a page unmapped meanwhile is
 * the same race either way. */
static bool pages_ready(uint64_t addr, uint64_t len, bool write)
{
    uint64_t need = PTE_P | PTE_U | PTE_SW_USER | (write ? PTE_W : 0);
    uint64_t va = addr & ~(PAGE_SIZE - 1), end = align_up(addr + len); /* user_range_ok: no overflow */
    while (va < end) {
        uint64_t n;
        const uint64_t *pte = pte_run(va, end, &n);
        if (!pte)
            return false;
        for (uint64_t k = 0; k < n; k++, va += PAGE_SIZE) {
            if ((pte[k] & need) != need)
                return false;
        }
    }
    return true;
}

/* Gives back the page at va whose entry is pte (its frame and, for
 * identity frames, the kernel's mapping). */
static void page_release(uint64_t va, uint64_t *pte, struct free_batch *b)
{
    uint64_t e = *pte;
    uint64_t frame = e & PTE_ADDR;
    if ((e & PTE_SW_USER) && (e & PTE_SW_SHARED)) {
        *pte = 0; /* the file's frame: never at its own address (fill_from_file) */
        b->stale = true;
    } else if (e & PTE_SW_USER) {
        *pte = frame == va ? paging_kernel_pte(va) : 0;
        batch_add(b, frame);
    } else if ((e & PTE_P) && frame == va) {
        batch_add(b, va); /* claimed, never touched */
    }
    /* A page lent over the firmware's (page_claim): its identity entry
     * again, not global, so the shootdown's CR3 reload drops it too. */
    if (*pte == 0 && memory_firmware_spare(va)) {
        *pte = paging_kernel_pte(va) & ~PTE_G;
        b->stale = true;
    }
}

/* The frame for the page at va, and its entry (*ptep, made if missing): the
 * page's own when it has one (*fresh false), else the claimed identity
 * frame (still mapped for the kernel, not zeroed) or a new zeroed one;
 * 0: no memory left. */
static uint64_t page_frame(uint64_t va, uint64_t **ptep, bool *fresh)
{
    uint64_t *pte = *ptep = paging_pte(va, 1);
    if (!pte)
        return 0;
    *fresh = !(*pte & PTE_SW_USER);
    if (!*fresh)
        return *pte & PTE_ADDR;
    if (*pte & PTE_P)
        return va;
    void *p = user_frame_alloc();
    return (uint64_t)(uintptr_t)p;
}

/* Makes the page at va present with prot: the claimed identity frame or a
 * new one, zeroed; src (PAGE_SIZE bytes or NULL) fills it first. */
static int page_populate(uint64_t va, unsigned prot, const void *src)
{
    uint64_t *pte;
    bool fresh;
    uint64_t frame = page_frame(va, &pte, &fresh);
    if (!frame)
        return -ENOMEM;
    if (fresh) {
        if (src)
            memcpy((void *)(uintptr_t)frame, src, PAGE_SIZE);
        else if (frame == va)
            memset((void *)(uintptr_t)frame, 0, PAGE_SIZE);
    }
    *pte = user_pte(frame, prot);
    invlpg(va);
    return 0;
}

static void release_range(uint64_t start, uint64_t end)
{
    struct free_batch b;
    b.n = 0;
    b.stale = false;
    for (uint64_t va = start, n; va < end; va += n * PAGE_SIZE) {
        uint64_t *pte = pte_run(va, end, &n);
        for (uint64_t k = 0; pte && k < n; k++)
            page_release(va + k * PAGE_SIZE, pte + k, &b);
    }
    batch_flush(&b);
}

/* Claims identity frames for a new region; on failure nothing stays claimed. */
static int claim_range(uint64_t start, uint64_t end)
{
    bool lent = false;
    for (uint64_t va = start, n = 1; va < end; va += n * PAGE_SIZE) {
        /* Above 4 GiB a page with no table claims nothing, nor does the
         * rest of its run (pte_run): one look per table, not per page (an
         * 8 MiB stack was 2,048 walks; Go reserves its arenas 64 MiB at a
         * time). */
        if (va >= LOW_4G && !pte_run(va, end, &n))
            continue;
        n = 1;
        int rc = page_claim(va);
        lent |= rc == PAGE_LENT;
        if (rc < 0) {
            uint64_t *pte = paging_pte(va, 0);
            pr_debug("linux: page %#llx of [%#llx, %#llx) is not free for the program (entry %#llx)\n",
                     (unsigned long long)va, (unsigned long long)start, (unsigned long long)end,
                     (unsigned long long)(pte ? *pte : 0));
            release_range(start, va);
            return -ENOMEM;
        }
    }
    /* Other CPUs' translations of a lent page: none from the kernel, which
     * never reads the firmware's memory, but a dropped one costs nothing. */
    if (lent)
        tlb_shootdown();
    return 0;
}

/* Maps the file's own frame for the page at va when page has one: only for
 * a whole page of file bytes (a partial one is followed by zeros, not by
 * what the file holds next) and a page with no frame yet (not a claimed
 * identity frame). 1 when mapped, 0 when the page must be read, -ENOMEM. */
static int share_page(uint64_t va, unsigned prot, mm_page_fn page, void *ctx, uint64_t off, uint64_t n)
{
    if (!page || n != PAGE_SIZE)
        return 0;
    uint64_t *pte = paging_pte(va, 1);
    if (!pte)
        return -ENOMEM;
    if (*pte & (PTE_P | PTE_SW_USER))
        return 0;
    uint64_t frame = page(ctx, off);
    if (!frame || (frame & (PAGE_SIZE - 1)) || frame == va)
        return 0;
    *pte = shared_pte(frame, prot);
    invlpg(va);
    return 1;
}

/* Reads the file part of a new region page by page, up to the file's end,
 * straight into each page's frame before the program's entry goes in (an
 * ELF image's pages cost one pass each, not a bounce buffer's three), or
 * maps the file's own frames (share_page). */
static int fill_from_file(uint64_t start, uint64_t len, unsigned prot, mm_read_fn read, mm_page_fn share,
                          void *ctx, uint64_t off, uint64_t bytes)
{
    for (uint64_t done = 0; done < bytes && done < len; done += PAGE_SIZE) {
        uint64_t n = bytes - done < PAGE_SIZE ? bytes - done : PAGE_SIZE;
        uint64_t va = start + done;
        int shared = share_page(va, prot, share, ctx, off + done, n);
        if (shared < 0)
            return shared;
        if (shared)
            continue;
        uint64_t *pte;
        bool fresh;
        uint64_t frame = page_frame(va, &pte, &fresh);
        if (!frame)
            return -ENOMEM;
        uint8_t *page = (uint8_t *)(uintptr_t)frame;
        long got = fresh ? read(ctx, page, n, off + done) : (long)n;
        if (got <= 0) {
            /* Past the end of the file: zero pages on demand, as bss. */
            if (frame != va)
                pages_free(page, 1);
            return (int)got;
        }
        if (fresh)
            memset(page + got, 0, PAGE_SIZE - (size_t)got);
        *pte = user_pte(frame, prot);
        invlpg(va);
    }
    return 0;
}

int mm_map(struct lmm *mm, uint64_t start, uint64_t len, unsigned prot, unsigned flags, mm_read_fn read,
           mm_page_fn page, void *ctx, uint64_t file_off, uint64_t file_bytes)
{
    if ((start | len) & (PAGE_SIZE - 1) || len == 0 || !user_range_ok(start, len) || start < LINUX_MIN_ADDR)
        return -EINVAL;
    uint64_t end = start + len;
    if (claim_range(start, end) < 0)
        return -ENOMEM;
    struct vma v = { start, end, prot, read ? flags & ~VMA_ANON : flags | VMA_ANON };
    int rc = vma_add(mm, v);
    if (rc < 0) {
        release_range(start, end);
        return rc;
    }
    if (read)
        rc = fill_from_file(start, len, prot, read, page, ctx, file_off, file_bytes);
    if (rc < 0)
        mm_unmap(mm, start, len);
    return rc;
}

int mm_unmap(struct lmm *mm, uint64_t start, uint64_t len)
{
    uint64_t end = start + len;
    if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
        return -ENOMEM;
    for (unsigned i = 0; i < mm->n;) {
        struct vma *v = &mm->v[i];
        if (v->start >= start && v->end <= end) {
            release_range(v->start, v->end);
            vma_remove_at(mm, i);
            continue;
        }
        i++;
    }
    return 0;
}

int mm_protect(struct lmm *mm, uint64_t start, uint64_t len, unsigned prot)
{
    uint64_t end = start + len;
    for (uint64_t a = start; a < end;) {
        int i = vma_index(mm, a);
        if (i < 0)
            return -ENOMEM;
        /* Writes there would have to reach the file: as Linux refuses
         * them for a file opened read-only. */
        if ((mm->v[i].flags & VMA_SHARED_FILE) && (prot & LINUX_PROT_WRITE))
            return -EACCES;
        a = mm->v[i].end;
    }
    if (vma_split(mm, start) < 0 || vma_split(mm, end) < 0)
        return -ENOMEM;
    for (unsigned i = 0; i < mm->n; i++) {
        struct vma *v = &mm->v[i];
        if (v->start < start || v->end > end)
            continue;
        v->prot = prot;
        for (uint64_t va = v->start, n; va < v->end; va += n * PAGE_SIZE) {
            uint64_t *pte = pte_run(va, v->end, &n);
            for (uint64_t k = 0; pte && k < n; k++) {
                if (pte[k] & PTE_SW_USER)
                    pte[k] = reprotect(pte[k], prot);
            }
        }
    }
    tlb_shootdown();
    return 0;
}

/* Drops the pages of [start, end) (they read as zero again). */
int mm_discard(struct lmm *mm, uint64_t start, uint64_t len)
{
    uint64_t end = start + len;
    for (uint64_t a = start; a < end;) {
        int i = vma_index(mm, a);
        if (i < 0)
            return -ENOMEM;
        a = mm->v[i].end;
    }
    struct free_batch b;
    b.n = 0;
    b.stale = false;
    for (uint64_t run = start, n; run < end; run += n * PAGE_SIZE) {
        uint64_t *pte = pte_run(run, end, &n);
        for (uint64_t k = 0; pte && k < n; k++) {
            if (!(pte[k] & PTE_SW_USER))
                continue;
            uint64_t va = run + k * PAGE_SIZE;
            uint64_t frame = pte[k] & PTE_ADDR;
            if (pte[k] & PTE_SW_SHARED) {
                pte[k] = 0; /* the file's frame: not ours to free */
                continue;
            }
            if (frame == va) {
                pte[k] = paging_kernel_pte(va); /* still claimed: zeroed on the next touch */
                continue;
            }
            pte[k] = 0;
            batch_add(&b, frame);
        }
    }
    batch_flush(&b);
    tlb_shootdown(); /* identity pages went back to their kernel entries */
    return 0;
}

static bool allows(unsigned prot, uint64_t error)
{
    if (error & 16)
        return (prot & LINUX_PROT_EXEC) != 0;
    if (error & 2)
        return (prot & LINUX_PROT_WRITE) != 0;
    return (prot & LINUX_PROT_MASK) != 0;
}

/* No memory left for a page but the kernel's reserve: what Linux's OOM
 * killer does to the only process there is. */
static int out_of_memory(uint64_t addr, int *code)
{
    kprintf("app: out of memory at 0x%lx (%llu KiB free, %llu KiB kept for the kernel): killed\n",
            (unsigned long)addr, (unsigned long long)(memory_free_bytes() >> 10),
            (unsigned long long)(kernel_reserve() >> 10));
    *code = 0;
    return LINUX_SIGKILL;
}

/* A write to a file's shared frame (a private mapping made or later
 * mprotect'ed writable): the page becomes a copy of the program's own. */
static int copy_shared(uint64_t va, uint64_t *pte, unsigned prot)
{
    void *p = user_frame_alloc();
    if (!p)
        return -ENOMEM;
    memcpy(p, (const void *)(uintptr_t)(*pte & PTE_ADDR), PAGE_SIZE);
    *pte = user_pte((uint64_t)(uintptr_t)p, prot);
    tlb_shootdown(); /* other CPUs' read-only translations of the shared frame */
    return 0;
}

static int fault_locked(struct lmm *mm, uint64_t addr, uint64_t error, int *code)
{
    int i = vma_index(mm, addr);
    if (i < 0 || !user_range_ok(addr, 1)) {
        *code = 1; /* SEGV_MAPERR */
        return LINUX_SIGSEGV;
    }
    if (!allows(mm->v[i].prot, error)) {
        *code = 2; /* SEGV_ACCERR */
        return LINUX_SIGSEGV;
    }
    uint64_t va = addr & ~(PAGE_SIZE - 1);
    uint64_t *pte = paging_pte(va, 0);
    if (pte && (*pte & PTE_SW_USER) && (*pte & PTE_SW_SHARED) && (error & 2))
        return copy_shared(va, pte, mm->v[i].prot) < 0 ? out_of_memory(addr, code) : 0;
    if (pte && (*pte & PTE_SW_USER)) {
        /* Present with the rights now: another CPU's stale TLB entry. */
        invlpg(va);
        return 0;
    }
    if (page_populate(va, mm->v[i].prot, NULL) < 0)
        return out_of_memory(addr, code);
    return 0;
}

int mm_fault(struct lmm *mm, uint64_t addr, uint64_t error, int *code)
{
    mutex_lock(&mm->lock);
    int sig = fault_locked(mm, addr, error, code);
    mutex_unlock(&mm->lock);
    return sig;
}

int mm_prepare(struct lmm *mm, uint64_t addr, uint64_t len, bool write)
{
    if (len == 0)
        return 0;
    if (!user_range_ok(addr, len))
        return -EFAULT;
    if (pages_ready(addr, len, write))
        return 0;
    int code;
    uint64_t error = write ? 2 : 0;
    mutex_lock(&mm->lock);
    int i = -1; /* the region of the last page, looked up again past its end */
    for (uint64_t va = addr & ~(PAGE_SIZE - 1); va < addr + len; va += PAGE_SIZE) {
        uint64_t a = va < addr ? addr : va;
        if (i < 0 || a >= mm->v[i].end) {
            i = vma_index(mm, a);
            if (i < 0 || !allows(mm->v[i].prot, error)) {
                mutex_unlock(&mm->lock);
                return -EFAULT;
            }
        }
        uint64_t *pte = paging_pte(va, 0);
        if (pte && (*pte & PTE_SW_USER) && !(write && (*pte & PTE_SW_SHARED)))
            continue;
        if (fault_locked(mm, a, error, &code) != 0) {
            mutex_unlock(&mm->lock);
            return -EFAULT;
        }
        i = -1; /* a fault may have changed the regions */
    }
    mutex_unlock(&mm->lock);
    return 0;
}

/* ---- the system calls ---- */

#define MAP_SHARED 0x01
#define MAP_PRIVATE 0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE 0x0f
#define MAP_FIXED 0x10
#define MAP_ANONYMOUS 0x20
#define MAP_32BIT 0x40
#define MAP_GROWSDOWN 0x100
#define MAP_DENYWRITE 0x800
#define MAP_EXECUTABLE 0x1000
#define MAP_LOCKED 0x2000
#define MAP_NORESERVE 0x4000
#define MAP_POPULATE 0x8000
#define MAP_NONBLOCK 0x10000
#define MAP_STACK 0x20000
#define MAP_HUGETLB 0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN (MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_32BIT | MAP_GROWSDOWN | MAP_DENYWRITE | \
                   MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | \
                   MAP_FIXED_NOREPLACE)

/* First free range of len bytes in [lo, hi), or 0. */
static uint64_t find_free(struct lmm *mm, uint64_t len, uint64_t lo, uint64_t hi)
{
    uint64_t a = lo;
    for (unsigned i = 0; i < mm->n; i++) {
        const struct vma *v = &mm->v[i];
        if (v->end <= a)
            continue;
        if (v->start >= a + len)
            break;
        a = v->end;
    }
    return a + len <= hi ? a : 0;
}

struct fd_src {
    int fd;
};

static long read_fd(void *ctx, void *buf, size_t len, uint64_t off)
{
    return lfile_pread_fd(((struct fd_src *)ctx)->fd, buf, len, off);
}

static uint64_t page_fd(void *ctx, uint64_t off) { return lfile_page_fd(((struct fd_src *)ctx)->fd, off); }

static long do_mmap(struct lmm *mm, uint64_t addr, uint64_t len, unsigned prot, unsigned flags, int fd,
                    uint64_t off)
{
    bool anon = flags & MAP_ANONYMOUS;
    struct fd_src src = { fd };
    mm_read_fn rd = anon ? NULL : read_fd;
    /* A shared file mapping is a copy made now (see mmap): the file's own
     * frames would show later writes to it. */
    mm_page_fn pg = anon || (flags & MAP_TYPE) != MAP_PRIVATE ? NULL : page_fd;
    uint64_t vflags = anon ? VMA_ANON : (flags & MAP_TYPE) != MAP_PRIVATE ? VMA_SHARED_FILE : 0;
    if (!anon) {
        /* The descriptor first (EBADF, EACCES for one not readable or not
         * a file), so that a refused MAP_FIXED leaves what was there. */
        char none;
        long r = lfile_pread_fd(fd, &none, 0, 0);
        if (r < 0)
            return r;
    }
    int oc = overcommit_check(len, prot, vflags == VMA_SHARED_FILE);
    if (oc < 0)
        return oc; /* before MAP_FIXED unmaps what was there */
    if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
        if (!user_range_ok(addr, len) || addr < LINUX_MIN_ADDR)
            return -ENOMEM;
        if (flags & MAP_FIXED_NOREPLACE) {
            if (mm_range_free(mm, addr, len) < 0)
                return -EEXIST;
        } else {
            mm_unmap(mm, addr, len);
        }
        int rc = mm_map(mm, addr, len, prot, (unsigned)vflags, rd, pg, &src, off, len);
        return rc < 0 ? rc : (long)addr;
    }
    if (addr >= LINUX_MIN_ADDR && user_range_ok(addr, len) && mm_range_free(mm, addr, len) == 0 &&
        mm_map(mm, addr, len, prot, (unsigned)vflags, rd, pg, &src, off, len) == 0)
        return (long)addr;
    uint64_t lo = mm->mmap_base, hi = LINUX_MMAP_END;
    if (flags & MAP_32BIT) {
        lo = 0x40000000;
        hi = 0x80000000;
    }
    for (;;) {
        uint64_t a = find_free(mm, len, lo, hi);
        if (!a)
            return -ENOMEM;
        int rc = mm_map(mm, a, len, prot, (unsigned)vflags, rd, pg, &src, off, len);
        if (rc != -ENOMEM || a >= LOW_4G)
            return rc < 0 ? rc : (long)a;
        lo = a + len; /* below 4 GiB a frame may be taken: look further */
    }
}

SYSCALL_DECL(mmap)
{
    uint64_t addr = s->a[0], len = s->a[1], off = s->a[5];
    unsigned prot = (unsigned)s->a[2], flags = (unsigned)s->a[3];
    int fd = (int)s->a[4];
    if (len == 0 || (off & (PAGE_SIZE - 1)) || (prot & ~LINUX_PROT_MASK))
        return -EINVAL;
    unsigned type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
        return -EOPNOTSUPP;
    if ((flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) && (addr & (PAGE_SIZE - 1)))
        return -EINVAL;
    if (flags & MAP_HUGETLB)
        return -EINVAL;
    len = align_up(len);
    if (len == 0 || len >= USER_VA_END)
        return -ENOMEM;
    /* One process, no fork: a shared anonymous mapping is a private one.
     * A shared file mapping is a copy of the file made now (read-only:
     * writes would have to reach the file, and later writes to the file
     * do not show in it). */
    if (!(flags & MAP_ANONYMOUS) && type != MAP_PRIVATE && (prot & LINUX_PROT_WRITE))
        return -ENODEV;
    struct lmm *mm = &lproc_current()->mm;
    mutex_lock(&mm->lock);
    long r = do_mmap(mm, addr & ~(PAGE_SIZE - 1), len, prot, flags, fd, off);
    mutex_unlock(&mm->lock);
    return r;
}

static int range_args(uint64_t addr, uint64_t *len)
{
    if (addr & (PAGE_SIZE - 1))
        return -EINVAL;
    *len = align_up(*len);
    if (!user_range_ok(addr, *len))
        return -EINVAL;
    return 0;
}

SYSCALL_DECL(munmap)
{
    uint64_t addr = s->a[0], len = s->a[1];
    if (len == 0 || range_args(addr, &len) < 0)
        return -EINVAL;
    struct lmm *mm = &lproc_current()->mm;
    mutex_lock(&mm->lock);
    int rc = mm_unmap(mm, addr, len);
    mutex_unlock(&mm->lock);
    return rc;
}

SYSCALL_DECL(mprotect)
{
    uint64_t addr = s->a[0], len = s->a[1];
    unsigned prot = (unsigned)s->a[2];
    /* PROT_GROWSDOWN/UP (0x01000000, 0x02000000) ask to extend to the region's edge: no such regions here. */
    if ((prot & ~LINUX_PROT_MASK) || range_args(addr, &len) < 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    struct lmm *mm = &lproc_current()->mm;
    mutex_lock(&mm->lock);
    int rc = mm_protect(mm, addr, len, prot);
    mutex_unlock(&mm->lock);
    return rc;
}

#define MADV_NORMAL 0
#define MADV_RANDOM 1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED 3
#define MADV_DONTNEED 4
#define MADV_FREE 8
#define MADV_REMOVE 9
#define MADV_DONTFORK 10
#define MADV_DOFORK 11
#define MADV_MERGEABLE 12
#define MADV_UNMERGEABLE 13
#define MADV_HUGEPAGE 14
#define MADV_NOHUGEPAGE 15
#define MADV_DONTDUMP 16
#define MADV_DODUMP 17

SYSCALL_DECL(madvise)
{
    uint64_t addr = s->a[0], len = s->a[1];
    int advice = (int)s->a[2];
    if (range_args(addr, &len) < 0)
        return -EINVAL;
    switch (advice) {
    case MADV_DONTNEED: {
        /* Linux: private anonymous pages read as zero afterwards. */
        struct lmm *mm = &lproc_current()->mm;
        mutex_lock(&mm->lock);
        int rc = mm_discard(mm, addr, len);
        mutex_unlock(&mm->lock);
        return rc;
    }
    case MADV_NORMAL:
    case MADV_RANDOM:
    case MADV_SEQUENTIAL:
    case MADV_WILLNEED:
    case MADV_FREE: /* the pages may keep their contents: they do */
    case MADV_DONTFORK:
    case MADV_DOFORK:
    case MADV_MERGEABLE:
    case MADV_UNMERGEABLE:
    case MADV_HUGEPAGE:
    case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP:
    case MADV_DODUMP:
        return 0;
    default:
        return -EINVAL;
    }
}

#define MREMAP_MAYMOVE 1
#define MREMAP_FIXED 2

/* Copies the present pages of [from, from+len) to the new region at to. */
static int move_pages(struct lmm *mm, uint64_t from, uint64_t to, uint64_t len, unsigned prot)
{
    for (uint64_t o = 0; o < len; o += PAGE_SIZE) {
        uint64_t *pte = paging_pte(from + o, 0);
        if (!pte || !(*pte & PTE_SW_USER))
            continue;
        int rc = page_populate(to + o, prot, (const void *)(uintptr_t)(*pte & PTE_ADDR));
        if (rc < 0)
            return rc;
    }
    (void)mm;
    return 0;
}

static long do_mremap(struct lmm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, unsigned flags,
                      uint64_t new_addr)
{
    int i = vma_index(mm, old);
    if (i < 0 || mm->v[i].end < old + old_len)
        return -EFAULT;
    struct vma v = mm->v[i];
    if (new_len > old_len && overcommit_check(new_len - old_len, v.prot, false) < 0)
        return -ENOMEM;
    if (!(flags & MREMAP_FIXED)) {
        if (new_len <= old_len) {
            if (new_len < old_len)
                mm_unmap(mm, old + new_len, old_len - new_len);
            return (long)old;
        }
        if (user_range_ok(old, new_len) && mm_range_free(mm, old + old_len, new_len - old_len) == 0 &&
            mm_map(mm, old + old_len, new_len - old_len, v.prot, v.flags | VMA_ANON, NULL, NULL, NULL, 0, 0) == 0)
            return (long)old;
        if (!(flags & MREMAP_MAYMOVE))
            return -ENOMEM;
        new_addr = find_free(mm, new_len, mm->mmap_base, LINUX_MMAP_END);
        if (!new_addr)
            return -ENOMEM;
    } else {
        if ((new_addr & (PAGE_SIZE - 1)) || !user_range_ok(new_addr, new_len) || new_addr < LINUX_MIN_ADDR)
            return -EINVAL;
        if (new_addr < old + old_len && old < new_addr + new_len)
            return -EINVAL;
        mm_unmap(mm, new_addr, new_len);
    }
    int rc = mm_map(mm, new_addr, new_len, v.prot, v.flags | VMA_ANON, NULL, NULL, NULL, 0, 0);
    if (rc < 0)
        return rc;
    rc = move_pages(mm, old, new_addr, old_len < new_len ? old_len : new_len, v.prot);
    if (rc < 0) {
        mm_unmap(mm, new_addr, new_len);
        return rc;
    }
    mm_unmap(mm, old, old_len);
    return (long)new_addr;
}

SYSCALL_DECL(mremap)
{
    uint64_t old = s->a[0], old_len = s->a[1], new_len = s->a[2], new_addr = s->a[4];
    unsigned flags = (unsigned)s->a[3];
    if ((old & (PAGE_SIZE - 1)) || (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)))
        return -EINVAL;
    old_len = align_up(old_len);
    new_len = align_up(new_len);
    if (new_len == 0 || old_len == 0 || !user_range_ok(old, old_len))
        return -EINVAL;
    struct lmm *mm = &lproc_current()->mm;
    mutex_lock(&mm->lock);
    long r = do_mremap(mm, old, old_len, new_len, flags, new_addr);
    mutex_unlock(&mm->lock);
    return r;
}

SYSCALL_DECL(brk)
{
    struct lmm *mm = &lproc_current()->mm;
    uint64_t want = s->a[0];
    mutex_lock(&mm->lock);
    uint64_t cur = mm->brk;
    /* A program below the mmap area (ET_EXEC) grows to it; a PIE, above
     * it, to the end of the user half: the stack's region stops it. */
    uint64_t limit = mm->brk_start < LINUX_MMAP_BASE ? LINUX_MMAP_BASE : USER_VA_END;
    if (want < mm->brk_start || want >= limit) {
        mutex_unlock(&mm->lock);
        return (long)cur;
    }
    uint64_t old_end = align_up(cur), new_end = align_up(want);
    if (new_end > old_end) {
        /* Refused (a frame the kernel holds, another region): Linux keeps
         * the old break, and C libraries fall back to mmap. */
        if (overcommit_check(new_end - old_end, LINUX_PROT_WRITE, false) < 0 ||
            mm_range_free(mm, old_end, new_end - old_end) < 0 ||
            mm_map(mm, old_end, new_end - old_end, LINUX_PROT_READ | LINUX_PROT_WRITE, VMA_BRK, NULL, NULL, NULL,
                   0, 0) < 0) {
            mutex_unlock(&mm->lock);
            return (long)cur;
        }
    } else if (new_end < old_end) {
        mm_unmap(mm, new_end, old_end - new_end);
    }
    mm->brk = want;
    mutex_unlock(&mm->lock);
    return (long)want;
}
