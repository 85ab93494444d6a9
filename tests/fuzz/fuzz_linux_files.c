/* Program-supplied structures of the file calls: an iovec array of any
 * bytes through lx_iov_check (counts, lengths, ranges, the total cap), and
 * directory entries of any names packed by lx_dirent64_pack into buffers of
 * any size, as getdents64 does: no record may pass the buffer's end, each
 * is 8-aligned and reads back as packed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../linux/layout.h"

static uint64_t limit;
static bool below_limit(uintptr_t a, size_t len) { return (uint64_t)a + len >= a && (uint64_t)a + len <= limit; }

static void fuzz_iov(const uint8_t *data, size_t len)
{
    if (len < 10)
        return;
    unsigned long n = (unsigned long)(data[0] | data[1] << 8) % 1100;
    memcpy(&limit, data + 2, 8);
    data += 10;
    len -= 10;
    size_t have = len / sizeof(struct lx_iovec);
    if (n > have && n <= LX_IOV_MAX)
        n = have;
    /* n > LX_IOV_MAX may exceed the data: the check refuses it before reading */
    size_t room = n <= LX_IOV_MAX ? n : 1;
    struct lx_iovec *in = calloc(room, sizeof(*in)), *out = calloc(room, sizeof(*out));
    if (n <= have)
        memcpy(in, data, n * sizeof(*in));
    long total = lx_iov_check(in, n, below_limit, out);
    if (n > LX_IOV_MAX && total != -22)
        abort();
    if (total >= 0) {
        uint64_t sum = 0;
        for (unsigned long i = 0; i < n; i++) {
            if (out[i].len > in[i].len || out[i].base != in[i].base || (int64_t)in[i].len < 0)
                abort();
            sum += out[i].len;
        }
        if (sum != (uint64_t)total || sum > LX_MAX_RW_COUNT)
            abort();
    }
    free(in);
    free(out);
}

static void fuzz_dirents(const uint8_t *data, size_t len)
{
    if (len < 2)
        return;
    size_t cap = (size_t)(data[0] | data[1] << 8) % 2048;
    uint8_t *buf = malloc(cap + 1);
    buf[cap] = 0x5a;
    size_t used = 0, i = 2;
    while (i < len) {
        size_t nl = data[i] % 256;
        i++;
        if (nl > len - i)
            nl = len - i;
        size_t r = lx_dirent64_pack(buf + used, cap - used, i, (int64_t)used, data[i - 1], (const char *)data + i, nl);
        if (r == 0) {
            if (((LX_DIRENT64_NAME_OFF + nl + 1 + 7) & ~(size_t)7) <= cap - used)
                abort(); /* it would have fitted */
            break;
        }
        if (r % 8 || r > cap - used || memcmp(buf + used + LX_DIRENT64_NAME_OFF, data + i, nl) != 0 ||
            buf[used + LX_DIRENT64_NAME_OFF + nl] != 0)
            abort();
        uint16_t reclen;
        memcpy(&reclen, buf + used + 16, 2);
        if (reclen != r)
            abort();
        used += r;
        i += nl;
    }
    if (buf[cap] != 0x5a)
        abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len == 0)
        return 0;
    if (data[0] & 1)
        fuzz_iov(data + 1, len - 1);
    else
        fuzz_dirents(data + 1, len - 1);
    return 0;
}
