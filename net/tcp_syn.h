/* A received IP packet read as far as a TCP SYN's identity (net/tcp_syn.c):
 * what the TIME-WAIT reuse (net/tcp_timewait.c) decides on. */
#ifndef KESTREL_TCP_SYN_H
#define KESTREL_TCP_SYN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The bytes the parser needs from a packet's start: an IPv4 header with
 * the most options, or an IPv6 one, then a TCP header without options. */
#define TCP_SYN_PEEK (60 + 20)

struct tcp_syn {
    uint8_t version;        /* 4 or 6 */
    uint8_t src[16], dst[16]; /* addresses as sent (IPv4: the first 4 bytes) */
    uint16_t sport, dport;  /* host order */
    uint32_t seq;           /* host order */
    uint16_t ip_hlen;       /* bytes before the TCP header */
    uint16_t seg_len;       /* TCP header and data, as the IP header counts them */
};

/* head: the packet's first avail bytes; pkt_len: its whole length as
 * received (link padding included). True when it is an unfragmented TCP
 * segment opening a connection (SYN without ACK or RST) whose headers are
 * consistent with pkt_len; out then describes it. IPv6 extension headers
 * are not followed: such a SYN is not recognised (false). */
bool tcp_syn_parse(const uint8_t *head, size_t avail, size_t pkt_len, struct tcp_syn *out);

#endif
