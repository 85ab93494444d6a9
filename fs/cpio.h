/* The cpio "newc" archive format (Linux initramfs): a pure walker, shared
 * with host tests and the fuzzer. */
#ifndef KESTREL_FS_CPIO_H
#define KESTREL_FS_CPIO_H
#include <stddef.h>
#include <stdint.h>

struct cpio_entry {
    const char *name; /* not NUL-terminated: name_len bytes */
    size_t name_len;
    uint32_t mode;
    uint32_t ino;
    uint32_t nlink;
    uint32_t mtime;
    const uint8_t *data;
    size_t size;
};

/* Calls fn for each entry up to "TRAILER!!!"; fn returning <0 stops the walk.
 * Returns the number of entries, or -EIO (with a log line) when the archive
 * is malformed (bad magic, a length past the end, no trailer). */
long cpio_walk(const uint8_t *buf, size_t len, int (*fn)(void *ctx, const struct cpio_entry *e), void *ctx);

#endif
