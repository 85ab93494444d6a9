/* The kernel's random-number source: entropy from devices (virtio-rng),
 * RDRAND/RDSEED where the CPU has them, and timing, mixed into a ChaCha20
 * generator (RFC 8439's block function) that is re-keyed after each use. */
#ifndef KESTREL_RANDOM_H
#define KESTREL_RANDOM_H
#include <stddef.h>
#include <stdint.h>

void random_add_entropy(const void *data, size_t len, unsigned bits);
void random_bytes(void *out, size_t len);
/* Bits of device/CPU entropy credited so far. */
uint64_t random_entropy_bits(void);

/* The ChaCha20 block function (pure, host-tested against RFC 8439). */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64]);

#endif
