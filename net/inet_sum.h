/* The Internet checksum's sum for lwIP's LWIP_CHKSUM (net/inet_sum.c). */
#ifndef KESTREL_INET_SUM_H
#define KESTREL_INET_SUM_H
#include <stdint.h>

/* The one's-complement sum of len bytes as 16-bit words in memory order
 * (not inverted); len <= 0 sums nothing. */
uint16_t inet_sum(const void *data, int len);

#endif
