/* HTTP/1.1 response parsing for the cloud metadata clients: the status line,
 * Content-Length, and the body bounded by HTTP_RESP_BODY_MAX. Pure logic. */
#include <string.h>
#include "http_response.h"

const char *http_resp_strerror(enum http_resp_error e)
{
    switch (e) {
    case HTTP_RESP_OK:
        return "ok";
    case HTTP_RESP_INCOMPLETE:
        return "truncated answer";
    case HTTP_RESP_MALFORMED:
        return "malformed answer";
    case HTTP_RESP_TOO_LARGE:
        return "answer too large";
    case HTTP_RESP_NO_LENGTH:
        return "answer without Content-Length";
    }
    return "unknown error";
}

static char lower(char c) { return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c; }

static int name_is(const char *p, size_t n, const char *name)
{
    if (strlen(name) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (lower(p[i]) != name[i])
            return 0;
    }
    return 1;
}

/* Where the head ends (index just past the blank line), or 0 if not in buf. */
static size_t head_end(const char *buf, size_t len)
{
    for (size_t i = 0; i + 1 < len; i++) {
        if (buf[i] != '\n')
            continue;
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && i + 2 < len && buf[i + 2] == '\n')
            return i + 3;
    }
    return 0;
}

/* "HTTP/1.x NNN reason" */
static int parse_status(const char *p, size_t n, int *status)
{
    if (n < 12 || memcmp(p, "HTTP/1.", 7) != 0 || (p[7] != '0' && p[7] != '1') || p[8] != ' ')
        return -1;
    int s = 0;
    for (size_t i = 9; i < 12; i++) {
        if (p[i] < '0' || p[i] > '9')
            return -1;
        s = s * 10 + (p[i] - '0');
    }
    if (s < 100 || s > 599 || (n > 12 && p[12] != ' '))
        return -1;
    *status = s;
    return 0;
}

static int parse_length(const char *v, size_t n, size_t *out)
{
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    if (!n)
        return -1;
    size_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (v[i] < '0' || v[i] > '9')
            return -1;
        x = x * 10 + (size_t)(v[i] - '0');
        if (x > HTTP_RESP_BODY_MAX)
            return 1;
    }
    *out = x;
    return 0;
}

/* One header line (without its end of line); records Content-Length. */
static enum http_resp_error parse_header(const char *p, size_t n, int *have_len, size_t *len)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return HTTP_RESP_MALFORMED;
    for (const char *c = p; c < colon; c++) {
        if (*c <= ' ' || *c >= 127)
            return HTTP_RESP_MALFORMED;
    }
    size_t name_len = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vn = n - name_len - 1;
    if (name_is(p, name_len, "transfer-encoding"))
        return HTTP_RESP_NO_LENGTH;
    if (!name_is(p, name_len, "content-length"))
        return HTTP_RESP_OK;
    size_t x = 0;
    int k = parse_length(v, vn, &x);
    if (k > 0)
        return HTTP_RESP_TOO_LARGE;
    if (k < 0 || (*have_len && x != *len))
        return HTTP_RESP_MALFORMED;
    *have_len = 1;
    *len = x;
    return HTTP_RESP_OK;
}

enum http_resp_error http_response_parse(const char *buf, size_t len, struct http_response *r)
{
    memset(r, 0, sizeof(*r));
    size_t end = head_end(buf, len < HTTP_RESP_HEAD_MAX ? len : HTTP_RESP_HEAD_MAX);
    if (!end)
        return len >= HTTP_RESP_HEAD_MAX ? HTTP_RESP_TOO_LARGE : HTTP_RESP_INCOMPLETE;
    int have_len = 0;
    size_t pos = 0;
    for (int first = 1;; first = 0) {
        const char *nl = memchr(buf + pos, '\n', end - pos);
        size_t n = (size_t)(nl - (buf + pos));
        if (n && buf[pos + n - 1] == '\r')
            n--;
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            if (buf[pos + i] == '\r' || buf[pos + i] == 0)
                return HTTP_RESP_MALFORMED;
        }
        if (first) {
            if (parse_status(buf + pos, n, &r->status) < 0)
                return HTTP_RESP_MALFORMED;
        } else {
            enum http_resp_error e = parse_header(buf + pos, n, &have_len, &r->content_length);
            if (e != HTTP_RESP_OK)
                return e;
        }
        pos = (size_t)(nl - buf) + 1;
    }
    if (!r->status)
        return HTTP_RESP_MALFORMED;
    if (!have_len)
        return HTTP_RESP_NO_LENGTH;
    r->body_offset = end;
    if (len - end < r->content_length)
        return HTTP_RESP_INCOMPLETE;
    if (len - end > r->content_length)
        return HTTP_RESP_MALFORMED; /* one request per connection: nothing may follow */
    return HTTP_RESP_OK;
}
