/* The Internet checksum's sum (RFC 1071) for lwIP (lwipopts.h makes it
 * LWIP_CHKSUM): lwIP's own sums 16 bits a step, 2.75 instructions a byte,
 * a third of nginx's instructions sending a 1 MiB file (transmit sums are
 * ours: docs/BENCHMARKS.md, bench/insn/profile). This one adds 32-bit
 * words into a 64-bit sum and folds the carries once at the end.
 *
 * What lwIP expects back: the 16-bit one's-complement sum of the bytes
 * taken in pairs from data[0] (an odd last byte paired with a zero after
 * it), as the pair would load from memory, not inverted. The sum of
 * 32-bit loads folded to 16 bits is the same number, since 2^16 is 1
 * modulo 0xffff, and x86 loads from any address. */
#include <stddef.h>
#include <stdint.h>
#include "inet_sum.h"

typedef uint32_t __attribute__((aligned(1), may_alias)) u32_any;
typedef uint16_t __attribute__((aligned(1), may_alias)) u16_any;

uint16_t inet_sum(const void *data, int len)
{
    const uint8_t *p = data;
    size_t n = len > 0 ? (size_t)len : 0;
    uint64_t sum = 0; /* len < 2^31: 2^29 words of < 2^32 cannot carry out */
    for (; n >= 32; n -= 32, p += 32) {
        const u32_any *w = (const u32_any *)p;
        sum += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
    }
    for (; n >= 4; n -= 4, p += 4)
        sum += *(const u32_any *)p;
    if (n >= 2) {
        sum += *(const u16_any *)p;
        p += 2;
        n -= 2;
    }
    if (n)
        sum += *p; /* the low byte of a pair whose high byte is zero */
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)sum;
}
