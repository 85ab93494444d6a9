/* A virtqueue driven against a device whose used-ring writes (ids, lengths,
 * index jumps) come from the fuzzer, interleaved with adds. Invariants: no
 * crash or overread, every request completes at most once, the free count
 * never exceeds the ring, and a completed length never exceeds the buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "virtqueue.h"

#define QSIZE 8

static uint64_t identity(void *ctx, const void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct virtqueue q;
    static void *cookies[QSIZE];
    static uint32_t in_lens[QSIZE];
    static struct vring_desc *tables[QSIZE];
    static struct vring_desc itab[QSIZE][4];
    static uint8_t buf[64];
    void *ring = aligned_alloc(4096, vq_ring_bytes(QSIZE));
    memset(ring, 0, vq_ring_bytes(QSIZE));
    vq_init(&q, QSIZE, ring, cookies, in_lens, tables, identity, NULL);
    q.indirect = len && (data[0] & 1);
    q.event_idx = len && (data[0] & 2);
    uint8_t *used = (uint8_t *)ring + vq_used_offset(QSIZE);
    uint8_t completed[256] = { 0 };
    uint32_t writable[256] = { 0 };
    uintptr_t next_cookie = 1;
    for (size_t i = 1; i + 4 <= len; i += 4) {
        const uint8_t *op = data + i;
        switch (op[0] % 4) {
        case 0: { /* add a request of 1..3 buffers */
            unsigned n = 1 + op[1] % 3;
            struct vq_buf b[3];
            uint32_t w = 0;
            for (unsigned k = 0; k < n; k++) {
                b[k] = (struct vq_buf){ buf, (uint32_t)(1 + op[2] % 64), (op[3] >> k) & 1 };
                w += b[k].device_writes ? b[k].len : 0;
            }
            if (next_cookie < 256) {
                int h = vq_add(&q, b, n, (void *)next_cookie, itab[next_cookie % QSIZE]);
                if (h >= 0)
                    writable[next_cookie++] = w;
            }
            break;
        }
        case 1: { /* the device posts a used entry of its choosing */
            uint16_t *idx = (uint16_t *)(used + 2);
            struct vring_used_elem *e = (struct vring_used_elem *)(used + 4);
            e[*idx % QSIZE] = (struct vring_used_elem){ op[1], (uint32_t)op[2] << op[3] % 24 };
            (*idx)++;
            break;
        }
        case 2: /* the device moves its used index anywhere */
            *(uint16_t *)(used + 2) = (uint16_t)(op[1] | op[2] << 8);
            break;
        case 3: { /* the driver collects completions */
            uint32_t l;
            void *c;
            while ((c = vq_get_used(&q, &l))) {
                uintptr_t id = (uintptr_t)c;
                if (id >= 256 || completed[id]++ || l > writable[id])
                    abort();
            }
            vq_kick_prepare(&q);
            break;
        }
        }
        if (q.num_free > QSIZE)
            abort();
    }
    free(ring);
    return 0;
}
