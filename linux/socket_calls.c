/* The socket system calls: socket, socketpair, bind, listen, accept(4),
 * connect, the send and receive calls (to/from, msg, mmsg), shutdown,
 * get{sock,peer}name and {set,get}sockopt. Everything the program passes
 * (addresses, msghdrs, iovec arrays, option values) is copied in and
 * checked here (linux/sock_abi.c) before a family (socket_inet.c,
 * socket_unix.c) sees it; read, write, readv, writev and close reach the
 * family through the socket's lfile ops. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "files.h"
#include "linux_consts.h"
#include "socket.h"
#include "thread.h"
#include "uaccess.h"

/* ---- the socket file ---- */

void lsock_msg_files_drop(struct lsock_msg *m)
{
    for (unsigned i = 0; i < m->nfiles; i++)
        lfile_put(m->files[i]);
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
}

/* A read takes the data; descriptors passed with it are closed (Linux's
 * read on a socket, which has no control buffer). */
static long sock_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    struct lsock *s = f->priv;
    struct lx_iovec iov = { (uintptr_t)buf, len };
    struct lsock_msg m = { .iov = &iov, .niov = 1, .total = len };
    long rc = s->ops->recv(s, &m);
    lsock_msg_files_drop(&m);
    return rc;
}

static long sock_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos)
{
    struct lsock *s = f->priv;
    struct lx_iovec iov = { (uintptr_t)buf, len };
    struct lsock_msg m = { .iov = &iov, .niov = 1, .total = len };
    return s->ops->send(s, &m);
}

/* A socket's inode number: stable for its life, as sockfs's. */
static uint64_t sock_ino(struct lfile *f) { return (uint64_t)(uintptr_t)f->priv >> 4 & 0xffffffffu; }

static int sock_fstat(struct lfile *f, struct vfs_stat *st)
{
    memset(st, 0, sizeof(*st));
    st->mode = 0140000 | 0777; /* S_IFSOCK */
    st->ino = sock_ino(f);
    st->nlink = 1;
    st->blksize = 4096;
    st->dev = 0x08; /* sockfs' anonymous device */
    return 0;
}

static long sock_readable(struct lfile *f)
{
    struct lsock *s = f->priv;
    return s->ops->readable ? s->ops->readable(s) : 0;
}

static unsigned sock_poll(struct lfile *f)
{
    struct lsock *s = f->priv;
    return s->ops->poll(s);
}

static void sock_release(struct lfile *f)
{
    struct lsock *s = f->priv;
    s->ops->release(s); /* frees s */
}

static const struct lfile_ops sock_file_ops = {
    .read = sock_read, .write = sock_write, .fstat = sock_fstat, .readable = sock_readable,
    .poll = sock_poll, .release = sock_release,
};

struct lsock *lsock_of(struct lfile *f) { return f && f->ops == &sock_file_ops ? f->priv : NULL; }

int socket_fd_name(struct lfile *f, char *buf, size_t cap)
{
    if (!lsock_of(f))
        return -1;
    return snprintf(buf, cap, "socket:[%llu]", (unsigned long long)sock_ino(f));
}

struct lfile *lsock_file_new(struct lsock *s, bool nonblock)
{
    struct lfile *f = lfile_new(&sock_file_ops, LX_O_RDWR | (nonblock ? LX_O_NONBLOCK : 0), s);
    if (f)
        s->file = f;
    return f;
}

/* ---- waiting ---- */

unsigned lsock_gen(struct lsock *s) { return __atomic_load_n(&s->gen, __ATOMIC_ACQUIRE); }

void lsock_changed(struct lsock *s, unsigned events)
{
    __atomic_add_fetch(&s->gen, 1, __ATOMIC_RELEASE);
    uint64_t flags = sched_lock();
    sched_wake_all_locked(&s->wq);
    sched_unlock(flags);
    if (s->file)
        lfile_notify(s->file, events);
}

int lsock_wait(struct lsock *s, unsigned gen, uint64_t deadline)
{
    uint64_t flags = sched_lock();
    int rc = 0;
    if (__atomic_load_n(&s->gen, __ATOMIC_ACQUIRE) == gen) {
        if (lthread_current())
            rc = lthread_block_locked(&s->wq, deadline);
        else if (deadline)
            rc = sched_wait_deadline_locked(&s->wq, deadline) ? -ETIMEDOUT : 0;
        else
            sched_wait_locked(&s->wq);
    }
    sched_unlock(flags);
    return rc;
}

