/* net/inet_sum.c against the definition: the one's-complement sum of the
 * bytes in pairs from the first (RFC 1071), at every alignment and length
 * up to 300, a known vector, and a sum that folds more than once. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "../../net/inet_sum.h"
#include "inet_sum_ref.h"

int main(void)
{
    /* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to dd f2 in memory. */
    static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
    uint16_t s = inet_sum(rfc, sizeof(rfc));
    CHECK_EQ(((const uint8_t *)&s)[0], 0xdd);
    CHECK_EQ(((const uint8_t *)&s)[1], 0xf2);
    CHECK_EQ(inet_sum(rfc, 0), 0);
    CHECK_EQ(inet_sum(rfc, -1), 0);

    static uint8_t ff[4096];
    memset(ff, 0xff, sizeof(ff));
    CHECK_EQ(inet_sum(ff, sizeof(ff)), 0xffff);
    CHECK_EQ(inet_sum(ff, 3), 0x00ff); /* ffff + 00ff = 100fe, folded: 00ff */

    static uint8_t buf[2048];
    srand(21);
    int bad = 0;
    for (int round = 0; round < 20; round++) {
        for (size_t i = 0; i < sizeof(buf); i++)
            buf[i] = round % 4 == 0 ? 0xff : round % 4 == 1 ? (uint8_t)(0xf0 | (rand() & 15)) : (uint8_t)rand();
        for (int off = 0; off < 8; off++)
            for (int len = 0; len <= 300; len++)
                bad += inet_sum(buf + off, len) != inet_sum_reference(buf + off, len);
        bad += inet_sum(buf + 3, 2000) != inet_sum_reference(buf + 3, 2000);
    }
    CHECK_EQ(bad, 0);
    return check_report("test_inet_sum");
}
