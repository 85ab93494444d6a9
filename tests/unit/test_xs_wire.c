/* The xenstore wire protocol against a simulated xenstored writing the
 * interface page: requests wrap around the ring, replies arrive split at
 * every byte boundary, and hostile ones (huge lengths, runaway indices)
 * are refused without reading past the page. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "xs_wire.h"

static union {
    uint8_t bytes[4096];
    struct xenstore_domain_interface intf;
} shared;
static struct xenstore_domain_interface *const page = &shared.intf;

/* The daemon's side: queue bytes on the response ring. */
static size_t daemon_put(const void *data, size_t len)
{
    size_t n = 0;
    while (n < len && page->rsp_prod - page->rsp_cons < XENSTORE_RING_SIZE) {
        page->rsp[MASK_XENSTORE_IDX(page->rsp_prod)] = ((const char *)data)[n++];
        page->rsp_prod++;
    }
    return n;
}

static size_t message(uint8_t *out, uint32_t type, uint32_t id, const char *payload, size_t len)
{
    struct xsd_sockmsg h = { type, id, 0, (uint32_t)len };
    memcpy(out, &h, sizeof(h));
    memcpy(out + sizeof(h), payload, len);
    return sizeof(h) + len;
}

static void test_request_wraps(void)
{
    memset(&shared, 0, sizeof(shared));
    page->req_prod = page->req_cons = 0xfffffff0u; /* counters about to wrap */
    uint8_t data[1500];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    CHECK_EQ(xs_ring_put(page, data, sizeof(data)), XENSTORE_RING_SIZE); /* only a ring's worth fits */
    CHECK_EQ(xs_ring_put(page, data, 1), 0);
    int same = 1;
    for (unsigned i = 0; i < XENSTORE_RING_SIZE; i++)
        same &= (uint8_t)page->req[MASK_XENSTORE_IDX(0xfffffff0u + i)] == data[i];
    CHECK(same);
    page->req_cons += 100; /* the daemon took some */
    CHECK_EQ(xs_ring_put(page, data, sizeof(data)), 100);
    page->req_prod = page->req_cons + 5000; /* impossible */
    CHECK_EQ(xs_ring_put(page, data, 1), -1);
}

/* A reply fed in pieces of every size must come out whole, once. */
static void test_split_replies(void)
{
    uint8_t msg[64];
    size_t len = message(msg, XS_READ, 42, "hello\0", 6);
    for (size_t piece = 1; piece <= len; piece++) {
        memset(&shared, 0, sizeof(shared));
        struct xs_reader *r = calloc(1, sizeof(*r));
        int got = 0, whole = 0;
        for (size_t off = 0; off < len; off += piece) {
            daemon_put(msg + off, off + piece > len ? len - off : piece);
            int f = xs_reader_feed(r, page);
            CHECK(f >= 0);
            if (f == 1) {
                got++;
                whole = r->hdr.req_id == 42 && r->hdr.type == XS_READ && r->hdr.len == 6 &&
                        strcmp((char *)r->body, "hello") == 0;
            }
        }
        CHECK_EQ(got, 1);
        CHECK(whole);
        CHECK_EQ(page->rsp_cons, page->rsp_prod);
        free(r);
    }
}

/* Two messages queued back to back: the first is returned and the second
 * stays on the ring until the reader is reset. */
static void test_back_to_back(void)
{
    memset(&shared, 0, sizeof(shared));
    uint8_t a[64], b[64];
    size_t la = message(a, XS_WATCH_EVENT, 0, "/local/domain/1/data/ping\0" "3\0", 27);
    size_t lb = message(b, XS_WRITE, 7, "OK\0", 3);
    daemon_put(a, la);
    daemon_put(b, lb);
    struct xs_reader *r = calloc(1, sizeof(*r));
    CHECK_EQ(xs_reader_feed(r, page), 1);
    CHECK_EQ(r->hdr.type, XS_WATCH_EVENT);
    const char *parts[4];
    CHECK_EQ(xs_split((char *)r->body, r->hdr.len, parts, 4), 2);
    CHECK(strcmp(parts[0], "/local/domain/1/data/ping") == 0 && strcmp(parts[1], "3") == 0);
    CHECK_EQ(xs_reader_feed(r, page), 1); /* still the same message until reset */
    CHECK_EQ(r->hdr.type, XS_WATCH_EVENT);
    r->have = 0;
    CHECK_EQ(xs_reader_feed(r, page), 1);
    CHECK_EQ(r->hdr.req_id, 7);
    free(r);
}

