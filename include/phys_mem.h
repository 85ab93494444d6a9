/* Reading physical memory that boot loaders and firmware point at: map()
 * returns a pointer to len readable bytes at phys, or NULL. The kernel backs
 * it with its page tables; host tests and fuzzers with a buffer. */
#ifndef KESTREL_PHYS_MEM_H
#define KESTREL_PHYS_MEM_H
#include <stdint.h>

struct fw_mem {
    const void *(*map)(void *ctx, uint64_t phys, uint64_t len);
    void *ctx;
};

#endif
