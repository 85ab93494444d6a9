/* linux/elf_parse.c: headers built here (valid, then broken one field at a
 * time) and a real static program from the host, Debian's busybox. */
#include <stdlib.h>
#include <string.h>
#include "../../linux/elf_parse.h"
#include "check.h"

#define END_VA 0x800000000000ull
#define PT_LOAD 1
#define PT_INTERP 3
#define PT_PHDR 6
#define PT_GNU_STACK 0x6474e551

static uint8_t img[4096];

static void w16(size_t off, uint16_t v) { memcpy(img + off, &v, 2); }
static void w32(size_t off, uint32_t v) { memcpy(img + off, &v, 4); }
static void w64(size_t off, uint64_t v) { memcpy(img + off, &v, 8); }

static void phdr(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t va, uint64_t filesz, uint64_t memsz)
{
    size_t p = 64 + (size_t)i * 56;
    w32(p, type);
    w32(p + 4, flags);
    w64(p + 8, off);
    w64(p + 16, va);
    w64(p + 24, va);
    w64(p + 32, filesz);
    w64(p + 40, memsz);
    w64(p + 48, 0x1000);
}

/* An EXEC image at 0x400000: headers, text, data with bss, GNU_STACK. */
static void make_exec(unsigned type)
{
    memset(img, 0, sizeof(img));
    memcpy(img, "\177ELF", 4);
    img[4] = 2;
    img[5] = 1;
    img[6] = 1;
    w16(16, (uint16_t)type);
    w16(18, 62);
    w32(20, 1);
    w64(24, 0x401010);
    w64(32, 64);
    w16(52, 64);
    w16(54, 56);
    w16(56, 4);
    phdr(0, PT_LOAD, 4, 0, 0x400000, 0x200, 0x200);
    phdr(1, PT_LOAD, 5, 0x1000, 0x401000, 0x100, 0x100);
    phdr(2, PT_LOAD, 6, 0x2010, 0x402010, 0x20, 0x3000);
    phdr(3, PT_GNU_STACK, 6, 0, 0, 0, 0);
}

static int parse(struct elf_info *e, uint64_t file_size)
{
    const char *why = NULL;
    int rc = elf_parse(img, sizeof(img), file_size, END_VA, e, &why);
    CHECK(rc == 0 || why != NULL);
    return rc;
}

static void test_valid(void)
{
    struct elf_info e;
    make_exec(2);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK_EQ(e.type, ELF_ET_EXEC);
    CHECK_EQ(e.nseg, 3);
    CHECK_EQ(e.entry, 0x401010);
    CHECK_EQ(e.lo, 0x400000);
    CHECK_EQ(e.hi, 0x406000); /* 0x402010 + 0x3000, page-rounded */
    CHECK_EQ(e.phnum, 4);
    CHECK_EQ(e.phdr_vaddr, 0x400040); /* the first segment maps the headers */
    CHECK(!e.interp && !e.exec_stack);
    CHECK_EQ(e.seg[2].flags, 6);
    CHECK_EQ(e.seg[2].memsz, 0x3000);

    phdr(3, PT_GNU_STACK, 7, 0, 0, 0, 0);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK(e.exec_stack);
    phdr(3, PT_PHDR, 4, 64, 0x400040, 224, 224);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK_EQ(e.phdr_vaddr, 0x400040);
    memcpy(img + 0x180, "/lib/ld-test.so.1", 18);
    phdr(3, PT_INTERP, 4, 0x180, 0x400100, 18, 18);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK(e.interp);
    CHECK(e.interp_path == (const char *)img + 0x180);
    CHECK(strcmp(e.interp_path, "/lib/ld-test.so.1") == 0);
    /* A static PIE at 0 (the loader biases it). */
    make_exec(3);
    phdr(0, PT_LOAD, 4, 0, 0, 0x200, 0x200);
    phdr(1, PT_LOAD, 5, 0x1000, 0x1000, 0x100, 0x100);
    phdr(2, PT_LOAD, 6, 0x2010, 0x2010, 0x20, 0x30);
    w64(24, 0x1000);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK_EQ(e.type, ELF_ET_DYN);
    CHECK_EQ(e.lo, 0);
    CHECK_EQ(e.phdr_vaddr, 0x40);
    /* Empty PT_LOADs are skipped. */
    make_exec(2);
    phdr(3, PT_LOAD, 6, 0, 0x500000, 0, 0);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK_EQ(e.nseg, 3);
}

