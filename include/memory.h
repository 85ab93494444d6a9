/* Physical memory, kernel page tables and thread stacks. Everything is
 * identity mapped; thread stacks live in their own area with an unmapped
 * guard page below each one. */
#ifndef KESTREL_MEMORY_H
#define KESTREL_MEMORY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define PAGE_SIZE 4096ull

/* Mapping flags for paging_map(). */
#define MAP_WRITE 0x1u
#define MAP_EXEC 0x2u
#define MAP_UNCACHED 0x4u

/* Also moves boot modules out of the low range Linux programs are linked at. */
void memory_init(struct boot_info *bi);
void *pages_alloc(size_t npages, size_t align_bytes); /* zeroed, or NULL */
/* Whatever the pages last held: only for a buffer the caller fills before
 * it reads or hands out any of it (sendfile's bounce buffer). */
void *pages_alloc_uninit(size_t npages, size_t align_bytes);
void pages_free(void *p, size_t npages);
uint64_t memory_ram_bytes(void);  /* RAM in the boot memory map */
uint64_t memory_free_bytes(void); /* RAM not yet handed out */

/* Maps device registers uncached at their physical address. */
void *ioremap(uint64_t phys, size_t size);

/* A stack of size bytes with an unmapped guard page below it. Returns the
 * lowest usable address; *top gets the initial stack pointer. */
void *stack_alloc(size_t size, uint64_t *top);
void stack_free(void *base, size_t size);
/* Non-zero if addr falls in a stack guard page. */
int stack_guard_hit(uint64_t addr);

/* Claims the frames [pa, pa + n pages) by address for a Linux program's
 * pages at the same virtual address: 0 when every one was free RAM (now
 * taken), -1 (nothing taken) when one is not. Freed with pages_free. */
int pages_claim(uint64_t pa, size_t npages);
/* Is pa's page firmware memory the kernel never touches after boot (ACPI
 * NVS)? A Linux program linked over it gets other frames at those
 * addresses, and the identity map comes back when it unmaps them. */
bool memory_firmware_spare(uint64_t pa);

/* Kernel thread stacks live here (supervisor-only, never a program's). */
#define KERNEL_STACK_AREA 0x0000400000000000ull
#define KERNEL_STACK_AREA_END (KERNEL_STACK_AREA + 1024 * 0x100000ull)

/* Page-table entry bits (x86-64), for linux/memory.c's user pages. */
#define PTE_P 0x1ull
#define PTE_W 0x2ull
#define PTE_U 0x4ull
#define PTE_PWT 0x8ull
#define PTE_PCD 0x10ull
#define PTE_PS 0x80ull
#define PTE_G 0x100ull
#define PTE_SW_USER 0x200ull /* software bit: a program's page (frame in the address bits) */
/* Software bit, with PTE_SW_USER: the frame is a file's own (the initrd's),
 * shared read-only by mappings: never written (a write copies it), never freed. */
#define PTE_SW_SHARED 0x400ull
#define PTE_NX (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

/* arch/x86_64/paging.c */
void paging_init(const struct boot_info *bi);
int paging_map(uint64_t va, uint64_t pa, uint64_t size, unsigned flags);
void paging_unmap(uint64_t va, uint64_t size);
/* Physical address va maps to, or -1 when unmapped. */
int64_t paging_translate(uint64_t va);
/* The 4 KiB page-table entry for va (a 2 MiB page over it is split first),
 * or NULL when no table reaches it and create is false. create builds the
 * missing tables; every upper level on the path gets the U bit (the leaf
 * decides). For linux/memory.c, under its lock. */
uint64_t *paging_pte(uint64_t va, int create);
/* The identity map's entry for RAM (supervisor, writable, no execute). */
uint64_t paging_kernel_pte(uint64_t pa);
int paging_nx(void);

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __bss_start[], __bss_end[];

#endif
