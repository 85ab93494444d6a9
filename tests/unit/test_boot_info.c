/* boot_info normalisation: PVH start_info and multiboot2 information built
 * in a fake physical memory, plus hostile variants. */
#include <stdint.h>
#include <string.h>
#include "boot_info.h"
#include "check.h"

static uint8_t phys[0x10000]; /* fake physical memory at address 0x10000 */
#define BASE 0x10000u

static const void *map(void *ctx, uint64_t p, uint64_t len)
{
    (void)ctx;
    if (p < BASE || p + len > BASE + sizeof(phys) || p + len < p)
        return NULL;
    return phys + (p - BASE);
}

static const struct fw_mem mem = { .map = map };

static void put(uint32_t at, const void *src, size_t n) { memcpy(phys + (at - BASE), src, n); }
static void put32(uint32_t at, uint32_t v) { put(at, &v, 4); }
static void put64(uint32_t at, uint64_t v) { put(at, &v, 8); }

static void pvh_fixture(uint32_t version, uint32_t nmap)
{
    memset(phys, 0, sizeof(phys));
    uint32_t si = 0x10000;
    put32(si + 0, 0x336ec578);
    put32(si + 4, version);
    put32(si + 12, 1);             /* nr_modules */
    put64(si + 16, 0x11000);       /* modlist */
    put64(si + 24, 0x12000);       /* cmdline */
    put64(si + 32, 0xf5a40);       /* rsdp */
    put64(si + 40, 0x13000);       /* memmap */
    put32(si + 48, nmap);
    put(0x12000, "--verbose hello world", 22);
    put64(0x11000, 0x200000);
    put64(0x11008, 0x1000);
    put64(0x11010, 0x12100);
    put(0x12100, "initrd", 7);
    struct {
        uint64_t a, s;
        uint32_t t, r;
    } e[] = {
        { 0x100000, 0x3f00000, 1, 0 }, /* out of order on purpose */
        { 0, 0x9fc00, 1, 0 },
        { 0x9fc00, 0x400, 2, 0 },
        { 0xf0000, 0x10000, 2, 0 },
        { 0x3fe0000, 0x20000, 2, 0 }, /* overlaps the RAM range's end */
        { 0x5000000, 0, 1, 0 },       /* empty */
        { 0x6000000, 0x1000, 77, 0 }, /* unknown type: treated as reserved */
    };
    put(0x13000, e, sizeof(e));
}

static void test_pvh(void)
{
    struct boot_info bi = { .entry_tsc = 42 };
    pvh_fixture(1, 7);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_PVH, 0x10000, &mem), 0);
    CHECK_EQ(bi.entry_tsc, 42);
    CHECK(strcmp(bi.cmdline, "--verbose hello world") == 0);
    CHECK_EQ(bi.rsdp_addr, 0xf5a40);
    CHECK_EQ(bi.n_modules, 1);
    CHECK_EQ(bi.modules[0].base, 0x200000);
    CHECK(strcmp(bi.modules[0].cmdline, "initrd") == 0);
    /* Sorted, empty dropped, overlap clipped (reserved wins). */
    CHECK_EQ(bi.n_memmap, 6);
    CHECK_EQ(bi.memmap[5].base, 0x6000000);
    CHECK_EQ(bi.memmap[5].type, MEM_RESERVED);
    CHECK_EQ(bi.memmap[0].base, 0);
    CHECK_EQ(bi.memmap[0].size, 0x9fc00);
    CHECK_EQ(bi.memmap[2].base, 0xf0000);
    CHECK_EQ(bi.memmap[3].base, 0x100000);
    CHECK_EQ(bi.memmap[3].size, 0x3ee0000);
    CHECK_EQ(bi.memmap[3].type, MEM_RAM);
    CHECK_EQ(bi.memmap[4].base, 0x3fe0000);
    CHECK_EQ(bi.memmap[4].type, MEM_RESERVED);
    CHECK_EQ(memmap_ram_bytes(bi.memmap, bi.n_memmap), 0x9fc00 + 0x3ee0000);

    /* Version 0 has no memory map: parsed, but the map is empty. */
    pvh_fixture(0, 7);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_PVH, 0x10000, &mem), 0);
    CHECK_EQ(bi.n_memmap, 0);

    /* Bad magic, unreadable pointers, absurd counts. */
    pvh_fixture(1, 7);
    put32(0x10000, 0x12345678);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_PVH, 0x10000, &mem), -1);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_PVH, 0x900000, &mem), -1);
    pvh_fixture(1, 0xffffffff);
    put64(0x10000 + 24, 0x1fff0); /* cmdline running off the end of memory */
    memset(phys + (0x1fff0 - BASE), 'x', 16);
    put32(0x10000 + 12, 1000);    /* modules beyond the cap */
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_PVH, 0x10000, &mem), 0);
    CHECK(bi.n_memmap <= BOOT_MAX_MEMMAP);
    CHECK(bi.n_modules <= BOOT_MAX_MODULES);
    CHECK(strlen(bi.cmdline) == 16);
    CHECK(bi.warnings > 0);
}