static void test_broken(void)
{
    struct elf_info e;
    const char *why;
    make_exec(2);
    CHECK_EQ(parse(&e, 0x3000), 0);
    CHECK_EQ(elf_parse(img, 63, 0x3000, END_VA, &e, &why), -1); /* shorter than a header */
    CHECK_EQ(elf_parse(img, 64 + 3 * 56, 0x3000, END_VA, &e, &why), -1); /* headers cut */
    CHECK_EQ(parse(&e, 0x2020), -1);  /* data beyond the file's end */

    struct {
        size_t off;
        unsigned width;
        uint64_t v;
    } bad[] = {
        { 0, 1, 0x7e },      /* magic */
        { 4, 1, 1 },         /* ELFCLASS32 */
        { 5, 1, 2 },         /* big-endian */
        { 6, 1, 0 },         /* version */
        { 16, 2, 1 },        /* ET_REL */
        { 16, 2, 4 },        /* ET_CORE */
        { 18, 2, 3 },        /* i386 */
        { 54, 2, 32 },       /* phentsize */
        { 56, 2, 0 },        /* no headers */
        { 56, 2, 0xffff },   /* PN_XNUM */
        { 32, 8, 4090 },     /* phoff near the end */
        { 32, 8, ~0ull },    /* phoff wraps */
        { 24, 8, 0x300000 }, /* entry outside */
        { 24, 8, 0x406000 }, /* entry just past the image */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        make_exec(2);
        if (bad[i].width == 1)
            img[bad[i].off] = (uint8_t)bad[i].v;
        else if (bad[i].width == 2)
            w16(bad[i].off, (uint16_t)bad[i].v);
        else
            w64(bad[i].off, bad[i].v);
        if (parse(&e, 0x3000) != -1)
            fprintf(stderr, "bad case %zu accepted\n", i);
        CHECK_EQ(parse(&e, 0x3000), -1);
    }
    /* Segment-level faults. */
    make_exec(2);
    phdr(2, PT_LOAD, 6, 0x2010, 0x402010, 0x40, 0x20); /* filesz > memsz */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(2, PT_LOAD, 6, 0x2018, 0x402010, 0x20, 0x30); /* offset and address disagree */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(2, PT_LOAD, 6, 0x1010, 0x401010, 0x20, 0x30); /* overlaps the text */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(1, PT_LOAD, 5, 0x1000, 0x403000, 0x100, 0x100); /* out of order */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(2, PT_LOAD, 6, 0x2010, 0x7ffffffff010ull, 0x20, 0x3000); /* past the user half */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(2, PT_LOAD, 6, 0x2010, 0xfffffffffffff010ull, 0x20, 0x3000); /* wraps */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    phdr(2, PT_LOAD, 6, ~0ull - 0xfef, 0x402010, 0x2000, 0x3000); /* offset + filesz wraps */
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    w16(56, 20);
    for (unsigned i = 0; i < 20; i++)
        phdr(i, PT_LOAD, 4, 0x1000, 0x400000 + 0x1000ull * i, 0x10, 0x10); /* more than ELF_MAX_LOAD */
    w64(24, 0x400000);
    CHECK_EQ(parse(&e, 0x3000), -1);
    make_exec(2);
    for (unsigned i = 0; i < 3; i++)
        phdr(i, 6, 4, 0, 0, 0, 0); /* no PT_LOAD at all */
    CHECK_EQ(parse(&e, 0x3000), -1);
}

/* PT_INTERP paths the loader must refuse. */
static void test_bad_interp(void)
{
    struct elf_info e;
    const char *why;
    static const struct {
        char bytes[12];
        uint64_t off, size;
        const char *what;
    } bad[] = {
        { "/lib/ld.so", 0x180, 10, "no NUL" },
        { "/lib/ld.so\0x", 0x180, 12, "bytes after the NUL" },
        { "/lib\0ld.so", 0x180, 11, "a NUL inside" },
        { "lib/ld.so", 0x180, 10, "relative" },
        { "\0", 0x180, 1, "empty" },
        { "/x", 0x180, 0, "size 0" },
        { "/lib/ld.so", 0xff8, 11, "beyond the bytes read" },
        { "/lib/ld.so", 0x180, 8192, "longer than ELF_INTERP_MAX" },
        { "/lib/ld.so", ~0ull - 4, 11, "offset + size wraps" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        make_exec(2);
        if (bad[i].off < sizeof(img))
            memcpy(img + bad[i].off, bad[i].bytes, sizeof(img) - bad[i].off < 12 ? sizeof(img) - bad[i].off : 12);
        phdr(3, PT_INTERP, 4, bad[i].off, 0, bad[i].size, bad[i].size);
        why = NULL;
        int rc = elf_parse(img, sizeof(img), 0x3000, END_VA, &e, &why);
        if (rc != -1)
            fprintf(stderr, "bad interpreter case %zu (%s) accepted\n", i, bad[i].what);
        CHECK_EQ(rc, -1);
        CHECK(why != NULL);
    }
    /* Inside the bytes read but beyond the file's end (a truncated file). */
    make_exec(2);
    memcpy(img + 0x180, "/lib/ld.so", 11);
    phdr(3, PT_INTERP, 4, 0x180, 0, 11, 11);
    CHECK_EQ(elf_parse(img, sizeof(img), 0x185, END_VA, &e, &why), -1);
    /* Two of them. */
    w16(56, 5);
    phdr(4, PT_INTERP, 4, 0x180, 0, 11, 11);
    CHECK_EQ(elf_parse(img, sizeof(img), 0x3000, END_VA, &e, &why), -1);
}

/* A dynamic program of the host: its interpreter is Debian's glibc loader. */
static void test_host_dynamic(void)
{
    FILE *f = fopen("/bin/ls", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t head[65536];
    size_t n = fread(head, 1, sizeof(head), f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    struct elf_info e;
    const char *why = NULL;
    CHECK_EQ(elf_parse(head, n, (uint64_t)size, END_VA, &e, &why), 0);
    CHECK(e.interp);
    CHECK(e.interp_path && strcmp(e.interp_path, "/lib64/ld-linux-x86-64.so.2") == 0);
}

/* Debian's busybox-static: non-PIE, linked at 0x400000. */
static void test_busybox(void)
{
    FILE *f = fopen("/bin/busybox", "rb");
    CHECK(f != NULL);
    if (!f)
        return;
    static uint8_t head[65536];
    size_t n = fread(head, 1, sizeof(head), f);
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    struct elf_info e;
    const char *why = NULL;
    CHECK_EQ(elf_parse(head, n, (uint64_t)size, END_VA, &e, &why), 0);
    CHECK_EQ(e.type, ELF_ET_EXEC);
    CHECK_EQ(e.lo, 0x400000);
    CHECK(!e.interp);
    CHECK(e.nseg >= 2);
    CHECK(e.phdr_vaddr >= e.lo && e.phdr_vaddr < e.hi);
}

int main(void)
{
    test_valid();
    test_broken();
    test_busybox();
    test_bad_interp();
    test_host_dynamic();
    return check_report("test_elf_parse");
}
