/* Until the descriptor layer (abi-files' linux/fd.c) lands: read, write
 * and writev on descriptors 0, 1 and 2 as the console, so that programs
 * can print. Removable as a whole: the table's block marked
 * "console_io.c" goes with it. */
#include <string.h>
#include "abi.h"
#include "console.h"
#include "uaccess.h"

#define CHUNK 256
#define IOV_MAX 1024

static long console_out(const char *ubuf, size_t len)
{
    if (user_buffer_prepare(ubuf, len, false) < 0)
        return -EFAULT;
    char tmp[CHUNK];
    for (size_t done = 0; done < len;) {
        size_t n = len - done < CHUNK ? len - done : CHUNK;
        if (copy_from_user(tmp, ubuf + done, n) < 0)
            return done ? (long)done : -EFAULT;
        console_write(tmp, n);
        done += n;
    }
    return (long)len;
}

long __attribute__((weak)) lfile_pread_fd(int fd, void *buf, size_t len, uint64_t off)
{
    (void)fd;
    (void)buf;
    (void)len;
    (void)off;
    return -EBADF;
}

SYSCALL_DECL(write)
{
    int fd = (int)s->a[0];
    if (fd != 1 && fd != 2)
        return -EBADF;
    return console_out((const char *)s->a[1], s->a[2]);
}

struct linux_iovec {
    uint64_t base, len;
};

SYSCALL_DECL(writev)
{
    int fd = (int)s->a[0];
    uint64_t n = s->a[2];
    if (fd != 1 && fd != 2)
        return -EBADF;
    if (n > IOV_MAX)
        return -EINVAL;
    long total = 0;
    for (uint64_t i = 0; i < n; i++) {
        struct linux_iovec v;
        if (copy_from_user(&v, (const char *)s->a[1] + i * sizeof(v), sizeof(v)) < 0)
            return total ? total : -EFAULT;
        if (v.len > (uint64_t)0x7ffff000 - (uint64_t)total)
            return -EINVAL;
        long r = console_out((const char *)v.base, v.len);
        if (r < 0)
            return total ? total : r;
        total += r;
    }
    return total;
}

/* No console input yet: end of file. */
SYSCALL_DECL(read)
{
    int fd = (int)s->a[0];
    if (fd != 0)
        return -EBADF;
    return 0;
}