static uint32_t mb2_tag(uint32_t at, uint32_t type, const void *payload, uint32_t len)
{
    put32(at, type);
    put32(at + 4, 8 + len);
    if (len)
        put(at + 8, payload, len);
    return at + ((8 + len + 7) & ~7u);
}

static void test_mb2_plain_is_bios(struct boot_info *bi);

static void test_mb2(void)
{
    memset(phys, 0, sizeof(phys));
    uint32_t at = 0x10008;
    at = mb2_tag(at, 1, "hello mb2", 10);
    uint8_t mmap[8 + 24 * 2];
    uint32_t esize = 24, ever = 0;
    memcpy(mmap, &esize, 4);
    memcpy(mmap + 4, &ever, 4);
    uint64_t a0 = 0, s0 = 0x9fc00, a1 = 0x100000, s1 = 0x7f00000;
    uint32_t ram = 1;
    memcpy(mmap + 8, &a0, 8);
    memcpy(mmap + 16, &s0, 8);
    memcpy(mmap + 24, &ram, 4);
    memcpy(mmap + 32, &a1, 8);
    memcpy(mmap + 40, &s1, 8);
    memcpy(mmap + 48, &ram, 4);
    at = mb2_tag(at, 6, mmap, sizeof(mmap));
    uint8_t mod[8 + 7];
    uint32_t ms = 0x300000, me = 0x304000;
    memcpy(mod, &ms, 4);
    memcpy(mod + 4, &me, 4);
    memcpy(mod + 8, "initrd", 7);
    at = mb2_tag(at, 3, mod, sizeof(mod));
    uint8_t rsdp[20] = "RSD PTR ";
    at = mb2_tag(at, 14, rsdp, sizeof(rsdp));
    at = mb2_tag(at, 0, NULL, 0);
    put32(0x10000, at - 0x10000);

    struct boot_info bi = { 0 };
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK(strcmp(bi.cmdline, "hello mb2") == 0);
    CHECK_EQ(bi.n_memmap, 2);
    CHECK_EQ(bi.memmap[1].size, 0x7f00000);
    CHECK_EQ(bi.n_modules, 1);
    CHECK_EQ(bi.modules[0].size, 0x4000);
    CHECK(strcmp(bi.modules[0].cmdline, "initrd") == 0);
    CHECK_EQ(bi.rsdp_copy_len, 20);
    CHECK(memcmp(bi.rsdp_copy, "RSD PTR ", 8) == 0);

    /* A memory-map entry size that would wrap the walk (the fuzzer found
     * it): the tag is refused, the rest still parsed. */
    uint32_t mmap_tag = 0x10008 + ((8 + 10 + 7) & ~7u);
    put32(mmap_tag + 8, 0xfffffff0);
    struct boot_info bw = { 0 };
    CHECK_EQ(boot_info_parse(&bw, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK_EQ(bw.n_memmap, 0);
    CHECK(bw.warnings > 0);
    CHECK_EQ(bw.n_modules, 1);
    put32(mmap_tag + 8, 24);

    /* A tag whose size runs past total_size stops the walk without harm. */
    put32(0x10008 + 4, 0x7fffffff);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK(bi.warnings > 0);
    CHECK_EQ(bi.n_memmap, 0);
    /* Absurd total size, too-small total size. */
    put32(0x10000, 0xfffffff0);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), -1);
    put32(0x10000, 4);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), -1);
    /* Unknown protocol. */
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_UNKNOWN, 0x10000, &mem), -1);
}

