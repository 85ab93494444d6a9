/* core/: boot_info, memory, scheduler, sync, timers, console, command line,
 * bootchart, panic and app launch. This file normalises the boot protocols. */
#include <stddef.h>
#include <string.h>
#include "boot_info.h"
#include "log.h"
/* The PVH boot ABI: struct hvm_start_info and its module and memory map entries. */
#include <xen/arch-x86/hvm/start_info.h>

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MODULE 3
#define MB2_TAG_MMAP 6
#define MB2_TAG_RSDP_V1 14
#define MB2_TAG_RSDP_V2 15
#define MB2_TAG_EFI32 11
#define MB2_TAG_EFI64 12
#define MB2_TAG_EFI_MMAP 17
#define MB2_TAG_EFI_BS 18
#define EFI_DESC_MIN 40 /* UEFI's EFI_MEMORY_DESCRIPTOR; firmware may use a larger stride */
#define EFI_PAGE_SHIFT 12
#define MB2_MAX_TOTAL (1u << 20)

/* Copies a NUL-terminated string from physical memory, one byte at a time
 * because its length is unknown and it may end near the end of memory. */
static void copy_phys_string(char *dst, size_t cap, uint64_t phys, const struct fw_mem *mem, unsigned *warnings)
{
    dst[0] = 0;
    if (!phys)
        return;
    for (size_t i = 0; i < cap; i++) {
        const char *c = mem->map(mem->ctx, phys + i, 1);
        if (!c) {
            dst[i] = 0;
            (*warnings)++;
            return;
        }
        dst[i] = *c;
        if (!*c)
            return;
    }
    dst[cap - 1] = 0;
    (*warnings)++;
    pr_warn("boot: string at %#llx truncated to %zu bytes\n", (unsigned long long)phys, cap - 1);
}

static void add_region(struct boot_info *bi, uint64_t base, uint64_t size, uint32_t type)
{
    if (bi->n_memmap >= BOOT_MAX_MEMMAP) {
        bi->warnings++;
        return;
    }
    if (size == 0)
        return; /* firmware lists empty ranges (QEMU microvm does): harmless */
    if (base + size < base) {
        pr_warn("boot: memory range %#llx+%#llx wraps around; dropped\n", (unsigned long long)base,
                (unsigned long long)size);
        bi->warnings++;
        return;
    }
    if (type < MEM_RAM || type > MEM_UNUSABLE)
        type = MEM_RESERVED;
    bi->memmap[bi->n_memmap++] = (struct mem_region){ base, size, type };
}

static void add_module(struct boot_info *bi, uint64_t base, uint64_t size, uint64_t cmdline,
                       const struct fw_mem *mem)
{
    if (bi->n_modules >= BOOT_MAX_MODULES) {
        bi->warnings++;
        return;
    }
    struct boot_module *m = &bi->modules[bi->n_modules++];
    m->base = base;
    m->size = size;
    copy_phys_string(m->cmdline, sizeof(m->cmdline), cmdline, mem, &bi->warnings);
}

static int parse_pvh(struct boot_info *bi, uint64_t info, const struct fw_mem *mem)
{
    const struct hvm_start_info *si = mem->map(mem->ctx, info, offsetof(struct hvm_start_info, memmap_paddr));
    if (!si || si->magic != XEN_HVM_START_MAGIC_VALUE) {
        pr_err("boot: PVH start_info at %#llx has a bad magic\n", (unsigned long long)info);
        return -1;
    }
    copy_phys_string(bi->cmdline, sizeof(bi->cmdline), si->cmdline_paddr, mem, &bi->warnings);
    bi->rsdp_addr = si->rsdp_paddr;
    for (uint32_t i = 0; i < si->nr_modules && i < BOOT_MAX_MODULES; i++) {
        const struct hvm_modlist_entry *m = mem->map(mem->ctx, si->modlist_paddr + i * sizeof(*m), sizeof(*m));
        if (!m) {
            bi->warnings++;
            break;
        }
        add_module(bi, m->paddr, m->size, m->cmdline_paddr, mem);
    }
    if (si->nr_modules > BOOT_MAX_MODULES)
        bi->warnings++;
    if (si->version < 1)
        return 0;
    si = mem->map(mem->ctx, info, sizeof(*si));
    if (!si)
        return 0;
    for (uint32_t i = 0; i < si->memmap_entries; i++) {
        const struct hvm_memmap_table_entry *e = mem->map(mem->ctx, si->memmap_paddr + i * sizeof(*e), sizeof(*e));
        if (!e || bi->n_memmap >= BOOT_MAX_MEMMAP) {
            bi->warnings++;
            break;
        }
        add_region(bi, e->addr, e->size, e->type);
    }
    return 0;
}

static void mb2_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    if (size < 16)
        return;
    uint32_t esize;
    memcpy(&esize, tag + 8, 4);
    if (esize < 20 || esize > size) {
        bi->warnings++;
        return;
    }
    /* 64-bit offsets: a huge entry size must not wrap the walk around. */
    for (uint64_t off = 16; off + 20 <= size; off += esize) {
        uint64_t base, len;
        uint32_t type;
        memcpy(&base, tag + off, 8);
        memcpy(&len, tag + off + 8, 8);
        memcpy(&type, tag + off + 16, 4);
        add_region(bi, base, len, type);
    }
}

