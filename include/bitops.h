/* Bit counting without libgcc (gcc's builtin calls __popcountdi2 unless
 * the target has POPCNT, which the kernel does not assume). */
#ifndef KESTREL_BITOPS_H
#define KESTREL_BITOPS_H
#include <stdint.h>

static inline unsigned popcount64(uint64_t x)
{
    /* Sum bits in pairs, nibbles, then bytes (SWAR). */
    x = x - ((x >> 1) & 0x5555555555555555ull);
    x = (x & 0x3333333333333333ull) + ((x >> 2) & 0x3333333333333333ull);
    x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0full;
    return (unsigned)((x * 0x0101010101010101ull) >> 56);
}

#endif
