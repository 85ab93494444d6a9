/* HTTP/1.x request heads: parsing and the decisions that follow from them
 * (range, content type). Pure: no sockets, shared with host tests and the fuzzer. */
#ifndef HTTPD_HTTP_PARSE_H
#define HTTPD_HTTP_PARSE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX 8192 /* request line and headers together */
#define HTTP_PATH_MAX 1024 /* the request target */

enum http_method { HTTP_GET, HTTP_HEAD, HTTP_OTHER };

struct http_range {
    bool present;
    bool suffix;        /* bytes=-N: the last N bytes (N in last) */
    uint64_t first;     /* bytes=first-last */
    uint64_t last;      /* UINT64_MAX when open-ended (bytes=first-) */
};

struct http_request {
    int status;         /* 0 if servable, else the error to answer: 400, 405, 413, 414 */
    enum http_method method;
    int minor;          /* HTTP/1.<minor> */
    bool keep_alive;
    bool has_body;      /* Content-Length > 0: we read no bodies, so the connection closes */
    char path[HTTP_PATH_MAX + 1]; /* percent-decoded, without the query */
    struct http_range range;
};

/* Looks for one request head at the start of buf. Returns 0 if more bytes
 * are needed (the head is incomplete and under the limit), else the number
 * of bytes the head used, with *req filled (req->status says if it is bad;
 * after a 413/414 the caller should close, the stream cannot be resynced). */
size_t http_parse_request(const char *buf, size_t len, struct http_request *req);

/* The byte range to send of a file of the given size: 0 for the whole file,
 * 1 for [*start, *start + *count), -1 if the range cannot be satisfied (416). */
int http_resolve_range(const struct http_range *r, uint64_t size, uint64_t *start, uint64_t *count);

/* Content-Type for a path, by its extension. */
const char *http_content_type(const char *path);

/* Reason phrase for a status code. */
const char *http_reason(int status);

#endif
