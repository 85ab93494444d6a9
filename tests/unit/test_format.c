/* fmt_vsnprintf against the host C library's snprintf for every supported
 * conversion, plus truncation behaviour. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "check.h"
#include "format.h"

static char ours[256], theirs[256];

static int fmt(char *buf, size_t n, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmt_vsnprintf(buf, n, f, ap);
    va_end(ap);
    return r;
}

#define SAME(...)                                                               \
    do {                                                                        \
        int r1 = fmt(ours, sizeof(ours), __VA_ARGS__);                          \
        int r2 = snprintf(theirs, sizeof(theirs), __VA_ARGS__);                 \
        CHECK_EQ(r1, r2);                                                       \
        if (strcmp(ours, theirs) != 0)                                          \
            fprintf(stderr, "format %s: '%s' != '%s'\n", #__VA_ARGS__, ours, theirs); \
        CHECK(strcmp(ours, theirs) == 0);                                       \
    } while (0)

/* A sink collecting chunks: long output must arrive whole, in order. */
struct collect {
    char buf[8192];
    size_t len;
    int calls;
};

static void collect(void *ctx, const char *s, size_t n)
{
    struct collect *c = ctx;
    if (c->len + n <= sizeof(c->buf)) {
        memcpy(c->buf + c->len, s, n);
    }
    c->len += n;
    c->calls++;
}

static int cb(struct collect *c, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    int r = fmt_vcbprintf(collect, c, f, ap);
    va_end(ap);
    return r;
}

static void test_sink_long_output(void)
{
    static char big[3000], want[8192];
    for (size_t i = 0; i < sizeof(big) - 1; i++)
        big[i] = (char)('a' + i % 26);
    static struct collect c;
    int n = cb(&c, "[%s|%-700d|%s]", big, 7, "end");
    int w = snprintf(want, sizeof(want), "[%s|%-700d|%s]", big, 7, "end");
    CHECK_EQ(n, w);
    CHECK_EQ((int)c.len, w);
    CHECK(memcmp(c.buf, want, (size_t)w) == 0);
    CHECK(c.calls > 1);
    static struct collect e;
    CHECK_EQ(cb(&e, "%s", ""), 0);
    CHECK_EQ(e.calls, 0);
}

int main(void)
{
    test_sink_long_output();
    SAME("plain");
    SAME("%d %i %u", -42, 17, 4000000000u);
    SAME("%5d|%-5d|%05d|%+d|% d", 42, 42, 42, 42, 42);
    SAME("%x %X %#x %#X %o %#o", 255u, 255u, 255u, 255u, 8u, 8u);
    SAME("%lld %llu %llx", -9223372036854775807ll - 1, 18446744073709551615ull, 0xdeadbeefcafeull);
    SAME("%ld %lu %zu %zd", -5l, 5ul, (size_t)77, (ssize_t)-77);
    SAME("%hhd %hd %hhu", 300, 70000, 300);
    SAME("%s|%10s|%-10s|%.3s|%*s|%-*s|", "abc", "abc", "abc", "abcdef", 6, "x", 6, "y");
    SAME("%c%c%%", 'o', 'k');
    SAME("%.5d|%8.3x|%-8.3d|%.0d", 42, 255u, 7, 0);
    SAME("%#llx", 0ull);
    SAME("%p", (void *)0x1234);

    /* Truncation: returns the full length, always terminates. */
    char small[5];
    CHECK_EQ(fmt(small, sizeof(small), "%s", "hello world"), 11);
    CHECK(strcmp(small, "hell") == 0);
    CHECK_EQ(fmt(NULL, 0, "%d", 12345), 5);
    fmt(small, sizeof(small), "%s", (char *)NULL);
    CHECK(strcmp(small, "(nul") == 0);
    return check_report("test_format");
}
