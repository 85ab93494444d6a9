/* The Linux ABI's core, checked from inside a static program (built with
 * musl-gcc -static and gcc -static by tests/boot/test_linux_core.py).
 * `core_check MODE`: each mode prints what it found and exits 0 when all
 * is as Linux would have it, else the number of the first failed check. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

extern char **environ;
static int fails;

#define CHECK(n, cond)                                                   \
    do {                                                                 \
        if (!(cond)) {                                                   \
            printf("check %d failed: %s (line %d)\n", n, #cond, __LINE__); \
            if (!fails)                                                  \
                fails = n;                                               \
        }                                                                \
    } while (0)

static int cpl(void)
{
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    printf("cpl %d\n", cs & 3);
    return cs & 3;
}

/* AT_PHDR must point at this program's own headers: the ELF header the
 * first PT_LOAD maps (at AT_PHDR - e_phoff for these links) says so. */
static int auxv(int argc, char **argv)
{
    unsigned long pagesz = getauxval(AT_PAGESZ);
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);
    unsigned long phnum = getauxval(AT_PHNUM), phent = getauxval(AT_PHENT);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    const char *platform = (const char *)getauxval(AT_PLATFORM);
    printf("pagesz %lu phnum %lu phent %lu execfn %s platform %s entry %#lx\n", pagesz, phnum, phent,
           execfn ? execfn : "-", platform ? platform : "-", getauxval(AT_ENTRY));
    CHECK(1, pagesz == 4096);
    int nonzero = 0;
    for (int i = 0; rnd && i < 16; i++)
        nonzero |= rnd[i];
    CHECK(2, rnd && nonzero);
    CHECK(3, ph && phent == sizeof(Elf64_Phdr) && phnum > 0);
    int loads = 0;
    for (unsigned long i = 0; ph && i < phnum; i++)
        loads += ph[i].p_type == PT_LOAD;
    CHECK(4, loads > 0);
    /* The ELF header sits one e_phoff below the headers when the first
     * segment maps the file's start (these links: e_phoff 64). */
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)((uintptr_t)ph - 64);
    CHECK(5, memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_phnum == phnum);
    CHECK(6, getauxval(AT_ENTRY) == (unsigned long)eh->e_entry + (eh->e_type == ET_DYN ? (uintptr_t)eh : 0));
    CHECK(7, execfn && strcmp(execfn, argv[0]) == 0);
    CHECK(8, platform && strcmp(platform, "x86_64") == 0);
    CHECK(9, getauxval(AT_UID) == 0 && getauxval(AT_EUID) == 0 && getauxval(AT_SECURE) == 0);
    CHECK(10, getauxval(AT_CLKTCK) == 100);
    /* argv and the environment from --env. */
    printf("argc %d:", argc);
    for (int i = 0; i < argc; i++)
        printf(" [%s]", argv[i]);
    printf("\n");
    for (char **e = environ; *e; e++)
        printf("env [%s]\n", *e);
    CHECK(11, argc == 4 && strcmp(argv[2], "two words") == 0 && strcmp(argv[3], "x=y") == 0);
    const char *v = getenv("KESTREL_TEST");
    CHECK(12, v && strcmp(v, "a b=c") == 0);
    CHECK(13, getenv("SECOND") && strcmp(getenv("SECOND"), "2") == 0);
    CHECK(14, ((uintptr_t)__builtin_frame_address(0) & 7) == 0);
    return fails;
}

