/* TCP initial sequence numbers as RFC 6528 gives them (and Linux): a clock
 * that advances one per 64 ns, plus a keyed hash of the connection's
 * addresses and ports. lwIP's own counter (6510 plus its tick count)
 * can be guessed by anyone who has seen one connection, which lets an
 * off-path sender inject into others; and a later connection on the same
 * address pair must start beyond the earlier one's sequence numbers for a
 * peer's TIME-WAIT to accept its SYN (net/tcp_timewait.c), which a clock
 * gives as long as the old one moved less than 16 MB/s on average.
 * Runs in the tcpip thread with the core lock held. */
#include <string.h>
#include "clock.h"
#include "lwip_hooks.h"
#include "random.h"
#include "sha256.h"

static uint8_t secret[16];
static bool keyed;

static void add_addr(struct sha256 *h, const ip_addr_t *a, u16_t port)
{
    uint8_t b[19] = { 0 };
    if (IP_IS_V6_VAL(*a)) {
        b[0] = 6;
        memcpy(b + 1, ip_2_ip6(a)->addr, 16);
    } else {
        b[0] = 4;
        memcpy(b + 1, &ip_2_ip4(a)->addr, 4);
    }
    b[17] = (uint8_t)(port >> 8);
    b[18] = (uint8_t)port;
    sha256_update(h, b, sizeof(b));
}

u32_t net_tcp_isn(const ip_addr_t *local_ip, u16_t local_port, const ip_addr_t *remote_ip, u16_t remote_port)
{
    if (!keyed) {
        random_bytes(secret, sizeof(secret));
        keyed = true;
    }
    struct sha256 h;
    sha256_init(&h);
    sha256_update(&h, secret, sizeof(secret));
    add_addr(&h, local_ip, local_port);
    add_addr(&h, remote_ip, remote_port);
    uint8_t d[SHA256_DIGEST];
    sha256_final(&h, d);
    uint32_t f = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
    return f + (uint32_t)(clock_monotonic_ns() >> 6);
}
