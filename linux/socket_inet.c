/* AF_INET and AF_INET6 sockets for Linux programs, over lwIP's socket layer.
 *
 * Why lwIP's sockets and not raw netconns: sockets.c already keeps what a
 * socket needs beyond a netconn (the rest of a partly read segment, the
 * receive/send/error event counts, MSG_PEEK, scatter-gather send,
 * option handling, errno mapping), and its descriptors (from
 * LWIP_SOCKET_OFFSET) never reach the program: each Linux socket lfile
 * holds one. What it lacks we add around it:
 *  - blocking that a signal can cut short: every lwIP socket is put in
 *    non-blocking mode and the waiting is ours (lsock_wait), so EINTR and
 *    SA_RESTART behave as for pipes;
 *  - readiness from the stack's own events: each netconn's callback is
 *    replaced by inet_event, which first runs lwIP's own event_callback
 *    (so its counters stay right) and then wakes our waiters and calls
 *    lfile_notify. Nothing polls on a timer.
 * Linux's sockaddr (a 16-bit family) differs from lwIP's (a length byte,
 * then an 8-bit family), as do option and MSG_* numbers: all translated
 * here; the program's bytes were checked before (socket_calls.c).
 * AF_INET6 sockets are lwIP's dual-stack ones: not IPV6_V6ONLY, a socket
 * bound to [::] also takes IPv4 connections and datagrams. lwIP hands
 * some IPv4 peers back as sockaddr_in (accept's); every address a program
 * gets from an AF_INET6 socket is made sockaddr_in6 here, an IPv4 one as
 * ::ffff:a.b.c.d, as Linux. */
#include <stdlib.h>
#include <string.h>
#include "lwip/api.h"
#include "lwip/ip4.h"
#include "lwip/ip6.h"
#include "lwip/netif.h"
#include "lwip/priv/sockets_priv.h"
#include "lwip/sockets.h"
#include "lwip/tcp.h"
#include "lwip/tcpip.h"
#include "linux_consts.h"
#include "net.h"
#include "socket.h"
#include "spinlock.h"

struct inet_sock {
    struct lsock base;
    int fd;            /* lwIP's descriptor */
    bool tcp;
    bool v6;           /* AF_INET6 */
    bool v6only;       /* IPV6_V6ONLY as set */
    bool listening;
    bool connecting;   /* a connect in flight (non-blocking, or interrupted) */
    bool connected;    /* a stream that was connected at some point */
    bool udp_peer;     /* a datagram socket with a default destination */
    bool peer_fin;     /* the peer closed its side (or the connection broke) */
    bool shut_wr, shut_rd;
    int so_error;      /* a failed non-blocking connect's errno, until SO_ERROR or a call takes it */
    /* lwIP's sockets without LWIP_NETCONN_FULLDUPLEX want one receiver and
     * one sender at a time (the held segment is not guarded): each
     * direction's lwIP calls are serialised here, never across a wait. */
    struct mutex rx_lock, tx_lock;
};

/* lwIP descriptor -> our socket, for inet_event. Guarded by table_lock;
 * an entry is cleared before the socket is freed. */
#define NSOCK MEMP_NUM_NETCONN
static struct inet_sock *table[NSOCK];
static struct spinlock table_lock = SPINLOCK_INIT;
static netconn_callback lwip_event; /* sockets.c's event_callback */

static bool stack_up(void) { return __atomic_load_n(&net_lwip_heap, __ATOMIC_ACQUIRE) != NULL; }

/* Every netconn event: lwIP's bookkeeping first, then our waiters. Runs in
 * the tcpip thread (core lock held) or in a thread inside an lwIP call. */
static void inet_event(struct netconn *conn, enum netconn_evt evt, u16_t len)
{
    lwip_event(conn, evt, len);
    if (evt == NETCONN_EVT_RCVMINUS || evt == NETCONN_EVT_SENDMINUS)
        return; /* readiness only went down: nobody to wake */
    int i = conn->socket - LWIP_SOCKET_OFFSET;
    if (i < 0 || i >= NSOCK)
        return; /* not yet accepted: lwIP counts it, accept picks it up */
    uint64_t irq = spin_lock_irqsave(&table_lock);
    struct inet_sock *is = table[i];
    if (is) {
        unsigned ev = 0;
        if (evt == NETCONN_EVT_RCVPLUS) {
            ev = LX_EPOLLIN;
            /* A receive event without bytes on a connection is its end. */
            if (len == 0 && is->tcp && !is->listening) {
                is->peer_fin = true;
                ev |= LX_EPOLLRDHUP;
            }
        } else if (evt == NETCONN_EVT_SENDPLUS) {
            ev = LX_EPOLLOUT;
        } else if (evt == NETCONN_EVT_ERROR) {
            is->peer_fin = true;
            ev = LX_EPOLLERR | LX_EPOLLHUP;
        }
        lsock_changed(&is->base, ev);
    }
    spin_unlock_irqrestore(&table_lock, irq);
}

static struct inet_sock *inet(struct lsock *s) { return (struct inet_sock *)s; }

static bool nonblocking(struct lsock *s, int flags)
{
    return (s->file->status_flags & LX_O_NONBLOCK) || (flags & LX_MSG_DONTWAIT);
}

/* lwIP's errno after a failed call (Linux values: include/errno.h). */
static long lwip_error(void)
{
    int e = errno;
    return e > 0 ? -e : -EIO;
}

/* The lwIP socket's event state (lwIP's counters, read under its guard). */
struct lw_state {
    bool rcv, snd, err;
};
static struct lw_state lw_state(struct inet_sock *is)
{
    struct lw_state st = { 0 };
    struct lwip_sock *ls = lwip_socket_dbg_get_socket(is->fd);
    if (!ls)
        return st;
    SYS_ARCH_DECL_PROTECT(lev);
    SYS_ARCH_PROTECT(lev);
    st.rcv = ls->rcvevent > 0 || ls->lastdata.pbuf != NULL;
    st.snd = ls->sendevent != 0;
    st.err = ls->errevent != 0;
    SYS_ARCH_UNPROTECT(lev);
    return st;
}

