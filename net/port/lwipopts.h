/* lwIP configuration for Kestrel. Chosen for throughput on one or a few
 * NICs with a few hundred connections, inside an 8 MiB guest; each choice
 * says why. Everything not named here is lwIP's default (src/include/lwip/opt.h). */
#ifndef KESTREL_LWIPOPTS_H
#define KESTREL_LWIPOPTS_H

/* Threads: lwIP's core runs in its tcpip thread; sockets block in app threads. */
#define NO_SYS 0
#define SYS_LIGHTWEIGHT_PROT 1 /* receive interrupts allocate pool pbufs */
/* App threads enter the core under a mutex instead of messaging the tcpip
 * thread and waiting for its answer: one context switch less per call. */
#define LWIP_TCPIP_CORE_LOCKING 1
#define LWIP_TCPIP_CORE_LOCKING_INPUT 0 /* frames arrive in interrupt context: queue them */
#define TCPIP_THREAD_NAME "tcpip"
#define TCPIP_THREAD_STACKSIZE (16 * 1024)
#define TCPIP_THREAD_PRIO 1
#define TCPIP_MBOX_SIZE 512 /* a burst of received frames queued for the core */
#define DEFAULT_THREAD_STACKSIZE (16 * 1024)
#define DEFAULT_RAW_RECVMBOX_SIZE 32
#define DEFAULT_UDP_RECVMBOX_SIZE 64
#define DEFAULT_TCP_RECVMBOX_SIZE 128
#define DEFAULT_ACCEPTMBOX_SIZE 128
#define LWIP_MPU_COMPATIBLE 0

/* Memory. The heap carries transmitted TCP data (copied by send()) and
 * small control blocks; the pbuf pool carries received frames (bss). */
#define MEM_ALIGNMENT 8
#define MEM_SIZE (384 * 1024)
/* The heap's memory is taken from the page allocator by net_boot() when a
 * NIC exists, not from bss: apps without a network do not carry it, and
 * boot does not zero it (net_boot.c). */
extern unsigned char *net_lwip_heap;
#define LWIP_RAM_HEAP_POINTER net_lwip_heap
#define MEMP_NUM_PBUF 128
#define MEMP_NUM_RAW_PCB 4
#define MEMP_NUM_UDP_PCB 16
#define MEMP_NUM_TCP_PCB 128 /* live connections, including those in TIME_WAIT */
#define MEMP_NUM_TCP_PCB_LISTEN 8
#define MEMP_NUM_TCP_SEG 512 /* >= TCP_SND_QUEUELEN for a few busy senders */
#define MEMP_NUM_REASSDATA 8
#define MEMP_NUM_FRAG_PBUF 16
#define MEMP_NUM_ARP_QUEUE 32
#define MEMP_NUM_NETBUF 64
#define MEMP_NUM_NETCONN 128 /* sockets */
#define MEMP_NUM_TCPIP_MSG_API 64
#define MEMP_NUM_TCPIP_MSG_INPKT 512 /* as many as TCPIP_MBOX_SIZE */
#define MEMP_NUM_SYS_TIMEOUT (LWIP_NUM_SYS_TIMEOUT_INTERNAL + 8)
#define PBUF_POOL_SIZE 256 /* 256 x 1.6 KiB: a full receive window for several connections */

/* Protocols: IPv4 with ARP, ICMP, UDP, TCP, DHCP and DNS; IPv6 beside it
 * (dual stack: an AF_INET6 socket not IPV6_V6ONLY also talks to IPv4 peers
 * as ::ffff:a.b.c.d, what servers listening on [::] expect). */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
/* IPv6: ::1 on the loopback interface; on each NIC a link-local address
 * from its MAC and, where a router advertises a prefix (QEMU's user
 * network: fec0::/64), a SLAAC address. Duplicate detection sends one
 * probe (RFC 4862's default). No DHCPv6 (the virtual networks we boot on
 * autoconfigure). No MLD: its timer would wake the stack every 100 ms
 * for reports nobody on a virtual link needs; without it lwIP still takes
 * the all-nodes and its own solicited-node groups (neighbour discovery
 * works) as long as the NIC passes multicast frames: virtio-net starts
 * promiscuous, vmxnet3 and e1000 are set to take all multicast. */
#define LWIP_IPV6_MLD 0
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_AUTOCONFIG 1
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 1
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 1
#define LWIP_IPV6_NUM_ADDRESSES 3 /* link-local, one SLAAC prefix, one spare */
#define LWIP_IPV6_FRAG 1
#define LWIP_IPV6_REASS 1
#define IPV6_FRAG_COPYHEADER 1 /* 64-bit pointers: the reassembly helper does not fit in the 8-byte fragment header */
#define LWIP_ND6_NUM_NEIGHBORS 16
#define LWIP_ND6_NUM_DESTINATIONS 16
#define LWIP_ND6_QUEUEING 1
#define MEMP_NUM_ND6_QUEUE 16
#define LWIP_ARP 1
#define ARP_TABLE_SIZE 32
#define ARP_QUEUEING 1
/* Packets held per address while its ARP request is out (lwIP's default, 3,
 * drops the rest): a server's first burst goes to a peer not yet in the
 * table, e.g. 16 clients connecting at once through QEMU's gateway, whose
 * SYN-ACKs beyond the third were lost and re-sent by the clients a second
 * later (wrk counted them as time-outs). */
