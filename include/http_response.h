/* HTTP/1.1 response parsing for the cloud metadata clients (net/cloud_meta.c):
 * pure logic over a buffer holding the whole answer, shared with host tests. */
#ifndef KESTREL_HTTP_RESPONSE_H
#define KESTREL_HTTP_RESPONSE_H
#include <stddef.h>

#define HTTP_RESP_HEAD_MAX 4096
#define HTTP_RESP_BODY_MAX (64 * 1024)

enum http_resp_error {
    HTTP_RESP_OK = 0,
    HTTP_RESP_INCOMPLETE,  /* more bytes needed (a truncated answer at EOF) */
    HTTP_RESP_MALFORMED,   /* not an HTTP/1.x status line or header */
    HTTP_RESP_TOO_LARGE,   /* head or body over the limits above */
    HTTP_RESP_NO_LENGTH,   /* no Content-Length (chunked is not accepted) */
};

struct http_response {
    int status;          /* 100..599 */
    size_t content_length;
    size_t body_offset;  /* body = buf + body_offset, content_length bytes */
};

/* Parses buf[0..len), the whole answer of one connection. INCOMPLETE means
 * read more (or, at end of stream, truncated). Never reads past len. */
enum http_resp_error http_response_parse(const char *buf, size_t len, struct http_response *r);

/* A short text for each error, for log lines. */
const char *http_resp_strerror(enum http_resp_error e);

#endif
