/* Recognises a connection-opening TCP segment in a received IP packet,
 * before lwIP has checked anything but the IP version: every length is
 * the sender's claim and is checked against what arrived. */
#include <string.h>
#include "tcp_syn.h"

#define IPPROTO_TCP_NUM 6
#define TCP_FLAG_RST 0x04
#define TCP_FLAG_SYN 0x02
#define TCP_FLAG_ACK 0x10

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

/* The IPv4 header: its length and the segment's, or false. */
static bool ip4_head(const uint8_t *h, size_t avail, size_t pkt_len, struct tcp_syn *out)
{
    if (avail < 20)
        return false;
    size_t hlen = (size_t)(h[0] & 0x0f) * 4, total = be16(h + 2);
    if (hlen < 20 || h[9] != IPPROTO_TCP_NUM)
        return false;
    if (be16(h + 6) & 0x3fff)
        return false; /* a fragment (offset, or more to come): its header is not all of the segment */
    if (total > pkt_len || total < hlen + 20 || avail < hlen + 20)
        return false;
    memcpy(out->src, h + 12, 4);
    memcpy(out->dst, h + 16, 4);
    out->ip_hlen = (uint16_t)hlen;
    out->seg_len = (uint16_t)(total - hlen);
    return true;
}

static bool ip6_head(const uint8_t *h, size_t avail, size_t pkt_len, struct tcp_syn *out)
{
    if (avail < 40 + 20 || h[6] != IPPROTO_TCP_NUM)
        return false;
    size_t plen = be16(h + 4);
    if (plen < 20 || 40 + plen > pkt_len)
        return false;
    memcpy(out->src, h + 8, 16);
    memcpy(out->dst, h + 24, 16);
    out->ip_hlen = 40;
    out->seg_len = (uint16_t)plen;
    return true;
}

bool tcp_syn_parse(const uint8_t *head, size_t avail, size_t pkt_len, struct tcp_syn *out)
{
    if (avail < 1 || avail > pkt_len)
        return false;
    memset(out, 0, sizeof(*out));
    out->version = head[0] >> 4;
    bool ok = out->version == 4 ? ip4_head(head, avail, pkt_len, out)
            : out->version == 6 ? ip6_head(head, avail, pkt_len, out) : false;
    if (!ok)
        return false;
    const uint8_t *t = head + out->ip_hlen;
    size_t doff = (size_t)(t[12] >> 4) * 4;
    if (doff < 20 || doff > out->seg_len)
        return false;
    uint8_t flags = t[13];
    if (!(flags & TCP_FLAG_SYN) || (flags & (TCP_FLAG_ACK | TCP_FLAG_RST)))
        return false;
    out->sport = be16(t);
    out->dport = be16(t + 2);
    out->seq = be32(t + 4);
    return true;
}
