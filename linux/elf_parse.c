/* ELF64 header checks for the program loader (see elf_parse.h). */
#include <string.h>
#include "elf_parse.h"

#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551
#define PAGE 4096ull

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static int fail(const char **why, const char *msg)
{
    *why = msg;
    return -1;
}

static int check_ident(const uint8_t *b, size_t len, const char **why)
{
    if (len < 64 || memcmp(b, "\177ELF", 4) != 0)
        return fail(why, "not an ELF file");
    if (b[4] != 2 || b[5] != 1)
        return fail(why, "not a 64-bit little-endian ELF file");
    if (b[6] != 1 || rd32(b + 20) != 1)
        return fail(why, "unknown ELF version");
    if (rd16(b + 18) != 62)
        return fail(why, "not an x86-64 program");
    return 0;
}

static int add_load(struct elf_info *o, const uint8_t *ph, uint64_t file_size, uint64_t end_va, const char **why)
{
    struct elf_seg s = { rd64(ph + 16), rd64(ph + 40), rd64(ph + 8), rd64(ph + 32), rd32(ph + 4) & 7 };
    if (s.memsz == 0)
        return 0;
    if (o->nseg == ELF_MAX_LOAD)
        return fail(why, "too many PT_LOAD segments");
    if (s.filesz > s.memsz)
        return fail(why, "a segment's file size exceeds its memory size");
    if (s.offset + s.filesz < s.offset || s.offset + s.filesz > file_size)
        return fail(why, "a segment lies beyond the end of the file");
    if (s.vaddr + s.memsz < s.vaddr || s.vaddr + s.memsz > end_va)
        return fail(why, "a segment lies outside the program's address space");
    if ((s.vaddr - s.offset) % PAGE)
        return fail(why, "a segment's offset and address disagree modulo the page size");
    if (o->nseg && s.vaddr < o->seg[o->nseg - 1].vaddr + o->seg[o->nseg - 1].memsz)
        return fail(why, "PT_LOAD segments overlap or are out of order");
    o->seg[o->nseg++] = s;
    return 0;
}

/* The interpreter path: exactly filesz bytes, the last the only NUL. */
static int add_interp(struct elf_info *o, const uint8_t *buf, size_t len, const uint8_t *ph, uint64_t file_size,
                      const char **why)
{
    uint64_t off = rd64(ph + 8), size = rd64(ph + 32);
    if (o->interp)
        return fail(why, "more than one PT_INTERP");
    if (size < 2 || size > ELF_INTERP_MAX)
        return fail(why, "the interpreter path is empty or too long");
    if (off > file_size || size > file_size - off)
        return fail(why, "the interpreter path lies beyond the end of the file");
    if (off > len || size > len - off)
        return fail(why, "the interpreter path lies beyond the bytes read");
    const char *p = (const char *)buf + off;
    if (p[size - 1] != '\0' || memchr(p, '\0', size - 1))
        return fail(why, "the interpreter path is not one NUL-terminated string");
    if (p[0] != '/')
        return fail(why, "the interpreter path is not absolute");
    o->interp = true;
    o->interp_path = p;
    return 0;
}

int elf_parse(const uint8_t *buf, size_t len, uint64_t file_size, uint64_t end_va, struct elf_info *o,
              const char **why)
{
    memset(o, 0, sizeof(*o));
    if (check_ident(buf, len, why) < 0)
        return -1;
    o->type = rd16(buf + 16);
    if (o->type != ELF_ET_EXEC && o->type != ELF_ET_DYN)
        return fail(why, "not an executable (ELF type is neither EXEC nor DYN)");
    o->entry = rd64(buf + 24);
    o->phoff = rd64(buf + 32);
    o->phnum = rd16(buf + 56);
    if (rd16(buf + 54) != ELF_PHENT)
        return fail(why, "unexpected program header size");
    if (o->phnum == 0 || o->phnum == 0xffff)
        return fail(why, "no program headers");
    if (o->phoff > len || (uint64_t)o->phnum * ELF_PHENT > len - o->phoff)
        return fail(why, "program headers beyond the bytes read");
    uint64_t phdr_vaddr = 0;
    for (unsigned i = 0; i < o->phnum; i++) {
        const uint8_t *ph = buf + o->phoff + (uint64_t)i * ELF_PHENT;
        uint32_t type = rd32(ph);
        if (type == PT_LOAD && add_load(o, ph, file_size, end_va, why) < 0)
            return -1;
        if (type == PT_INTERP && add_interp(o, buf, len, ph, file_size, why) < 0)
            return -1;
        if (type == PT_GNU_STACK)
            o->exec_stack = (rd32(ph + 4) & ELF_PF_X) != 0;
        if (type == PT_PHDR)
            phdr_vaddr = rd64(ph + 16);
    }
    if (o->nseg == 0)
        return fail(why, "no PT_LOAD segment");
    o->lo = o->seg[0].vaddr & ~(PAGE - 1);
    const struct elf_seg *last = &o->seg[o->nseg - 1];
    o->hi = (last->vaddr + last->memsz + PAGE - 1) & ~(PAGE - 1);
    if (o->hi < o->lo || o->hi > end_va)
        return fail(why, "the image lies outside the program's address space");
    if (o->entry < o->lo || o->entry >= o->hi)
        return fail(why, "the entry point is outside the loaded image");
    /* Without PT_PHDR: the headers are in memory when a segment maps them. */
    for (unsigned i = 0; i < o->nseg && !phdr_vaddr; i++) {
        const struct elf_seg *s = &o->seg[i];
        if (o->phoff >= s->offset && o->phoff + (uint64_t)o->phnum * ELF_PHENT <= s->offset + s->filesz)
            phdr_vaddr = s->vaddr + (o->phoff - s->offset);
    }
    o->phdr_vaddr = phdr_vaddr;
    return 0;
}
