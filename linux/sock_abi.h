/* Linux's x86-64 socket structures and constants as a program passes them
 * (sockaddr_in, msghdr, mmsghdr, socket options, MSG_* flags) and the pure
 * checks over them: address lengths and families, msghdr counts and name
 * lengths, option values. No kernel services here: host-tested and fuzzed
 * (tests/unit/test_sock_abi.c, tests/fuzz/fuzz_sock_abi.c). */
#ifndef KESTREL_LINUX_SOCK_ABI_H
#define KESTREL_LINUX_SOCK_ABI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LX_AF_UNSPEC 0
#define LX_AF_UNIX 1
#define LX_AF_INET 2
#define LX_AF_INET6 10
#define LX_AF_NETLINK 16
#define LX_AF_PACKET 17

#define LX_SOCK_STREAM 1
#define LX_SOCK_DGRAM 2
#define LX_SOCK_RAW 3
#define LX_SOCK_SEQPACKET 5
#define LX_SOCK_TYPE_MASK 0xf
#define LX_SOCK_NONBLOCK 04000
#define LX_SOCK_CLOEXEC 02000000

#define LX_IPPROTO_IP 0
#define LX_IPPROTO_TCP 6
#define LX_IPPROTO_UDP 17
#define LX_IPPROTO_IPV6 41

#define LX_SOL_SOCKET 1
#define LX_SO_DEBUG 1
#define LX_SO_REUSEADDR 2
#define LX_SO_TYPE 3
#define LX_SO_ERROR 4
#define LX_SO_DONTROUTE 5
#define LX_SO_BROADCAST 6
#define LX_SO_SNDBUF 7
#define LX_SO_RCVBUF 8
#define LX_SO_KEEPALIVE 9
#define LX_SO_OOBINLINE 10
#define LX_SO_LINGER 13
#define LX_SO_REUSEPORT 15
#define LX_SO_PASSCRED 16
#define LX_SO_PEERCRED 17
#define LX_SO_RCVLOWAT 18
#define LX_SO_SNDLOWAT 19
#define LX_SO_RCVTIMEO 20
#define LX_SO_SNDTIMEO 21
#define LX_SO_ACCEPTCONN 30
#define LX_SO_SNDBUFFORCE 32
#define LX_SO_RCVBUFFORCE 33
#define LX_SO_PROTOCOL 38
#define LX_SO_DOMAIN 39

#define LX_TCP_NODELAY 1
#define LX_TCP_MAXSEG 2
#define LX_TCP_CORK 3
#define LX_TCP_KEEPIDLE 4
#define LX_TCP_KEEPINTVL 5
#define LX_TCP_KEEPCNT 6
#define LX_TCP_DEFER_ACCEPT 9
#define LX_TCP_QUICKACK 12
#define LX_TCP_FASTOPEN 23
#define LX_IP_TOS 1
#define LX_IP_TTL 2

/* IPPROTO_IPV6 options (include/uapi/linux/in6.h). */
#define LX_IPV6_ADDRFORM 1
#define LX_IPV6_UNICAST_HOPS 16
#define LX_IPV6_MULTICAST_IF 17
#define LX_IPV6_MULTICAST_HOPS 18
#define LX_IPV6_MULTICAST_LOOP 19
#define LX_IPV6_JOIN_GROUP 20
#define LX_IPV6_LEAVE_GROUP 21
#define LX_IPV6_MTU_DISCOVER 23
#define LX_IPV6_MTU 24
#define LX_IPV6_V6ONLY 26
#define LX_IPV6_RECVPKTINFO 49
#define LX_IPV6_TCLASS 67

#define LX_MSG_OOB 0x1
#define LX_MSG_PEEK 0x2
#define LX_MSG_DONTROUTE 0x4
#define LX_MSG_CTRUNC 0x8
#define LX_MSG_TRUNC 0x20
#define LX_MSG_DONTWAIT 0x40
#define LX_MSG_EOR 0x80
#define LX_MSG_WAITALL 0x100
#define LX_MSG_NOSIGNAL 0x4000
#define LX_MSG_MORE 0x8000
#define LX_MSG_WAITFORONE 0x10000
#define LX_MSG_CMSG_CLOEXEC 0x40000000

