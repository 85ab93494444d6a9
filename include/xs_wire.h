/* The xenstore wire protocol over the shared ring page (pure logic, shared
 * by drivers/xen/xenstore.c and its host tests): ring copies with index
 * validation, message assembly with length checks, reply decoding. */
#ifndef KESTREL_XS_WIRE_H
#define KESTREL_XS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#define XS_RING_SIZE 1024
#define XS_PAYLOAD_MAX 4096
#define XS_HEADER 16
/* Offsets in the interface page. */
#define XS_REQ 0
#define XS_RSP 1024
#define XS_REQ_CONS 2048
#define XS_REQ_PROD 2052
#define XS_RSP_CONS 2056
#define XS_RSP_PROD 2060

enum xs_type {
    XS_DIRECTORY = 1, XS_READ = 2, XS_WATCH = 4, XS_UNWATCH = 5, XS_TRANSACTION_START = 6,
    XS_TRANSACTION_END = 7, XS_WRITE = 11, XS_MKDIR = 12, XS_RM = 13, XS_WATCH_EVENT = 15, XS_ERROR = 16,
};

struct xs_header {
    uint32_t type, req_id, tx_id, len;
};

/* Copies up to len bytes into the request ring; returns how many, or -1 if
 * the indices are impossible (the ring is then unusable). */
long xs_ring_put(volatile uint8_t *page, const void *data, size_t len);

/* A message being read from the response ring. */
struct xs_reader {
    struct xs_header hdr;
    uint8_t body[XS_PAYLOAD_MAX + 1]; /* NUL added after the payload */
    size_t have;                      /* bytes of header + body so far */
};
/* Takes what the ring holds: 1 when a whole message is in r (then reset it
 * with r->have = 0), 0 when more is needed, -1 for corrupt indices or a
 * header announcing more than XS_PAYLOAD_MAX. */
int xs_reader_feed(struct xs_reader *r, volatile uint8_t *page);

/* Whether a complete reply answers request (id, type): 0 yes (its payload
 * is the answer), a negative errno if it answers with an error or with the
 * wrong type, 1 if it belongs to another request (stale: drop it). */
int xs_reply_check(const struct xs_header *reply, const char *payload, uint32_t id, uint32_t type);

/* An XS_ERROR payload ("ENOENT", "EAGAIN", ...) as a negative errno. */
int xs_error_code(const char *payload, size_t len);

/* Splits a NUL-separated payload: stores up to max pointers, returns the
 * count of strings (a trailing unterminated string counts too). */
unsigned xs_split(char *payload, size_t len, const char **out, unsigned max);

#endif
