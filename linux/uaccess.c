/* The kernel's checked access to the program's memory (include/uaccess.h).
 * SMAP stays off: after user_buffer_prepare the kernel (a VFS read, say)
 * uses the program's pages directly. The copies below still run under the
 * exception table, so a page another thread unmapped in between ends as
 * -EFAULT, not as a kernel fault. */
#include <string.h>
#include "abi.h"
#include "memory.h"
#include "uaccess.h"
#include "user.h"

bool user_range_ok(uintptr_t addr, size_t len)
{
    uint64_t end = (uint64_t)addr + len;
    if (end < addr || end > USER_VA_END)
        return false;
    /* The kernel's thread stacks sit in the lower half too. */
    return end <= KERNEL_STACK_AREA || addr >= KERNEL_STACK_AREA_END;
}

int user_buffer_prepare(const void *ubuf, size_t len, bool write)
{
    struct lproc *p = lproc_current();
    if (!p)
        return -EFAULT;
    return mm_prepare(&p->mm, (uint64_t)(uintptr_t)ubuf, len, write);
}

/* memcpy that gives 0, or -EFAULT when a page fault hit it: words, then
 * the tail bytes (as lib/string.c's memcpy), both under the table. */
static int copy_checked(void *dst, const void *src, size_t len)
{
    int ok = 1;
    size_t words = len / 8, tail = len % 8;
    __asm__ volatile("1: rep movsq\n"
                     "   movq %[tail], %%rcx\n"
                     "4: rep movsb\n"
                     "   jmp 2f\n"
                     "3: xorl %[ok], %[ok]\n"
                     "2:\n"
                     ".pushsection .kestrel.extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 3b\n"
                     ".quad 4b, 3b\n"
                     ".popsection\n"
                     : "+D"(dst), "+S"(src), "+c"(words), [ok] "+r"(ok)
                     : [tail] "r"(tail)
                     : "memory");
    return ok ? 0 : -EFAULT;
}

int copy_from_user(void *dst, const void *usrc, size_t len)
{
    if (user_buffer_prepare(usrc, len, false) < 0)
        return -EFAULT;
    return copy_checked(dst, usrc, len);
}

int copy_to_user(void *udst, const void *src, size_t len)
{
    if (user_buffer_prepare(udst, len, true) < 0)
        return -EFAULT;
    return copy_checked(udst, src, len);
}

long strncpy_from_user(char *dst, const char *usrc, size_t max)
{
    size_t n = 0;
    uintptr_t a = (uintptr_t)usrc;
    while (n < max) {
        /* Up to the end of the page: the next one may not be there. */
        size_t chunk = PAGE_SIZE - ((a + n) & (PAGE_SIZE - 1));
        if (chunk > max - n)
            chunk = max - n;
        if (copy_from_user(dst + n, (const void *)(a + n), chunk) < 0)
            return -EFAULT;
        const char *z = memchr(dst + n, 0, chunk);
        if (z)
            return (long)(z - dst);
        n += chunk;
    }
    return -ENAMETOOLONG;
}
