/* The metadata clients' HTTP response parser: good answers of each dialect,
 * every refusal (truncated, malformed, oversized, chunked), byte by byte. */
#include <stdlib.h>
#include <string.h>
#include "http_response.h"
#include "check.h"

static enum http_resp_error parse(const char *s, struct http_response *r)
{
    size_t n = strlen(s);
    char *b = malloc(n ? n : 1); /* exact size: ASan sees any over-read */
    memcpy(b, s, n);
    enum http_resp_error e = http_response_parse(b, n, r);
    free(b);
    return e;
}

static void good(void)
{
    struct http_response r;
    const char *s = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\ni-0123456789abcdef0";
    CHECK_EQ(parse(s, &r), HTTP_RESP_OK);
    CHECK_EQ(r.status, 200);
    CHECK_EQ(r.content_length, 19);
    CHECK(memcmp(s + r.body_offset, "i-0123456789abcdef0", 19) == 0);

    CHECK_EQ(parse("HTTP/1.0 404 Not Found\ncontent-length:0\n\n", &r), HTTP_RESP_OK);
    CHECK_EQ(r.status, 404);
    CHECK_EQ(r.content_length, 0);
    CHECK_EQ(parse("HTTP/1.1 401\r\nCONTENT-LENGTH:  3 \r\nX: y\r\n\r\nabc", &r), HTTP_RESP_OK);
    CHECK_EQ(r.status, 401);
    /* A repeated, equal Content-Length is accepted. */
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", &r), HTTP_RESP_OK);
}

static void truncated(void)
{
    const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
    struct http_response r;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        char *b = malloc(i ? i : 1);
        memcpy(b, s, i);
        enum http_resp_error e = http_response_parse(b, i, &r);
        free(b);
        CHECK_EQ(e, HTTP_RESP_INCOMPLETE);
    }
    CHECK_EQ(parse(s, &r), HTTP_RESP_OK);
}

static void refused(void)
{
    struct http_response r;
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\n\r\nbody", &r), HTTP_RESP_NO_LENGTH);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", &r),
             HTTP_RESP_NO_LENGTH);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n", &r), HTTP_RESP_TOO_LARGE);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n", &r), HTTP_RESP_TOO_LARGE);
    CHECK_EQ(parse("HTTP/2 200 OK\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 099 OK\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 20x OK\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("SSH-2.0-OpenSSH\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\nx", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length:\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nno colon\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nBad Name: 1\r\nContent-Length: 0\r\n\r\n", &r), HTTP_RESP_MALFORMED);
    CHECK_EQ(parse("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxy", &r), HTTP_RESP_MALFORMED);
    /* A head that never ends within the limit. */
    size_t n = HTTP_RESP_HEAD_MAX + 10;
    char *big = malloc(n + 1);
    memcpy(big, "HTTP/1.1 200 OK\r\n", 17);
    memset(big + 17, 'a', n - 17);
    big[n] = 0;
    CHECK_EQ(parse(big, &r), HTTP_RESP_TOO_LARGE);
    free(big);
    /* The largest accepted body. */
    size_t body = HTTP_RESP_BODY_MAX;
    char head[64];
    int hn = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n\r\n", body);
    char *ok = malloc((size_t)hn + body);
    memcpy(ok, head, (size_t)hn);
    memset(ok + hn, 'u', body);
    CHECK_EQ(http_response_parse(ok, (size_t)hn + body, &r), HTTP_RESP_OK);
    CHECK_EQ(r.content_length, body);
    free(ok);
    CHECK(strcmp(http_resp_strerror(HTTP_RESP_TOO_LARGE), "answer too large") == 0);
}

int main(void)
{
    good();
    truncated();
    refused();
    return check_report("test_http_response");
}