/* Waits after an EAGAIN from lwIP: 0 to try again, or what the call returns. */
static long wait_more(struct inet_sock *is, unsigned gen, bool nb, uint64_t deadline)
{
    if (nb)
        return -EAGAIN;
    int rc = lsock_wait(&is->base, gen, deadline);
    if (rc == -EINTR)
        return deadline ? -EINTR : -ERESTARTSYS; /* Linux: a socket timeout makes it EINTR */
    return rc == -ETIMEDOUT ? -EAGAIN : 0;
}

/* ---- addresses: Linux's to lwIP's and back ---- */

/* An address as lwIP's calls take it (its sockaddr of either family). */
struct lw_addr {
    struct sockaddr_storage ss;
    socklen_t len;
};

static void lw_v4(uint32_t addr, uint16_t port, struct lw_addr *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in *sin = (struct sockaddr_in *)&out->ss;
    sin->sin_len = sizeof(*sin);
    sin->sin_family = AF_INET;
    sin->sin_port = port;
    sin->sin_addr.s_addr = addr;
    out->len = sizeof(*sin);
}

static void lw_v6(const struct lx_in6addr *a, struct lw_addr *out)
{
    memset(out, 0, sizeof(*out));
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;
    s6->sin6_len = sizeof(*s6);
    s6->sin6_family = AF_INET6;
    s6->sin6_port = a->port;
    s6->sin6_flowinfo = a->flowinfo;
    memcpy(&s6->sin6_addr, a->addr, 16);
    s6->sin6_scope_id = a->scope_id;
    out->len = sizeof(*s6);
}

/* The port (network order) of an address lwIP returned; both families keep it at the same place. */
static uint16_t lw_port(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)ss)->sin6_port
                                     : ((const struct sockaddr_in *)ss)->sin_port;
}

static bool link_local(const uint8_t a[16]) { return a[0] == 0xfe && (a[1] & 0xc0) == 0x80; }

/* What an address is for: each use has Linux's own answers. */
enum addr_use { FOR_BIND, FOR_CONNECT, FOR_SEND };

/* The program's address (len bytes, in kernel memory) for lwIP, as Linux
 * checks it for this socket and use: 0 (*unspec: AF_UNSPEC where that
 * means "none"), or the error. */
static long addr_from_program(struct inet_sock *is, const uint8_t *addr, uint32_t len, enum addr_use use,
                              struct lw_addr *out, bool *unspec)
{
    *unspec = false;
    if (!is->v6) {
        struct lx_inaddr a;
        long rc = lx_sockaddr_in_parse(addr, len, use == FOR_BIND || (use == FOR_CONNECT && !is->tcp), &a);
        if (rc < 0)
            return rc;
        if (a.unspec && use == FOR_BIND && a.addr != 0)
            return -EAFNOSUPPORT; /* AF_UNSPEC binds only INADDR_ANY */
        *unspec = a.unspec && use == FOR_CONNECT;
        lw_v4(a.addr, a.port, out);
        return 0;
    }
    uint16_t family = len >= 2 ? (uint16_t)(addr[0] | addr[1] << 8) : 0xffff;
    /* A datagram socket's connect(AF_UNSPEC) dissolves its association
     * (Linux's inet_dgram_connect, for both families). */
    if (use == FOR_CONNECT && !is->tcp && family == LX_AF_UNSPEC) {
        *unspec = true;
        return 0;
    }
    /* Linux's UDPv6 takes a sockaddr_in for connect and sendto: the IPv4
     * peer, unless the socket is IPv6 only. */
    if (!is->tcp && use != FOR_BIND && family == LX_AF_INET) {
        struct lx_inaddr a;
        long rc = lx_sockaddr_in_parse(addr, len, false, &a);
        if (rc < 0)
            return rc;
        if (is->v6only)
            return use == FOR_SEND ? -ENETUNREACH : -EAFNOSUPPORT;
        struct lx_in6addr m = { .port = a.port };
        lx_in6_map_v4(a.addr, m.addr);
        lw_v6(&m, out);
        return 0;
    }
    struct lx_in6addr a;
    long rc = lx_sockaddr_in6_parse(addr, len, &a);
    if (rc < 0)
        return rc;
    if (lx_in6_is_v4mapped(a.addr) && is->v6only)
        return use == FOR_BIND ? -EINVAL : -ENETUNREACH;
    if (!link_local(a.addr)) {
        a.scope_id = 0; /* Linux reads the scope of link-local addresses only */
    } else if (a.scope_id) {
        /* lwIP's zones are its interface indices (1: loopback, 2: eth0,
         * as Linux's usual numbering); another one names no interface. */
        LOCK_TCPIP_CORE();
        bool known = a.scope_id <= 255 && netif_get_by_index((u8_t)a.scope_id) != NULL;
        UNLOCK_TCPIP_CORE();
        if (!known)
            return -ENODEV;
    } else if (use == FOR_BIND) {
        return -EINVAL; /* a link-local address needs its interface */
    }
    static const uint8_t any[16];
    if (use == FOR_CONNECT && is->tcp && memcmp(a.addr, any, 16) == 0)
        a.addr[15] = 1; /* Linux: connecting to :: reaches ::1 */
    lw_v6(&a, out);
    return 0;
}

/* An address lwIP returned, as the program gets it (len bytes to out, at
 * most LX_SOCKADDR_IN6_LEN): of the socket's family, an IPv4 one on an
 * AF_INET6 socket v4-mapped. Anything else (nothing: an unbound socket)
 * is the family's any address, port 0. */
