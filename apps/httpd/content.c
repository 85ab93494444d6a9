/* httpd's files until the VFS lands: a built-in page and generated files of
 * known content (tests and benchmarks check their bytes). root is accepted
 * and ignored here; with fs/ it becomes the directory files are opened in. */
#include <errno.h>
#include <string.h>
#include "content.h"

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>Kestrel</title></head>\n"
    "<body><h1>Kestrel httpd</h1>\n"
    "<p>Served by a Kestrel unikernel over lwIP.</p>\n"
    "</body></html>\n";

static long read_static(const struct content *c, uint64_t off, void *buf, size_t len)
{
    if (off >= c->size)
        return 0;
    size_t n = c->size - off < len ? (size_t)(c->size - off) : len;
    memcpy(buf, (const char *)c->priv + off, n);
    return (long)n;
}

static long read_pattern(const struct content *c, uint64_t off, void *buf, size_t len)
{
    if (off >= c->size)
        return 0;
    size_t n = c->size - off < len ? (size_t)(c->size - off) : len;
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = content_pattern_byte(off + i);
    return (long)n;
}

static const struct {
    const char *path;
    uint64_t size;
    const void *data; /* NULL: generated */
} files[] = {
    { "/index.html", sizeof(index_html) - 1, index_html },
    { "/data.bin", 1024 * 1024, NULL },
    { "/small.txt", 1000, NULL },
    { "/large.bin", 64ull * 1024 * 1024, NULL },
};

int content_open(const char *root, const char *path, struct content *c)
{
    (void)root;
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (strcmp(files[i].path, path) != 0)
            continue;
        c->size = files[i].size;
        c->name = files[i].path;
        c->priv = files[i].data;
        c->read_at = files[i].data ? read_static : read_pattern;
        return 0;
    }
    return -ENOENT;
}

void content_close(struct content *c) { c->priv = NULL; }