/* UEFI memory types (UEFI 2.x, 7.2) to E820 numbering. Boot-services and
 * loader memory is free once boot services are exited; runtime-services
 * memory stays the firmware's. */
static uint32_t efi_to_e820(uint32_t efi_type)
{
    switch (efi_type) {
    case 1: /* LoaderCode */
    case 2: /* LoaderData */
    case 3: /* BootServicesCode */
    case 4: /* BootServicesData */
    case 7: /* ConventionalMemory */
        return MEM_RAM;
    case 8: /* UnusableMemory */
        return MEM_UNUSABLE;
    case 9: /* ACPIReclaimMemory */
        return MEM_ACPI;
    case 10: /* ACPIMemoryNVS */
        return MEM_NVS;
    default: /* reserved, runtime services, MMIO, PAL code, persistent, unaccepted, unknown */
        return MEM_RESERVED;
    }
}

/* The EFI memory map replaces the loader's E820-style one: it is the
 * firmware's own account. Neighbours of one type are merged as they come,
 * because UEFI maps run to a hundred entries and more. */
static void mb2_efi_mmap(struct boot_info *bi, const uint8_t *tag, uint32_t size)
{
    uint32_t dsize;
    if (size < 16) {
        bi->warnings++;
        return;
    }
    memcpy(&dsize, tag + 8, 4);
    if (dsize < EFI_DESC_MIN || dsize > size) {
        pr_warn("boot: EFI memory map descriptor size %u is unusable\n", dsize);
        bi->warnings++;
        return;
    }
    bi->n_memmap = 0;
    bi->efi_mmap_entries = 0;
    for (uint64_t off = 16; off + EFI_DESC_MIN <= size; off += dsize) {
        uint32_t type;
        uint64_t base, pages;
        memcpy(&type, tag + off, 4);
        memcpy(&base, tag + off + 8, 8);
        memcpy(&pages, tag + off + 24, 8);
        bi->efi_mmap_entries++;
        if (pages > (UINT64_MAX >> EFI_PAGE_SHIFT)) {
            bi->warnings++;
            continue;
        }
        uint64_t len = pages << EFI_PAGE_SHIFT;
        uint32_t e820 = efi_to_e820(type);
        struct mem_region *last = bi->n_memmap ? &bi->memmap[bi->n_memmap - 1] : NULL;
        if (last && last->type == e820 && last->base + last->size == base && base + len >= base) {
            last->size += len;
            continue;
        }
        add_region(bi, base, len, e820);
    }
}

static void mb2_string(char *dst, size_t cap, const uint8_t *s, uint32_t len)
{
    size_t n = strnlen((const char *)s, len);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = 0;
}

static void mb2_tag(struct boot_info *bi, const uint8_t *tag, uint32_t type, uint32_t size)
{
    switch (type) {
    case MB2_TAG_CMDLINE:
        mb2_string(bi->cmdline, sizeof(bi->cmdline), tag + 8, size - 8);
        break;
    case MB2_TAG_MODULE: {
        if (size < 16 || bi->n_modules >= BOOT_MAX_MODULES) {
            bi->warnings++;
            break;
        }
        uint32_t start, end;
        memcpy(&start, tag + 8, 4);
        memcpy(&end, tag + 12, 4);
        struct boot_module *m = &bi->modules[bi->n_modules++];
        m->base = start;
        m->size = end > start ? end - start : 0;
        mb2_string(m->cmdline, sizeof(m->cmdline), tag + 16, size - 16);
        break;
    }
    case MB2_TAG_MMAP:
        mb2_mmap(bi, tag, size);
        break;
    case MB2_TAG_RSDP_V1:
    case MB2_TAG_RSDP_V2: {
        uint32_t n = size - 8;
        if (n > BOOT_RSDP_COPY_MAX)
            n = BOOT_RSDP_COPY_MAX;
        /* The v2 copy wins when both are present. */
        if (type == MB2_TAG_RSDP_V1 && bi->rsdp_copy_len > 20)
            break;
        memcpy(bi->rsdp_copy, tag + 8, n);
        bi->rsdp_copy_len = n;
        break;
    }
    case MB2_TAG_EFI32:
    case MB2_TAG_EFI64: {
        uint32_t n = type == MB2_TAG_EFI64 ? 8 : 4;
        uint64_t st = 0;
        if (size < 8 + n) {
            bi->warnings++;
            break;
        }
        memcpy(&st, tag + 8, n);
        bi->efi = 1;
        bi->efi_systab = st;
        break;
    }
    case MB2_TAG_EFI_BS:
        /* We ask for no such thing: a loader that left boot services
         * running breaks the promise that memory is ours. */
        pr_warn("boot: the loader did not exit UEFI boot services\n");
        bi->warnings++;
        break;
    }
}

