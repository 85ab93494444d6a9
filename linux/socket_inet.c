/* AF_INET sockets for Linux programs, over lwIP's socket layer.
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
 * here; the program's bytes were checked before (socket_calls.c). */
#include <stdlib.h>
#include <string.h>
#include "lwip/api.h"
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

static void to_lwip_addr(const struct lx_inaddr *a, struct sockaddr_in *out)
{
    memset(out, 0, sizeof(*out));
    out->sin_len = sizeof(*out);
    out->sin_family = AF_INET;
    out->sin_port = a->port;
    out->sin_addr.s_addr = a->addr;
}

static uint32_t from_lwip_addr(const struct sockaddr_in *in, uint8_t *out)
{
    return lx_sockaddr_in_make(in->sin_addr.s_addr, in->sin_port, out);
}

/* ---- creation and the end ---- */

static const struct lsock_ops inet_ops;

static long attach(int fd, bool tcp, bool nonblock, struct lfile **out)
{
    struct inet_sock *is = calloc(1, sizeof(*is));
    if (!is) {
        lwip_close(fd);
        return -ENOMEM;
    }
    is->fd = fd;
    is->tcp = tcp;
    mutex_init(&is->rx_lock);
    mutex_init(&is->tx_lock);
    is->base.ops = &inet_ops;
    is->base.domain = LX_AF_INET;
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

long inet_socket_create(int type, int protocol, bool nonblock, struct lfile **out)
{
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
    int fd = lwip_socket(AF_INET, tcp ? SOCK_STREAM : SOCK_DGRAM, 0);
    if (fd < 0)
        return errno == ENOBUFS || errno == ENOMEM ? -ENOBUFS : -ENFILE;
    if (fd - LWIP_SOCKET_OFFSET < 0 || fd - LWIP_SOCKET_OFFSET >= NSOCK) {
        lwip_close(fd);
        return -ENFILE;
    }
    return attach(fd, tcp, nonblock, out);
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
    struct lx_inaddr a;
    long rc = lx_sockaddr_in_parse(addr, len, true, &a);
    if (rc < 0)
        return rc;
    if (a.unspec && a.addr != 0)
        return -EAFNOSUPPORT; /* AF_UNSPEC binds only INADDR_ANY */
    struct sockaddr_in la;
    to_lwip_addr(&a, &la);
    if (lwip_bind(inet(s)->fd, (struct sockaddr *)&la, sizeof(la)) < 0) {
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
    struct sockaddr_in la;
    socklen_t ll = sizeof(la);
    if (lwip_getsockname(is->fd, (struct sockaddr *)&la, &ll) == 0 && la.sin_port == 0 && !is->listening) {
        struct sockaddr_in any = { .sin_len = sizeof(any), .sin_family = AF_INET };
        if (lwip_bind(is->fd, (struct sockaddr *)&any, sizeof(any)) < 0)
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
        struct sockaddr_in la;
        socklen_t ll = sizeof(la);
        int nfd = lwip_accept(is->fd, (struct sockaddr *)&la, &ll);
        if (nfd >= 0) {
            if (nfd - LWIP_SOCKET_OFFSET >= NSOCK) {
                lwip_close(nfd);
                return -ENFILE;
            }
            long rc = attach(nfd, true, nonblock, out);
            if (rc < 0)
                return rc;
            struct inet_sock *ns = inet(lsock_of(*out));
            ns->connected = true;
            ns->base.sndbuf = s->sndbuf;
            ns->base.rcvbuf = s->rcvbuf;
            *addrlen = from_lwip_addr(&la, addr);
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
    struct lx_inaddr a;
    long rc = lx_sockaddr_in_parse(addr, len, !is->tcp, &a);
    if (rc < 0)
        return rc;
    if (!is->tcp) {
        if (a.unspec) {
            struct sockaddr_in la = { .sin_len = sizeof(la), .sin_family = AF_UNSPEC };
            lwip_connect(is->fd, (struct sockaddr *)&la, sizeof(la));
            is->udp_peer = false;
            return 0;
        }
        struct sockaddr_in la;
        to_lwip_addr(&a, &la);
        if (lwip_connect(is->fd, (struct sockaddr *)&la, sizeof(la)) < 0)
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
        struct sockaddr_in la;
        to_lwip_addr(&a, &la);
        if (lwip_connect(is->fd, (struct sockaddr *)&la, sizeof(la)) == 0) {
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

static long inet_name(struct lsock *s, bool peer, uint8_t *addr, uint32_t *addrlen)
{
    struct inet_sock *is = inet(s);
    struct sockaddr_in la;
    socklen_t ll = sizeof(la);
    if (peer && (is->tcp ? !is->connected : !is->udp_peer))
        return -ENOTCONN;
    int r = peer ? lwip_getpeername(is->fd, (struct sockaddr *)&la, &ll)
                 : lwip_getsockname(is->fd, (struct sockaddr *)&la, &ll);
    if (r < 0) {
        if (peer)
            return -ENOTCONN;
        memset(&la, 0, sizeof(la)); /* unbound: 0.0.0.0:0, as Linux */
    }
    *addrlen = from_lwip_addr(&la, addr);
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
    struct sockaddr_in to;
    bool has_to = false;
    if (m->addrlen && !is->tcp) {
        struct lx_inaddr a;
        long rc = lx_sockaddr_in_parse(m->addr, m->addrlen, false, &a);
        if (rc < 0)
            return rc;
        to_lwip_addr(&a, &to);
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
    } else if (m->total > 65507) {
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
            mh.msg_name = &to;
            mh.msg_namelen = sizeof(to);
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
    uint64_t deadline = lsock_deadline(s->rcvtimeo_ns);
    int lwflags = MSG_DONTWAIT | ((m->flags & LX_MSG_PEEK) ? MSG_PEEK : 0);
    size_t done = 0;
    long rc;
    for (;;) {
        unsigned gen = lsock_gen(s);
        struct sockaddr_in from;
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
        if (r > 0 || (r == 0 && (!is->tcp || done == 0))) {
            done += (size_t)r;
            if (!is->tcp) {
                m->addrlen = from_lwip_addr(&from, m->addr);
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

static long inet_setopt(struct lsock *s, int level, int name, const void *val, uint32_t len)
{
    struct inet_sock *is = inet(s);
    int v, llevel, lname;
    long rc = lx_sockopt_int(val, len, &v);
    if (rc < 0)
        return rc;
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
