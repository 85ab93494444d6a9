/* The Internet checksum's sum by its definition (RFC 1071): the bytes in
 * pairs from the first, a last odd byte as a pair's low byte, carries
 * folded at each step. What test_inet_sum and fuzz_inet_sum hold
 * net/inet_sum.c to. */
#ifndef KESTREL_INET_SUM_REF_H
#define KESTREL_INET_SUM_REF_H
#include <stddef.h>
#include <stdint.h>

static inline uint16_t inet_sum_reference(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i += 2) {
        sum += p[i] | (i + 1 < len ? p[i + 1] << 8 : 0);
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)sum;
}

#endif
