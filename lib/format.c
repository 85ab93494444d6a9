/* printf-style formatting, pure logic (no output device): see format.h. */
#include <stdint.h>
#include <string.h>
#include "format.h"

/* Output goes into buf; with a sink, buf is a chunk handed to the sink each
 * time it fills, so output of any length comes out whole. */
struct out {
    char *buf;
    size_t size;
    size_t pos;  /* bytes in buf */
    size_t len;  /* bytes produced in all */
    fmt_sink sink;
    void *ctx;
};

static void put(struct out *o, char c)
{
    if (o->sink && o->pos == o->size) {
        o->sink(o->ctx, o->buf, o->pos);
        o->pos = 0;
    }
    if (o->sink || o->pos + 1 < o->size)
        o->buf[o->pos++] = c;
    o->len++;
}

static void pad(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    int left, zero, plus, space, alt;
    int width, prec;
};

static void put_str(struct out *o, const char *s, const struct spec *sp)
{
    if (!s)
        s = "(null)";
    size_t n = sp->prec >= 0 ? strnlen(s, (size_t)sp->prec) : strlen(s);
    int fill = sp->width - (int)n;
    if (!sp->left)
        pad(o, ' ', fill);
    for (size_t i = 0; i < n; i++)
        put(o, s[i]);
    if (sp->left)
        pad(o, ' ', fill);
}

static void put_num(struct out *o, uint64_t v, int neg, unsigned base, int upper,
                    const struct spec *sp, int is_ptr)
{
    const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char tmp[24];
    int n = 0;
    while (v) {
        tmp[n++] = digits[v % base];
        v /= base;
    }
    int prec = sp->prec;
    if (prec < 0)
        prec = 1;
    int zeros = prec > n ? prec - n : 0;
    const char *prefix = "";
    if (neg)
        prefix = "-";
    else if (sp->plus && base == 10)
        prefix = "+";
    else if (sp->space && base == 10)
        prefix = " ";
    else if ((sp->alt || is_ptr) && base == 16 && (n || is_ptr))
        prefix = upper ? "0X" : "0x";
    else if (sp->alt && base == 8 && zeros == 0)
        prefix = "0";
    int plen = (int)strlen(prefix);
    int body = plen + zeros + n;
    int fill = sp->width > body ? sp->width - body : 0;
    if (sp->zero && !sp->left && sp->prec < 0) {
        zeros += fill;
        fill = 0;
    }
    if (!sp->left)
        pad(o, ' ', fill);
    for (int i = 0; i < plen; i++)
        put(o, prefix[i]);
    pad(o, '0', zeros);
    while (n)
        put(o, tmp[--n]);
    if (sp->left)
        pad(o, ' ', fill);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
    memset(sp, 0, sizeof(*sp));
    sp->prec = -1;
    for (;; f++) {
        if (*f == '-')
            sp->left = 1;
        else if (*f == '0')
            sp->zero = 1;
        else if (*f == '+')
            sp->plus = 1;
        else if (*f == ' ')
            sp->space = 1;
        else if (*f == '#')
            sp->alt = 1;
        else
            break;
    }
    if (*f == '*') {
        sp->width = va_arg(*ap, int);
        if (sp->width < 0) {
            sp->left = 1;
            sp->width = -sp->width;
        }
        f++;
    } else {
        while (*f >= '0' && *f <= '9')
            sp->width = sp->width * 10 + (*f++ - '0');
    }
    if (*f == '.') {
        f++;
        sp->prec = 0;
        if (*f == '*') {
            sp->prec = va_arg(*ap, int);
            if (sp->prec < 0)
                sp->prec = -1;
            f++;
        } else {
            while (*f >= '0' && *f <= '9')
                sp->prec = sp->prec * 10 + (*f++ - '0');
        }
    }
    return f;
}

/* Length modifier: 0 int, 1 char, 2 short, 3 long, 4 long long/size_t/ptrdiff/intmax. */
static const char *parse_len(const char *f, int *len)
{
    *len = 0;
    if (f[0] == 'h' && f[1] == 'h') {
        *len = 1;
        return f + 2;
    }
    if (f[0] == 'l' && f[1] == 'l') {
        *len = 4;
        return f + 2;
    }
    switch (*f) {
    case 'h':
        *len = 2;
        return f + 1;
    case 'l':
        *len = 3;
        return f + 1;
    case 'z':
    case 't':
    case 'j':
        *len = 4;
        return f + 1;
    }
    return f;
}

static int64_t get_signed(va_list *ap, int len)
{
    switch (len) {
    case 1:
        return (signed char)va_arg(*ap, int);
    case 2:
        return (short)va_arg(*ap, int);
    case 3:
        return va_arg(*ap, long);
    case 4:
        return va_arg(*ap, long long);
    }
    return va_arg(*ap, int);
}

static uint64_t get_unsigned(va_list *ap, int len)
{
    switch (len) {
    case 1:
        return (unsigned char)va_arg(*ap, unsigned);
    case 2:
        return (unsigned short)va_arg(*ap, unsigned);
    case 3:
        return va_arg(*ap, unsigned long);
    case 4:
        return va_arg(*ap, unsigned long long);
    }
    return va_arg(*ap, unsigned);
}

static void convert(struct out *o, char c, int len, struct spec *sp, va_list *ap)
{
    switch (c) {
    case 'd':
    case 'i': {
        int64_t v = get_signed(ap, len);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        put_num(o, mag, v < 0, 10, 0, sp, 0);
        return;
    }
    case 'u':
        put_num(o, get_unsigned(ap, len), 0, 10, 0, sp, 0);
        return;
    case 'x':
    case 'X':
        put_num(o, get_unsigned(ap, len), 0, 16, c == 'X', sp, 0);
        return;
    case 'o':
        put_num(o, get_unsigned(ap, len), 0, 8, 0, sp, 0);
        return;
    case 'p':
        put_num(o, (uintptr_t)va_arg(*ap, void *), 0, 16, 0, sp, 1);
        return;
    case 's':
        put_str(o, va_arg(*ap, const char *), sp);
        return;
    case 'c': {
        char ch[2] = { (char)va_arg(*ap, int), 0 };
        sp->prec = 1;
        put_str(o, ch, sp);
        return;
    }
    default:
        put(o, '%');
        if (c)
            put(o, c);
        return;
    }
}

static void format(struct out *o, const char *fmt, va_list ap_in)
{
    va_list ap;
    va_copy(ap, ap_in);
    while (*fmt) {
        if (*fmt != '%') {
            put(o, *fmt++);
            continue;
        }
        fmt++;
        if (*fmt == '%') {
            put(o, *fmt++);
            continue;
        }
        struct spec sp;
        int len;
        fmt = parse_spec(fmt, &sp, &ap);
        fmt = parse_len(fmt, &len);
        char c = *fmt;
        if (c)
            fmt++;
        convert(o, c, len, &sp, &ap);
    }
    va_end(ap);
}

int fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = { buf, size, 0, 0, NULL, NULL };
    format(&o, fmt, ap);
    if (size)
        buf[o.pos] = 0;
    return (int)o.len;
}

int fmt_vcbprintf(fmt_sink sink, void *ctx, const char *fmt, va_list ap)
{
    char chunk[128];
    struct out o = { chunk, sizeof(chunk), 0, 0, sink, ctx };
    format(&o, fmt, ap);
    if (o.pos)
        sink(ctx, chunk, o.pos);
    return (int)o.len;
}
