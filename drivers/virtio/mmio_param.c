/* drivers/virtio/: the virtqueue, the three transports (legacy PCI, modern
 * PCI, MMIO) and the device drivers. This file parses virtio_mmio.device=
 * (pure logic, host-tested and fuzzed). */
#include <stddef.h>
#include "virtio_mmio.h"

static int number(const char **sp, uint64_t *out)
{
    const char *s = *sp;
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    uint64_t v = 0;
    const char *start = s;
    for (;; s++) {
        unsigned d;
        if (*s >= '0' && *s <= '9')
            d = (unsigned)(*s - '0');
        else if (base == 16 && *s >= 'a' && *s <= 'f')
            d = (unsigned)(*s - 'a' + 10);
        else if (base == 16 && *s >= 'A' && *s <= 'F')
            d = (unsigned)(*s - 'A' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / base)
            return -1;
        v = v * base + d;
    }
    if (s == start)
        return -1;
    *sp = s;
    *out = v;
    return 0;
}

int virtio_mmio_parse(const char *s, uint64_t *base, uint64_t *size, uint32_t *irq)
{
    uint64_t sz, b, i;
    if (!s || number(&s, &sz) < 0)
        return -1;
    unsigned shift = 0;
    if (*s == 'K' || *s == 'k')
        shift = 10;
    else if (*s == 'M' || *s == 'm')
        shift = 20;
    else if (*s == 'G' || *s == 'g')
        shift = 30;
    if (shift) {
        if (sz > (UINT64_MAX >> shift))
            return -1;
        sz <<= shift;
        s++;
    }
    if (*s++ != '@' || number(&s, &b) < 0 || *s++ != ':' || number(&s, &i) < 0)
        return -1;
    if (*s == ':') { /* optional platform device id: accepted, unused */
        s++;
        uint64_t id;
        if (number(&s, &id) < 0)
            return -1;
    }
    if (*s != 0 || sz < 0x100 || sz > (1ull << 30) || b == 0 || b + sz < b || b + sz > (1ull << 52) || b % 4 ||
        i == 0 || i > 255)
        return -1;
    *base = b;
    *size = sz;
    *irq = (uint32_t)i;
    return 0;
}
