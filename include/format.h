/* printf-style formatting into a buffer: pure logic shared by the kernel's
 * printf family and host tests. */
#ifndef KESTREL_FORMAT_H
#define KESTREL_FORMAT_H
#include <stdarg.h>
#include <stddef.h>

/* Like C99 vsnprintf: returns the length the full output would have. Supports
 * %d %i %u %x %X %o %p %s %c %% with flags "-0+ #", width, precision and the
 * hh h l ll z t j length modifiers. No floating point. */
int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);

/* The same formatting handed to sink in chunks as it is produced, so output
 * of any length is whole; returns the length of the output. */
typedef void (*fmt_sink)(void *ctx, const char *s, size_t n);
int fmt_vcbprintf(fmt_sink sink, void *ctx, const char *fmt, va_list ap);

#endif
