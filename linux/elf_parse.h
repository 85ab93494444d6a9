/* ELF64 x86-64 executable headers (pure logic, host-tested and fuzzed):
 * what the loader needs from an untrusted file's first bytes. */
#ifndef KESTREL_LINUX_ELF_PARSE_H
#define KESTREL_LINUX_ELF_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELF_MAX_LOAD 16
#define ELF_ET_EXEC 2
#define ELF_ET_DYN 3
#define ELF_PF_X 1
#define ELF_PF_W 2
#define ELF_PF_R 4
#define ELF_PHENT 56
/* Longest interpreter path taken, its NUL included (Linux's PATH_MAX). */
#define ELF_INTERP_MAX 4096

struct elf_seg {
    uint64_t vaddr, memsz, offset, filesz;
    unsigned flags; /* ELF_PF_* */
};

struct elf_info {
    unsigned type; /* ELF_ET_EXEC or ELF_ET_DYN */
    uint64_t entry;
    uint64_t phoff;
    unsigned phnum;
    bool interp;     /* PT_INTERP: a dynamic program */
    const char *interp_path; /* then its interpreter: absolute, NUL-terminated, inside buf */
    bool exec_stack; /* PT_GNU_STACK asks for PF_X */
    uint64_t phdr_vaddr; /* where the headers are in memory (unbiased), 0 if not loaded */
    struct elf_seg seg[ELF_MAX_LOAD];
    unsigned nseg;
    uint64_t lo, hi; /* page span of the loaded image (unbiased) */
};

/* buf holds the file's first len bytes (file_size in all). 0, or -1 with
 * *why saying what is wrong. Checks: ELF64 little-endian x86-64, EXEC or
 * DYN, program headers inside buf, PT_LOAD segments ascending and not
 * overlapping, filesz <= memsz, file ranges inside the file, offsets
 * congruent to addresses modulo the page, addresses below end_va; at most
 * one PT_INTERP, its path inside buf and the file, absolute, shorter than
 * ELF_INTERP_MAX, ending in its only NUL (interp_path then points into buf). */
int elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, uint64_t end_va, struct elf_info *out,
              const char **why);

#endif
