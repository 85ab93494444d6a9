/* The kernel's access to a Linux program's memory (linux/, arch/x86_64).
 * The program shares the kernel's page tables (one address space, user pages
 * carry the U bit), so a checked user pointer may be used directly; every
 * pointer or length a program passes is checked here first: a bad one is
 * -EFAULT for the program, never a kernel fault. */
#ifndef KESTREL_UACCESS_H
#define KESTREL_UACCESS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* [addr, addr+len) lies wholly in the program's part of the address space
 * (no wrap, no kernel or device address). Says nothing of what is mapped. */
bool user_range_ok(uintptr_t addr, size_t len);

/* Makes [ubuf, ubuf+len) present (faulting in demand pages) and checks the
 * program may read it (write: and write it). 0, or -EFAULT. After it, the
 * kernel may read/write the range directly (e.g. a VFS read into it). */
int user_buffer_prepare(const void *ubuf, size_t len, bool write);

/* 0, or -EFAULT (nothing or part copied). */
int copy_from_user(void *dst, const void *usrc, size_t len);
int copy_to_user(void *udst, const void *src, size_t len);
/* Copies a NUL-terminated string of at most max-1 bytes plus its NUL:
 * returns its length, -EFAULT, or -ENAMETOOLONG when no NUL comes in max. */
long strncpy_from_user(char *dst, const char *usrc, size_t max);

#endif
