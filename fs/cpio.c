/* cpio newc: a 110-byte ASCII header ("070701" or "070702" and thirteen
 * 8-digit hex fields), the name (namesize bytes, NUL included, which may
 * hold more NULs) padded to 4 bytes, the data padded to 4. */
#include <errno.h>
#include <string.h>
#include "cpio.h"
#include "log.h"

#define HDR_LEN 110
#define TRAILER "TRAILER!!!"

static int hex8(const uint8_t *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 8; i++) {
        uint8_t c = p[i];
        uint32_t d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}

static size_t pad4(size_t v) { return (v + 3) & ~(size_t)3; }

static long bad(const char *what, size_t off)
{
    pr_err("initrd: malformed cpio archive: %s at byte %llu\n", what, (unsigned long long)off);
    return -EIO;
}

long cpio_walk(const uint8_t *buf, size_t len, int (*fn)(void *ctx, const struct cpio_entry *e), void *ctx)
{
    size_t off = 0;
    long n = 0;
    for (;;) {
        if (len - off < HDR_LEN)
            return bad("header past the end", off);
        const uint8_t *h = buf + off;
        if (memcmp(h, "07070", 5) != 0 || (h[5] != '1' && h[5] != '2'))
            return bad("bad magic", off);
        uint32_t f[13];
        for (int i = 0; i < 13; i++) {
            if (hex8(h + 6 + i * 8, &f[i]) < 0)
                return bad("bad hex field", off);
        }
        /* fields: ino mode uid gid nlink mtime filesize devmajor devminor
         * rdevmajor rdevminor namesize check */
        size_t name_len = f[11];
        if (name_len == 0 || name_len > len - off - HDR_LEN)
            return bad("name past the end", off);
        const char *name = (const char *)h + HDR_LEN;
        if (name[name_len - 1] != 0)
            return bad("name not NUL-terminated", off);
        size_t data_off = pad4(off + HDR_LEN + name_len);
        if (data_off > len || f[6] > len - data_off)
            return bad("file data past the end", off);
        /* The name ends at its first NUL: writers may pad the field with
         * more (scripts/kestrel_initrd.py, to page-align the data). */
        size_t used = (size_t)((const char *)memchr(name, 0, name_len) - name);
        struct cpio_entry e = {
            .name = name, .name_len = used, .mode = f[1], .ino = f[0], .nlink = f[4], .mtime = f[5],
            .data = buf + data_off, .size = f[6],
        };
        if (e.name_len == sizeof(TRAILER) - 1 && memcmp(name, TRAILER, e.name_len) == 0)
            return n;
        n++;
        int rc = fn(ctx, &e);
        if (rc < 0)
            return rc;
        size_t next = pad4(data_off + e.size);
        if (next > len)
            return bad("no trailer", len);
        off = next;
    }
}
