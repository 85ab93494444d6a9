/* xenstore ring and message handling without side effects, so the hostile
 * cases (split replies, huge lengths, indices running away) are tested on
 * the host. Indices are free-running 32-bit counters; prod - cons is what
 * is queued and can never exceed the ring. */
/* errno.h first: io/xs_wire.h defines its xsd_errors table only when the
 * errno names are there. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "xs_wire.h"

#define load(idx) __atomic_load_n(&(idx), __ATOMIC_ACQUIRE)
#define store(idx, v) __atomic_store_n(&(idx), (v), __ATOMIC_RELEASE)

long xs_ring_put(volatile struct xenstore_domain_interface *intf, const void *data, size_t len)
{
    XENSTORE_RING_IDX cons = load(intf->req_cons), prod = load(intf->req_prod);
    if (prod - cons > XENSTORE_RING_SIZE)
        return -1;
    size_t room = XENSTORE_RING_SIZE - (prod - cons), n = len < room ? len : room;
    const char *d = data;
    for (size_t i = 0; i < n; i++)
        intf->req[MASK_XENSTORE_IDX(prod + i)] = d[i];
    store(intf->req_prod, prod + (XENSTORE_RING_IDX)n);
    return (long)n;
}

int xs_reader_feed(struct xs_reader *r, volatile struct xenstore_domain_interface *intf)
{
    XENSTORE_RING_IDX cons = load(intf->rsp_cons), prod = load(intf->rsp_prod);
    if (prod - cons > XENSTORE_RING_SIZE)
        return -1;
    while (cons != prod) {
        size_t want = r->have < XS_HEADER ? XS_HEADER : XS_HEADER + r->hdr.len;
        if (r->have == want)
            break;
        uint8_t c = (uint8_t)intf->rsp[MASK_XENSTORE_IDX(cons)];
        cons++;
        if (r->have < XS_HEADER)
            ((uint8_t *)&r->hdr)[r->have] = c;
        else
            r->body[r->have - XS_HEADER] = c;
        r->have++;
        if (r->have == XS_HEADER && r->hdr.len > XENSTORE_PAYLOAD_MAX) {
            store(intf->rsp_cons, cons);
            return -1;
        }
    }
    store(intf->rsp_cons, cons);
    if (r->have >= XS_HEADER && r->have == XS_HEADER + r->hdr.len) {
        r->body[r->hdr.len] = 0;
        return 1;
    }
    return 0;
}

static bool names(const char *payload, size_t len, const char *name)
{
    size_t n = strlen(name);
    return len >= n && memcmp(payload, name, n) == 0 && (len == n || payload[n] == 0);
}

/* io/xs_wire.h's xsd_errors, and oxenstored's EQUOTA, which it lacks. */
int xs_error_code(const char *payload, size_t len)
{
    for (size_t i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++) {
        if (names(payload, len, xsd_errors[i].errstring))
            return -xsd_errors[i].errnum;
    }
    if (names(payload, len, "EQUOTA"))
        return -122; /* EDQUOT */
    return -EIO; /* an error we do not know */
}

unsigned xs_split(char *payload, size_t len, const char **out, unsigned max)
{
    unsigned n = 0;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && payload[i] != 0)
            continue;
        if (i == len && start == len)
            break;
        if (n < max)
            out[n] = payload + start;
        n++;
        start = i + 1;
    }
    return n;
}

int xs_reply_check(const struct xsd_sockmsg *reply, const char *payload, uint32_t id, uint32_t type)
{
    if (reply->req_id != id)
        return 1;
    if (reply->type == XS_ERROR)
        return xs_error_code(payload, reply->len);
    return reply->type == type ? 0 : -5;
}