static int parse_mb2(struct boot_info *bi, uint64_t info, const struct fw_mem *mem)
{
    const uint8_t *hdr = mem->map(mem->ctx, info, 8);
    uint32_t total = 0;
    if (hdr)
        memcpy(&total, hdr, 4); /* the loader may hand us any alignment */
    if (!hdr || total < 16 || total > MB2_MAX_TOTAL) {
        pr_err("boot: multiboot2 info at %#llx is unreadable or absurd\n", (unsigned long long)info);
        return -1;
    }
    const uint8_t *p = mem->map(mem->ctx, info, total);
    if (!p)
        return -1;
    uint32_t efi_mmap = 0, efi_mmap_size = 0;
    for (uint32_t off = 8; off + 8 <= total;) {
        uint32_t type, size;
        memcpy(&type, p + off, 4);
        memcpy(&size, p + off + 4, 4);
        if (type == MB2_TAG_END)
            break;
        if (size < 8 || size > total - off) {
            pr_err("boot: multiboot2 tag %u at +%u has bad size %u\n", type, off, size);
            bi->warnings++;
            break;
        }
        if (type == MB2_TAG_EFI_MMAP) {
            efi_mmap = off;
            efi_mmap_size = size;
        } else {
            mb2_tag(bi, p + off, type, size);
        }
        off += (size + 7) & ~7u;
    }
    /* After the walk, so it wins over a memory-map tag in any order. */
    if (efi_mmap) {
        bi->efi = 1;
        mb2_efi_mmap(bi, p + efi_mmap, efi_mmap_size);
    }
    return 0;
}

int boot_info_parse(struct boot_info *bi, enum boot_proto proto, uint64_t info_phys, const struct fw_mem *mem)
{
    uint64_t tsc = bi->entry_tsc;
    memset(bi, 0, sizeof(*bi));
    bi->entry_tsc = tsc;
    bi->proto = proto;
    int rc = -1;
    if (proto == BOOT_PROTO_PVH)
        rc = parse_pvh(bi, info_phys, mem);
    else if (proto == BOOT_PROTO_MB2)
        rc = parse_mb2(bi, info_phys, mem);
    memmap_normalise(bi->memmap, &bi->n_memmap);
    return rc;
}

static int type_rank(uint32_t type)
{
    /* Higher rank wins where entries overlap: anything beats RAM. */
    switch (type) {
    case MEM_RAM:
        return 0;
    case MEM_ACPI:
        return 1;
    case MEM_NVS:
        return 2;
    case MEM_RESERVED:
        return 3;
    default:
        return 4;
    }
}

static void sort_by_base(struct mem_region *m, unsigned n)
{
    for (unsigned i = 1; i < n; i++) {
        struct mem_region r = m[i];
        unsigned j = i;
        while (j > 0 && m[j - 1].base > r.base) {
            m[j] = m[j - 1];
            j--;
        }
        m[j] = r;
    }
}

/* Builds the normalised map from elementary intervals: every boundary of
 * every entry splits the line, each piece takes the highest-ranked type that
 * covers it. Quadratic, but maps have tens of entries. */
void memmap_normalise(struct mem_region *map, unsigned *n)
{
    uint64_t pts[2 * BOOT_MAX_MEMMAP];
    unsigned np = 0, count = *n;
    for (unsigned i = 0; i < count; i++) {
        if (map[i].size == 0 || map[i].base + map[i].size < map[i].base)
            continue;
        pts[np++] = map[i].base;
        pts[np++] = map[i].base + map[i].size;
    }
    for (unsigned i = 1; i < np; i++) {
        uint64_t v = pts[i];
        unsigned j = i;
        while (j > 0 && pts[j - 1] > v) {
            pts[j] = pts[j - 1];
            j--;
        }
        pts[j] = v;
    }
    struct mem_region out[BOOT_MAX_MEMMAP];
    unsigned no = 0;
    for (unsigned k = 0; k + 1 < np; k++) {
        uint64_t a = pts[k], b = pts[k + 1];
        if (a == b)
            continue;
        int best = -1;
        uint32_t type = 0;
        for (unsigned i = 0; i < count; i++) {
            const struct mem_region *r = &map[i];
            if (r->size == 0 || r->base + r->size < r->base)
                continue;
            if (r->base <= a && r->base + r->size >= b && type_rank(r->type) > best) {
                best = type_rank(r->type);
                type = r->type;
            }
        }
        if (best < 0)
            continue;
        if (no > 0 && out[no - 1].type == type && out[no - 1].base + out[no - 1].size == a) {
            out[no - 1].size += b - a;
            continue;
        }
        if (no == BOOT_MAX_MEMMAP)
            break;
        out[no++] = (struct mem_region){ a, b - a, type };
    }
    sort_by_base(out, no);
    memcpy(map, out, no * sizeof(out[0]));
    *n = no;
}

uint64_t memmap_ram_bytes(const struct mem_region *map, unsigned n)
{
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        if (map[i].type == MEM_RAM)
            total += map[i].size;
    }
    return total;
}
