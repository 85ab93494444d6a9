/* SHA-256 (FIPS 180-4), for apps and tests that check data end to end. */
#ifndef KESTREL_SHA256_H
#define KESTREL_SHA256_H
#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST 32

struct sha256 {
    uint32_t h[8];
    uint64_t bytes;
    uint8_t block[64];
    unsigned fill;
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
void sha256_final(struct sha256 *s, uint8_t out[SHA256_DIGEST]);
/* out: 65 bytes, lower-case hex. */
void sha256_hex(const uint8_t digest[SHA256_DIGEST], char *out);

#endif