/* One EFI_MEMORY_DESCRIPTOR in a stride of dsize bytes. */
static void efi_desc(uint8_t *d, uint32_t type, uint64_t base, uint64_t pages)
{
    memset(d, 0, 40);
    memcpy(d, &type, 4);
    memcpy(d + 8, &base, 8);
    memcpy(d + 24, &pages, 8);
}

/* GRUB under UEFI: an E820-style map tag AND the EFI map; EFI64 system table. */
static uint32_t mb2_efi_fixture(uint32_t dsize)
{
    memset(phys, 0, sizeof(phys));
    uint32_t at = 0x10008;
    at = mb2_tag(at, 1, "hello efi", 10);
    uint8_t efi[8 + 48 * 8];
    memset(efi, 0, sizeof(efi));
    uint32_t ver = 1;
    memcpy(efi, &dsize, 4);
    memcpy(efi + 4, &ver, 4);
    efi_desc(efi + 8 + 0 * dsize, 7, 0, 0xa0);             /* conventional */
    efi_desc(efi + 8 + 1 * dsize, 4, 0x100000, 0x100);     /* boot services data: free now */
    efi_desc(efi + 8 + 2 * dsize, 2, 0x200000, 0x100);     /* loader data: merges with it */
    efi_desc(efi + 8 + 3 * dsize, 6, 0x300000, 0x10);      /* runtime data: reserved */
    efi_desc(efi + 8 + 4 * dsize, 9, 0x310000, 0x10);      /* ACPI reclaim */
    efi_desc(efi + 8 + 5 * dsize, 10, 0x320000, 0x10);     /* ACPI NVS */
    efi_desc(efi + 8 + 6 * dsize, 11, 0xffc00000, 0x400);  /* MMIO: reserved */
    efi_desc(efi + 8 + 7 * dsize, 7, 0x400000, UINT64_MAX); /* absurd page count: dropped */
    at = mb2_tag(at, 17, efi, 8 + 8 * dsize);
    uint8_t e820[8 + 24];
    uint32_t esize = 24, ever = 0, ram = 1;
    uint64_t a = 0, sz = 0x40000000;
    memcpy(e820, &esize, 4);
    memcpy(e820 + 4, &ever, 4);
    memcpy(e820 + 8, &a, 8);
    memcpy(e820 + 16, &sz, 8);
    memcpy(e820 + 24, &ram, 4);
    at = mb2_tag(at, 6, e820, sizeof(e820)); /* after the EFI map on purpose: must not win */
    uint64_t st = 0x7fe0000;
    at = mb2_tag(at, 12, &st, 8);
    at = mb2_tag(at, 0, NULL, 0);
    put32(0x10000, at - 0x10000);
    return at;
}