#define ARP_QUEUE_LEN 32
#define ETHARP_SUPPORT_STATIC_ENTRIES 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
#define LWIP_ICMP 1
#define LWIP_RAW 0
#define LWIP_UDP 1
#define LWIP_TCP 1
#define LWIP_DHCP 1
/* Probing the offered address with ARP costs a second or more per lease;
 * the virtual networks we boot on hand out unique addresses. */
#define LWIP_DHCP_DOES_ARP_CHECK 0
#define LWIP_AUTOIP 0
#define LWIP_IGMP 0
#define LWIP_DNS 1
#define DNS_MAX_SERVERS 2
#define DNS_TABLE_SIZE 8
#define DNS_MAX_NAME_LENGTH 256
#define LWIP_NETIF_HOSTNAME 1

/* TCP for throughput: a full-sized MSS for 1500-byte MTUs, a 64 KiB window
 * scaled so a sender is not stalled by round trips, and a send buffer of
 * the same size so one send() can fill the window. */
#define TCP_MSS 1460
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 2
#define TCP_WND (128 * 1024)
#define TCP_SND_BUF (64 * 1024)
#define TCP_SND_QUEUELEN ((4 * TCP_SND_BUF) / TCP_MSS)
#define TCP_SNDLOWAT (TCP_SND_BUF / 2)
#define TCP_OVERSIZE TCP_MSS /* send() fills whole segments rather than chains of small pbufs */
#define TCP_QUEUE_OOSEQ 1
#define TCP_LISTEN_BACKLOG 1
#define TCP_DEFAULT_LISTEN_BACKLOG 64
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_NETIF_TX_SINGLE_PBUF 1 /* one contiguous buffer per frame: the driver copies it once */

/* Checksums: computed in software unless the NIC checks them (per netif). */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
#define LWIP_CHECKSUM_ON_COPY 1 /* sum while send() copies, not in a second pass */
/* Ours, 32 bits a step (net/inet_sum.c): lwIP's sums 16. */
#include "../inet_sum.h"
#define LWIP_CHKSUM inet_sum

/* TCP as Linux behaves where lwIP differs (prototypes in lwip_hooks.h):
 * a new connection's SYN may end an old one's TIME-WAIT, looked for in
 * every received IP packet (net/tcp_timewait.c); initial sequence numbers
 * are RFC 6528's, a clock plus a keyed hash of the addresses, not lwIP's
 * guessable counter (net/tcp_isn.c). */
#define LWIP_HOOK_FILENAME "lwip_hooks.h"
#define LWIP_HOOK_IP4_INPUT(p, inp) net_tcp_timewait_reuse((p), (inp))
#define LWIP_HOOK_IP6_INPUT(p, inp) net_tcp_timewait_reuse((p), (inp))
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) net_tcp_isn((lip), (lport), (rip), (rport))

/* Netif. */
#define LWIP_NETIF_STATUS_CALLBACK 1
#define LWIP_NETIF_LINK_CALLBACK 1
#define LWIP_SINGLE_NETIF 0
/* Loopback: programs talk to themselves over 127.0.0.1 (and to the NIC's
 * own address); test suites and servers' health checks expect it. Frames
 * looped back are queued to the tcpip thread, never handled in the caller. */
#define LWIP_NETIF_LOOPBACK 1
#define LWIP_HAVE_LOOPIF 1

/* The socket API for apps (socket, bind, ... as real function names).
 * Socket descriptors start at 64, leaving lower numbers to files. */
#define LWIP_NETCONN 1
#define LWIP_SOCKET 1
#define LWIP_COMPAT_SOCKETS 2
#define LWIP_POSIX_SOCKETS_IO_NAMES 0
#define LWIP_SOCKET_OFFSET 64
#define LWIP_SOCKET_SELECT 1
#define LWIP_SOCKET_POLL 1
#define LWIP_SO_RCVTIMEO 1
#define LWIP_SO_SNDTIMEO 1
#define LWIP_SO_RCVBUF 0
#define LWIP_SO_LINGER 1
#define SO_REUSE 1
#define LWIP_TCP_CLOSE_TIMEOUT_MS_DEFAULT 5000
#define LWIP_NETCONN_SEM_PER_THREAD 0
#define LWIP_NETCONN_FULLDUPLEX 0
#define LWIP_FIONREAD_LINUXMODE 1
/* Debian's lwIP (its "port" patch) has sockets.c size addresses through
 * these; lwIP's sockaddr structs carry a length byte. */
#define IP4ADDR_SOCKADDR_SET_LEN(sin) ((sin)->sin_len = sizeof(struct sockaddr_in))
#define IP6ADDR_SOCKADDR_SET_LEN(sin6) ((sin6)->sin6_len = sizeof(struct sockaddr_in6))
#define IPADDR_SOCKADDR_GET_LEN(addr) ((addr)->sa.sa_len)

/* No statistics or debug output in the kernel. */
#define LWIP_STATS 0
#define LWIP_DEBUG 0
#define LWIP_NOASSERT_ON_ERROR 0

#endif