#define LX_SHUT_RD 0
#define LX_SHUT_WR 1
#define LX_SHUT_RDWR 2

#define LX_SOCKADDR_STORAGE 128 /* sizeof(struct sockaddr_storage): the most a call copies in */
#define LX_SOCKADDR_IN_LEN 16
#define LX_SOCKADDR_IN6_LEN 28
#define LX_SIN6_LEN_RFC2133 24 /* the shortest sockaddr_in6 Linux takes (no sin6_scope_id) */
#define LX_SOCKADDR_UN_LEN 110

/* struct msghdr (56 bytes) and struct mmsghdr (64) on x86-64. */
struct lx_msghdr {
    uint64_t name;
    int32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    int32_t flags;
    uint32_t pad2;
};
struct lx_mmsghdr {
    struct lx_msghdr hdr;
    uint32_t len;
    uint32_t pad;
};
_Static_assert(sizeof(struct lx_msghdr) == 56, "x86-64 struct msghdr");
_Static_assert(sizeof(struct lx_mmsghdr) == 64, "x86-64 struct mmsghdr");
#define LX_UIO_MAXIOV 1024

/* An IPv4 endpoint, both numbers in network order as on the wire. */
struct lx_inaddr {
    uint32_t addr;
    uint16_t port;
    bool unspec; /* AF_UNSPEC: connect's "dissolve the association" */
};

/* An IPv6 endpoint: address bytes as on the wire, port in network order,
 * scope (the interface index of a link-local address; 0: none). */
struct lx_in6addr {
    uint8_t addr[16];
    uint16_t port;
    uint32_t flowinfo;
    uint32_t scope_id;
};

/* What an address argument of addrlen bytes may be before it is copied in
 * (Linux's move_addr_to_kernel): 0, or -EINVAL for a length above
 * sockaddr_storage. Callers treat the length as the int it is. */
int lx_sockaddr_len_ok(int32_t addrlen);

/* Parses an AF_INET address the program gave (len bytes at buf, already in
 * kernel memory). unspec_ok: AF_UNSPEC is accepted (connect on a datagram
 * socket, and bind of INADDR_ANY as Linux allows). 0, -EINVAL (too short),
 * -EAFNOSUPPORT (another family). */
int lx_sockaddr_in_parse(const void *buf, uint32_t len, bool unspec_ok, struct lx_inaddr *out);

/* Parses an AF_INET6 address (Linux's inet6_bind, tcp_v6_connect): shorter
 * than 24 bytes -EINVAL, another family -EAFNOSUPPORT; sin6_scope_id is read
 * only when the 28 bytes are there (RFC 2133's shorter struct had none). */
int lx_sockaddr_in6_parse(const void *buf, uint32_t len, struct lx_in6addr *out);
/* Writes a struct sockaddr_in6 (28 bytes) to out: its length. */
uint32_t lx_sockaddr_in6_make(const struct lx_in6addr *a, void *out);
/* ::ffff:a.b.c.d (an IPv4 peer seen through a dual-stack AF_INET6 socket). */
bool lx_in6_is_v4mapped(const uint8_t addr[16]);
/* addr (network order) as ::ffff:a.b.c.d into out. */
void lx_in6_map_v4(uint32_t addr, uint8_t out[16]);

/* An AF_UNIX name: a path (NUL-terminated in name, len its length) or an
 * abstract name (abstract: name holds len arbitrary bytes, the leading NUL
 * not included). */
#define LX_UNIX_PATH_MAX 108
struct lx_unixname {
    char name[LX_UNIX_PATH_MAX + 1];
    uint32_t len;
    bool abstract;
    bool autobind; /* only the family was given (bind: pick an abstract name) */
};
/* Parses a sockaddr_un of len bytes (Linux's unix_validate_addr and
 * unix_mkname): more than 110 bytes or another family -EINVAL; just the
 * family: autobind. */
int lx_sockaddr_un_parse(const void *buf, uint32_t len, struct lx_unixname *out);
/* The sockaddr_un for a name into out (LX_SOCKADDR_UN_LEN bytes): its
 * length as Linux reports it (family, then the path and its NUL, or the
 * abstract name's bytes after a NUL; just the family when unnamed). */
