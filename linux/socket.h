/* Private to linux/'s sockets: what the system calls (socket_calls.c) share
 * with each family (socket_inet.c over lwIP, socket_unix.c for socketpair).
 * A socket is an lfile whose priv is a struct lsock; the calls copy and
 * check everything the program passes before a family sees it. */
#ifndef KESTREL_LINUX_SOCKET_H
#define KESTREL_LINUX_SOCKET_H
#include <stdbool.h>
#include <stdint.h>
#include "abi.h"
#include "layout.h"
#include "sock_abi.h"

/* One send or receive: iov points at the program's buffers (ranges checked
 * with lx_iov_check; each piece is prepared before it is touched). */
struct lsock_msg {
    struct lx_iovec *iov;
    unsigned long niov;
    size_t total;
    uint8_t addr[LX_SOCKADDR_STORAGE]; /* send: destination; recv: source */
    uint32_t addrlen;                  /* send: 0 for none; recv: what the family wrote */
    int flags;                         /* LX_MSG_* in; recv: the msg_flags out (MSG_TRUNC) */
    /* SCM_RIGHTS (AF_UNIX): send: the files to pass, one reference each;
     * a family that carries them takes the array over (files NULL, nfiles
     * 0), else the caller puts them. recv: the files that came with the
     * data (an array from malloc), for the caller to install or put. */
    struct lfile **files;
    unsigned nfiles;
};
/* Puts and frees what m->files holds (a receive that cannot pass them on). */
void lsock_msg_files_drop(struct lsock_msg *m);

struct lsock;
struct lsock_ops {
    long (*bind)(struct lsock *s, const uint8_t *addr, uint32_t len);
    long (*listen)(struct lsock *s, int backlog);
    /* A new connected socket's file in *out (status flags: nonblock). */
    long (*accept)(struct lsock *s, struct lfile **out, uint8_t *addr, uint32_t *addrlen, bool nonblock);
    long (*connect)(struct lsock *s, const uint8_t *addr, uint32_t len);
    long (*send)(struct lsock *s, struct lsock_msg *m);
    long (*recv)(struct lsock *s, struct lsock_msg *m);
    long (*shutdown)(struct lsock *s, int how);
    long (*name)(struct lsock *s, bool peer, uint8_t *addr, uint32_t *addrlen);
    /* Options the common layer does not answer (val in kernel memory). */
    long (*setopt)(struct lsock *s, int level, int name, const void *val, uint32_t len);
    long (*getopt)(struct lsock *s, int level, int name, void *val, uint32_t *len);
    long (*readable)(struct lsock *s);
    unsigned (*poll)(struct lsock *s);
    void (*release)(struct lsock *s);
};

struct lsock {
    const struct lsock_ops *ops;
    struct lfile *file; /* the file this is priv of (no reference: it owns us) */
    int domain, type, protocol;
    /* Waiting: every change the socket sees bumps gen and wakes wq. */
    struct waitq wq;
    unsigned gen;
    uint64_t rcvtimeo_ns, sndtimeo_ns; /* 0: none */
    int sndbuf, rcvbuf;                /* as set (doubled, as Linux reports them) */
    bool reuseport;
    int linger_on, linger_s;
};

/* The socket f is, or NULL when f is not one. */
struct lsock *lsock_of(struct lfile *f);
/* Makes the file for a new socket s (filled by the family, ops set):
 * lfile ops are the sockets' own; the file gets O_RDWR and nonblock. */
struct lfile *lsock_file_new(struct lsock *s, bool nonblock);
/* The socket's state changed (events: the readiness bits that may now
 * hold, 0 for any): wakes its waiters and tells poll/epoll (lfile_notify). */
void lsock_changed(struct lsock *s, unsigned events);
/* The generation to pass to lsock_wait: read it before looking at state. */
unsigned lsock_gen(struct lsock *s);
/* Waits until gen moves on, the deadline (monotonic ns, 0: none) passes or
 * a signal comes: 0, -ETIMEDOUT, or -EINTR. */
int lsock_wait(struct lsock *s, unsigned gen, uint64_t deadline);
/* The deadline a wait with this SO_*TIMEO value has (0: none). */
uint64_t lsock_deadline(uint64_t timeo_ns);
/* A blocking call interrupted: what it returns (nothing done). The caller
 * maps -ETIMEDOUT to -EAGAIN itself. */
static inline long lsock_interrupted(int rc) { return rc == -EINTR ? -ERESTARTSYS : -EAGAIN; }
/* EPIPE for a write on a closed stream, with SIGPIPE unless MSG_NOSIGNAL. */
long lsock_epipe(int flags);

/* The families. */
long inet_socket_create(int domain, int type, int protocol, bool nonblock, struct lfile **out);
long unix_socket_create(int type, bool nonblock, struct lfile **out);
long unix_socketpair_create(int type, bool nonblock, struct lfile **a, struct lfile **b);

#endif
