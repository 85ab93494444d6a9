/* HTTP/1.x request parsing (RFC 9112 request line and header fields; RFC
 * 9110 ranges): pure logic over the bytes a client sent, which may be anything. */
#include <string.h>
#include "http_parse.h"

static bool is_tchar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static bool name_is(const char *p, size_t n, const char *name)
{
    if (strlen(name) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (lower(p[i]) != name[i])
            return false;
    }
    return true;
}

/* The end of the head (index just past the blank line), or 0 if absent. */
static size_t find_head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (i + 1 < len && buf[i + 1] == '\n')
            return i + 2;
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decodes the path part of an origin-form target into out; 0 or an HTTP error. */
static int decode_path(const char *t, size_t n, char *out)
{
    if (n == 0 || t[0] != '/')
        return 400;
    size_t o = 0;
    for (size_t i = 0; i < n && t[i] != '?' && t[i] != '#'; i++) {
        char c = t[i];
        if (c == '%') {
            if (i + 2 >= n)
                return 400;
            int hi = hex(t[i + 1]), lo = hex(t[i + 2]);
            if (hi < 0 || lo < 0)
                return 400;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == 0 || (unsigned char)c < 0x20 || c == 0x7f)
            return 400;
        out[o++] = c; /* o < n <= HTTP_PATH_MAX: decoding never grows */
    }
    out[o] = 0;
    /* No way out of the root: refuse any ".." segment. */
    for (size_t i = 0; i < o; i++) {
        if (out[i] == '/' && out[i + 1] == '.' && out[i + 2] == '.' && (out[i + 3] == '/' || out[i + 3] == 0))
            return 400;
    }
    return 0;
}

static int parse_request_line(const char *l, size_t n, struct http_request *req)
{
    const char *sp1 = memchr(l, ' ', n);
    if (!sp1 || sp1 == l)
        return 400;
    for (const char *p = l; p < sp1; p++) {
        if (!is_tchar(*p))
            return 400;
    }
    size_t mlen = (size_t)(sp1 - l);
    req->method = mlen == 3 && memcmp(l, "GET", 3) == 0    ? HTTP_GET
                  : mlen == 4 && memcmp(l, "HEAD", 4) == 0 ? HTTP_HEAD
                                                           : HTTP_OTHER;
    const char *target = sp1 + 1;
    const char *end = l + n;
    const char *sp2 = memchr(target, ' ', (size_t)(end - target));
    if (!sp2 || sp2 == target)
        return 400;
    size_t tlen = (size_t)(sp2 - target);
    if (tlen > HTTP_PATH_MAX)
        return 414;
    const char *ver = sp2 + 1;
    size_t vlen = (size_t)(end - ver);
    if (vlen != 8 || memcmp(ver, "HTTP/1.", 7) != 0 || (ver[7] != '0' && ver[7] != '1'))
        return 400;
    req->minor = ver[7] - '0';
    req->keep_alive = req->minor == 1;
    return decode_path(target, tlen, req->path);
}

static bool parse_u64(const char *p, size_t n, uint64_t *out)
{
    if (n == 0 || n > 19)
        return false;
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return true;
}

/* bytes=first-last | bytes=first- | bytes=-suffix; anything else (several
 * ranges included) is ignored, which RFC 9110 allows: the whole file is sent. */
static void parse_range(const char *v, size_t n, struct http_range *r)
{
    if (n < 7 || memcmp(v, "bytes=", 6) != 0)
        return;
    v += 6;
    n -= 6;
    const char *dash = memchr(v, '-', n);
    if (!dash)
        return;
    size_t a = (size_t)(dash - v), b = n - a - 1;
    uint64_t first = 0, last = UINT64_MAX;
    if (a == 0) {
        if (!parse_u64(dash + 1, b, &last))
            return;
        *r = (struct http_range){ true, true, 0, last };
        return;
    }
    if (!parse_u64(v, a, &first) || (b && !parse_u64(dash + 1, b, &last)) || last < first)
        return;
    *r = (struct http_range){ true, false, first, last };
}

static void parse_connection(const char *v, size_t n, struct http_request *req)
{
    size_t i = 0;
    while (i < n) {
        while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
            i++;
        size_t s = i;
        while (i < n && v[i] != ',' && v[i] != ' ' && v[i] != '\t')
            i++;
        if (name_is(v + s, i - s, "close"))
            req->keep_alive = false;
        else if (name_is(v + s, i - s, "keep-alive"))
            req->keep_alive = true;
    }
}

struct header_state {
    bool host, length;
    uint64_t content_length;
};