uint32_t lx_sockaddr_un_make(const struct lx_unixname *n, void *out);

/* Writes a struct sockaddr_in (16 bytes) to out: its length. */
uint32_t lx_sockaddr_in_make(uint32_t addr, uint16_t port, void *out);

/* The Linux way to hand an address back: min(have, *room) bytes are copied
 * by the caller, and *room becomes have. Returns the bytes to copy, or
 * -EINVAL for a negative room. */
long lx_sockaddr_out_len(int32_t room, uint32_t have);

/* Checks a msghdr copied in from the program: iovlen at most UIO_MAXIOV
 * (-EMSGSIZE), a name length within sockaddr_storage and not negative
 * (-EINVAL). send: the name is an input (NULL pointer with any length is no
 * name, as Linux). */
int lx_msghdr_check(const struct lx_msghdr *m, bool send);

/* Ancillary data (control messages, cmsg(3)): struct cmsghdr is a
 * size_t length (header included), an int level and an int type, 16
 * bytes; each message's data starts 16 bytes in and the next message
 * CMSG_ALIGN (8 bytes) after its length. */
#define LX_SCM_RIGHTS 1
#define LX_SCM_CREDENTIALS 2
#define LX_SCM_MAX_FD 253       /* descriptors one sendmsg may pass (Linux's SCM_MAX_FD) */
#define LX_CMSG_HDR 16u
#define LX_CMSG_MAX (64u * 1024) /* the largest control buffer sendmsg copies in (else -ENOBUFS) */
#define LX_CMSG_ALIGN(n) (((n) + 7u) & ~(uint64_t)7u)

/* What a sendmsg's control buffer asks (Linux's __scm_send): the
 * descriptors of its SCM_RIGHTS messages, in order (several messages add
 * up), and whether it carried SCM_CREDENTIALS. */
struct lx_scm {
    int fds[LX_SCM_MAX_FD];
    unsigned nfds;
    bool creds;
};
/* Parses len bytes of control data (already in kernel memory) as Linux
 * walks them with CMSG_FIRSTHDR/CMSG_NXTHDR: a header whose length is
 * below 16 or beyond the buffer's end -EINVAL; trailing bytes too few for
 * a header ignored; levels other than SOL_SOCKET skipped (other_levels
 * counts them); SOL_SOCKET types other than SCM_RIGHTS and SCM_CREDENTIALS
 * -EINVAL; more than 253 descriptors in all -EINVAL; SCM_CREDENTIALS not
 * exactly a struct ucred -EINVAL. */
int lx_cmsg_parse(const void *buf, uint64_t len, struct lx_scm *out, unsigned *other_levels);

/* The SCM_RIGHTS message recvmsg hands back for n descriptors into a
 * control buffer of room bytes (Linux's scm_detach_fds): how many fit
 * (*fit; with fewer than n the caller sets MSG_CTRUNC), the header to write
 * before them into hdr (16 bytes), and the control length the program is
 * told it used (*used: CMSG_SPACE of what fit, at most room). Room for no
 * header: *fit = 0, *used = 0. */
void lx_cmsg_rights_out(uint64_t room, unsigned n, unsigned *fit, uint8_t hdr[16], uint64_t *used);

/* An int option value: at least sizeof(int) bytes (-EINVAL), read from buf. */
int lx_sockopt_int(const void *buf, uint32_t len, int *out);

/* SO_RCVTIMEO / SO_SNDTIMEO's struct timeval (16 bytes): 0 and *ns (0:
 * wait for ever), -EINVAL (short), -EDOM (usec outside 0..999999). A
 * negative time is no timeout, as Linux. */
int lx_sockopt_timeval(const void *buf, uint32_t len, uint64_t *ns);
/* ns as a struct timeval into out (16 bytes). */
void lx_timeval_from_ns(uint64_t ns, void *out);

/* socket()'s type argument: the type (SOCK_*) and its flags; -EINVAL for
 * flag bits Linux does not know. */
int lx_socket_type_split(int type, int *kind, bool *nonblock, bool *cloexec);

#endif