static uint32_t addr_to_program(const struct inet_sock *is, const struct sockaddr_storage *ss, uint8_t *out)
{
    uint32_t v4 = 0;
    uint16_t port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
        v4 = sin->sin_addr.s_addr;
        port = sin->sin_port;
    }
    if (!is->v6)
        return lx_sockaddr_in_make(v4, port, out);
    struct lx_in6addr a = { .port = port };
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        a.port = s6->sin6_port;
        memcpy(a.addr, &s6->sin6_addr, 16);
        a.scope_id = link_local(a.addr) ? s6->sin6_scope_id : 0;
    } else if (ss->ss_family == AF_INET) {
        lx_in6_map_v4(v4, a.addr);
    }
    return lx_sockaddr_in6_make(&a, out);
}

/* ---- creation and the end ---- */

static const struct lsock_ops inet_ops;

static long attach(int fd, bool tcp, bool v6, bool nonblock, struct lfile **out)
{
    struct inet_sock *is = calloc(1, sizeof(*is));
    if (!is) {
        lwip_close(fd);
        return -ENOMEM;
    }
    is->fd = fd;
    is->tcp = tcp;
    is->v6 = v6;
    mutex_init(&is->rx_lock);
    mutex_init(&is->tx_lock);
    is->base.ops = &inet_ops;
    is->base.domain = v6 ? LX_AF_INET6 : LX_AF_INET;
    is->base.type = tcp ? LX_SOCK_STREAM : LX_SOCK_DGRAM;
    is->base.protocol = tcp ? LX_IPPROTO_TCP : LX_IPPROTO_UDP;
    is->base.sndbuf = tcp ? 16384 : 212992; /* Linux's defaults (tcp_wmem, wmem_default) */
    is->base.rcvbuf = tcp ? 131072 : 212992;
    int on = 1;
    lwip_ioctl(fd, FIONBIO, &on); /* all waiting is ours: see the top */
    LOCK_TCPIP_CORE();
    struct lwip_sock *ls = lwip_socket_dbg_get_socket(fd);
    if (ls && ls->conn) {
        if (!lwip_event)
            lwip_event = ls->conn->callback;
        ls->conn->callback = inet_event;
    }
    UNLOCK_TCPIP_CORE();
    struct lfile *f = lsock_file_new(&is->base, nonblock);
    if (!f) {
        lwip_close(fd);
        free(is);
        return -ENOMEM;
    }
    uint64_t irq = spin_lock_irqsave(&table_lock);
    table[fd - LWIP_SOCKET_OFFSET] = is;
    spin_unlock_irqrestore(&table_lock, irq);
    *out = f;
    return 0;
}