static void test_hostile(void)
{
    memset(&shared, 0, sizeof(shared));
    struct xs_reader *r = calloc(1, sizeof(*r));
    struct xsd_sockmsg h = { XS_READ, 1, 0, XENSTORE_PAYLOAD_MAX + 1 };
    daemon_put(&h, sizeof(h));
    CHECK_EQ(xs_reader_feed(r, page), -1); /* oversized: refused at the header */
    memset(&shared, 0, sizeof(shared));
    memset(r, 0, sizeof(*r));
    page->rsp_prod = 2000; /* more queued than a ring holds */
    CHECK_EQ(xs_reader_feed(r, page), -1);
    CHECK_EQ(r->have, 0);
    /* The largest legal message passes, in ring-sized pieces. */
    memset(&shared, 0, sizeof(shared));
    memset(r, 0, sizeof(*r));
    uint8_t *big = malloc(XS_HEADER + XENSTORE_PAYLOAD_MAX);
    struct xsd_sockmsg hb = { XS_DIRECTORY, 9, 0, XENSTORE_PAYLOAD_MAX };
    memcpy(big, &hb, sizeof(hb));
    memset(big + XS_HEADER, 'x', XENSTORE_PAYLOAD_MAX);
    size_t off = 0;
    int f = 0;
    while (off < XS_HEADER + XENSTORE_PAYLOAD_MAX) {
        off += daemon_put(big + off, XS_HEADER + XENSTORE_PAYLOAD_MAX - off);
        f = xs_reader_feed(r, page);
        CHECK(f >= 0);
    }
    CHECK_EQ(f, 1);
    CHECK_EQ(r->body[XENSTORE_PAYLOAD_MAX], 0);
    free(big);
    free(r);
}

static void test_errors_and_split(void)
{
    CHECK_EQ(xs_error_code("ENOENT", 7), -2);
    CHECK_EQ(xs_error_code("EAGAIN", 6), -11);
    CHECK_EQ(xs_error_code("EACCESS", 8), -5); /* not a prefix match */
    CHECK_EQ(xs_error_code("", 0), -5);
    char dir[] = "vif\0vbd\0console";
    const char *p[2];
    CHECK_EQ(xs_split(dir, sizeof(dir) - 1, p, 2), 3);
    CHECK(strcmp(p[0], "vif") == 0 && strcmp(p[1], "vbd") == 0);
    char empty[] = "";
    CHECK_EQ(xs_split(empty, 0, p, 2), 0);
}

static void test_reply_matching(void)
{
    struct xsd_sockmsg ok = { XS_READ, 5, 0, 3 }, stale = { XS_READ, 4, 0, 3 }, wrong = { XS_WRITE, 5, 0, 3 };
    struct xsd_sockmsg err = { XS_ERROR, 5, 0, 7 };
    CHECK_EQ(xs_reply_check(&ok, "abc", 5, XS_READ), 0);
    CHECK_EQ(xs_reply_check(&stale, "abc", 5, XS_READ), 1); /* an old request's late reply */
    CHECK_EQ(xs_reply_check(&wrong, "OK", 5, XS_READ), -5); /* our id, another type */
    CHECK_EQ(xs_reply_check(&err, "ENOENT", 5, XS_READ), -2);
    CHECK_EQ(xs_reply_check(&err, "ENOENT", 6, XS_READ), 1); /* an error for someone else */
}

int main(void)
{
    test_reply_matching();
    test_request_wraps();
    test_split_replies();
    test_back_to_back();
    test_hostile();
    test_errors_and_split();
    return check_report("test_xs_wire");
}
