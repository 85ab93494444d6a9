/* ELF headers of an untrusted program file: any bytes, any claimed size.
 * Accepted results must hold what the loader relies on. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../linux/elf_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 8)
        return 0;
    uint64_t file_size;
    memcpy(&file_size, data, 8);
    uint8_t *buf = malloc(len - 8 ? len - 8 : 1);
    memcpy(buf, data + 8, len - 8);
    struct elf_info e;
    const char *why = NULL;
    if (elf_parse(buf, len - 8, file_size, 0x800000000000ull, &e, &why) == 0) {
        if (e.nseg == 0 || e.nseg > ELF_MAX_LOAD || e.lo > e.hi || e.hi > 0x800000000000ull)
            abort();
        if (e.entry < e.lo || e.entry >= e.hi)
            abort();
        for (unsigned i = 0; i < e.nseg; i++) {
            const struct elf_seg *s = &e.seg[i];
            if (s->filesz > s->memsz || s->offset + s->filesz > file_size || s->vaddr + s->memsz < s->vaddr)
                abort();
            if (i && s->vaddr < e.seg[i - 1].vaddr + e.seg[i - 1].memsz)
                abort();
        }
        if (e.interp) {
            /* The path lies in buf, starts with '/', and its NUL is too. */
            const uint8_t *p = (const uint8_t *)e.interp_path;
            if (!p || p < buf || p >= buf + (len - 8) || p[0] != '/')
                abort();
            const uint8_t *nul = memchr(p, 0, (size_t)(buf + (len - 8) - p));
            if (!nul || nul - p >= ELF_INTERP_MAX)
                abort();
        } else if (e.interp_path) {
            abort();
        }
    } else if (!why) {
        abort();
    }
    free(buf);
    return 0;
}
