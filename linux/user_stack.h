/* The stack a Linux program starts with (pure logic, host-tested and
 * fuzzed): argc, argv, envp, the auxiliary vector and the strings they
 * point to, laid out as the x86-64 psABI says, the stack pointer 16-byte
 * aligned at argc. */
#ifndef KESTREL_LINUX_USER_STACK_H
#define KESTREL_LINUX_USER_STACK_H
#include <stddef.h>
#include <stdint.h>

#define AT_NULL 0
#define AT_IGNORE 1
#define AT_PHDR 3
#define AT_PHENT 4
#define AT_PHNUM 5
#define AT_PAGESZ 6
#define AT_BASE 7
#define AT_FLAGS 8
#define AT_ENTRY 9
#define AT_UID 11
#define AT_EUID 12
#define AT_GID 13
#define AT_EGID 14
#define AT_PLATFORM 15
#define AT_HWCAP 16
#define AT_CLKTCK 17
#define AT_SECURE 23
#define AT_RANDOM 25
#define AT_SYSINFO_EHDR 33
#define AT_HWCAP2 26
#define AT_EXECFN 31

#define USTACK_MAX_AUX 32

struct ustack_args {
    const char *const *argv;
    unsigned argc;
    const char *const *envp;
    unsigned envc;
    const char *execfn;
    const char *platform;
    const uint8_t *random16;
    /* Type/value pairs, AT_NULL not included. The values of AT_RANDOM,
     * AT_EXECFN and AT_PLATFORM are filled in with the strings' addresses. */
    uint64_t aux[USTACK_MAX_AUX][2];
    unsigned naux;
};

/* Builds the stack in buf, which stands for the addresses
 * [top - size, top) (top 16-byte aligned). 0 with *sp set, or -1 when it
 * does not fit (E2BIG for the caller). */
int ustack_build(uint8_t *buf, size_t size, uint64_t top, const struct ustack_args *a, uint64_t *sp);

#endif
