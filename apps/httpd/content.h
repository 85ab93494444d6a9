/* Where httpd's files come from: the file system under --root, or built-in
 * pages when that holds nothing; the server sees only this interface. */
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
    int fd; /* an open file of the file system, or -1 for a built-in one */
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
