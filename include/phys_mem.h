/* Reading physical memory that boot loaders and firmware point at: map()
 * returns a pointer to len readable bytes at phys, or NULL. The kernel backs
 * it with its page tables; host tests and fuzzers with a buffer. */
#ifndef KESTREL_PHYS_MEM_H
#define KESTREL_PHYS_MEM_H
#include <stdint.h>

struct fw_mem {
    const void *(*map)(void *ctx, uint64_t phys, uint64_t len);
    void *ctx;
    /* PCI configuration space reads for ACPI's PCI_Config operation
     * regions (width 1, 2 or 4 bytes); NULL refuses them. 0 or negative. */
    int (*pci_read)(void *ctx, unsigned seg, unsigned bus, unsigned dev, unsigned fn, unsigned off,
                    unsigned width, uint32_t *v);
};

#endif
