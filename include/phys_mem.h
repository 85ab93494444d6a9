/* Reading physical memory that boot loaders and firmware point at: map()
 * returns a pointer to len readable bytes at phys, or NULL. The kernel backs
 * it with its page tables; host tests and fuzzers with a buffer. */
#ifndef KESTREL_PHYS_MEM_H
#define KESTREL_PHYS_MEM_H
#include <stdbool.h>
#include <stdint.h>

struct fw_mem {
    const void *(*map)(void *ctx, uint64_t phys, uint64_t len);
    void *ctx;
    /* The operation region accesses ACPI methods perform while Kestrel
     * evaluates them (_PIC, _PRT, a link's _CRS): space 1 SystemIO (addr:
     * port), 2 PCI_Config (addr: bus << 20 | dev << 15 | fn << 12 | off),
     * width 1, 2 or 4. NULL refuses them all. 0 or negative. */
    int (*aml_io)(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v);
};

#endif
