/* The split virtqueue against a simulated device: requests in and out,
 * chains and indirect tables, notification suppression with EVENT_IDX, and
 * a hostile device (ids out of range, ids not in flight, lengths beyond the
 * buffer, a used index jumping ahead). */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "virtqueue.h"

#define QSIZE 16

static uint64_t identity(void *ctx, const void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p;
}

static struct virtqueue q;
static void *ring;
static void *cookies[QSIZE];
static uint32_t in_lens[QSIZE];
static struct vring_desc *tables[QSIZE];
static uint16_t dev_last_avail; /* the device's view */

static void setup(bool indirect, bool event_idx)
{
    free(ring);
    ring = aligned_alloc(4096, vq_ring_bytes(QSIZE));
    memset(ring, 0, vq_ring_bytes(QSIZE));
    CHECK_EQ(vq_init(&q, QSIZE, ring, cookies, in_lens, tables, identity, NULL), 0);
    q.indirect = indirect;
    q.event_idx = event_idx;
    dev_last_avail = 0;
}

static uint16_t *avail(void) { return (uint16_t *)((uint8_t *)ring + 16 * QSIZE); }
static uint8_t *used(void) { return (uint8_t *)ring + vq_used_offset(QSIZE); }

static void post_used(uint32_t id, uint32_t len)
{
    uint16_t *idx = (uint16_t *)(used() + 2);
    struct vring_used_elem *e = (struct vring_used_elem *)(used() + 4);
    e[*idx % QSIZE] = (struct vring_used_elem){ id, len };
    (*idx)++;
}

/* The device takes the next available request, fills every writable byte
 * with fill, and returns the head id and the bytes it wrote. */
static int device_take(uint8_t fill, uint32_t *written)
{
    if (dev_last_avail == avail()[1])
        return -1;
    uint16_t head = avail()[2 + dev_last_avail++ % QSIZE];
    struct vring_desc *d = (struct vring_desc *)ring;
    struct vring_desc *chain = d;
    uint16_t i = head;
    unsigned guard = 0;
    *written = 0;
    if (d[head].flags & VRING_DESC_F_INDIRECT) {
        chain = (struct vring_desc *)(uintptr_t)d[head].addr;
        i = 0;
    }
    for (;;) {
        if (chain[i].flags & VRING_DESC_F_WRITE) {
            memset((void *)(uintptr_t)chain[i].addr, fill, chain[i].len);
            *written += chain[i].len;
        }
        if (!(chain[i].flags & VRING_DESC_F_NEXT) || ++guard > 64)
            break;
        i = chain[i].next;
    }
    return head;
}

static void test_basic(void)
{
    setup(false, false);
    uint8_t hdr[16] = { 1 }, data[512], status = 0xff;
    struct vq_buf bufs[] = { { hdr, sizeof(hdr), false }, { data, sizeof(data), true }, { &status, 1, true } };
    int head = vq_add(&q, bufs, 3, (void *)0x1234, NULL);
    CHECK(head >= 0);
    CHECK_EQ(q.num_free, QSIZE - 3);
    CHECK(vq_kick_prepare(&q));
    CHECK(!vq_kick_prepare(&q)); /* nothing new since */
    uint32_t w;
    CHECK_EQ(device_take(0xab, &w), head);
    CHECK_EQ(w, 513);
    CHECK_EQ(data[511], 0xab);
    CHECK_EQ(status, 0xab);
    uint32_t len = 0;
    CHECK(vq_get_used(&q, &len) == NULL); /* not posted yet */
    post_used((uint32_t)head, w);
    CHECK(vq_get_used(&q, &len) == (void *)0x1234);
    CHECK_EQ(len, 513);
    CHECK_EQ(q.num_free, QSIZE);
    CHECK(vq_get_used(&q, &len) == NULL);
    CHECK_EQ(q.errors, 0);
    /* NO_NOTIFY from the device suppresses kicks without EVENT_IDX. */
    *(uint16_t *)used() = VRING_USED_F_NO_NOTIFY;
    vq_add(&q, bufs, 1, (void *)1, NULL);
    CHECK(!vq_kick_prepare(&q));
}

