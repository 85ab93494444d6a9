/* lwIP's compiler and platform header for Kestrel: freestanding gcc on x86_64,
 * diagnostics to the kernel log, assertions panic. */
#ifndef KESTREL_LWIP_CC_H
#define KESTREL_LWIP_CC_H
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

/* No hosted C headers: lwIP's own ctype helpers, and format macros here. */
#define LWIP_NO_CTYPE_H 1
#define LWIP_NO_INTTYPES_H 1
#define X8_F "02x"
#define U16_F "hu"
#define S16_F "hd"
#define X16_F "hx"
#define U32_F "u"
#define S32_F "d"
#define X32_F "x"
#define SZT_F "zu"

#define SSIZE_MAX LONG_MAX /* ssize_t comes from our unistd.h */
#define LWIP_ERRNO_STDINCLUDE 1
#define LWIP_TIMEVAL_PRIVATE 1

void kestrel_lwip_assert(const char *msg, const char *file, int line) __attribute__((noreturn));
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
uint32_t kestrel_lwip_rand(void);

#define LWIP_PLATFORM_DIAG(x) \
    do {                      \
        kprintf x;            \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x) kestrel_lwip_assert((x), __FILE__, __LINE__)
#define LWIP_RAND() kestrel_lwip_rand()

#endif
