/* The htree directory hash (ext4's "half MD4": MD4's three rounds over
 * 32-byte chunks of the name, each packed into eight words after a
 * length-derived padding), as the on-disk format defines it. Pure. */
#include "ext4_priv.h"

static uint32_t rol32(uint32_t x, unsigned s) { return x << s | x >> (32 - s); }

#define HF(x, y, z) ((z) ^ ((x) & ((y) ^ (z))))
#define HG(x, y, z) (((x) & (y)) + (((x) ^ (y)) & (z)))
#define HH(x, y, z) ((x) ^ (y) ^ (z))
#define STEP(f, a, b, c, d, x, s) ((a) = rol32((a) + f((b), (c), (d)) + (x), (s)))

static void half_md4_round(uint32_t h[4], const uint32_t w[8])
{
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    static const uint32_t k2 = 0x5a827999, k3 = 0x6ed9eba1;
    STEP(HF, a, b, c, d, w[0], 3);
    STEP(HF, d, a, b, c, w[1], 7);
    STEP(HF, c, d, a, b, w[2], 11);
    STEP(HF, b, c, d, a, w[3], 19);
    STEP(HF, a, b, c, d, w[4], 3);
    STEP(HF, d, a, b, c, w[5], 7);
    STEP(HF, c, d, a, b, w[6], 11);
    STEP(HF, b, c, d, a, w[7], 19);
    STEP(HG, a, b, c, d, w[1] + k2, 3);
    STEP(HG, d, a, b, c, w[3] + k2, 5);
    STEP(HG, c, d, a, b, w[5] + k2, 9);
    STEP(HG, b, c, d, a, w[7] + k2, 13);
    STEP(HG, a, b, c, d, w[0] + k2, 3);
    STEP(HG, d, a, b, c, w[2] + k2, 5);
    STEP(HG, c, d, a, b, w[4] + k2, 9);
    STEP(HG, b, c, d, a, w[6] + k2, 13);
    STEP(HH, a, b, c, d, w[3] + k3, 3);
    STEP(HH, d, a, b, c, w[7] + k3, 9);
    STEP(HH, c, d, a, b, w[2] + k3, 11);
    STEP(HH, b, c, d, a, w[6] + k3, 15);
    STEP(HH, a, b, c, d, w[1] + k3, 3);
    STEP(HH, d, a, b, c, w[5] + k3, 9);
    STEP(HH, c, d, a, b, w[0] + k3, 11);
    STEP(HH, b, c, d, a, w[4] + k3, 15);
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

/* Packs up to 32 bytes of the name into w[8]: big-endian-ish groups of
 * four characters over a padding word made from the remaining length. */
static void pack(const uint8_t *p, size_t len, int is_signed, uint32_t w[8])
{
    uint32_t pad = (uint32_t)len | (uint32_t)len << 8;
    pad |= pad << 16;
    uint32_t v = pad;
    size_t n = len < 32 ? len : 32;
    unsigned k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t ch = is_signed ? (uint32_t)(int32_t)(int8_t)p[i] : p[i];
        v = ch + (v << 8);
        if (i % 4 == 3) {
            w[k++] = v;
            v = pad;
        }
    }
    if (k < 8)
        w[k++] = v;
    while (k < 8)
        w[k++] = pad;
}

int ext4_dx_hash(const char *name, size_t len, unsigned version, const uint32_t seed[4], uint32_t *hash,
                 uint32_t *minor)
{
    int is_signed;
    if (version == EXT4_DX_HASH_HALF_MD4)
        is_signed = 1;
    else if (version == EXT4_DX_HASH_HALF_MD4_UNSIGNED)
        is_signed = 0;
    else
        return -1;
    uint32_t h[4] = { 0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476 };
    if (seed && (seed[0] | seed[1] | seed[2] | seed[3])) {
        for (int i = 0; i < 4; i++)
            h[i] = seed[i];
    }
    const uint8_t *p = (const uint8_t *)name;
    for (;;) {
        uint32_t w[8];
        pack(p, len, is_signed, w);
        half_md4_round(h, w);
        if (len <= 32)
            break;
        len -= 32;
        p += 32;
    }
    uint32_t v = h[1] & ~1u;
    if (v == 0xfffffffeu) /* the end-of-directory marker is not a hash */
        v = 0xfffffffcu;
    *hash = v;
    *minor = h[2];
    return 0;
}