static void test_full_and_out_of_order(void)
{
    setup(false, false);
    static uint8_t bufmem[QSIZE][8];
    for (uintptr_t i = 0; i < QSIZE; i++) {
        struct vq_buf b = { bufmem[i], 8, true };
        CHECK(vq_add(&q, &b, 1, (void *)(i + 1), NULL) >= 0);
    }
    struct vq_buf b = { bufmem[0], 8, true };
    CHECK_EQ(vq_add(&q, &b, 1, (void *)99, NULL), -1);
    int heads[QSIZE];
    uint32_t w;
    for (int i = 0; i < QSIZE; i++)
        heads[i] = device_take(0, &w);
    for (int i = QSIZE - 1; i >= 0; i--) /* completed in reverse */
        post_used((uint32_t)heads[i], 8);
    int seen[QSIZE + 1] = { 0 };
    uint32_t len;
    void *c;
    while ((c = vq_get_used(&q, &len)))
        seen[(uintptr_t)c]++;
    for (int i = 1; i <= QSIZE; i++)
        CHECK_EQ(seen[i], 1);
    CHECK_EQ(q.num_free, QSIZE);
}

static void test_indirect(void)
{
    setup(true, false);
    struct vring_desc table[4];
    uint8_t a[32], b2[64], c[1];
    struct vq_buf bufs[] = { { a, 32, false }, { b2, 64, true }, { c, 1, true } };
    int head = vq_add(&q, bufs, 3, (void *)7, table);
    CHECK(head >= 0);
    CHECK_EQ(q.num_free, QSIZE - 1); /* one ring slot for three buffers */
    CHECK(((struct vring_desc *)ring)[head].flags & VRING_DESC_F_INDIRECT);
    uint32_t w, len;
    CHECK_EQ(device_take(0x5a, &w), head);
    CHECK_EQ(w, 65);
    post_used((uint32_t)head, w);
    CHECK(vq_get_used(&q, &len) == (void *)7);
    CHECK_EQ(b2[63], 0x5a);
    CHECK_EQ(q.num_free, QSIZE);
}

static void test_event_idx(void)
{
    setup(false, true);
    uint8_t x;
    struct vq_buf b = { &x, 1, true };
    uint16_t *avail_event = (uint16_t *)(used() + 4 + 8 * QSIZE);
    *avail_event = 0; /* the device wants a kick once entry 0 is added */
    vq_add(&q, &b, 1, (void *)1, NULL);
    CHECK(vq_kick_prepare(&q));
    *avail_event = 5; /* now only after the 6th entry */
    vq_add(&q, &b, 1, (void *)2, NULL);
    CHECK(!vq_kick_prepare(&q));
    for (int i = 0; i < 4; i++)
        vq_add(&q, &b, 1, (void *)3, NULL);
    CHECK(vq_kick_prepare(&q)); /* idx went 2 -> 6, crossing 5 */
    /* Interrupt suppression writes used_event. */
    uint16_t *used_event = &avail()[2 + QSIZE];
    vq_enable_interrupts(&q, false);
    CHECK_EQ(*used_event, (uint16_t)(q.last_used - 1));
    vq_enable_interrupts(&q, true);
    CHECK_EQ(*used_event, q.last_used);
}

/* A device that filled every posted buffer waits for a notification: the
 * driver must see that before the used entries are taken back. */