static int memory(void)
{
    long pg = 4096;
    /* Anonymous pages read as zero and keep what is written. */
    unsigned char *p = mmap(NULL, 16 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(1, p != MAP_FAILED);
    if (p == MAP_FAILED)
        return fails;
    CHECK(2, p[0] == 0 && p[16 * pg - 1] == 0);
    memset(p, 0xab, 16 * pg);
    CHECK(3, p[5 * pg + 7] == 0xab);
    /* munmap of the middle: the rest stays. */
    CHECK(4, munmap(p + 4 * pg, 4 * pg) == 0);
    CHECK(5, p[3 * pg] == 0xab && p[8 * pg] == 0xab);
    /* MAP_FIXED_NOREPLACE over a mapping: EEXIST; into the hole: there. */
    void *q = mmap(p + 2 * pg, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(6, q == MAP_FAILED && errno == EEXIST);
    q = mmap(p + 4 * pg, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(7, q == p + 4 * pg);
    /* A hint honoured when free. */
    void *hint = (void *)0x200000000000ull;
    q = mmap(hint, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(8, q == hint);
    /* MAP_FIXED replaces contents with zeros. */
    q = mmap(p, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(9, q == p && p[0] == 0 && p[pg] == 0xab);
    /* A large PROT_NONE reservation costs nothing and can be opened up. */
    unsigned char *r = mmap(NULL, 1ull << 36, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    CHECK(10, r != MAP_FAILED);
    CHECK(11, mprotect(r + (1ull << 30), pg, PROT_READ | PROT_WRITE) == 0);
    r[(1ull << 30) + 5] = 7;
    CHECK(12, r[(1ull << 30) + 5] == 7);
    /* mremap grows, moving the contents. */
    unsigned char *m = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    m[pg + 1] = 42;
    unsigned char *m2 = mremap(m, 2 * pg, 64 * pg, MREMAP_MAYMOVE);
    CHECK(13, m2 != MAP_FAILED && m2[pg + 1] == 42 && m2[63 * pg] == 0);
    /* madvise(DONTNEED): zero again. */
    m2[5] = 9;
    CHECK(14, madvise(m2, pg, MADV_DONTNEED) == 0 && m2[5] == 0);
    /* brk grows and the new memory is usable. */
    char *b0 = sbrk(0);
    char *b1 = sbrk(3 * pg);
    printf("brk %p -> %p\n", (void *)b0, (void *)sbrk(0));
    if (b1 != (void *)-1) {
        b1[3 * pg - 1] = 1;
        CHECK(15, b1 == b0);
    }
    /* Bad arguments as Linux answers them. */
    CHECK(16, mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == EINVAL);
    CHECK(17, munmap((void *)1, pg) == -1 && errno == EINVAL);
    CHECK(18, mprotect(hint, 100 * pg, PROT_READ) == -1 && errno == ENOMEM);
    /* write() from a wild pointer: EFAULT, and the program goes on. */
    long w = syscall(SYS_write, 1, (void *)0x100000, 16);
    CHECK(19, w == -1 && errno == EFAULT);
    w = syscall(SYS_write, 1, (void *)0xffff800000000000ull, 16);
    CHECK(20, w == -1 && errno == EFAULT);
    /* An unknown system call: ENOSYS. */
    CHECK(21, syscall(1000) == -1 && errno == ENOSYS);
    CHECK(22, syscall(1000) == -1 && errno == ENOSYS); /* logged once */
    for (long nr = 5000; nr < 5100; nr++)
        CHECK(23, syscall(nr) == -1 && errno == ENOSYS);
    CHECK(24, syscall(-1L) == -1 && errno == ENOSYS);
    printf("memory done, %d\n", fails);
    return fails;
}

/* Ends by a fault (the kernel's message and status 139 are checked). */
static int fault(const char *what)
{
    fflush(stdout);
    if (strcmp(what, "kernel") == 0)
        *(volatile int *)0x100000 = 1; /* the kernel's text */
    if (strcmp(what, "readonly") == 0) {
        int *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        printf("read %d\n", *p);
        fflush(stdout);
        *(volatile int *)p = 1;
    }
    if (strcmp(what, "null") == 0)
        *(volatile int *)8 = 1;
    if (strcmp(what, "jump0") == 0)
        ((void (*)(void))0)();
    if (strcmp(what, "kstack") == 0)
        *(volatile int *)0x400000001000ull = 1; /* the kernel's thread stacks */
    if (strcmp(what, "hlt") == 0)
        __asm__ volatile("hlt"); /* privileged: #GP */
    if (strcmp(what, "ud2") == 0)
        __asm__ volatile("ud2");
    if (strcmp(what, "div0") == 0) {
        unsigned q = 1, d = 0, r = 0;
        __asm__ volatile("divl %2" : "+a"(q), "+d"(r) : "r"(d));
        printf("%u\n", q);
    }
    if (strcmp(what, "protnone") == 0) {
        int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *p = 5;
        mprotect(p, 4096, PROT_NONE);
        printf("protnone %d\n", *(volatile int *)p);
    }
    return 100;
}

static int sse(void)
{
    /* Floating point and SIMD as user code expects them. */
    volatile double a = 1.5, b = 2.25;
    char buf[64];
    snprintf(buf, sizeof(buf), "%.3f", a * b);
    printf("sse %s\n", buf);
    CHECK(1, strcmp(buf, "3.375") == 0);
    return fails;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *mode = argc > 1 ? argv[1] : "cpl";
    if (strcmp(mode, "cpl") == 0)
        return cpl();
    if (strcmp(mode, "auxv") == 0)
        return auxv(argc, argv);
    if (strcmp(mode, "memory") == 0)
        return memory();
    if (strcmp(mode, "sse") == 0)
        return sse();
    if (strcmp(mode, "fault") == 0)
        return fault(argc > 2 ? argv[2] : "kernel");
    printf("unknown mode %s\n", mode);
    return 99;
}
