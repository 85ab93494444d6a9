/* xenstore ring and message handling without side effects, so the hostile
 * cases (split replies, huge lengths, indices running away) are tested on
 * the host. Indices are free-running 32-bit counters; prod - cons is what
 * is queued and can never exceed the ring. */
#include <string.h>
#include "xs_wire.h"

static uint32_t load(volatile uint8_t *page, unsigned off)
{
    return __atomic_load_n((volatile uint32_t *)(page + off), __ATOMIC_ACQUIRE);
}

static void store(volatile uint8_t *page, unsigned off, uint32_t v)
{
    __atomic_store_n((volatile uint32_t *)(page + off), v, __ATOMIC_RELEASE);
}

long xs_ring_put(volatile uint8_t *page, const void *data, size_t len)
{
    uint32_t cons = load(page, XS_REQ_CONS), prod = load(page, XS_REQ_PROD);
    if (prod - cons > XS_RING_SIZE)
        return -1;
    size_t room = XS_RING_SIZE - (prod - cons), n = len < room ? len : room;
    const uint8_t *d = data;
    for (size_t i = 0; i < n; i++)
        page[XS_REQ + (prod + i) % XS_RING_SIZE] = d[i];
    store(page, XS_REQ_PROD, prod + (uint32_t)n);
    return (long)n;
}

int xs_reader_feed(struct xs_reader *r, volatile uint8_t *page)
{
    uint32_t cons = load(page, XS_RSP_CONS), prod = load(page, XS_RSP_PROD);
    if (prod - cons > XS_RING_SIZE)
        return -1;
    while (cons != prod) {
        size_t want = r->have < XS_HEADER ? XS_HEADER : XS_HEADER + r->hdr.len;
        if (r->have == want)
            break;
        uint8_t c = page[XS_RSP + cons % XS_RING_SIZE];
        cons++;
        if (r->have < XS_HEADER)
            ((uint8_t *)&r->hdr)[r->have] = c;
        else
            r->body[r->have - XS_HEADER] = c;
        r->have++;
        if (r->have == XS_HEADER && r->hdr.len > XS_PAYLOAD_MAX) {
            store(page, XS_RSP_CONS, cons);
            return -1;
        }
    }
    store(page, XS_RSP_CONS, cons);
    if (r->have >= XS_HEADER && r->have == XS_HEADER + r->hdr.len) {
        r->body[r->hdr.len] = 0;
        return 1;
    }
    return 0;
}

int xs_error_code(const char *payload, size_t len)
{
    static const struct {
        const char *name;
        int code;
    } codes[] = { { "ENOENT", 2 }, { "EIO", 5 }, { "EACCES", 13 }, { "EEXIST", 17 }, { "EISDIR", 21 },
                  { "EINVAL", 22 }, { "ENOSPC", 28 }, { "EROFS", 30 }, { "EAGAIN", 11 }, { "EBUSY", 16 },
                  { "E2BIG", 7 }, { "EPERM", 1 }, { "ENOSYS", 38 }, { "EQUOTA", 122 } };
    for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
        size_t n = strlen(codes[i].name);
        if (len >= n && memcmp(payload, codes[i].name, n) == 0 && (len == n || payload[n] == 0))
            return -codes[i].code;
    }
    return -5; /* EIO: an error we do not know */
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

int xs_reply_check(const struct xs_header *reply, const char *payload, uint32_t id, uint32_t type)
{
    if (reply->req_id != id)
        return 1;
    if (reply->type == XS_ERROR)
        return xs_error_code(payload, reply->len);
    return reply->type == type ? 0 : -5;
}
