/* boot_info: what the entry point was given, normalised whatever the boot
 * protocol (PVH start_info, multiboot2). Filled once, read by every later stage. */
#ifndef KESTREL_BOOT_INFO_H
#define KESTREL_BOOT_INFO_H
#include <stdint.h>
#include "phys_mem.h"

#define BOOT_CMDLINE_MAX 2048
#define BOOT_MAX_MEMMAP 64
#define BOOT_MAX_MODULES 8
#define BOOT_MODULE_CMDLINE_MAX 64
#define BOOT_RSDP_COPY_MAX 36

enum boot_proto { BOOT_PROTO_UNKNOWN = 0, BOOT_PROTO_PVH = 1, BOOT_PROTO_MB2 = 2 };

/* E820 numbering, shared by PVH and multiboot2. */
enum mem_type { MEM_RAM = 1, MEM_RESERVED = 2, MEM_ACPI = 3, MEM_NVS = 4, MEM_UNUSABLE = 5 };

struct mem_region {
    uint64_t base;
    uint64_t size;
    uint32_t type;
};

struct boot_module {
    uint64_t base;
    uint64_t size;
    char cmdline[BOOT_MODULE_CMDLINE_MAX];
};

struct boot_info {
    enum boot_proto proto;
    uint64_t entry_tsc;
    char cmdline[BOOT_CMDLINE_MAX];
    struct mem_region memmap[BOOT_MAX_MEMMAP]; /* sorted, non-overlapping */
    unsigned n_memmap;
    uint64_t rsdp_addr; /* physical address handed over, 0 if none */
    uint8_t rsdp_copy[BOOT_RSDP_COPY_MAX]; /* multiboot2 hands a copy, not an address */
    unsigned rsdp_copy_len;
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned n_modules;
    int efi;             /* booted through UEFI: no BIOS data area, no legacy tables to scan */
    uint64_t efi_systab; /* EFI system table (physical), 0 if the loader gave none */
    unsigned efi_mmap_entries; /* descriptors in the EFI memory map, 0 if none was used */
    unsigned warnings; /* things dropped or clipped while normalising */
};

/* Reads the boot protocol's structures through mem. Returns 0 on success,
 * negative when the structure is unusable (bad magic, unreadable).
 * Everything read is treated as untrusted. */
int boot_info_parse(struct boot_info *bi, enum boot_proto proto, uint64_t info_phys, const struct fw_mem *mem);

/* Sorts and cleans a memory map in place: drops empty entries, clips overlaps
 * (the more restrictive type wins over RAM), merges touching ranges of one type. */
void memmap_normalise(struct mem_region *map, unsigned *n);

/* Sum of RAM bytes in a normalised map. */
uint64_t memmap_ram_bytes(const struct mem_region *map, unsigned n);

#endif
