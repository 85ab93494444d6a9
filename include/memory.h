/* Physical memory, kernel page tables and thread stacks. Everything is
 * identity mapped; thread stacks live in their own area with an unmapped
 * guard page below each one. */
#ifndef KESTREL_MEMORY_H
#define KESTREL_MEMORY_H
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define PAGE_SIZE 4096ull

/* Mapping flags for paging_map(). */
#define MAP_WRITE 0x1u
#define MAP_EXEC 0x2u
#define MAP_UNCACHED 0x4u

void memory_init(const struct boot_info *bi);
void *pages_alloc(size_t npages, size_t align_bytes); /* zeroed, or NULL */
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

/* arch/x86_64/paging.c */
void paging_init(const struct boot_info *bi);
int paging_map(uint64_t va, uint64_t pa, uint64_t size, unsigned flags);
void paging_unmap(uint64_t va, uint64_t size);
/* Physical address va maps to, or -1 when unmapped. */
int64_t paging_translate(uint64_t va);

extern char __kernel_start[], __kernel_end[], __text_start[], __text_end[];
extern char __rodata_start[], __rodata_end[], __data_start[], __bss_start[], __bss_end[];

#endif
