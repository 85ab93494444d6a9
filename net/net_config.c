/* The network options' syntax: pure logic, no lwIP, shared with host tests. */
#include <string.h>
#include "net_config.h"

int net_parse_ipv4(const char *s, uint32_t *out)
{
    uint32_t addr = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return -1;
        }
        addr = addr << 8 | v;
        if (part < 3 && *s++ != '.')
            return -1;
    }
    if (*s)
        return -1;
    *out = addr;
    return 0;
}

static int valid_netmask(uint32_t m)
{
    uint32_t inverted = ~m;
    return (inverted & (inverted + 1)) == 0; /* ones then zeros */
}

/* Copies the field up to the next comma (or the end) into buf: its length, or -1 if too long. */
static int field(const char **s, char *buf, size_t size)
{
    const char *end = strchr(*s, ',');
    size_t n = end ? (size_t)(end - *s) : strlen(*s);
    if (n == 0 || n >= size)
        return -1;
    memcpy(buf, *s, n);
    buf[n] = 0;
    *s += n + (end ? 1 : 0);
    return end ? 1 : 0;
}

int net_parse_static_ip(const char *s, struct net_static_ip *out)
{
    char addr[16], mask[16];
    if (field(&s, out->ifname, sizeof(out->ifname)) != 1)
        return -1;
    for (const char *p = out->ifname; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
            return -1;
    }
    if (field(&s, addr, sizeof(addr)) != 1 || field(&s, mask, sizeof(mask)) != 0)
        return -1;
    if (net_parse_ipv4(addr, &out->addr) < 0 || net_parse_ipv4(mask, &out->netmask) < 0)
        return -1;
    if (!valid_netmask(out->netmask) || out->addr == 0)
        return -1;
    return 0;
}

static char *put_uint(char *p, unsigned v)
{
    char tmp[3];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n)
        *p++ = tmp[--n];
    return p;
}

const char *net_format_ipv4(uint32_t addr, char *buf)
{
    char *p = buf;
    for (int i = 3; i >= 0; i--) {
        p = put_uint(p, (addr >> (8 * i)) & 0xff);
        if (i)
            *p++ = '.';
    }
    *p = 0;
    return buf;
}
