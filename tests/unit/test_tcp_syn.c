/* net/tcp_syn.c: which received packets count as a connection's SYN for
 * the TIME-WAIT reuse, and that no length the sender claims is believed
 * beyond what arrived. */
#include <string.h>
#include "check.h"
#include "../../net/tcp_syn.h"

/* An IPv4 SYN from 10.0.2.2:34023 to 10.0.2.15:6379, seq 2688001, with an
 * MSS option (what QEMU's user network sends). */
static size_t ip4_syn(uint8_t *b)
{
    static const uint8_t pkt[] = {
        0x45, 0, 0, 44, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 2, 2, 10, 0, 2, 15,
        0x84, 0xe7, 0x18, 0xeb, 0x00, 0x29, 0x04, 0x01, 0, 0, 0, 0, 0x60, 0x02, 0xff, 0xff, 0, 0, 0, 0,
        2, 4, 0x05, 0xb4,
    };
    memcpy(b, pkt, sizeof(pkt));
    return sizeof(pkt);
}

static size_t ip6_syn(uint8_t *b)
{
    memset(b, 0, 60);
    b[0] = 0x60;
    b[5] = 20; /* payload length */
    b[6] = 6;  /* next header: TCP */
    b[7] = 64;
    b[8] = 0xfe, b[9] = 0xc0, b[23] = 2;   /* fec0::2 */
    b[24] = 0xfe, b[25] = 0xc0, b[39] = 15; /* fec0::f */
    uint8_t *t = b + 40;
    t[0] = 0x12, t[1] = 0x34, t[2] = 0x00, t[3] = 0x50;
    t[4] = 0xde, t[5] = 0xad, t[6] = 0xbe, t[7] = 0xef;
    t[12] = 0x50;
    t[13] = 0x02;
    return 60;
}

int main(void)
{
    uint8_t b[128];
    struct tcp_syn s;

    size_t n = ip4_syn(b);
    CHECK(tcp_syn_parse(b, n, n, &s));
    CHECK_EQ(s.version, 4);
    CHECK_EQ(s.sport, 34023);
    CHECK_EQ(s.dport, 6379);
    CHECK_EQ(s.seq, 2688001);
    CHECK_EQ(s.ip_hlen, 20);
    CHECK_EQ(s.seg_len, 24);
    CHECK(memcmp(s.src, "\x0a\x00\x02\x02", 4) == 0 && memcmp(s.dst, "\x0a\x00\x02\x0f", 4) == 0);
    /* Link padding after the datagram (a short frame) changes nothing. */
    CHECK(tcp_syn_parse(b, n, 60, &s) && s.seg_len == 24);
    /* Only the headers need to have been copied. */
    CHECK(tcp_syn_parse(b, 40, n, &s));
    CHECK(!tcp_syn_parse(b, 39, n, &s));
    /* A claimed length beyond what arrived, or shorter than the headers. */
    CHECK(!tcp_syn_parse(b, n, n - 1, &s));
    b[3] = 39;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    ip4_syn(b);
    b[3] = 40, b[20 + 12] = 0x60; /* data offset 24 > the 20 bytes counted */
    CHECK(!tcp_syn_parse(b, n, n, &s));
    /* Not a SYN that opens: SYN-ACK, RST, a plain ACK. */
    ip4_syn(b);
    b[33] = 0x12;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    b[33] = 0x06;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    b[33] = 0x10;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    /* Fragments: more to come, or an offset. */
    ip4_syn(b);
    b[6] = 0x20;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    b[6] = 0, b[7] = 1;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    b[6] = 0x40, b[7] = 0; /* don't-fragment is fine */
    CHECK(tcp_syn_parse(b, n, n, &s));
    /* UDP, a short IHL, an IHL past what was copied. */
    ip4_syn(b);
    b[9] = 17;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    ip4_syn(b);
    b[0] = 0x44;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    b[0] = 0x4f;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    /* Neither version, or nothing. */
    ip4_syn(b);
    b[0] = 0x55;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    CHECK(!tcp_syn_parse(b, 0, n, &s));
    CHECK(!tcp_syn_parse(b, n + 1, n, &s));

    n = ip6_syn(b);
    CHECK(tcp_syn_parse(b, n, n, &s));
    CHECK_EQ(s.version, 6);
    CHECK_EQ(s.sport, 0x1234);
    CHECK_EQ(s.dport, 80);
    CHECK_EQ(s.seq, 0xdeadbeefu);
    CHECK_EQ(s.ip_hlen, 40);
    CHECK_EQ(s.seg_len, 20);
    CHECK(s.src[0] == 0xfe && s.src[15] == 2 && s.dst[15] == 15);
    CHECK(!tcp_syn_parse(b, n, n - 1, &s));
    CHECK(!tcp_syn_parse(b, 59, n, &s));
    b[6] = 0; /* a hop-by-hop extension header first: not followed */
    CHECK(!tcp_syn_parse(b, n, n, &s));
    ip6_syn(b);
    b[5] = 19;
    CHECK(!tcp_syn_parse(b, n, n, &s));
    return check_report("test_tcp_syn");
}
