/* linux/user_stack.c: the stack is read back the way a C library's start
 * code reads it (argc, argv, envp, auxv) and every pointer is followed. */
#include <stdlib.h>
#include <string.h>
#include "../../linux/user_stack.h"
#include "check.h"

#define TOP 0x7ffffffff000ull
#define SIZE 8192

static uint8_t buf[SIZE];

static uint64_t word(uint64_t va)
{
    uint64_t v;
    memcpy(&v, buf + (va - (TOP - SIZE)), 8);
    return v;
}

static const char *str(uint64_t va)
{
    if (va < TOP - SIZE || va >= TOP)
        return NULL;
    return (const char *)buf + (va - (TOP - SIZE));
}

static uint64_t aux_get(uint64_t auxv, uint64_t type)
{
    for (uint64_t a = auxv; word(a) != AT_NULL; a += 16) {
        if (word(a) == type)
            return word(a + 8);
    }
    return ~0ull;
}

static void fill(struct ustack_args *a, const char *const *argv, unsigned argc, const char *const *envp,
                 unsigned envc, const uint8_t *rnd)
{
    memset(a, 0, sizeof(*a));
    a->argv = argv;
    a->argc = argc;
    a->envp = envp;
    a->envc = envc;
    a->execfn = argv[0];
    a->platform = "x86_64";
    a->random16 = rnd;
    const uint64_t aux[][2] = { { AT_PAGESZ, 4096 }, { AT_PHNUM, 7 }, { AT_RANDOM, 0 }, { AT_EXECFN, 0 },
                                { AT_PLATFORM, 0 } };
    memcpy(a->aux, aux, sizeof(aux));
    a->naux = 5;
}

static void test_layout(unsigned argc, unsigned envc)
{
    const char *argv[] = { "/bin/prog", "one", "two words", "", "x=y" };
    const char *envp[] = { "A=1", "LONG=" "0123456789012345678901234567890123456789", "E=" };
    uint8_t rnd[16];
    for (int i = 0; i < 16; i++)
        rnd[i] = (uint8_t)(0xa0 + i);
    struct ustack_args a;
    fill(&a, argv, argc, envp, envc, rnd);
    memset(buf, 0xee, sizeof(buf));
    uint64_t sp = 0;
    CHECK_EQ(ustack_build(buf, SIZE, TOP, &a, &sp), 0);
    CHECK_EQ(sp % 16, 0);
    CHECK(sp > TOP - SIZE && sp < TOP);
    CHECK_EQ(word(sp), argc);
    uint64_t p = sp + 8;
    for (unsigned i = 0; i < argc; i++, p += 8)
        CHECK(str(word(p)) && strcmp(str(word(p)), argv[i]) == 0);
    CHECK_EQ(word(p), 0);
    p += 8;
    for (unsigned i = 0; i < envc; i++, p += 8)
        CHECK(str(word(p)) && strcmp(str(word(p)), envp[i]) == 0);
    CHECK_EQ(word(p), 0);
    p += 8;
    CHECK_EQ(aux_get(p, AT_PAGESZ), 4096);
    CHECK_EQ(aux_get(p, AT_PHNUM), 7);
    uint64_t r = aux_get(p, AT_RANDOM);
    CHECK(str(r) && memcmp(str(r), rnd, 16) == 0);
    CHECK(str(aux_get(p, AT_EXECFN)) && strcmp(str(aux_get(p, AT_EXECFN)), "/bin/prog") == 0);
    CHECK(str(aux_get(p, AT_PLATFORM)) && strcmp(str(aux_get(p, AT_PLATFORM)), "x86_64") == 0);
    CHECK_EQ(aux_get(p, 99), ~0ull);
    CHECK_EQ(word(TOP - 8), 0); /* end marker */
    /* Nothing written below sp. */
    for (uint64_t q = TOP - SIZE; q < sp; q++)
        CHECK_EQ(buf[q - (TOP - SIZE)], 0xee);
}

static void test_limits(void)
{
    const char *argv[] = { "/p" };
    uint8_t rnd[16] = { 1 };
    struct ustack_args a;
    fill(&a, argv, 1, NULL, 0, rnd);
    uint64_t sp;
    CHECK_EQ(ustack_build(buf, SIZE, TOP, &a, &sp), 0);
    /* Too small for the block: refused, not overrun. */
    for (size_t size = 0; size < 200; size += 8)
        CHECK_EQ(ustack_build(buf + SIZE - size, size, TOP, &a, &sp) == 0, size >= 184);
    CHECK_EQ(ustack_build(buf, SIZE, TOP + 8, &a, &sp), -1); /* unaligned top */
    a.naux = USTACK_MAX_AUX + 1;
    CHECK_EQ(ustack_build(buf, SIZE, TOP, &a, &sp), -1);
    /* A long argument that does not fit. */
    static char big[SIZE];
    memset(big, 'a', sizeof(big) - 1);
    const char *bargv[] = { "/p", big };
    fill(&a, bargv, 2, NULL, 0, rnd);
    CHECK_EQ(ustack_build(buf, SIZE, TOP, &a, &sp), -1);
}

int main(void)
{
    test_layout(1, 0);
    test_layout(5, 3);
    test_layout(2, 1);
    test_limits();
    return check_report("test_user_stack");
}
