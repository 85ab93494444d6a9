/* A new connection's SYN ends an old one's TIME-WAIT, as in Linux (RFC 1122
 * 4.2.2.13, RFC 6191), which lwIP lacks.
 *
 * Why: QEMU's user network gives each forwarded connection the host
 * client's own port, and the host reuses a port as soon as its side of the
 * old connection is gone. When the guest closed first, its pcb still
 * waits out 2 MSL (two minutes) on that address pair. lwIP answers the new
 * SYN from the TIME-WAIT pcb with a bare ACK, QEMU resets, lwIP ignores
 * the reset (RFC 1337), and the client waits two minutes for a connection
 * the host already reported open: Redis's test suite stalled on this.
 * Linux (tcp_timewait_state_process) lets a SYN whose sequence number is
 * beyond the old connection's reach the listener; so do we, from lwIP's IP
 * input hook: the TIME-WAIT pcb is dropped and lwIP's own demultiplexing
 * then hands the SYN to the listener. The segment's checksum is checked
 * first (where the interface checks TCP's), so a corrupt frame cannot end
 * a TIME-WAIT. Runs in the tcpip thread with the core lock held. */
#include <string.h>
#include "lwip/inet_chksum.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h"
#include "lwip/tcp.h"
#include "tcp_syn.h"

static bool same_addr(const ip_addr_t *pcb_addr, const struct tcp_syn *syn, const uint8_t *bytes)
{
    if (syn->version == 4) {
        if (!IP_IS_V4_VAL(*pcb_addr))
            return false;
        ip4_addr_t a;
        memcpy(&a.addr, bytes, 4);
        return ip4_addr_cmp(ip_2_ip4(pcb_addr), &a);
    }
    if (!IP_IS_V6_VAL(*pcb_addr))
        return false;
    ip6_addr_t a;
    memset(&a, 0, sizeof(a));
    memcpy(a.addr, bytes, 16);
    return ip6_addr_cmp_zoneless(ip_2_ip6(pcb_addr), &a);
}

static struct tcp_pcb *timewait_pcb(const struct tcp_syn *syn)
{
    for (struct tcp_pcb *pcb = tcp_tw_pcbs; pcb; pcb = pcb->next)
        if (pcb->local_port == syn->dport && pcb->remote_port == syn->sport &&
            same_addr(&pcb->remote_ip, syn, syn->src) && same_addr(&pcb->local_ip, syn, syn->dst))
            return pcb;
    return NULL;
}

/* The segment's checksum, with p's payload moved to its TCP header for
 * lwIP's pseudo-header sum and put back after. */
static bool checksum_ok(struct pbuf *p, struct netif *inp, const struct tcp_syn *syn)
{
    IF__NETIF_CHECKSUM_ENABLED(inp, NETIF_CHECKSUM_CHECK_TCP) {
        if (pbuf_remove_header(p, syn->ip_hlen))
            return false; /* the IP header spans buffers: leave the segment to lwIP */
        u16_t sum;
        if (syn->version == 4) {
            ip4_addr_t s, d;
            memcpy(&s.addr, syn->src, 4);
            memcpy(&d.addr, syn->dst, 4);
            sum = inet_chksum_pseudo_partial(p, IP_PROTO_TCP, syn->seg_len, syn->seg_len, &s, &d);
        } else {
            ip6_addr_t s, d;
            memset(&s, 0, sizeof(s));
            memset(&d, 0, sizeof(d));
            memcpy(s.addr, syn->src, 16);
            memcpy(d.addr, syn->dst, 16);
            sum = ip6_chksum_pseudo_partial(p, IP_PROTO_TCP, syn->seg_len, syn->seg_len, &s, &d);
        }
        pbuf_add_header_force(p, syn->ip_hlen);
        return sum == 0;
    }
    return true;
}

/* lwIP's LWIP_HOOK_IP4_INPUT and LWIP_HOOK_IP6_INPUT (net/port/lwipopts.h):
 * never consumes the packet (0). */
int net_tcp_timewait_reuse(struct pbuf *p, struct netif *inp)
{
    /* Every received packet passes here: read the headers in place when
     * the first buffer holds them (nearly always), copy only when not. */
    uint8_t copy[TCP_SYN_PEEK];
    const uint8_t *head = p->payload;
    u16_t got = p->len;
    if (got < TCP_SYN_PEEK && got < p->tot_len) {
        got = pbuf_copy_partial(p, copy, sizeof(copy), 0);
        head = copy;
    }
    struct tcp_syn syn;
    if (!tcp_syn_parse(head, got, p->tot_len, &syn))
        return 0;
    struct tcp_pcb *pcb = timewait_pcb(&syn);
    if (!pcb || !TCP_SEQ_GT(syn.seq, pcb->rcv_nxt))
        return 0; /* no old connection, or a SYN that may be its own duplicate: lwIP answers it */
    if (!checksum_ok(p, inp, &syn))
        return 0;
    tcp_pcb_remove(&tcp_tw_pcbs, pcb);
    tcp_free(pcb);
    return 0;
}
