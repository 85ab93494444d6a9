/* The xenstore wire protocol over the shared ring page (pure logic, shared
 * by drivers/xen/xenstore.c and its host tests): ring copies with index
 * validation, message assembly with length checks, reply decoding. The
 * page, the message header and the message types are Xen's io/xs_wire.h
 * (struct xenstore_domain_interface, struct xsd_sockmsg, XS_READ, ...). */
#ifndef KESTREL_XS_WIRE_H
#define KESTREL_XS_WIRE_H
#include <stddef.h>
#include <stdint.h>
#include "xen_abi.h"
#include <xen/io/xs_wire.h>

#define XS_HEADER sizeof(struct xsd_sockmsg)

/* Copies up to len bytes into the request ring; returns how many, or -1 if
 * the indices are impossible (the ring is then unusable). */
long xs_ring_put(volatile struct xenstore_domain_interface *intf, const void *data, size_t len);

/* A message being read from the response ring. */
struct xs_reader {
    struct xsd_sockmsg hdr;
    uint8_t body[XENSTORE_PAYLOAD_MAX + 1]; /* NUL added after the payload */
    size_t have;                            /* bytes of header + body so far */
};
/* Takes what the ring holds: 1 when a whole message is in r (then reset it
 * with r->have = 0), 0 when more is needed, -1 for corrupt indices or a
 * header announcing more than XENSTORE_PAYLOAD_MAX. */
int xs_reader_feed(struct xs_reader *r, volatile struct xenstore_domain_interface *intf);

/* Whether a complete reply answers request (id, type): 0 yes (its payload
 * is the answer), a negative errno if it answers with an error or with the
 * wrong type, 1 if it belongs to another request (stale: drop it). */
int xs_reply_check(const struct xsd_sockmsg *reply, const char *payload, uint32_t id, uint32_t type);

/* An XS_ERROR payload ("ENOENT", "EAGAIN", ...) as a negative errno. */
int xs_error_code(const char *payload, size_t len);

/* Splits a NUL-separated payload: stores up to max pointers, returns the
 * count of strings (a trailing unterminated string counts too). */
unsigned xs_split(char *payload, size_t len, const char **out, unsigned max);

#endif