static int parse_header(const char *l, size_t n, struct http_request *req, struct header_state *st)
{
    const char *colon = memchr(l, ':', n);
    if (!colon || colon == l)
        return 400;
    for (const char *p = l; p < colon; p++) {
        if (!is_tchar(*p))
            return 400; /* includes whitespace before the colon (RFC 9112 5.1) */
    }
    size_t nlen = (size_t)(colon - l);
    const char *v = colon + 1, *end = l + n;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t vlen = (size_t)(end - v);
    for (size_t i = 0; i < vlen; i++) {
        if ((unsigned char)v[i] < 0x20 && v[i] != '\t')
            return 400;
    }
    if (name_is(l, nlen, "host")) {
        if (st->host)
            return 400;
        st->host = true;
    } else if (name_is(l, nlen, "connection")) {
        parse_connection(v, vlen, req);
    } else if (name_is(l, nlen, "range")) {
        parse_range(v, vlen, &req->range);
    } else if (name_is(l, nlen, "content-length")) {
        uint64_t cl;
        if (!parse_u64(v, vlen, &cl) || (st->length && cl != st->content_length))
            return 400;
        st->length = true;
        st->content_length = cl;
        req->has_body = cl > 0;
    } else if (name_is(l, nlen, "transfer-encoding")) {
        return 400; /* no bodies here, and no way to skip a chunked one */
    }
    return 0;
}

static int parse_head(const char *buf, size_t len, struct http_request *req)
{
    struct header_state st = { false, false, 0 };
    bool first = true;
    size_t i = 0;
    while (i < len) {
        const char *nl = memchr(buf + i, '\n', len - i);
        size_t e = nl ? (size_t)(nl - buf) : len;
        size_t n = e - i;
        if (n && buf[i + n - 1] == '\r')
            n--;
        if (n == 0)
            break; /* the blank line */
        if (memchr(buf + i, 0, n))
            return 400;
        int rc = first ? parse_request_line(buf + i, n, req) : parse_header(buf + i, n, req, &st);
        if (rc)
            return rc;
        first = false;
        i = e + 1;
    }
    if (first)
        return 400;
    if (req->minor == 1 && !st.host)
        return 400; /* RFC 9112 3.2: HTTP/1.1 requests carry Host */
    if (req->method == HTTP_OTHER)
        return 405;
    return 0;
}

size_t http_parse_request(const char *buf, size_t len, struct http_request *req)
{
    memset(req, 0, sizeof(*req));
    size_t scan = len < HTTP_HEAD_MAX ? len : HTTP_HEAD_MAX;
    size_t end = find_head_end(buf, scan);
    if (!end) {
        /* Clients may send blank lines before a request (RFC 9112 2.2). */
        if (len < HTTP_HEAD_MAX)
            return 0;
        req->keep_alive = false;
        req->status = memchr(buf, '\n', HTTP_HEAD_MAX) ? 413 : 414;
        return HTTP_HEAD_MAX;
    }
    size_t skip = 0;
    while (skip < end && (buf[skip] == '\r' || buf[skip] == '\n'))
        skip++;
    if (skip == end)
        return end; /* only blank lines: nothing to answer; status 0 and empty path */
    req->status = parse_head(buf + skip, end - skip, req);
    if (req->status == 400)
        req->keep_alive = false;
    if (req->has_body)
        req->keep_alive = false;
    return end;
}

int http_resolve_range(const struct http_range *r, uint64_t size, uint64_t *start, uint64_t *count)
{
    if (!r->present)
        return 0;
    if (r->suffix) {
        if (r->last == 0)
            return -1;
        uint64_t n = r->last < size ? r->last : size;
        if (n == 0)
            return -1;
        *start = size - n;
        *count = n;
        return 1;
    }
    if (r->first >= size)
        return -1;
    uint64_t last = r->last < size - 1 ? r->last : size - 1;
    *start = r->first;
    *count = last - r->first + 1;
    return 1;
}

const char *http_content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        { "html", "text/html; charset=utf-8" }, { "htm", "text/html; charset=utf-8" },
        { "txt", "text/plain; charset=utf-8" }, { "css", "text/css" },
        { "js", "text/javascript" },            { "json", "application/json" },
        { "png", "image/png" },                 { "jpg", "image/jpeg" },
        { "jpeg", "image/jpeg" },               { "gif", "image/gif" },
        { "svg", "image/svg+xml" },             { "ico", "image/x-icon" },
        { "wasm", "application/wasm" },         { "pdf", "application/pdf" },
        { "xml", "application/xml" },           { "woff2", "font/woff2" },
    };
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    if (dot) {
        for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
            if (name_is(dot + 1, strlen(dot + 1), types[i].ext))
                return types[i].type;
        }
    }
    return "application/octet-stream";
}

const char *http_reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 206: return "Partial Content";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}
