/* The ChaCha20 block function (RFC 8439, section 2.3), pure logic. */
#include <string.h>
#include "random.h"

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d)                                                                                  \
    do {                                                                                                \
        a += b;                                                                                         \
        d ^= a;                                                                                         \
        d = ROTL(d, 16);                                                                                \
        c += d;                                                                                         \
        b ^= c;                                                                                         \
        b = ROTL(b, 12);                                                                                \
        a += b;                                                                                         \
        d ^= a;                                                                                         \
        d = ROTL(d, 8);                                                                                 \
        c += d;                                                                                         \
        b ^= c;                                                                                         \
        b = ROTL(b, 7);                                                                                 \
    } while (0)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3], uint8_t out[64])
{
    uint32_t s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
    memcpy(s + 4, key, 32);
    s[12] = counter;
    memcpy(s + 13, nonce, 12);
    uint32_t x[16];
    memcpy(x, s, sizeof(x));
    for (int i = 0; i < 10; i++) {
        QR(x[0], x[4], x[8], x[12]);
        QR(x[1], x[5], x[9], x[13]);
        QR(x[2], x[6], x[10], x[14]);
        QR(x[3], x[7], x[11], x[15]);
        QR(x[0], x[5], x[10], x[15]);
        QR(x[1], x[6], x[11], x[12]);
        QR(x[2], x[7], x[8], x[13]);
        QR(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; i++) {
        uint32_t v = x[i] + s[i];
        out[4 * i] = (uint8_t)v;
        out[4 * i + 1] = (uint8_t)(v >> 8);
        out[4 * i + 2] = (uint8_t)(v >> 16);
        out[4 * i + 3] = (uint8_t)(v >> 24);
    }
}