long inet_socket_create(int domain, int type, int protocol, bool nonblock, struct lfile **out)
{
    bool v6 = domain == LX_AF_INET6;
    bool tcp;
    if (type == LX_SOCK_STREAM) {
        if (protocol && protocol != LX_IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        tcp = true;
    } else if (type == LX_SOCK_DGRAM) {
        if (protocol && protocol != LX_IPPROTO_UDP)
            return -EPROTONOSUPPORT;
        tcp = false;
    } else if (type == LX_SOCK_RAW || type == LX_SOCK_SEQPACKET) {
        return -ESOCKTNOSUPPORT; /* lwIP is built without raw sockets */
    } else {
        return -EINVAL;
    }
    /* No network device (or --nonet): lwIP was never started; it starts
     * now with its loopback interface alone. */
    if (!stack_up() && net_start_loopback() < 0)
        return -ENOBUFS;
    int fd = lwip_socket(v6 ? AF_INET6 : AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (fd < 0)
        return errno == ENOBUFS || errno == ENOMEM ? -ENOBUFS : -ENFILE;
    if (fd - LWIP_SOCKET_OFFSET < 0 || fd - LWIP_SOCKET_OFFSET >= NSOCK) {
        lwip_close(fd);
        return -ENFILE;
    }
    return attach(fd, tcp, v6, nonblock, out);
}

static void inet_release(struct lsock *s)
{
    struct inet_sock *is = inet(s);
    uint64_t irq = spin_lock_irqsave(&table_lock);
    table[is->fd - LWIP_SOCKET_OFFSET] = NULL;
    spin_unlock_irqrestore(&table_lock, irq);
    /* A TCP close with data still queued finishes in the background, as
     * Linux's without SO_LINGER. SO_LINGER on with 0 seconds resets the
     * connection (lwIP aborts it); a lingering close that waits is not
     * done (lwIP cannot linger on a non-blocking socket). */
    if (is->tcp && s->linger_on && s->linger_s == 0) {
        /* lwIP's own linger-0 close aborts only with data unsent: abort
         * here, through the path lwIP takes for any aborted pcb (the
         * netconn's error callback detaches it). */
        LOCK_TCPIP_CORE();
        struct lwip_sock *ls = lwip_socket_dbg_get_socket(is->fd);
        if (ls && ls->conn && ls->conn->pcb.tcp && ls->conn->pcb.tcp->state != LISTEN)
            tcp_abort(ls->conn->pcb.tcp);
        UNLOCK_TCPIP_CORE();
    }
    lwip_close(is->fd);
    free(is);
}

/* ---- addresses and connections ---- */

static long inet_bind(struct lsock *s, const uint8_t *addr, uint32_t len)
{
    struct lw_addr la;
    bool unspec;
    long rc = addr_from_program(inet(s), addr, len, FOR_BIND, &la, &unspec);
    if (rc < 0)
        return rc;
    if (lwip_bind(inet(s)->fd, (struct sockaddr *)&la.ss, la.len) < 0) {
        rc = lwip_error();
        return rc == -EINVAL ? -EINVAL : rc == -EADDRINUSE ? rc : rc == -EIO ? -EADDRNOTAVAIL : rc;
    }
    return 0;
}

static long inet_listen(struct lsock *s, int backlog)
{
    struct inet_sock *is = inet(s);
    if (!is->tcp)
        return -EOPNOTSUPP;
    if (is->connected || is->connecting)
        return -EINVAL;
    /* Unbound: Linux picks an ephemeral port; lwIP would listen on port 0. */
    struct sockaddr_storage ss;
    socklen_t ll = sizeof(ss);
    if (lwip_getsockname(is->fd, (struct sockaddr *)&ss, &ll) == 0 && lw_port(&ss) == 0 && !is->listening) {
        struct lw_addr any;
        struct lx_in6addr any6 = { 0 };
        if (is->v6)
            lw_v6(&any6, &any); /* [::]: both families unless IPV6_V6ONLY */
        else
            lw_v4(0, 0, &any);
        if (lwip_bind(is->fd, (struct sockaddr *)&any.ss, any.len) < 0)
            return lwip_error();
    }
    if (lwip_listen(is->fd, backlog) < 0)
        return lwip_error();
    is->listening = true;
    return 0;
}

static long inet_accept(struct lsock *s, struct lfile **out, uint8_t *addr, uint32_t *addrlen, bool nonblock)
{
    struct inet_sock *is = inet(s);
    if (!is->tcp)
        return -EOPNOTSUPP;
    if (!is->listening)
        return -EINVAL;
    bool nb = nonblocking(s, 0);
    uint64_t deadline = lsock_deadline(s->rcvtimeo_ns);
    for (;;) {
        unsigned gen = lsock_gen(s);
        struct sockaddr_storage la;
        socklen_t ll = sizeof(la);
        memset(&la, 0, sizeof(la));
        int nfd = lwip_accept(is->fd, (struct sockaddr *)&la, &ll);
        if (nfd >= 0) {
            if (nfd - LWIP_SOCKET_OFFSET >= NSOCK) {
                lwip_close(nfd);
                return -ENFILE;
            }
            long rc = attach(nfd, true, is->v6, nonblock, out);
            if (rc < 0)
                return rc;
            struct inet_sock *ns = inet(lsock_of(*out));
            ns->connected = true;
            ns->base.sndbuf = s->sndbuf;
            ns->base.rcvbuf = s->rcvbuf;
            ns->v6only = is->v6only;
            *addrlen = addr_to_program(is, &la, addr);
            return 0;
        }
        long rc = lwip_error();
        /* A connection reset before it was accepted: lwIP fails the
         * accept (its peer address is gone) and drops it; Linux's accept
         * would return it. Either way the next one is the program's. */
        if (rc == -ENOTCONN || rc == -ECONNABORTED || rc == -ECONNRESET)
            continue;
        if (rc != -EAGAIN)
            return rc == -ENFILE || rc == -ENOBUFS ? -EMFILE : rc;
        rc = wait_more(is, gen, nb, deadline);
        if (rc)
            return rc;
    }
}

/* Settles a connect in flight once lwIP's send or error event came: 0
 * connected, -EINPROGRESS still going, or the failure (also kept in
 * so_error for SO_ERROR, poll and the next call). lwIP answers a reset to
 * the SYN as ECONNRESET and a timed-out SYN as ECONNABORTED; Linux says
 * ECONNREFUSED and ETIMEDOUT. Called from connect, poll, SO_ERROR, send
 * and recv: whichever the program uses first after the event. */
static long connect_result(struct inet_sock *is)
{
    mutex_lock(&is->tx_lock);
    long rc;
    if (!is->connecting) {
        rc = is->connected ? 0 : is->so_error ? -is->so_error : -ENOTCONN;
        mutex_unlock(&is->tx_lock);
        return rc;
    }
    struct lw_state st = lw_state(is);
    if (!st.err && !st.snd) {
        mutex_unlock(&is->tx_lock);
        return -EINPROGRESS;
    }
    int e = 0;
    socklen_t l = sizeof(e);
    lwip_getsockopt(is->fd, SOL_SOCKET, SO_ERROR, &e, &l);
    if (!st.err && !e) {
        is->connected = true;
        rc = 0;
    } else {
        if (e == 0 || e == ECONNRESET)
            e = ECONNREFUSED;
        else if (e == ECONNABORTED)
            e = ETIMEDOUT;
        is->peer_fin = true;
        is->so_error = e;
        rc = -e;
    }
    is->connecting = false;
    mutex_unlock(&is->tx_lock);
    return rc;
}

/* The pending error, taken (Linux's sock_error). */
static int take_error(struct inet_sock *is)
{
    return __atomic_exchange_n(&is->so_error, 0, __ATOMIC_RELAXED);
}

/* Before data moves on a stream: 0 when connected, else what the call
 * returns (a finished connect's failure is taken). A blocking call waits
 * for a connect in flight, as Linux's. */
static long stream_ready(struct inet_sock *is, bool nb, uint64_t deadline)
{
    for (;;) {
        unsigned gen = lsock_gen(&is->base);
        long rc = connect_result(is);
        if (rc == -EINPROGRESS) {
            rc = wait_more(is, gen, nb, deadline);
            if (rc)
                return rc;
            continue;
        }
        if (rc < 0 && rc != -ENOTCONN && take_error(is))
            return rc;
        return is->connected ? 0 : -ENOTCONN;
    }
}

static long inet_connect(struct lsock *s, const uint8_t *addr, uint32_t len)
{
    struct inet_sock *is = inet(s);
    struct lw_addr la;
    bool unspec;
    long rc = addr_from_program(is, addr, len, FOR_CONNECT, &la, &unspec);
    if (rc < 0)
        return rc;
    if (!is->tcp) {
        if (unspec) {
            struct sockaddr_in none = { .sin_len = sizeof(none), .sin_family = AF_UNSPEC };
            lwip_connect(is->fd, (struct sockaddr *)&none, sizeof(none));
            is->udp_peer = false;
            return 0;
        }
        if (lwip_connect(is->fd, (struct sockaddr *)&la.ss, la.len) < 0)
            return lwip_error();
        is->udp_peer = true;
        return 0;
    }
    if (is->listening)
        return -EINVAL;
    if (is->connected)
        return -EISCONN;
    if (!is->connecting && is->so_error)
        return -take_error(is);
    bool nb = nonblocking(s, 0);
    if (!is->connecting) {
        if (lwip_connect(is->fd, (struct sockaddr *)&la.ss, la.len) == 0) {
            is->connected = true;
            return 0;
        }
        rc = lwip_error();
        if (rc != -EINPROGRESS)
            return rc == -ECONNRESET ? -ECONNREFUSED : rc;
        is->connecting = true;
        if (nb)
            return -EINPROGRESS;
    } else if (nb) {
        rc = connect_result(is);
        if (rc == -EINPROGRESS)
            return -EALREADY;
        if (rc < 0)
            take_error(is);
        return rc;
    }
    uint64_t deadline = lsock_deadline(s->sndtimeo_ns);
    for (;;) {
        unsigned gen = lsock_gen(s);
        rc = connect_result(is);
        if (rc != -EINPROGRESS) {
            if (rc < 0)
                take_error(is);
            return rc;
        }
        int w = lsock_wait(s, gen, deadline);
        if (w == -EINTR)
            return deadline ? -EINTR : -ERESTARTSYS; /* a restarted connect waits on */
        if (w == -ETIMEDOUT)
            return -EINPROGRESS;
    }
}

static long inet_shutdown(struct lsock *s, int how)
{
    struct inet_sock *is = inet(s);
    if (is->tcp && !is->connected && !is->listening)
        return -ENOTCONN;
    if (is->tcp && is->listening) {
        /* Linux wakes a blocked accept, which then fails: EINVAL here. */
        is->listening = false;
        lsock_changed(s, LX_EPOLLIN | LX_EPOLLHUP);
        return 0;
    }
    if (!is->tcp) {
        lsock_changed(s, 0);
        return is->udp_peer ? 0 : -ENOTCONN;
    }
    if (lwip_shutdown(is->fd, how) < 0) {
        long rc = lwip_error();
        if (rc != -ENOTCONN || !is->peer_fin)
            return rc;
    }
    if (how != LX_SHUT_RD)
        is->shut_wr = true;
    if (how != LX_SHUT_WR)
        is->shut_rd = true;
    lsock_changed(s, 0);
    return 0;
}

static bool unspecified(const struct sockaddr_storage *ss)
{
    static const uint8_t zero[16];
    if (ss->ss_family == AF_INET)
        return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == 0;
    if (ss->ss_family == AF_INET6) {
        const uint8_t *a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
        return memcmp(a, zero, 16) == 0 || (lx_in6_is_v4mapped(a) && memcmp(a + 12, zero, 4) == 0);
    }
    return true;
}

/* A connected datagram socket bound to no address: the source address
 * Linux fixed at its connect (the route's interface address toward the
 * peer; 127.0.0.1 or ::1 for a loopback peer) into la, whose port stays.
 * glibc's getaddrinfo learns source addresses this way, and asserts that
 * an AF_INET6 socket connected to an IPv4 peer names a v4-mapped one. */
static void udp_source(struct inet_sock *is, struct sockaddr_storage *la)
{
    struct sockaddr_storage pa;
    socklen_t pl = sizeof(pa);
    memset(&pa, 0, sizeof(pa));
    if (lwip_getpeername(is->fd, (struct sockaddr *)&pa, &pl) < 0)
        return;
    uint16_t port = ((struct sockaddr_in *)la)->sin_port; /* the same place in sockaddr_in6 */
    uint32_t v4 = 0;
    bool is_v4 = pa.ss_family == AF_INET;
    const uint8_t *a6 = (const uint8_t *)&((struct sockaddr_in6 *)&pa)->sin6_addr;
    if (is_v4)
        v4 = ((struct sockaddr_in *)&pa)->sin_addr.s_addr;
    else if (pa.ss_family == AF_INET6 && lx_in6_is_v4mapped(a6)) {
        memcpy(&v4, a6 + 12, 4);
        is_v4 = true;
    } else if (pa.ss_family != AF_INET6) {
        return;
    }
    LOCK_TCPIP_CORE();
    if (is_v4) {
        ip4_addr_t dst = { v4 }, src = { 0 };
        if (ip4_addr_isloopback(&dst))
            src.addr = PP_HTONL(0x7f000001ul);
        else {
            struct netif *n = ip4_route(&dst);
            if (n)
                src = *netif_ip4_addr(n);
        }
        struct sockaddr_in *sin = (struct sockaddr_in *)la;
        memset(la, 0, sizeof(*la));
        sin->sin_len = sizeof(*sin);
        sin->sin_family = AF_INET;
        sin->sin_port = port;
        sin->sin_addr.s_addr = src.addr;
    } else {
        ip6_addr_t dst;
        memcpy(dst.addr, a6, 16);
        ip6_addr_clear_zone(&dst);
        static const uint8_t loop6[16] = { [15] = 1 };
        const uint8_t *src = NULL;
        if (memcmp(a6, loop6, 16) == 0) {
            src = loop6;
        } else {
            struct netif *n = ip6_route(IP6_ADDR_ANY6, &dst);
            const ip_addr_t *s = n ? ip6_select_source_address(n, &dst) : NULL;
            if (s)
                src = (const uint8_t *)ip_2_ip6(s)->addr;
        }
        if (src) {
            struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)la;
            memset(la, 0, sizeof(*la));
            memcpy(&s6->sin6_addr, src, 16);
            s6->sin6_len = sizeof(*s6);
            s6->sin6_family = AF_INET6;
            s6->sin6_port = port;
        }
    }
    UNLOCK_TCPIP_CORE();
}

static long inet_name(struct lsock *s, bool peer, uint8_t *addr, uint32_t *addrlen)
{
    struct inet_sock *is = inet(s);
    struct sockaddr_storage la;
    socklen_t ll = sizeof(la);
    memset(&la, 0, sizeof(la));
    if (peer && (is->tcp ? !is->connected : !is->udp_peer))
        return -ENOTCONN;
    int r = peer ? lwip_getpeername(is->fd, (struct sockaddr *)&la, &ll)
                 : lwip_getsockname(is->fd, (struct sockaddr *)&la, &ll);
    if (r < 0) {
        if (peer)
            return -ENOTCONN;
        memset(&la, 0, sizeof(la)); /* unbound: 0.0.0.0:0 or [::]:0, as Linux */
    } else if (!peer && !is->tcp && is->udp_peer && unspecified(&la)) {
        udp_source(is, &la);
    }
    *addrlen = addr_to_program(is, &la, addr);
    return 0;
}

/* ---- data ---- */

/* iov advanced past done bytes, into lwIP's iovec array out (n entries). */
static int iov_from(const struct lsock_msg *m, size_t done, struct iovec *out)
{
    int n = 0;
    for (unsigned long i = 0; i < m->niov; i++) {
        uint64_t len = m->iov[i].len, base = m->iov[i].base;
        if (done >= len) {
            done -= len;
            continue;
        }
        out[n].iov_base = (void *)(uintptr_t)(base + done);
        out[n].iov_len = (size_t)(len - done);
        done = 0;
        n++;
    }
    return n;
}

static long inet_send(struct lsock *s, struct lsock_msg *m)
{
    struct inet_sock *is = inet(s);
    struct lw_addr to;
    bool has_to = false, unspec;
    if (m->addrlen && !is->tcp) {
        long rc = addr_from_program(is, m->addr, m->addrlen, FOR_SEND, &to, &unspec);
        if (rc < 0)
            return rc;
        has_to = true;
    }
    if (is->tcp) {
        long rc = stream_ready(is, nonblocking(s, m->flags), lsock_deadline(s->sndtimeo_ns));
        if (rc == -ENOTCONN)
            return lsock_epipe(m->flags); /* Linux: a stream never connected is EPIPE to write */
        if (rc < 0)
            return rc;
        if (is->shut_wr)
            return lsock_epipe(m->flags);
        if (m->total == 0)
            return 0;
    } else if (!has_to && !is->udp_peer) {
        return -EDESTADDRREQ;
    } else if (m->total > (is->v6 ? 65527u : 65507u)) { /* the most one IP datagram carries */
        return -EMSGSIZE;
    }
    struct iovec *v = malloc((m->niov ? m->niov : 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    bool nb = nonblocking(s, m->flags);
    uint64_t deadline = lsock_deadline(s->sndtimeo_ns);
    int lwflags = MSG_DONTWAIT | ((m->flags & LX_MSG_MORE) ? MSG_MORE : 0);
    size_t done = 0;
    long rc;
    for (;;) {
        unsigned gen = lsock_gen(s);
        struct msghdr mh = { 0 };
        mh.msg_iov = v;
        mh.msg_iovlen = iov_from(m, done, v);
        if (!mh.msg_iovlen) { /* an empty datagram */
            v[0].iov_base = v;
            v[0].iov_len = 0;
            mh.msg_iovlen = 1;
        }
        if (has_to) {
            mh.msg_name = &to.ss;
            mh.msg_namelen = to.len;
        }
        mutex_lock(&is->tx_lock);
        ssize_t r = lwip_sendmsg(is->fd, &mh, lwflags);
        if (r < 0)
            rc = lwip_error(); /* errno before another call can change it */
        mutex_unlock(&is->tx_lock);
        if (r >= 0) {
            done += (size_t)r;
            if (!is->tcp || done >= m->total) {
                rc = (long)done;
                break;
            }
            continue; /* the rest may not fit: the next try says so */
        }
        if (rc == -EAGAIN) {
            rc = wait_more(is, gen, nb, deadline);
            if (rc == 0)
                continue;
        } else if (is->tcp && (rc == -ENOTCONN || rc == -ECONNABORTED || rc == -ECONNRESET || rc == -EPIPE)) {
            /* The connection is gone: Linux reports a write to it as EPIPE. */
            rc = done ? (long)done : lsock_epipe(m->flags);
            break;
        }
        if (done)
            rc = (long)done;
        break;
    }
    free(v);
    return rc;
}

static long inet_recv(struct lsock *s, struct lsock_msg *m)
{
    struct inet_sock *is = inet(s);
    if (is->tcp) {
        long rc = stream_ready(is, nonblocking(s, m->flags), lsock_deadline(s->rcvtimeo_ns));
        if (rc < 0)
            return rc;
    }
    if (m->total == 0 && is->tcp)
        return 0;
    struct iovec *v = malloc((m->niov ? m->niov : 1) * sizeof(*v));
    if (!v)
        return -ENOMEM;
    bool nb = nonblocking(s, m->flags);
    bool waitall = is->tcp && (m->flags & LX_MSG_WAITALL) && !(m->flags & LX_MSG_PEEK);
    bool real_len = !is->tcp && (m->flags & LX_MSG_TRUNC); /* asked: a datagram's whole length */
    uint64_t deadline = lsock_deadline(s->rcvtimeo_ns);
    int lwflags = MSG_DONTWAIT | ((m->flags & LX_MSG_PEEK) ? MSG_PEEK : 0);
    size_t done = 0;
    long rc;
    for (;;) {
        unsigned gen = lsock_gen(s);
        struct sockaddr_storage from;
        struct msghdr mh = { 0 };
        mh.msg_iov = v;
        mh.msg_iovlen = iov_from(m, done, v);
        if (!mh.msg_iovlen) {
            v[0].iov_base = v;
            v[0].iov_len = 0;
            mh.msg_iovlen = 1;
        }
        if (!is->tcp) {
            memset(&from, 0, sizeof(from));
            mh.msg_name = &from;
            mh.msg_namelen = sizeof(from);
        }
        mutex_lock(&is->rx_lock);
        ssize_t r = lwip_recvmsg(is->fd, &mh, lwflags);
        long err = r < 0 ? lwip_error() : 0;
        mutex_unlock(&is->rx_lock);
        if (!is->tcp && r > 0 && (size_t)r > m->total && !real_len)
            r = (ssize_t)m->total; /* lwIP returns a datagram's length, Linux what was copied */
        if (r > 0 || (r == 0 && (!is->tcp || done == 0))) {
            done += (size_t)r;
            if (!is->tcp) {
                m->addrlen = addr_to_program(is, &from, m->addr);
                if (mh.msg_flags & MSG_TRUNC)
                    m->flags |= LX_MSG_TRUNC;
            }
            if (waitall && r > 0 && done < m->total)
                continue;
            rc = (long)done;
            break;
        }
        if (r == 0) { /* end of stream after some bytes */
            rc = (long)done;
            break;
        }
        rc = err;
        if (rc == -EAGAIN) {
            if (done && !waitall) {
                rc = (long)done;
                break;
            }
            rc = wait_more(is, gen, nb, deadline);
            if (rc == 0)
                continue;
        } else if (is->tcp && (rc == -ENOTCONN || rc == -ECONNABORTED)) {
            rc = 0; /* lwIP's "closed" after the end was read */
        }
        if (done)
            rc = (long)done;
        break;
    }
    free(v);
    return rc;
}

static long inet_readable(struct lsock *s)
{
    int n = 0;
    if (inet(s)->listening)
        return 0;
    if (lwip_ioctl(inet(s)->fd, FIONREAD, &n) < 0)
        return 0;
    return n;
}

static unsigned inet_poll(struct lsock *s)
{
    struct inet_sock *is = inet(s);
    struct lw_state st = lw_state(is);
    unsigned ev = 0;
    if (!is->tcp)
        return (st.rcv ? LX_EPOLLIN | LX_EPOLLRDNORM : 0) | LX_EPOLLOUT | LX_EPOLLWRNORM |
               (st.err ? LX_EPOLLERR : 0);
    if (is->listening)
        return st.rcv ? LX_EPOLLIN | LX_EPOLLRDNORM : 0;
    if (is->connecting) {
        if (connect_result(is) == -EINPROGRESS)
            return 0;
        st = lw_state(is);
    }
    if (!is->connected) /* a fresh stream socket, or a failed connect (its error pending) */
        return LX_EPOLLOUT | LX_EPOLLHUP | (is->so_error ? LX_EPOLLERR : 0);
    if (st.rcv || is->peer_fin || is->shut_rd)
        ev |= LX_EPOLLIN | LX_EPOLLRDNORM;
    if (is->peer_fin || is->shut_rd)
        ev |= LX_EPOLLRDHUP;
    if (st.snd && !is->shut_wr)
        ev |= LX_EPOLLOUT | LX_EPOLLWRNORM;
    if (st.err)
        ev |= LX_EPOLLERR | LX_EPOLLHUP | LX_EPOLLOUT;
    if ((is->peer_fin || is->shut_rd) && is->shut_wr)
        ev |= LX_EPOLLHUP; /* both directions closed, as Linux's SHUTDOWN_MASK */
    return ev;
}

/* ---- options ---- */

/* Linux's option number to lwIP's (level and name); false when lwIP has
 * no such option. */
static bool lwip_option(bool tcp, int level, int name, int *llevel, int *lname)
{
    if (level == LX_SOL_SOCKET) {
        *llevel = SOL_SOCKET;
        switch (name) {
        case LX_SO_REUSEADDR:
            *lname = SO_REUSEADDR;
            return true;
        case LX_SO_KEEPALIVE:
            *lname = SO_KEEPALIVE;
            return true;
        case LX_SO_BROADCAST:
            *lname = SO_BROADCAST;
            return true;
        }
        return false;
    }
    if (level == LX_IPPROTO_TCP && tcp) {
        *llevel = IPPROTO_TCP;
        switch (name) {
        case LX_TCP_NODELAY:
            *lname = TCP_NODELAY;
            return true;
        case LX_TCP_KEEPIDLE:
            *lname = TCP_KEEPIDLE;
            return true;
        case LX_TCP_KEEPINTVL:
            *lname = TCP_KEEPINTVL;
            return true;
        case LX_TCP_KEEPCNT:
            *lname = TCP_KEEPCNT;
            return true;
        }
        return false;
    }
    if (level == LX_IPPROTO_IP && name == LX_IP_TOS) {
        *llevel = IPPROTO_IP;
        *lname = IP_TOS;
        return true;
    }
    return false;
}

/* TCP options Linux has and lwIP does not, accepted with no effect: hints
 * about batching and accept timing that change no result. */
static bool tcp_hint(int level, int name)
{
    return level == LX_IPPROTO_TCP && (name == LX_TCP_CORK || name == LX_TCP_DEFER_ACCEPT ||
                                       name == LX_TCP_QUICKACK || name == LX_TCP_FASTOPEN || name == LX_TCP_MAXSEG);
}

/* IPPROTO_IPV6 on an AF_INET6 socket: the options programs commonly set.
 * Hop limit and traffic class are lwIP's TTL and TOS fields (its IPv6
 * output takes them from the same pcb fields); multicast ones are hints
 * with no effect (lwIP is built without MLD: no group joins, see
 * net/port/lwipopts.h); ancillary-data ones (IPV6_RECVPKTINFO...) are
 * refused, since recvmsg carries no control messages. */
static long ipv6_setopt(struct inet_sock *is, int name, int v)
{
    int lv;
    switch (name) {
    case LX_IPV6_V6ONLY: {
        /* Linux: only before the socket has a port (bind, listen, connect or a send gave it one). */
        struct sockaddr_storage ss;
        socklen_t l = sizeof(ss);
        if (lwip_getsockname(is->fd, (struct sockaddr *)&ss, &l) == 0 && lw_port(&ss) != 0)
            return -EINVAL;
        lv = v != 0;
        if (lwip_setsockopt(is->fd, IPPROTO_IPV6, IPV6_V6ONLY, &lv, sizeof(lv)) < 0)
            return lwip_error();
        is->v6only = lv;
        return 0;
    }
    case LX_IPV6_UNICAST_HOPS:
    case LX_IPV6_TCLASS:
        if (v < -1 || v > 255)
            return -EINVAL;
        if (name == LX_IPV6_UNICAST_HOPS)
            lv = v == -1 ? IP_DEFAULT_TTL : v; /* -1: the default */
        else
            lv = v == -1 ? 0 : v;
        if (lwip_setsockopt(is->fd, IPPROTO_IP, name == LX_IPV6_TCLASS ? IP_TOS : IP_TTL, &lv, sizeof(lv)) < 0)
            return lwip_error();
        return 0;
    case LX_IPV6_MULTICAST_HOPS:
        return v < -1 || v > 255 ? -EINVAL : 0;
    case LX_IPV6_MULTICAST_LOOP:
        return v < 0 || v > 1 ? -EINVAL : 0;
    case LX_IPV6_MTU_DISCOVER:
        return v < 0 || v > 5 ? -EINVAL : 0; /* IPV6_PMTUDISC_DONT .. OMIT; lwIP fragments as needed */
    default:
        return -ENOPROTOOPT;
    }
}

static long ipv6_getopt(struct inet_sock *is, int name, int *v)
{
    socklen_t l = sizeof(*v);
    switch (name) {
    case LX_IPV6_V6ONLY:
        *v = is->v6only;
        return 0;
    case LX_IPV6_UNICAST_HOPS:
    case LX_IPV6_TCLASS:
        if (lwip_getsockopt(is->fd, IPPROTO_IP, name == LX_IPV6_TCLASS ? IP_TOS : IP_TTL, v, &l) < 0)
            return lwip_error();
        return 0;
    case LX_IPV6_MULTICAST_HOPS:
    case LX_IPV6_MULTICAST_LOOP:
        *v = 1; /* Linux's defaults */
        return 0;
    case LX_IPV6_MTU_DISCOVER:
        *v = 1; /* IPV6_PMTUDISC_WANT, Linux's default */
        return 0;
    default:
        return -ENOPROTOOPT;
    }
}

static long inet_setopt(struct lsock *s, int level, int name, const void *val, uint32_t len)
{
    struct inet_sock *is = inet(s);
    int v, llevel, lname;
    long rc = lx_sockopt_int(val, len, &v);
    if (rc < 0)
        return rc;
    if (level == LX_IPPROTO_IPV6 && is->v6)
        return ipv6_setopt(is, name, v);
    if (lwip_option(is->tcp, level, name, &llevel, &lname)) {
        if (lname == TCP_KEEPIDLE || lname == TCP_KEEPINTVL || lname == TCP_KEEPCNT) {
            if (v < 1 || v > 32767)
                return -EINVAL;
        } else if (level != LX_IPPROTO_IP) {
            v = v != 0;
        }
        if (lwip_setsockopt(is->fd, llevel, lname, &v, sizeof(v)) < 0)
            return lwip_error();
        return 0;
    }
    if (is->tcp && tcp_hint(level, name))
        return 0;
    if (level == LX_IPPROTO_IPV6)
        return -ENOPROTOOPT; /* an AF_INET socket has no IPv6 options (IPV6_V6ONLY...) */
    return -ENOPROTOOPT;
}

static long inet_getopt(struct lsock *s, int level, int name, void *val, uint32_t *len)
{
    struct inet_sock *is = inet(s);
    int v = 0, llevel, lname;
    if (level == LX_SOL_SOCKET && name == LX_SO_ERROR) {
        if (is->connecting)
            connect_result(is);
        v = take_error(is);
        if (!v && !is->connecting) {
            socklen_t l = sizeof(v);
            lwip_getsockopt(is->fd, SOL_SOCKET, SO_ERROR, &v, &l);
        }
    } else if (level == LX_SOL_SOCKET && name == LX_SO_ACCEPTCONN) {
        v = is->listening;
    } else if (level == LX_IPPROTO_IPV6 && is->v6) {
        long rc = ipv6_getopt(is, name, &v);
        if (rc < 0)
            return rc;
    } else if (lwip_option(is->tcp, level, name, &llevel, &lname)) {
        socklen_t l = sizeof(v);
        if (lwip_getsockopt(is->fd, llevel, lname, &v, &l) < 0)
            return lwip_error();
        if (level == LX_SOL_SOCKET || lname == TCP_NODELAY)
            v = v != 0;
    } else if (is->tcp && tcp_hint(level, name)) {
        v = name == LX_TCP_MAXSEG ? TCP_MSS : 0;
    } else {
        return -ENOPROTOOPT;
    }
    memcpy(val, &v, sizeof(v));
    *len = sizeof(v);
    return 0;
}

static const struct lsock_ops inet_ops = {
    .bind = inet_bind, .listen = inet_listen, .accept = inet_accept, .connect = inet_connect,
    .send = inet_send, .recv = inet_recv, .shutdown = inet_shutdown, .name = inet_name,
    .setopt = inet_setopt, .getopt = inet_getopt, .readable = inet_readable, .poll = inet_poll,
    .release = inet_release,
};