static void test_mb2_efi(void)
{
    struct boot_info bi = { 0 };
    mb2_efi_fixture(48); /* OVMF's stride: larger than the 40-byte descriptor */
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK(strcmp(bi.cmdline, "hello efi") == 0);
    CHECK(bi.efi);
    CHECK_EQ(bi.efi_systab, 0x7fe0000);
    CHECK_EQ(bi.efi_mmap_entries, 8);
    CHECK_EQ(bi.n_memmap, 6);
    CHECK_EQ(bi.memmap[0].base, 0);
    CHECK_EQ(bi.memmap[0].size, 0xa0000);
    CHECK_EQ(bi.memmap[1].base, 0x100000);
    CHECK_EQ(bi.memmap[1].size, 0x200000);
    CHECK_EQ(bi.memmap[1].type, MEM_RAM);
    CHECK_EQ(bi.memmap[2].type, MEM_RESERVED);
    CHECK_EQ(bi.memmap[3].type, MEM_ACPI);
    CHECK_EQ(bi.memmap[4].type, MEM_NVS);
    CHECK_EQ(bi.memmap[5].base, 0xffc00000);
    CHECK_EQ(bi.memmap[5].type, MEM_RESERVED);
    CHECK_EQ(memmap_ram_bytes(bi.memmap, bi.n_memmap), 0xa0000 + 0x200000);
    CHECK(bi.warnings > 0); /* the absurd descriptor */

    /* A descriptor size below UEFI's: the EFI map is refused, the loader's kept. */
    mb2_efi_fixture(48);
    uint32_t efi_type;
    memcpy(&efi_type, phys + 0x20, 4);
    CHECK_EQ(efi_type, 17);      /* the EFI map tag follows the 24-byte command-line tag */
    put32(0x10008 + 24 + 8, 16);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK(bi.efi);
    CHECK_EQ(bi.efi_mmap_entries, 0);
    CHECK_EQ(bi.n_memmap, 1);
    CHECK_EQ(bi.memmap[0].size, 0x40000000);
    /* A huge descriptor size (wrap attempt) likewise. */
    put32(0x10008 + 24 + 8, 0xfffffff8);
    CHECK_EQ(boot_info_parse(&bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK_EQ(bi.n_memmap, 1);

    /* A BIOS boot (no EFI tags) is not mistaken for UEFI. */
    struct boot_info bb = { 0 };
    test_mb2_plain_is_bios(&bb);
}

static void test_normalise(void)
{
    struct mem_region m[BOOT_MAX_MEMMAP] = {
        { 0x1000, 0x1000, MEM_RAM }, { 0x2000, 0x1000, MEM_RAM }, /* touching: merged */
        { 0x1800, 0x100, MEM_ACPI },                                /* hole punched in RAM */
        { 0x10000, 0x1000, MEM_RAM }, { 0x10000, 0x1000, MEM_RAM }, /* duplicate */
        { UINT64_MAX - 10, 100, MEM_RAM },                          /* wraps: dropped */
    };
    unsigned n = 6;
    memmap_normalise(m, &n);
    CHECK_EQ(n, 4);
    CHECK_EQ(m[0].base, 0x1000);
    CHECK_EQ(m[0].size, 0x800);
    CHECK_EQ(m[1].type, MEM_ACPI);
    CHECK_EQ(m[2].base, 0x1900);
    CHECK_EQ(m[2].size, 0x1700);
    CHECK_EQ(m[3].base, 0x10000);
    CHECK_EQ(memmap_ram_bytes(m, n), 0x800 + 0x1700 + 0x1000);
}

static void test_mb2_plain_is_bios(struct boot_info *bi)
{
    memset(phys, 0, sizeof(phys));
    uint32_t at = mb2_tag(0x10008, 1, "bios", 5);
    at = mb2_tag(at, 0, NULL, 0);
    put32(0x10000, at - 0x10000);
    CHECK_EQ(boot_info_parse(bi, BOOT_PROTO_MB2, 0x10000, &mem), 0);
    CHECK(!bi->efi);
    CHECK_EQ(bi->efi_systab, 0);
}

int main(void)
{
    test_pvh();
    test_mb2();
    test_mb2_efi();
    test_normalise();
    return check_report("test_boot_info");
}