uint64_t lsock_deadline(uint64_t timeo_ns) { return timeo_ns ? clock_monotonic_ns() + timeo_ns : 0; }

long lsock_epipe(int flags)
{
    struct lthread *t = lthread_current();
    if (t && !(flags & LX_MSG_NOSIGNAL)) {
        struct lsig_info info = { .code = 0, .pid = lproc_current()->pid };
        signal_send(t, LX_SIGPIPE, &info);
    }
    return -EPIPE;
}

/* ---- looking the socket up ---- */

/* The socket fd names, with its file's reference in *fp: -EBADF or -ENOTSOCK. */
static struct lsock *sock_get(int fd, struct lfile **fp, long *err)
{
    struct lfile *f = fd_get(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    struct lsock *s = lsock_of(f);
    if (!s) {
        lfile_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    *fp = f;
    return s;
}

/* Copies in an address argument: its length checked first (Linux's
 * move_addr_to_kernel). */
static long addr_in(const void *uaddr, int32_t len, uint8_t *out)
{
    long rc = lx_sockaddr_len_ok(len);
    if (rc < 0)
        return rc;
    if (len && copy_from_user(out, uaddr, (size_t)len) < 0)
        return -EFAULT;
    return 0;
}

/* Hands an address back: the program's room read from *ulen, min(room,
 * have) bytes written, *ulen = have. No ulen (NULL): nothing. */
static long addr_out(void *uaddr, int32_t *ulen, const uint8_t *addr, uint32_t have)
{
    if (!ulen)
        return 0;
    int32_t room;
    if (copy_from_user(&room, ulen, sizeof(room)) < 0)
        return -EFAULT;
    long n = lx_sockaddr_out_len(room, have);
    if (n < 0)
        return n;
    if (n && copy_to_user(uaddr, addr, (size_t)n) < 0)
        return -EFAULT;
    int32_t h = (int32_t)have;
    return copy_to_user(ulen, &h, sizeof(h));
}

/* ---- socket, socketpair ---- */

long sys_socket(const struct sysargs *a)
{
    int domain = (int)a->a[0], type, protocol = (int)a->a[2];
    bool nonblock, cloexec;
    long rc = lx_socket_type_split((int)a->a[1], &type, &nonblock, &cloexec);
    if (rc < 0)
        return rc;
    struct lfile *f = NULL;
    switch (domain) {
    case LX_AF_INET:
    case LX_AF_INET6:
        rc = inet_socket_create(domain, type, protocol, nonblock, &f);
        break;
    case LX_AF_UNIX:
        rc = protocol ? -EPROTONOSUPPORT : unix_socket_create(type, nonblock, &f);
        break;
    default:
        rc = -EAFNOSUPPORT; /* AF_NETLINK, AF_PACKET, ...: not carried */
    }
    if (rc < 0)
        return rc;
    return fd_install(f, 0, cloexec);
}

long sys_socketpair(const struct sysargs *a)
{
    int domain = (int)a->a[0], type, protocol = (int)a->a[2];
    int *usv = (int *)a->a[3];
    bool nonblock, cloexec;
    long rc = lx_socket_type_split((int)a->a[1], &type, &nonblock, &cloexec);
    if (rc < 0)
        return rc;
    if (domain != LX_AF_UNIX)
        return domain == LX_AF_INET || domain == LX_AF_INET6 ? -EOPNOTSUPP : -EAFNOSUPPORT;
    if (protocol != 0)
        return -EPROTONOSUPPORT;
    if (!user_range_ok((uintptr_t)usv, 2 * sizeof(int)))
        return -EFAULT;
    struct lfile *x, *y;
    rc = unix_socketpair_create(type, nonblock, &x, &y);
    if (rc < 0)
        return rc;
    int fx = fd_install(x, 0, cloexec);
    if (fx < 0) {
        lfile_put(y);
        return fx;
    }
    int fy = fd_install(y, 0, cloexec);
    if (fy < 0) {
        fd_close(fx);
        return fy;
    }
    int sv[2] = { fx, fy };
    if (copy_to_user(usv, sv, sizeof(sv)) < 0) {
        fd_close(fx);
        fd_close(fy);
        return -EFAULT;
    }
    return 0;
}

/* ---- bind, listen, accept, connect ---- */

/* bind and connect: one socket, one address from the program. */
static long addr_call(const struct sysargs *a, bool connect)
{
    uint8_t addr[LX_SOCKADDR_STORAGE];
    int32_t len = (int32_t)a->a[2];
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    rc = addr_in((const void *)a->a[1], len, addr);
    long (*op)(struct lsock *, const uint8_t *, uint32_t) = connect ? s->ops->connect : s->ops->bind;
    if (rc == 0)
        rc = op ? op(s, addr, (uint32_t)len) : -EOPNOTSUPP;
    lfile_put(f);
    return rc;
}

long sys_bind(const struct sysargs *a) { return addr_call(a, false); }

long sys_listen(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    int backlog = (int)a->a[1];
    if (backlog < 0 || backlog > 4096)
        backlog = 4096; /* somaxconn */
    rc = s->ops->listen ? s->ops->listen(s, backlog) : -EOPNOTSUPP;
    lfile_put(f);
    return rc;
}

static long do_accept(int fd, void *uaddr, int32_t *ulen, int flags)
{
    if (flags & ~(LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -EINVAL;
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get(fd, &f, &rc);
    if (!s)
        return rc;
    uint8_t addr[LX_SOCKADDR_STORAGE];
    uint32_t have = 0;
    struct lfile *nf = NULL;
    /* The program's length pointer is checked before a connection is taken. */
    if (ulen && !user_range_ok((uintptr_t)ulen, sizeof(*ulen)))
        rc = -EFAULT;
    else
        rc = s->ops->accept ? s->ops->accept(s, &nf, addr, &have, flags & LX_SOCK_NONBLOCK) : -EOPNOTSUPP;
    lfile_put(f);
    if (rc < 0)
        return rc;
    rc = addr_out(uaddr, ulen, addr, have);
    if (rc < 0) {
        lfile_put(nf); /* the connection is dropped, as Linux does on a bad address */
        return rc;
    }
    return fd_install(nf, 0, flags & LX_SOCK_CLOEXEC);
}

long sys_accept(const struct sysargs *a) { return do_accept((int)a->a[0], (void *)a->a[1], (int32_t *)a->a[2], 0); }
long sys_accept4(const struct sysargs *a)
{
    return do_accept((int)a->a[0], (void *)a->a[1], (int32_t *)a->a[2], (int)a->a[3]);
}

long sys_connect(const struct sysargs *a) { return addr_call(a, true); }

long sys_shutdown(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    int how = (int)a->a[1];
    rc = how < LX_SHUT_RD || how > LX_SHUT_RDWR ? -EINVAL : s->ops->shutdown(s, how);
    lfile_put(f);
    return rc;
}

static long do_name(const struct sysargs *a, bool peer)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    uint8_t addr[LX_SOCKADDR_STORAGE];
    uint32_t have = 0;
    rc = s->ops->name(s, peer, addr, &have);
    lfile_put(f);
    if (rc < 0)
        return rc;
    if (!a->a[2])
        return -EFAULT;
    return addr_out((void *)a->a[1], (int32_t *)a->a[2], addr, have);
}

long sys_getsockname(const struct sysargs *a) { return do_name(a, false); }
long sys_getpeername(const struct sysargs *a) { return do_name(a, true); }

/* ---- sending and receiving ---- */

/* Checks and prepares n iovecs from the program into m (m->iov allocated). */
static long iov_in(struct lsock_msg *m, const void *uiov, unsigned long n)
{
    if (n > LX_UIO_MAXIOV)
        return -EMSGSIZE;
    m->niov = n;
    m->iov = NULL;
    if (!n)
        return 0;
    m->iov = malloc(n * sizeof(*m->iov));
    if (!m->iov)
        return -ENOMEM;
    if (copy_from_user(m->iov, uiov, n * sizeof(*m->iov)) < 0)
        return -EFAULT;
    long total = lx_iov_check(m->iov, n, user_range_ok, m->iov);
    if (total < 0)
        return total;
    m->total = (size_t)total;
    return 0;
}

/* One send through the family: the program's buffers are made present
 * first (a bad one is EFAULT, never a kernel fault). */
static long send_msg(struct lsock *s, struct lsock_msg *m)
{
    for (unsigned long i = 0; i < m->niov; i++)
        if (m->iov[i].len && user_buffer_prepare((void *)(uintptr_t)m->iov[i].base, m->iov[i].len, false) < 0)
            return -EFAULT;
    return s->ops->send(s, m);
}

static long recv_msg(struct lsock *s, struct lsock_msg *m)
{
    for (unsigned long i = 0; i < m->niov; i++)
        if (m->iov[i].len && user_buffer_prepare((void *)(uintptr_t)m->iov[i].base, m->iov[i].len, true) < 0)
            return -EFAULT;
    return s->ops->recv(s, m);
}

#define SEND_FLAGS (LX_MSG_OOB | LX_MSG_DONTROUTE | LX_MSG_DONTWAIT | LX_MSG_EOR | LX_MSG_NOSIGNAL | LX_MSG_MORE)
#define RECV_FLAGS (LX_MSG_OOB | LX_MSG_PEEK | LX_MSG_TRUNC | LX_MSG_DONTWAIT | LX_MSG_WAITALL | LX_MSG_CMSG_CLOEXEC)

long sys_sendto(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    size_t len = a->a[2] > LX_MAX_RW_COUNT ? LX_MAX_RW_COUNT : a->a[2];
    struct lx_iovec iov = { a->a[1], len };
    struct lsock_msg *m = calloc(1, sizeof(*m));
    rc = m ? 0 : -ENOMEM;
    if (rc == 0) {
        *m = (struct lsock_msg){ .iov = &iov, .niov = 1, .total = len, .flags = (int)a->a[3] };
        if (!user_range_ok(iov.base, len))
            rc = -EFAULT;
        else if (a->a[4]) {
            int32_t alen = (int32_t)a->a[5];
            rc = addr_in((const void *)a->a[4], alen, m->addr);
            m->addrlen = (uint32_t)alen;
        }
    }
    if (rc == 0)
        rc = (m->flags & LX_MSG_OOB) ? -EOPNOTSUPP : send_msg(s, m);
    free(m);
    lfile_put(f);
    return rc;
}

long sys_recvfrom(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    size_t len = a->a[2] > LX_MAX_RW_COUNT ? LX_MAX_RW_COUNT : a->a[2];
    struct lx_iovec iov = { a->a[1], len };
    struct lsock_msg *m = calloc(1, sizeof(*m));
    rc = m ? 0 : -ENOMEM;
    if (rc == 0) {
        *m = (struct lsock_msg){ .iov = &iov, .niov = 1, .total = len, .flags = (int)a->a[3] };
        if (!user_range_ok(iov.base, len))
            rc = -EFAULT;
        else if (m->flags & LX_MSG_OOB)
            rc = -EOPNOTSUPP;
    }
    if (rc == 0)
        rc = recv_msg(s, m);
    lsock_msg_files_drop(m);
    if (rc >= 0 && a->a[4]) {
        long r2 = addr_out((void *)a->a[4], (int32_t *)a->a[5], m->addr, m->addrlen);
        if (r2 < 0)
            rc = r2;
    }
    free(m);
    lfile_put(f);
    return rc;
}

/* sendmsg's control buffer (Linux's __scm_send and sock_cmsg_send):
 * SCM_RIGHTS on AF_UNIX, each descriptor taken with a reference into
 * m->files (-EBADF for one not open); SCM_RIGHTS on TCP or UDP ignored, as
 * Linux ignores it there; SCM_CREDENTIALS accepted and not passed on (no
 * SO_PASSCRED). Other levels' messages: ignored on AF_UNIX and TCP (as
 * Linux), -EINVAL on UDP, whose IP_PKTINFO, IP_TTL and the like Linux
 * would honour and we do not. */
static long control_in(struct lsock *s, const struct lx_msghdr *h, struct lsock_msg *m)
{
    if (h->controllen > LX_CMSG_MAX)
        return -ENOBUFS;
    uint8_t *buf = malloc(h->controllen);
    struct lx_scm *scm = malloc(sizeof(*scm));
    long rc = buf && scm ? 0 : -ENOMEM;
    unsigned other = 0;
    if (rc == 0 && copy_from_user(buf, (const void *)h->control, h->controllen) < 0)
        rc = -EFAULT;
    if (rc == 0)
        rc = lx_cmsg_parse(buf, h->controllen, scm, &other);
    if (rc == 0 && other && s->domain != LX_AF_UNIX && s->type == LX_SOCK_DGRAM)
        rc = -EINVAL;
    if (rc == 0 && scm->nfds && s->domain == LX_AF_UNIX) {
        m->files = calloc(scm->nfds, sizeof(*m->files));
        rc = m->files ? 0 : -ENOMEM;
        for (unsigned i = 0; rc == 0 && i < scm->nfds; i++) {
            m->files[i] = fd_get(scm->fds[i]);
            if (!m->files[i])
                rc = -EBADF;
            else
                m->nfiles++;
        }
    }
    free(buf);
    free(scm);
    return rc;
}

/* recvmsg's control buffer: the descriptors that came with the data,
 * installed as new ones (MSG_CMSG_CLOEXEC: close-on-exec) as many as the
 * buffer has room for, the rest closed with MSG_CTRUNC (Linux's
 * scm_detach_fds). A control buffer the program cannot be written to is
 * no error, as Linux: nothing installed, MSG_CTRUNC. h->controllen
 * becomes what was written. */
static void control_out(struct lx_msghdr *h, struct lsock_msg *m, int flags)
{
    unsigned fit;
    uint8_t hdr[LX_CMSG_HDR];
    uint64_t used;
    lx_cmsg_rights_out(h->controllen, m->nfiles, &fit, hdr, &used);
    uint64_t need = LX_CMSG_HDR + 4ull * fit;
    int32_t *fds = fit ? malloc(fit * sizeof(*fds)) : NULL;
    if (fit && (!fds || !user_range_ok(h->control, need) || user_buffer_prepare((void *)h->control, need, true) < 0))
        fit = 0;
    unsigned done = 0;
    for (; done < fit; done++) {
        struct lfile *f = m->files[done];
        m->files[done] = NULL;
        int fd = fd_install(f, 0, flags & LX_MSG_CMSG_CLOEXEC);
        if (fd < 0)
            break; /* -EMFILE: the rest closed, the message cut short */
        fds[done] = fd;
    }
    for (unsigned i = 0; i < m->nfiles; i++)
        if (m->files[i])
            lfile_put(m->files[i]);
    h->controllen = 0;
    if (done) {
        uint64_t clen = LX_CMSG_HDR + 4ull * done;
        memcpy(hdr, &clen, sizeof(clen));
        if (copy_to_user((void *)h->control, hdr, LX_CMSG_HDR) < 0 ||
            copy_to_user((uint8_t *)h->control + LX_CMSG_HDR, fds, 4ull * done) < 0) {
            for (unsigned i = 0; i < done; i++) /* unmapped meanwhile by another thread */
                fd_close(fds[i]);
            done = 0;
        } else {
            uint64_t space = LX_CMSG_ALIGN(clen);
            h->controllen = space < used ? space : used;
        }
    }
    if (done < m->nfiles)
        h->flags |= LX_MSG_CTRUNC;
    free(fds);
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
}

/* sendmsg and recvmsg on one msghdr (in kernel memory, checked by the
 * caller); writes back what recvmsg returns in it. Ancillary data: see
 * control_in and control_out. */
static long one_msg(struct lsock *s, struct lx_msghdr *h, int flags, bool send)
{
    long rc = lx_msghdr_check(h, send);
    if (rc < 0)
        return rc;
    struct lsock_msg *m = calloc(1, sizeof(*m));
    if (!m)
        return -ENOMEM;
    m->flags = flags;
    rc = iov_in(m, (const void *)h->iov, h->iovlen);
    if (rc == 0 && (flags & LX_MSG_OOB))
        rc = -EOPNOTSUPP;
    if (rc == 0 && send && h->name) {
        rc = addr_in((const void *)h->name, h->namelen, m->addr);
        m->addrlen = (uint32_t)h->namelen;
    }
    if (rc == 0 && send && h->controllen >= LX_CMSG_HDR)
        rc = control_in(s, h, m);
    if (rc == 0)
        rc = send ? send_msg(s, m) : recv_msg(s, m);
    if (send)
        lsock_msg_files_drop(m); /* not carried (an error), or the family's now */
    h->flags = 0;
    if (rc >= 0 && !send) {
        control_out(h, m, flags);
    } else if (!send) {
        lsock_msg_files_drop(m);
    }
    if (rc >= 0 && !send) {
        if (h->name) {
            long n = lx_sockaddr_out_len(h->namelen, m->addrlen);
            if (n > 0 && copy_to_user((void *)h->name, m->addr, (size_t)n) < 0)
                rc = -EFAULT;
            h->namelen = (int32_t)m->addrlen;
        } else {
            h->namelen = 0;
        }
        h->flags |= m->flags & (LX_MSG_TRUNC | LX_MSG_CTRUNC | LX_MSG_EOR | LX_MSG_OOB);
    }
    free(m->iov);
    free(m);
    return rc;
}

static long msg_call(const struct sysargs *a, bool send)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    struct lx_msghdr h;
    struct lx_msghdr *uh = (struct lx_msghdr *)a->a[1];
    rc = copy_from_user(&h, uh, sizeof(h));
    if (rc == 0)
        rc = one_msg(s, &h, (int)a->a[2], send);
    /* recvmsg writes back the name length, control length and flags */
    if (rc >= 0 && !send) {
        if (copy_to_user(&uh->namelen, &h.namelen, sizeof(h.namelen)) < 0 ||
            copy_to_user(&uh->controllen, &h.controllen, sizeof(h.controllen)) < 0 ||
            copy_to_user(&uh->flags, &h.flags, sizeof(h.flags)) < 0)
            rc = -EFAULT;
    }
    lfile_put(f);
    return rc;
}

long sys_sendmsg(const struct sysargs *a) { return msg_call(a, true); }
long sys_recvmsg(const struct sysargs *a) { return msg_call(a, false); }

/* sendmmsg / recvmmsg: one msghdr after another; the count of those done,
 * or the first one's error when none was. recvmmsg's timeout is checked
 * between messages only (as Linux's). MSG_WAITFORONE: only the first
 * waits. */
static long mmsg_call(const struct sysargs *a, bool send)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    struct lx_mmsghdr *uv = (struct lx_mmsghdr *)a->a[1];
    unsigned vlen = (unsigned)a->a[2];
    int flags = (int)a->a[3];
    if (vlen > LX_UIO_MAXIOV)
        vlen = LX_UIO_MAXIOV;
    uint64_t deadline = 0;
    if (!send && a->a[4]) {
        struct lx_timespec ts;
        if (copy_from_user(&ts, (void *)a->a[4], sizeof(ts)) < 0) {
            lfile_put(f);
            return -EFAULT;
        }
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000) {
            lfile_put(f);
            return -EINVAL;
        }
        deadline = clock_monotonic_ns() + (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    }
    unsigned done = 0;
    rc = 0;
    while (done < vlen) {
        struct lx_mmsghdr mh;
        if (copy_from_user(&mh, &uv[done], sizeof(mh)) < 0) {
            rc = -EFAULT;
            break;
        }
        int fl = flags & ~LX_MSG_WAITFORONE;
        if (!send && (flags & LX_MSG_WAITFORONE) && done)
            fl |= LX_MSG_DONTWAIT;
        rc = one_msg(s, &mh.hdr, fl, send);
        if (rc < 0)
            break;
        mh.len = (uint32_t)rc;
        if (copy_to_user(&uv[done], &mh, sizeof(mh)) < 0) {
            rc = -EFAULT;
            break;
        }
        done++;
        if (!send && deadline && clock_monotonic_ns() >= deadline)
            break;
    }
    lfile_put(f);
    return done ? (long)done : rc;
}

long sys_sendmmsg(const struct sysargs *a) { return mmsg_call(a, true); }
long sys_recvmmsg(const struct sysargs *a) { return mmsg_call(a, false); }

/* ---- options ---- */

/* Options every socket answers the same way; the rest go to the family.
 * 1 when handled here (rc in *rc). */
static bool common_setopt(struct lsock *s, int level, int name, const void *val, uint32_t len, long *rc)
{
    if (level != LX_SOL_SOCKET)
        return false;
    int v = 0;
    switch (name) {
    case LX_SO_RCVTIMEO:
    case LX_SO_SNDTIMEO:
        *rc = lx_sockopt_timeval(val, len, name == LX_SO_RCVTIMEO ? &s->rcvtimeo_ns : &s->sndtimeo_ns);
        return true;
    case LX_SO_SNDBUF:
    case LX_SO_RCVBUF:
    case LX_SO_SNDBUFFORCE:
    case LX_SO_RCVBUFFORCE:
        /* Remembered and reported as Linux does (doubled, floored); lwIP's
         * buffers are sized at build time (net/port/lwipopts.h). */
        *rc = lx_sockopt_int(val, len, &v);
        if (*rc == 0) {
            if (v < 0 || v > (1 << 28))
                v = v < 0 ? 0 : 1 << 28;
            int d = v * 2 < 4608 ? 4608 : v * 2;
            if (name == LX_SO_SNDBUF || name == LX_SO_SNDBUFFORCE)
                s->sndbuf = d;
            else
                s->rcvbuf = d;
        }
        return true;
    case LX_SO_REUSEPORT:
        /* Accepted and remembered: with one process there is nobody to
         * balance connections across. */
        *rc = lx_sockopt_int(val, len, &v);
        if (*rc == 0)
            s->reuseport = v != 0;
        return true;
    case LX_SO_LINGER:
        if (len < 8) {
            *rc = -EINVAL;
            return true;
        }
        memcpy(&s->linger_on, val, 4);
        memcpy(&s->linger_s, (const uint8_t *)val + 4, 4);
        *rc = 0;
        return true;
    case LX_SO_DEBUG:
    case LX_SO_DONTROUTE:
    case LX_SO_OOBINLINE:
    case LX_SO_PASSCRED:
    case LX_SO_RCVLOWAT:
        *rc = lx_sockopt_int(val, len, &v);
        return true;
    default:
        return false;
    }
}

static bool common_getopt(struct lsock *s, int level, int name, void *val, uint32_t *len, long *rc)
{
    if (level != LX_SOL_SOCKET)
        return false;
    int v;
    *rc = 0;
    switch (name) {
    case LX_SO_RCVTIMEO:
    case LX_SO_SNDTIMEO:
        lx_timeval_from_ns(name == LX_SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns, val);
        *len = 16;
        return true;
    case LX_SO_TYPE:
        v = s->type;
        break;
    case LX_SO_DOMAIN:
        v = s->domain;
        break;
    case LX_SO_PROTOCOL:
        v = s->protocol;
        break;
    case LX_SO_SNDBUF:
        v = s->sndbuf;
        break;
    case LX_SO_RCVBUF:
        v = s->rcvbuf;
        break;
    case LX_SO_REUSEPORT:
        v = s->reuseport;
        break;
    case LX_SO_LINGER:
        memcpy(val, &s->linger_on, 4);
        memcpy((uint8_t *)val + 4, &s->linger_s, 4);
        *len = 8;
        return true;
    case LX_SO_DEBUG:
    case LX_SO_DONTROUTE:
    case LX_SO_OOBINLINE:
    case LX_SO_PASSCRED:
        v = 0;
        break;
    case LX_SO_RCVLOWAT:
    case LX_SO_SNDLOWAT:
        v = 1;
        break;
    default:
        return false;
    }
    memcpy(val, &v, sizeof(v));
    *len = sizeof(v);
    return true;
}

#define OPT_MAX 64 /* no option value we take is longer */

long sys_setsockopt(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    int level = (int)a->a[1], name = (int)a->a[2];
    int32_t len = (int32_t)a->a[4];
    uint8_t val[OPT_MAX] = { 0 };
    if (len < 0)
        rc = -EINVAL;
    else if (copy_from_user(val, (const void *)a->a[3], (size_t)(len < OPT_MAX ? len : OPT_MAX)) < 0)
        rc = -EFAULT;
    else if (!common_setopt(s, level, name, val, (uint32_t)(len < OPT_MAX ? len : OPT_MAX), &rc))
        rc = s->ops->setopt ? s->ops->setopt(s, level, name, val, (uint32_t)(len < OPT_MAX ? len : OPT_MAX))
                            : -ENOPROTOOPT;
    lfile_put(f);
    return rc;
}

long sys_getsockopt(const struct sysargs *a)
{
    struct lfile *f;
    long rc;
    struct lsock *s = sock_get((int)a->a[0], &f, &rc);
    if (!s)
        return rc;
    int level = (int)a->a[1], name = (int)a->a[2];
    void *uval = (void *)a->a[3];
    int32_t *ulen = (int32_t *)a->a[4];
    int32_t room;
    uint8_t val[OPT_MAX] = { 0 };
    uint32_t have = 0;
    if (copy_from_user(&room, ulen, sizeof(room)) < 0)
        rc = -EFAULT;
    else if (room < 0)
        rc = -EINVAL;
    else if (!common_getopt(s, level, name, val, &have, &rc))
        rc = s->ops->getopt ? s->ops->getopt(s, level, name, val, &have) : -ENOPROTOOPT;
    lfile_put(f);
    if (rc < 0)
        return rc;
    uint32_t n = (uint32_t)room < have ? (uint32_t)room : have;
    if (n && copy_to_user(uval, val, n) < 0)
        return -EFAULT;
    int32_t out = (int32_t)n;
    return copy_to_user(ulen, &out, sizeof(out));
}
