/* Where httpd's files come from: one small interface, so that the VFS (fs/)
 * can replace the built-in pages without touching the server. */
#ifndef HTTPD_CONTENT_H
#define HTTPD_CONTENT_H
#include <stddef.h>
#include <stdint.h>

struct content {
    uint64_t size;
    const char *name; /* the path it was found under (for the content type) */
    /* Copies up to len bytes from offset into buf: the count, or <0 on error. */
    long (*read_at)(const struct content *c, uint64_t offset, void *buf, size_t len);
    const void *priv;
};

/* Finds path under root: 0, -ENOENT if there is no such file, another
 * -errno if it cannot be read. */
int content_open(const char *root, const char *path, struct content *c);
void content_close(struct content *c);

/* The generated test files' byte at offset (tests compute the same). */
static inline uint8_t content_pattern_byte(uint64_t offset)
{
    uint64_t x = offset * 0x9E3779B97F4A7C15ull;
    return (uint8_t)(x >> 56 ^ offset);
}

#endif
