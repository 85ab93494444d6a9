/* lib/string.c's memcpy and memset (word loops that allow any alignment):
 * every length up to 200 at every source and destination offset 0-7 against
 * a byte-by-byte reference, with guard bytes around the destination. The
 * kernel's functions are renamed (k_) so the host's C library keeps its own. */
#define memcpy k_memcpy
#define memmove k_memmove
#define memset k_memset
#define memcmp k_memcmp
#define memchr k_memchr
#define strlen k_strlen
#define strnlen k_strnlen
#define strcmp k_strcmp
#define strncmp k_strncmp
#define strchr k_strchr
#define strrchr k_strrchr
#define strlcpy k_strlcpy
#define strncpy k_strncpy
#include "../../lib/string.c"
#undef memcpy
#undef memmove
#undef memset

#include "check.h"

#define GUARD 16
#define MAX_LEN 200

static unsigned char src[MAX_LEN + 2 * GUARD], dst[MAX_LEN + 2 * GUARD], want[MAX_LEN + 2 * GUARD];

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 31 + i * 7 + 1);
}

static int same(void)
{
    for (size_t i = 0; i < sizeof dst; i++)
        if (dst[i] != want[i])
            return 0;
    return 1;
}

int main(void)
{
    int bad_cpy = 0, bad_set = 0, bad_ret = 0;
    for (size_t len = 0; len <= MAX_LEN - 8; len++) {
        for (size_t so = 0; so < 8; so++) {
            for (size_t d_o = 0; d_o < 8; d_o++) {
                fill(src, sizeof src, (unsigned)len);
                fill(dst, sizeof dst, 99);
                fill(want, sizeof want, 99);
                for (size_t i = 0; i < len; i++)
                    want[GUARD + d_o + i] = src[GUARD + so + i];
                if (k_memcpy(dst + GUARD + d_o, src + GUARD + so, len) != dst + GUARD + d_o)
                    bad_ret++;
                bad_cpy += !same();

                fill(dst, sizeof dst, 5);
                fill(want, sizeof want, 5);
                for (size_t i = 0; i < len; i++)
                    want[GUARD + d_o + i] = 0xa5;
                if (k_memset(dst + GUARD + d_o, 0x1a5, len) != dst + GUARD + d_o) /* only the low byte counts */
                    bad_ret++;
                bad_set += !same();
            }
        }
    }
    CHECK_EQ(bad_cpy, 0);
    CHECK_EQ(bad_set, 0);
    CHECK_EQ(bad_ret, 0);
    /* A page, as the ramfs read and the page zeroing use them. */
    static unsigned char a[4096 + 8], b[4096 + 8];
    fill(a, sizeof a, 3);
    k_memcpy(b + 4, a + 4, 4096);
    CHECK(k_memcmp(b + 4, a + 4, 4096) == 0);
    k_memset(b, 0, sizeof b);
    size_t nonzero = 0;
    for (size_t i = 0; i < sizeof b; i++)
        nonzero += b[i] != 0;
    CHECK_EQ(nonzero, 0);
    return check_report("string");
}