static void test_starved(void)
{
    setup(false, false);
    uint8_t bufs[3][8];
    CHECK(!vq_device_starved(&q)); /* nothing posted: nothing to wait for */
    for (int i = 0; i < 3; i++) {
        struct vq_buf b = { bufs[i], 8, true };
        CHECK(vq_add(&q, &b, 1, (void *)(uintptr_t)(i + 1), NULL) >= 0);
    }
    uint32_t w;
    for (int i = 0; i < 2; i++)
        post_used((uint32_t)device_take(0xaa, &w), w);
    CHECK(!vq_device_starved(&q)); /* one buffer left to fill */
    post_used((uint32_t)device_take(0xbb, &w), w);
    CHECK(vq_device_starved(&q));
    uint32_t len;
    CHECK(vq_get_used(&q, &len) == (void *)1);
    CHECK(vq_device_starved(&q)); /* still: the two others are used, none posted */
    struct vq_buf b = { bufs[0], 8, true };
    CHECK(vq_add(&q, &b, 1, (void *)9, NULL) >= 0);
    CHECK(!vq_device_starved(&q)); /* one to fill again */
}

static void test_hostile_device(void)
{
    setup(false, false);
    uint8_t data[100];
    struct vq_buf bufs[] = { { data, 10, false }, { data + 10, 50, true } };
    int h1 = vq_add(&q, bufs, 2, (void *)1, NULL), h2 = vq_add(&q, bufs, 2, (void *)2, NULL);
    uint32_t len;
    /* An id beyond the ring, then an id never handed out. */
    post_used(QSIZE + 5, 1);
    post_used(15, 1);
    CHECK(vq_get_used(&q, &len) == NULL);
    CHECK_EQ(q.errors, 2);
    /* A length beyond what the request can take is clamped. */
    post_used((uint32_t)h1, 100000);
    CHECK(vq_get_used(&q, &len) == (void *)1);
    CHECK_EQ(len, 50);
    CHECK_EQ(q.errors, 3);
    /* The same id again: already completed, so ignored. */
    post_used((uint32_t)h1, 10);
    CHECK(vq_get_used(&q, &len) == NULL);
    CHECK_EQ(q.errors, 4);
    /* The used index leaping far beyond what is outstanding. */
    *(uint16_t *)(used() + 2) += 1000;
    CHECK(vq_get_used(&q, &len) == NULL);
    CHECK_EQ(q.errors, 5);
    /* The queue still works for honest completions afterwards. */
    post_used((uint32_t)h2, 50);
    CHECK(vq_get_used(&q, &len) == (void *)2);
    CHECK_EQ(q.num_free, QSIZE);
    int h3 = vq_add(&q, bufs, 2, (void *)3, NULL);
    CHECK(h3 >= 0);
    post_used((uint32_t)h3, 5);
    CHECK(vq_get_used(&q, &len) == (void *)3);
    CHECK_EQ(len, 5);
}

static void test_bad_setup(void)
{
    static void *c[3];
    static uint32_t l[3];
    static struct vring_desc *t[3];
    CHECK_EQ(vq_init(&q, 3, ring, c, l, t, identity, NULL), -1); /* not a power of two */
    CHECK_EQ(vq_init(&q, 0, ring, c, l, t, identity, NULL), -1);
    setup(false, false);
    uint8_t x;
    struct vq_buf b = { &x, 1, true };
    CHECK_EQ(vq_add(&q, &b, 0, (void *)1, NULL), -1);
    CHECK_EQ(vq_add(&q, &b, 1, NULL, NULL), -1);
    struct vq_buf many[QSIZE + 1];
    for (int i = 0; i <= QSIZE; i++)
        many[i] = b;
    CHECK_EQ(vq_add(&q, many, QSIZE + 1, (void *)1, NULL), -1);
    /* The legacy layout: ALIGN(16n + 2(3 + n), 4096) + ALIGN(6 + 8n, 4096). */
    CHECK_EQ(vq_ring_bytes(256), 8192 + 4096);
    CHECK_EQ(vq_used_offset(256), 8192);
}

int main(void)
{
    test_basic();
    test_full_and_out_of_order();
    test_indirect();
    test_event_idx();
    test_starved();
    test_hostile_device();
    test_bad_setup();
    free(ring);
    return check_report("test_virtqueue");
}
