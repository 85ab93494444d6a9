/* ktest xen: the guest side of tests/xen (see tests/xen/README.md): reports
 * platform and clock, checks the first disk against the pattern dom0 wrote
 * and writes its own, echoes raw frames, answers a xenstore ping. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "clock.h"
#include "netdev.h"
#include "platform.h"
#include "sched.h"
#include "xen.h"

int ktest_echo_frames(struct netdev *n, long want, bool swap_macs);

static void ping(const char *path, void *arg)
{
    (void)path;
    (void)arg;
    char value[128];
    if (xs_read(XS_NO_TX, "data/ping", value, sizeof(value)) > 0 && xs_write(XS_NO_TX, "data/pong", value) == 0)
        printf("KESTREL-XEN-XS pong %s\n", value);
}

static const char *check_disk(struct block_dev *b, uint8_t *buf)
{
    for (uint64_t s = 0; s < 8192; s += 64) {
        struct block_request r = { BLOCK_READ, s, 64, buf, NULL, NULL, 0 };
        if (block_sync(b, &r) != 0)
            return "read error";
        for (unsigned i = 0; i < 64; i++) {
            char want[32];
            const uint8_t *sec = buf + i * 512;
            int n = snprintf(want, sizeof(want), "XENRIG-SECTOR-%08llu", (unsigned long long)(s + i));
            if (memcmp(sec, want, (size_t)n) != 0)
                return "pattern mismatch (text)";
            for (int j = n; j < 512; j++) {
                if (sec[j] != (uint8_t)((s + i) & 0xff))
                    return "pattern mismatch (fill)";
            }
        }
    }
    for (unsigned i = 0; i < 8; i++) {
        uint8_t *sec = buf + i * 512;
        memset(sec, 0xa5, 512);
        int n = snprintf((char *)sec, 32, "KESTREL-WROTE-%08u", 4096 + i);
        sec[n] = 0xa5; /* snprintf's NUL is not part of the pattern */
    }
    struct block_request w = { BLOCK_WRITE, 4096, 8, buf, NULL, NULL, 0 };
    struct block_request f = { BLOCK_FLUSH, 0, 0, NULL, NULL, NULL, 0 };
    if (block_sync(b, &w) != 0)
        return "write error";
    if (block_sync(b, &f) != 0)
        return "flush error";
    return NULL;
}

int ktest_xen(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("KESTREL-XEN-READY platform=%s clock=%s domid=%d realtime=%llu\n", platform_current()->name,
           clock_current()->name, xen_domid(), (unsigned long long)(clock_realtime_ns() / 1000000000ull));
    struct block_dev *b = block_get(0);
    uint8_t *buf = malloc(64 * 512);
    if (!b)
        printf("KESTREL-XEN-BLK fail no block device\n");
    else if (b->sector_size != 512 || b->sectors < 8192)
        printf("KESTREL-XEN-BLK fail disk of %llu sectors of %u bytes\n", (unsigned long long)b->sectors,
               b->sector_size);
    else {
        const char *why = check_disk(b, buf);
        printf("KESTREL-XEN-BLK %s%s\n", why ? "fail " : "ok", why ? why : "");
    }
    free(buf);
    int w = xs_watch("data/ping", ping, NULL);
    struct netdev *n = netdev_get(0);
    if (n)
        printf("KESTREL-XEN-NET-READY mac=%02x:%02x:%02x:%02x:%02x:%02x\n", n->mac[0], n->mac[1], n->mac[2],
               n->mac[3], n->mac[4], n->mac[5]);
    else
        printf("KESTREL-XEN-NET fail no network device\n");
    if (w == 0)
        printf("KESTREL-XEN-XS-READY\n");
    else
        printf("KESTREL-XEN-XS fail watch: %d\n", w);
    if (n)
        ktest_echo_frames(n, -1, true);
    for (;;)
        thread_sleep_ns(1000000000ull); /* until the toolstack shuts us down */
}
