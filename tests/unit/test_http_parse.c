/* httpd's request parsing: good requests of every shape we serve, every
 * error answer, incremental arrival, ranges and content types. */
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http_parse.h"
#include "check.h"

static size_t parse(const char *s, struct http_request *r) { return http_parse_request(s, strlen(s), r); }

static void good(void)
{
    struct http_request r;
    const char *s = "GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_EQ(parse(s, &r), strlen(s));
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.method, HTTP_GET);
    CHECK(strcmp(r.path, "/index.html") == 0);
    CHECK(r.keep_alive);
    CHECK(!r.range.present);

    s = "HEAD /a%20b/c?x=1 HTTP/1.0\n\n";
    CHECK_EQ(parse(s, &r), strlen(s));
    CHECK_EQ(r.status, 0);
    CHECK_EQ(r.method, HTTP_HEAD);
    CHECK(strcmp(r.path, "/a b/c") == 0);
    CHECK(!r.keep_alive);

    s = "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    parse(s, &r);
    CHECK(r.keep_alive);
    s = "GET / HTTP/1.1\r\nhost: x\r\nConnection: foo, close\r\n\r\n";
    parse(s, &r);
    CHECK_EQ(r.status, 0);
    CHECK(!r.keep_alive);

    /* Pipelined: only the first head is used. */
    s = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK_EQ(parse(s, &r), strlen(s) / 2);
    CHECK(strcmp(r.path, "/1") == 0);

    /* Leading blank lines are skipped. */
    s = "\r\n\r\n";
    CHECK_EQ(parse(s, &r), 4);
    CHECK(r.status == 0 && r.path[0] == 0);
}

static void incremental(void)
{
    const char *s = "GET /x HTTP/1.1\r\nHost: a\r\nRange: bytes=1-2\r\n\r\n";
    struct http_request r;
    for (size_t n = 0; n < strlen(s); n++)
        CHECK_EQ(http_parse_request(s, n, &r), 0);
    CHECK_EQ(http_parse_request(s, strlen(s), &r), strlen(s));
    CHECK(r.range.present && r.range.first == 1 && r.range.last == 2);
}

static void errors(void)
{
    struct http_request r;
    struct {
        const char *req;
        int status;
    } cases[] = {
        { "garbage\r\n\r\n", 400 },
        { "GET\r\n\r\n", 400 },
        { "GET /\r\n\r\n", 400 },
        { "GET / HTTP/2.0\r\nHost: x\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\n\r\n", 400 },                       /* no Host */
        { "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400 }, /* two */
        { "GET x HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /%zz HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /%0 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /%00 HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /../etc HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET /a/%2e%2e HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nno colon\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nContent-Length: x\r\n\r\n", 400 },
        { "GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 400 },
        { "G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400 },
        { "POST / HTTP/1.1\r\nHost: a\r\n\r\n", 405 },
        { "DELETE /x HTTP/1.0\r\n\r\n", 405 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t used = parse(cases[i].req, &r);
        if (r.status != cases[i].status)
            fprintf(stderr, "case %zu: status %d\n", i, r.status);
        CHECK_EQ(used, strlen(cases[i].req));
        CHECK_EQ(r.status, cases[i].status);
    }
    /* A body we will not read closes the connection, whatever was asked. */
    parse("GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n", &r);
    CHECK(r.status == 0 && !r.keep_alive && r.has_body);

    /* Over the limits: 414 for a request line alone, 413 with headers. */
    char *big = malloc(HTTP_HEAD_MAX + 100);
    memset(big, 'a', HTTP_HEAD_MAX + 99);
    memcpy(big, "GET /", 5);
    big[HTTP_HEAD_MAX + 99] = 0;
    CHECK_EQ(parse(big, &r), HTTP_HEAD_MAX);
    CHECK_EQ(r.status, 414);
    CHECK(!r.keep_alive);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    CHECK_EQ(parse(big, &r), HTTP_HEAD_MAX);
    CHECK_EQ(r.status, 413);
    /* A target over HTTP_PATH_MAX inside a complete head is 414. */
    size_t n = (size_t)sprintf(big, "GET /");
    memset(big + n, 'p', HTTP_PATH_MAX);
    strcpy(big + n + HTTP_PATH_MAX, " HTTP/1.1\r\nHost: a\r\n\r\n");
    parse(big, &r);
    CHECK_EQ(r.status, 414);
    free(big);
}

static void ranges(void)
{
    struct http_request r;
    uint64_t s, c;
    parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=10-19\r\n\r\n", &r);
    CHECK_EQ(http_resolve_range(&r.range, 100, &s, &c), 1);
    CHECK(s == 10 && c == 10);
    CHECK_EQ(http_resolve_range(&r.range, 15, &s, &c), 1);
    CHECK(s == 10 && c == 5);
    CHECK_EQ(http_resolve_range(&r.range, 10, &s, &c), -1);
    parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=5-\r\n\r\n", &r);
    CHECK_EQ(http_resolve_range(&r.range, 100, &s, &c), 1);
    CHECK(s == 5 && c == 95);
    parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=-30\r\n\r\n", &r);
    CHECK_EQ(http_resolve_range(&r.range, 100, &s, &c), 1);
    CHECK(s == 70 && c == 30);
    CHECK_EQ(http_resolve_range(&r.range, 10, &s, &c), 1);
    CHECK(s == 0 && c == 10);
    CHECK_EQ(http_resolve_range(&r.range, 0, &s, &c), -1);
    parse("GET / HTTP/1.1\r\nHost: a\r\nRange: bytes=-0\r\n\r\n", &r);
    CHECK_EQ(http_resolve_range(&r.range, 10, &s, &c), -1);
    /* Ignored (whole file): several ranges, bad syntax, reversed, other units. */
    const char *ignored[] = { "bytes=1-2,4-5", "bytes=a-b", "bytes=5-1", "items=1-2", "bytes=", "bytes=-",
                              "bytes=99999999999999999999-" };
    for (size_t i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++) {
        char req[200];
        snprintf(req, sizeof(req), "GET / HTTP/1.1\r\nHost: a\r\nRange: %s\r\n\r\n", ignored[i]);
        parse(req, &r);
        CHECK_EQ(r.status, 0);
        CHECK_EQ(http_resolve_range(&r.range, 100, &s, &c), 0);
    }
}

static void types(void)
{
    CHECK(strcmp(http_content_type("/index.html"), "text/html; charset=utf-8") == 0);
    CHECK(strcmp(http_content_type("/a/b.PNG"), "image/png") == 0);
    CHECK(strcmp(http_content_type("/a.b/c"), "application/octet-stream") == 0);
    CHECK(strcmp(http_content_type("/x.css"), "text/css") == 0);
    CHECK(strcmp(http_content_type("/noext"), "application/octet-stream") == 0);
    CHECK(strcmp(http_reason(404), "Not Found") == 0);
}

int main(void)
{
    good();
    incremental();
    errors();
    ranges();
    types();
    return check_report("test_http_parse");
}
