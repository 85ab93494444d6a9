/* lib/: the freestanding C library subset compiled into the kernel.
 * string.c holds the memory and string primitives (gcc also emits calls to these). */
#include <stdint.h>
#include <string.h>

/* memcpy and memset move eight bytes a step whatever the alignment (x86
 * allows unaligned words, which uword says to the compiler: a file's bytes
 * in the initrd sit at 4-byte offsets, where an aligned-only word loop went
 * bytewise), 32 then 8 words an iteration for memcpy, 8 for memset, then
 * the tail. Not rep movsq/stosq: under QEMU TCG every repetition of a
 * string instruction is a pass through the translated block, and
 * bench/syscall's 4 KiB read took longer in wall time with it than with
 * this loop (on hardware either is fine). */
typedef uint64_t __attribute__((aligned(1), may_alias)) uword;

void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    /* Thirty-two words a step: the loop's own counting is a sixteenth of
     * it (a 4 KiB read's copy is most of its instructions). */
    for (; n >= 256; n -= 256, d += 256, s += 256) {
        const uword *from = (const uword *)s;
        uword *to = (uword *)d;
#pragma GCC unroll 32
        for (int i = 0; i < 32; i++)
            to[i] = from[i];
    }
    for (; n >= 64; n -= 64, d += 64, s += 64) {
        const uword *from = (const uword *)s;
        uword *to = (uword *)d;
#pragma GCC unroll 8
        for (int i = 0; i < 8; i++)
            to[i] = from[i];
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
        *(uword *)d = *(const uword *)s;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (d == s || n == 0)
        return dst;
    if (d < s || d >= s + n)
        return memcpy(dst, src, n);
    while (n--)
        d[n] = s[n];
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t v = (unsigned char)c * 0x0101010101010101ull;
    for (; n >= 64; n -= 64, d += 64) {
        uword *to = (uword *)d;
        to[0] = v;
        to[1] = v;
        to[2] = v;
        to[3] = v;
        to[4] = v;
        to[5] = v;
        to[6] = v;
        to[7] = v;
    }
    for (; n >= 8; n -= 8, d += 8)
        *(uword *)d = v;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] - y[i];
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == (unsigned char)c)
            return (void *)(p + i);
    }
    return NULL;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b) {
        a++;
        b++;
    }
    return (unsigned char)*a - (unsigned char)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return (unsigned char)a[i] - (unsigned char)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;
    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (!*s)
            return (char *)last;
    }
}

size_t strlcpy(char *dst, const char *src, size_t size)
{
    size_t len = strlen(src);
    if (size) {
        size_t n = len < size - 1 ? len : size - 1;
        memcpy(dst, src, n);
        dst[n] = 0;
    }
    return len;
}

/* Pads with NULs to n and leaves dst unterminated when src is n or longer (C's rules). */
char *strncpy(char *dst, const char *src, size_t n)
{
    size_t len = strnlen(src, n);
    memcpy(dst, src, len);
    memset(dst + len, 0, n - len);
    return dst;
}
