/* AF_UNIX sockets: pairs (socketpair, or a connect to a listener bound to
 * a name) of two connected ends, each with the
 * bytes (SOCK_STREAM) or messages (SOCK_DGRAM, SOCK_SEQPACKET) the other
 * sent it, in a ring of UNIX_CAP bytes. One mutex guards the pair. A
 * stream read blocks while its ring is empty and the peer can still send;
 * a write blocks while the peer's ring is full; a write to a closed (or
 * read-shut) peer is EPIPE with SIGPIPE. A message goes whole or not at
 * all, with a 4-byte length before it in the ring; a short read of one
 * drops the rest (MSG_TRUNC). Waits are interruptible as pipes' are.
 *
 * Names: bind puts a path (absolute, joined with the working directory)
 * or an abstract name in a table of this file's own. A path is also a
 * socket file on the file system, made by bind (EADDRINUSE when the path
 * exists, as Linux) and left there when the socket closes; a connect finds
 * the file first (ENOENT without one) and then the socket bound to that
 * very file (its inode), so an unlinked or replaced file no longer reaches
 * the old socket, as Linux's. listen and connect meet in the table: a
 * stream or seqpacket connect makes a pair whose other end waits in the
 * listener's queue for accept. Datagram sockets may bind, but sending to
 * a name is not carried (ECONNREFUSED).
 *
 * Descriptors (SCM_RIGHTS) travel beside the bytes: a record of the files
 * at the stream position of the first byte sent with them (a datagram's
 * length word). The receive that reads that byte gets them, and ends with
 * the data sent with them (Linux's stream receive: data before them joins,
 * data after does not; one set of files a call). An end
 * closing closes the files it never received. A socket passed into its
 * own queue and then closed stays until the pair goes (Linux collects
 * such cycles; nothing here does). */
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "linux_consts.h"
#include "socket.h"

#define UNIX_CAP (208u * 1024) /* Linux's default wmem_max-sized buffers */
#define MSG_HDR 4u
#define UNIX_RIGHTS_MAX 4096u /* files in flight to one end; beyond: -ETOOMANYREFS */

/* Files sent at stream position at (bytes ever put into the ring) with
 * len bytes (a stream's first chunk of that send). */
struct unix_rights {
    struct unix_rights *next;
    uint64_t at;
    size_t len;
    unsigned n;
    struct lfile *f[];
};

struct unix_pair;
struct unix_end {
    struct lsock base;
    struct unix_pair *pair;
    int side;
    /* what this end receives */
    uint8_t *buf;
    size_t head, count;
    size_t msgs;          /* datagrams queued */
    uint64_t put, taken;  /* bytes ever put into and dropped from the ring */
    struct unix_rights *rights, *rights_tail; /* in stream order */
    unsigned rights_files;
    bool rd_shut;         /* this end will read no more (shutdown RD or closed) */
    bool wr_shut;         /* this end will send no more: its peer sees end of file */
    bool closed;
    /* before a pair: names, listening (guarded by unix_lock) */
    struct lx_unixname name;   /* as bound */
    char *key;                 /* the table's key: absolute path or abstract bytes */
    uint32_t keylen;
    uint64_t node_dev, node_ino; /* a path's socket file */
    bool bound, listening, is_abstract;
    struct unix_end *reg_next; /* the table of bound names */
    struct unix_end *q_head, *q_tail, *q_next; /* a listener's connections not yet accepted */
    unsigned queued, backlog;
    struct lx_unixname peer_name; /* connect: the listener's name */
};

struct unix_pair {
    struct mutex lock;
    struct unix_end *end[2];
    unsigned alive;
    bool stream;
};

static struct unix_end *uend(struct lsock *s) { return (struct unix_end *)s; }
static struct unix_end *peer_of(struct unix_end *e) { return e->pair->end[1 - e->side]; }
/* Set once, when the end is connected (under unix_lock); NULL before. */
static struct unix_pair *pair_of(struct unix_end *e) { return __atomic_load_n(&e->pair, __ATOMIC_ACQUIRE); }

static struct mutex unix_lock = MUTEX_INIT; /* the name table, listeners' queues, connecting */
static struct unix_end *names;

static bool nonblocking(struct lsock *s, int flags)
{
    return (s->file->status_flags & LX_O_NONBLOCK) || (flags & LX_MSG_DONTWAIT);
}

static void ring_put(struct unix_end *e, const uint8_t *src, size_t n)
{
    size_t tail = (e->head + e->count) % UNIX_CAP;
    for (size_t done = 0; done < n;) {
        size_t chunk = UNIX_CAP - tail < n - done ? UNIX_CAP - tail : n - done;
        memcpy(e->buf + tail, src + done, chunk);
        tail = (tail + chunk) % UNIX_CAP;
        done += chunk;
    }
    e->count += n;
    e->put += n;
}

/* Copies n bytes from offset off into dst (dst NULL: skip), not consuming. */
static void ring_peek(struct unix_end *e, size_t off, uint8_t *dst, size_t n)
{
    size_t at = (e->head + off) % UNIX_CAP;
    for (size_t done = 0; done < n;) {
        size_t chunk = UNIX_CAP - at < n - done ? UNIX_CAP - at : n - done;
        if (dst)
            memcpy(dst + done, e->buf + at, chunk);
        at = (at + chunk) % UNIX_CAP;
        done += chunk;
    }
}

static void ring_drop(struct unix_end *e, size_t n)
{
    e->head = (e->head + n) % UNIX_CAP;
    e->count -= n;
    e->taken += n;
}

/* The record made for this send's files (before the lock: NULL when there
 * are none). */
static struct unix_rights *rights_new(struct lsock_msg *m, long *rc)
{
    *rc = 0;
    if (!m->nfiles)
        return NULL;
    struct unix_rights *r = malloc(sizeof(*r) + m->nfiles * sizeof(r->f[0]));
    if (!r)
        *rc = -ENOMEM;
    return r;
}

/* Queues r for peer at its next byte, the first of len sent with it,
 * taking m's files over (pair lock held). */
static void rights_attach(struct unix_end *peer, struct unix_rights *r, struct lsock_msg *m, size_t len)
{
    r->next = NULL;
    r->at = peer->put;
    r->len = len;
    r->n = m->nfiles;
    memcpy(r->f, m->files, m->nfiles * sizeof(r->f[0]));
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
    if (peer->rights_tail)
        peer->rights_tail->next = r;
    else
        peer->rights = r;
    peer->rights_tail = r;
    peer->rights_files += r->n;
}

/* The record at e's next byte moves into m (peek: m gets references of its
 * own and the record stays). Pair lock held; nothing is put here. */
static long rights_take(struct unix_end *e, struct lsock_msg *m, bool peek)
{
    struct unix_rights *r = e->rights;
    struct lfile **f = malloc(r->n * sizeof(*f));
    if (!f)
        return -ENOMEM;
    memcpy(f, r->f, r->n * sizeof(*f));
    m->files = f;
    m->nfiles = r->n;
    if (peek) {
        for (unsigned i = 0; i < r->n; i++)
            lfile_get(f[i]);
        return 0;
    }
    e->rights = r->next;
    if (!e->rights)
        e->rights_tail = NULL;
    e->rights_files -= r->n;
    free(r);
    return 0;
}

/* Closes the files of records nobody will receive (no lock held: a
 * release may be a socket's, even one of this pair's). */
static void rights_free(struct unix_rights *r)
{
    while (r) {
        struct unix_rights *next = r->next;
        for (unsigned i = 0; i < r->n; i++)
            lfile_put(r->f[i]);
        free(r);
        r = next;
    }
}

/* Copies n bytes of the ring from offset off into the program's iovecs
 * from byte position pos on. */
static void ring_to_iov(struct unix_end *e, size_t off, const struct lsock_msg *m, size_t pos, size_t n)
{
    for (unsigned long i = 0; i < m->niov && n; i++) {
        size_t len = (size_t)m->iov[i].len;
        if (pos >= len) {
            pos -= len;
            continue;
        }
        size_t c = len - pos < n ? len - pos : n;
        ring_peek(e, off, (uint8_t *)(uintptr_t)m->iov[i].base + pos, c);
        off += c;
        n -= c;
        pos = 0;
    }
}

static void iov_to_ring(struct unix_end *e, const struct lsock_msg *m, size_t pos, size_t n)
{
    for (unsigned long i = 0; i < m->niov && n; i++) {
        size_t len = (size_t)m->iov[i].len;
        if (pos >= len) {
            pos -= len;
            continue;
        }
        size_t c = len - pos < n ? len - pos : n;
        ring_put(e, (const uint8_t *)(uintptr_t)m->iov[i].base + pos, c);
        n -= c;
        pos = 0;
    }
}

/* Both ends may have changed: wake both (lock held; the wake-ups take
 * only the scheduler's and the poll lists' spinlocks). */
static void changed(struct unix_pair *p)
{
    for (int i = 0; i < 2; i++)
        if (p->end[i] && !p->end[i]->closed)
            lsock_changed(&p->end[i]->base, 0);
}

static long wait_more(struct unix_end *e, unsigned gen, bool nb, uint64_t deadline)
{
    if (nb)
        return -EAGAIN;
    mutex_unlock(&e->pair->lock);
    int rc = lsock_wait(&e->base, gen, deadline);
    mutex_lock(&e->pair->lock);
    if (rc == -EINTR)
        return deadline ? -EINTR : -ERESTARTSYS;
    return rc == -ETIMEDOUT ? -EAGAIN : 0;
}

/* The key bound names are matched by: a path made absolute against the
 * working directory, or the abstract name's bytes behind a NUL. */
static long name_key(const struct lx_unixname *n, char **key, uint32_t *keylen)
{
    char *k = malloc(VFS_PATH_MAX + 2);
    if (!k)
        return -ENOMEM;
    if (n->abstract) {
        k[0] = 0;
        memcpy(k + 1, n->name, n->len);
        *keylen = n->len + 1;
    } else {
        char *cwd = malloc(VFS_PATH_MAX + 1);
        if (!cwd) {
            free(k);
            return -ENOMEM;
        }
        lproc_cwd(cwd);
        int rc = lx_path_join(cwd, n->name, k);
        free(cwd);
        if (rc < 0) {
            free(k);
            return rc;
        }
        *keylen = (uint32_t)strlen(k);
    }
    *key = k;
    return 0;
}

/* The end bound to key, or NULL (unix_lock held); a path's end only
 * while its socket file is the one st describes. */
static struct unix_end *find_name(const char *key, uint32_t keylen, const struct vfs_stat *st)
{
    for (struct unix_end *e = names; e; e = e->reg_next)
        if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0 &&
            (e->is_abstract || (st && e->node_dev == st->dev && e->node_ino == st->ino)))
            return e;
    return NULL;
}

/* What a connect or send to a name finds: 0 with the file's identity in
 * st for a path (-ENOENT: no file, -ECONNREFUSED: not a socket file), 0
 * for an abstract name. */
static long name_node(const struct lx_unixname *n, const char *key, struct vfs_stat *st)
{
    if (n->abstract)
        return 0;
    int rc = vfs_stat(key, st);
    if (rc < 0)
        return rc;
    return (st->mode & VFS_S_IFMT) == VFS_S_IFSOCK ? 0 : -ECONNREFUSED;
}

/* A send on a socket with no peer: to a name (datagrams) is not carried. */
static long unpaired_send(struct unix_end *e, struct lsock_msg *m)
{
    if (e->base.type != LX_SOCK_DGRAM)
        return e->listening ? -EINVAL : -ENOTCONN;
    if (!m->addrlen)
        return -ENOTCONN;
    struct lx_unixname n;
    long rc = lx_sockaddr_un_parse(m->addr, m->addrlen, &n);
    if (rc < 0)
        return rc;
    char *key;
    uint32_t keylen;
    rc = name_key(&n, &key, &keylen);
    if (rc < 0)
        return rc;
    struct vfs_stat st;
    rc = name_node(&n, key, &st);
    free(key);
    return rc < 0 && rc != -ECONNREFUSED ? rc : -ECONNREFUSED; /* a missing file: -ENOENT */
}

/* A receive with no peer: streams are not connected; a datagram socket
 * waits (nobody can reach it: until a signal or its timeout). */
static long unpaired_recv(struct unix_end *e, struct lsock_msg *m)
{
    if (e->base.type != LX_SOCK_DGRAM)
        return e->listening ? -EINVAL : -ENOTCONN;
    if (nonblocking(&e->base, m->flags))
        return -EAGAIN;
    uint64_t deadline = lsock_deadline(e->base.rcvtimeo_ns);
    for (;;) {
        int rc = lsock_wait(&e->base, lsock_gen(&e->base), deadline);
        if (rc == -EINTR)
            return deadline ? -EINTR : -ERESTARTSYS;
        if (rc == -ETIMEDOUT)
            return -EAGAIN;
    }
}

static long unix_send(struct lsock *s, struct lsock_msg *m)
{
    struct unix_end *e = uend(s);
    struct unix_pair *p = pair_of(e);
    if (!p)
        return unpaired_send(e, m);
    if (m->addrlen)
        return -EISCONN; /* a pair is connected: no other destination */
    if (!p->stream && m->total + MSG_HDR > UNIX_CAP)
        return -EMSGSIZE;
    long rc;
    struct unix_rights *rec = rights_new(m, &rc);
    if (rc < 0)
        return rc;
    bool nb = nonblocking(s, m->flags);
    uint64_t deadline = lsock_deadline(s->sndtimeo_ns);
    size_t done = 0;
    mutex_lock(&p->lock);
    for (;;) {
        struct unix_end *peer = peer_of(e);
        if (e->wr_shut || peer->closed || peer->rd_shut) {
            rc = done ? (long)done : lsock_epipe(m->flags);
            break;
        }
        if (rec && peer->rights_files + m->nfiles > UNIX_RIGHTS_MAX) {
            rc = -ETOOMANYREFS;
            break;
        }
        size_t space = UNIX_CAP - peer->count;
        if (p->stream && done == m->total && m->total) {
            rc = (long)done;
            break;
        }
        if (p->stream && space > 0 && m->total > done) {
            size_t n = m->total - done < space ? m->total - done : space;
            if (rec) { /* the files go with the first byte */
                rights_attach(peer, rec, m, n);
                rec = NULL;
            }
            iov_to_ring(peer, m, done, n);
            done += n;
            changed(p);
            continue;
        }
        if (p->stream && m->total == 0) {
            rc = 0;
            break;
        }
        if (!p->stream && space >= m->total + MSG_HDR) {
            uint32_t len = (uint32_t)m->total;
            if (rec) {
                rights_attach(peer, rec, m, MSG_HDR + m->total);
                rec = NULL;
            }
            ring_put(peer, (const uint8_t *)&len, MSG_HDR);
            iov_to_ring(peer, m, 0, m->total);
            peer->msgs++;
            changed(p);
            rc = (long)m->total;
            break;
        }
        unsigned gen = lsock_gen(s);
        rc = wait_more(e, gen, nb, deadline);
        if (rc < 0) {
            if (done)
                rc = (long)done;
            break;
        }
    }
    mutex_unlock(&p->lock);
    free(rec); /* not sent: the caller puts the files still in m */
    return rc;
}

static long unix_recv(struct lsock *s, struct lsock_msg *m)
{
    struct unix_end *e = uend(s);
    struct unix_pair *p = pair_of(e);
    if (!p)
        return unpaired_recv(e, m);
    bool nb = nonblocking(s, m->flags);
    int in_flags = m->flags;
    bool peek = m->flags & LX_MSG_PEEK;
    bool waitall = p->stream && (m->flags & LX_MSG_WAITALL) && !peek;
    uint64_t deadline = lsock_deadline(s->rcvtimeo_ns);
    size_t done = 0;
    long rc;
    mutex_lock(&p->lock);
    for (;;) {
        struct unix_end *peer = peer_of(e);
        if (p->stream && e->count) {
            size_t n = m->total - done < e->count ? m->total - done : e->count;
            /* A record's first byte among those read: its files come too,
             * and the read ends with the data sent with them. */
            struct unix_rights *r = e->rights;
            bool took = r && !m->nfiles && r->at - e->taken < n;
            if (took) {
                uint64_t end = r->at + r->len - e->taken;
                if (end < n)
                    n = (size_t)end;
                rc = rights_take(e, m, peek);
                if (rc < 0)
                    break;
            }
            ring_to_iov(e, 0, m, done, n);
            if (!peek) {
                ring_drop(e, n);
                changed(p);
            }
            done += n;
            if (!waitall || done == m->total || took) {
                rc = (long)done;
                break;
            }
        } else if (!p->stream && e->msgs) {
            uint32_t len;
            if (e->rights && e->rights->at == e->taken) {
                rc = rights_take(e, m, peek);
                if (rc < 0)
                    break;
            }
            ring_peek(e, 0, (uint8_t *)&len, MSG_HDR);
            size_t n = len < m->total ? len : m->total;
            ring_to_iov(e, MSG_HDR, m, 0, n);
            if (n < len)
                m->flags |= LX_MSG_TRUNC;
            if (!peek) {
                ring_drop(e, MSG_HDR + len);
                e->msgs--;
                changed(p);
            }
            rc = (in_flags & LX_MSG_TRUNC) ? (long)len : (long)n; /* MSG_TRUNC asked: the real length */
            break;
        }
        if (p->stream && done == m->total) {
            rc = (long)done;
            break;
        }
        if (e->rd_shut || peer->closed || peer->wr_shut) {
            rc = (long)done; /* end of file */
            break;
        }
        unsigned gen = lsock_gen(s);
        rc = wait_more(e, gen, nb, deadline);
        if (rc < 0) {
            if (done)
                rc = (long)done;
            break;
        }
    }
    mutex_unlock(&p->lock);
    m->addrlen = 2; /* an unnamed AF_UNIX peer: just the family */
    m->addr[0] = LX_AF_UNIX;
    m->addr[1] = 0;
    return rc;
}

static long unix_shutdown(struct lsock *s, int how)
{
    struct unix_end *e = uend(s);
    if (!pair_of(e))
        return -ENOTCONN;
    mutex_lock(&e->pair->lock);
    if (how != LX_SHUT_WR)
        e->rd_shut = true;
    if (how != LX_SHUT_RD)
        e->wr_shut = true;
    changed(e->pair);
    mutex_unlock(&e->pair->lock);
    return 0;
}

static long unix_name(struct lsock *s, bool peer, uint8_t *addr, uint32_t *addrlen)
{
    struct unix_end *e = uend(s);
    struct lx_unixname n = { 0 };
    mutex_lock(&unix_lock);
    struct unix_pair *p = pair_of(e);
    if (peer && !p) {
        mutex_unlock(&unix_lock);
        return -ENOTCONN;
    }
    if (!peer)
        n = e->name;
    else if (e->peer_name.len || e->peer_name.abstract)
        n = e->peer_name;
    mutex_unlock(&unix_lock);
    *addrlen = lx_sockaddr_un_make(&n, addr);
    return 0;
}

static long unix_getopt(struct lsock *s, int level, int name, void *val, uint32_t *len)
{
    if (level != LX_SOL_SOCKET)
        return -EOPNOTSUPP;
    int v;
    if (name == LX_SO_ERROR || name == LX_SO_REUSEADDR || name == LX_SO_KEEPALIVE)
        v = 0;
    else if (name == LX_SO_ACCEPTCONN)
        v = uend(s)->listening;
    else if (name == LX_SO_PEERCRED) {
        int cred[3] = { lproc_current()->pid, 0, 0 }; /* pid, uid, gid: one process, root */
        memcpy(val, cred, sizeof(cred));
        *len = sizeof(cred);
        return 0;
    } else
        return -ENOPROTOOPT;
    memcpy(val, &v, sizeof(v));
    *len = sizeof(v);
    return 0;
}

static long unix_setopt(struct lsock *s, int level, int name, const void *val, uint32_t len)
{
    int v;
    if (level != LX_SOL_SOCKET)
        return -EOPNOTSUPP;
    if (name == LX_SO_REUSEADDR || name == LX_SO_KEEPALIVE)
        return lx_sockopt_int(val, len, &v);
    return -ENOPROTOOPT;
}

static long unix_readable(struct lsock *s)
{
    struct unix_end *e = uend(s);
    if (!pair_of(e))
        return 0;
    mutex_lock(&e->pair->lock);
    long n = (long)e->count;
    if (!e->pair->stream && e->msgs) {
        uint32_t len;
        ring_peek(e, 0, (uint8_t *)&len, MSG_HDR);
        n = len;
    } else if (!e->pair->stream) {
        n = 0;
    }
    mutex_unlock(&e->pair->lock);
    return n;
}

static unsigned unix_poll(struct lsock *s)
{
    struct unix_end *e = uend(s);
    struct unix_pair *p = pair_of(e);
    if (!p) {
        mutex_lock(&unix_lock);
        unsigned ev = e->listening ? (e->queued ? LX_EPOLLIN | LX_EPOLLRDNORM : 0) : LX_EPOLLOUT | LX_EPOLLWRNORM;
        mutex_unlock(&unix_lock);
        return ev;
    }
    mutex_lock(&p->lock);
    struct unix_end *peer = peer_of(e);
    unsigned ev = 0;
    bool peer_gone = peer->closed;
    bool eof = peer_gone || peer->wr_shut || e->rd_shut;
    if (e->count || eof)
        ev |= LX_EPOLLIN | LX_EPOLLRDNORM;
    if (peer->wr_shut || peer_gone || e->rd_shut)
        ev |= LX_EPOLLRDHUP;
    if ((peer_gone || peer->wr_shut || e->rd_shut) && (e->wr_shut || peer_gone || peer->rd_shut))
        ev |= LX_EPOLLHUP;
    size_t space = UNIX_CAP - peer->count;
    if (peer_gone || peer->rd_shut || e->wr_shut)
        ev |= LX_EPOLLOUT | LX_EPOLLWRNORM; /* a write answers at once (EPIPE) */
    else if (p->stream ? space > 0 : space >= MSG_HDR + 1)
        ev |= LX_EPOLLOUT | LX_EPOLLWRNORM;
    mutex_unlock(&p->lock);
    return ev;
}

static void end_free(struct unix_end *e)
{
    free(e->buf);
    free(e->key);
    free(e);
}

/* An end goes (its file released, or a connection never accepted). */
static void end_close(struct unix_end *e)
{
    struct unix_pair *p = e->pair;
    mutex_lock(&p->lock);
    e->closed = e->rd_shut = e->wr_shut = true;
    e->base.file = NULL; /* no more notifications to a file going away */
    struct unix_rights *unread = e->rights;
    e->rights = e->rights_tail = NULL;
    e->rights_files = 0;
    bool last = --p->alive == 0;
    changed(p);
    mutex_unlock(&p->lock);
    if (last) {
        for (int i = 0; i < 2; i++)
            end_free(p->end[i]);
        free(p);
    }
    rights_free(unread); /* last: e and p are gone by now, and not touched */
}

static void unix_release(struct lsock *s)
{
    struct unix_end *e = uend(s);
    mutex_lock(&unix_lock);
    if (e->bound) {
        for (struct unix_end **pp = &names; *pp; pp = &(*pp)->reg_next) {
            if (*pp == e) {
                *pp = e->reg_next;
                break;
            }
        }
    }
    /* connections never accepted: their clients see the end */
    struct unix_end *q = e->q_head;
    e->q_head = e->q_tail = NULL;
    e->listening = false;
    bool paired = pair_of(e) != NULL;
    mutex_unlock(&unix_lock);
    while (q) {
        struct unix_end *next = q->q_next;
        end_close(q);
        q = next;
    }
    if (paired)
        end_close(e);
    else
        end_free(e);
}

static const struct lsock_ops unix_ops;

static long unix_bind(struct lsock *s, const uint8_t *addr, uint32_t len)
{
    struct unix_end *e = uend(s);
    struct lx_unixname n;
    long rc = lx_sockaddr_un_parse(addr, len, &n);
    if (rc < 0)
        return rc;
    static unsigned autoname;
    if (n.autobind) { /* Linux picks five hex digits in the abstract space */
        n.abstract = true;
        n.autobind = false;
        n.len = 5;
        unsigned v = __atomic_fetch_add(&autoname, 1, __ATOMIC_RELAXED) & 0xfffff;
        for (int i = 4; i >= 0; i--, v >>= 4)
            n.name[i] = "0123456789abcdef"[v & 15];
    }
    if (!n.abstract && !n.len)
        return -ENOENT;
    char *key;
    uint32_t keylen;
    rc = name_key(&n, &key, &keylen);
    if (rc < 0)
        return rc;
    mutex_lock(&unix_lock);
    rc = e->bound || pair_of(e) ? -EINVAL : 0;
    mutex_unlock(&unix_lock);
    if (rc == 0 && !n.abstract) { /* the socket file; the path taken: EADDRINUSE */
        rc = vfs_make_node(key, VFS_S_IFSOCK | (0777 & ~lproc_current()->umask), NULL);
        struct vfs_stat st;
        if (rc == -EEXIST)
            rc = -EADDRINUSE;
        else if (rc == 0 && (rc = vfs_lstat(key, &st)) == 0) {
            e->node_dev = st.dev;
            e->node_ino = st.ino;
        }
    }
    mutex_lock(&unix_lock);
    if (rc == 0 && (e->bound || pair_of(e)))
        rc = -EINVAL; /* bound meanwhile by another thread (its file stays, as a failed bind's would) */
    else if (rc == 0 && n.abstract && find_name(key, keylen, NULL))
        rc = -EADDRINUSE;
    if (rc == 0) {
        e->name = n;
        e->key = key;
        e->keylen = keylen;
        e->is_abstract = n.abstract;
        e->bound = true;
        e->reg_next = names;
        names = e;
    }
    mutex_unlock(&unix_lock);
    if (rc < 0)
        free(key);
    return rc;
}

static long unix_listen(struct lsock *s, int backlog)
{
    struct unix_end *e = uend(s);
    if (e->base.type == LX_SOCK_DGRAM)
        return -EOPNOTSUPP;
    mutex_lock(&unix_lock);
    long rc = !e->bound || pair_of(e) ? -EINVAL : 0;
    if (rc == 0) {
        e->listening = true;
        e->backlog = (unsigned)backlog + 1;
    }
    mutex_unlock(&unix_lock);
    return rc;
}

static struct unix_end *end_new(int type)
{
    struct unix_end *e = calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    e->base.ops = &unix_ops;
    e->base.domain = LX_AF_UNIX;
    e->base.type = type;
    e->base.sndbuf = e->base.rcvbuf = 212992;
    return e;
}

/* Two ends joined: a new pair with a ring on each side. */
static struct unix_pair *pair_new(struct unix_end *a, struct unix_end *b)
{
    struct unix_pair *p = calloc(1, sizeof(*p));
    uint8_t *ba = p ? malloc(UNIX_CAP) : NULL, *bb = ba ? malloc(UNIX_CAP) : NULL;
    if (!bb) {
        free(ba);
        free(p);
        return NULL;
    }
    mutex_init(&p->lock);
    p->stream = a->base.type == LX_SOCK_STREAM;
    a->buf = ba;
    b->buf = bb;
    a->side = 0;
    b->side = 1;
    p->end[0] = a;
    p->end[1] = b;
    p->alive = 2;
    return p;
}

static long unix_connect(struct lsock *s, const uint8_t *addr, uint32_t len)
{
    struct unix_end *e = uend(s);
    struct lx_unixname n;
    long rc = lx_sockaddr_un_parse(addr, len, &n);
    if (rc < 0)
        return rc;
    if (n.autobind)
        return -EINVAL;
    if (!n.abstract && !n.len)
        return -ENOENT;
    char *key;
    uint32_t keylen;
    rc = name_key(&n, &key, &keylen);
    if (rc < 0)
        return rc;
    struct vfs_stat st;
    long found = name_node(&n, key, &st);
    struct unix_end *srv = end_new(e->base.type);
    mutex_lock(&unix_lock);
    struct unix_end *l = found == 0 ? find_name(key, keylen, n.abstract ? NULL : &st) : NULL;
    if (!srv)
        rc = -ENOMEM;
    else if (pair_of(e))
        rc = -EISCONN;
    else if (e->listening)
        rc = -EINVAL;
    else if (found < 0)
        rc = found;
    else if (!l)
        rc = -ECONNREFUSED; /* a socket file, or an abstract name, nobody listens on */
    else if (e->base.type == LX_SOCK_DGRAM || l->base.type != e->base.type || !l->listening)
        rc = -ECONNREFUSED; /* datagrams to a name are not carried */
    else if (l->queued >= l->backlog)
        rc = -EAGAIN; /* Linux would wait for room when blocking */
    struct unix_pair *p = rc == 0 ? pair_new(e, srv) : NULL;
    if (rc == 0 && !p)
        rc = -ENOMEM;
    if (rc == 0) {
        srv->name = l->name;
        srv->peer_name = e->name;
        e->peer_name = l->name;
        srv->pair = p;
        __atomic_store_n(&e->pair, p, __ATOMIC_RELEASE);
        if (l->q_tail)
            l->q_tail->q_next = srv;
        else
            l->q_head = srv;
        l->q_tail = srv;
        l->queued++;
        lsock_changed(&l->base, LX_EPOLLIN);
    }
    mutex_unlock(&unix_lock);
    free(key);
    if (rc < 0)
        free(srv);
    else
        lsock_changed(s, LX_EPOLLOUT);
    return rc;
}

static long unix_accept(struct lsock *s, struct lfile **out, uint8_t *addr, uint32_t *addrlen, bool nonblock)
{
    struct unix_end *e = uend(s);
    bool nb = nonblocking(s, 0);
    uint64_t deadline = lsock_deadline(s->rcvtimeo_ns);
    for (;;) {
        unsigned gen = lsock_gen(s);
        mutex_lock(&unix_lock);
        if (!e->listening) {
            mutex_unlock(&unix_lock);
            return -EINVAL;
        }
        struct unix_end *c = e->q_head;
        if (c) {
            e->q_head = c->q_next;
            if (!e->q_head)
                e->q_tail = NULL;
            e->queued--;
            c->q_next = NULL;
        }
        mutex_unlock(&unix_lock);
        if (c) {
            struct lfile *f = lsock_file_new(&c->base, nonblock);
            if (!f) {
                end_close(c);
                return -ENOMEM;
            }
            *addrlen = lx_sockaddr_un_make(&c->peer_name, addr);
            *out = f;
            return 0;
        }
        if (nb)
            return -EAGAIN;
        int rc = lsock_wait(s, gen, deadline);
        if (rc == -EINTR)
            return deadline ? -EINTR : -ERESTARTSYS;
        if (rc == -ETIMEDOUT)
            return -EAGAIN;
    }
}

long unix_socket_create(int type, bool nonblock, struct lfile **out)
{
    if (type != LX_SOCK_STREAM && type != LX_SOCK_DGRAM && type != LX_SOCK_SEQPACKET)
        return type == LX_SOCK_RAW ? -ESOCKTNOSUPPORT : -EINVAL;
    struct unix_end *e = end_new(type);
    if (!e)
        return -ENOMEM;
    struct lfile *f = lsock_file_new(&e->base, nonblock);
    if (!f) {
        free(e);
        return -ENOMEM;
    }
    *out = f;
    return 0;
}

static const struct lsock_ops unix_ops = {
    .bind = unix_bind, .listen = unix_listen, .accept = unix_accept, .connect = unix_connect,
    .send = unix_send, .recv = unix_recv, .shutdown = unix_shutdown, .name = unix_name,
    .setopt = unix_setopt, .getopt = unix_getopt, .readable = unix_readable, .poll = unix_poll,
    .release = unix_release,
};

long unix_socketpair_create(int type, bool nonblock, struct lfile **a, struct lfile **b)
{
    if (type != LX_SOCK_STREAM && type != LX_SOCK_DGRAM && type != LX_SOCK_SEQPACKET)
        return type == LX_SOCK_RAW ? -ESOCKTNOSUPPORT : -EINVAL;
    struct unix_pair *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENFILE;
    mutex_init(&p->lock);
    p->stream = type == LX_SOCK_STREAM;
    for (int i = 0; i < 2; i++) {
        struct unix_end *e = calloc(1, sizeof(*e));
        uint8_t *buf = e ? malloc(UNIX_CAP) : NULL;
        if (!buf) {
            free(e);
            for (int j = 0; j < i; j++)
                end_free(p->end[j]);
            free(p);
            return -ENFILE;
        }
        e->buf = buf;
        e->pair = p;
        e->side = i;
        e->base.ops = &unix_ops;
        e->base.domain = LX_AF_UNIX;
        e->base.type = type;
        e->base.sndbuf = e->base.rcvbuf = 212992;
        p->end[i] = e;
    }
    p->alive = 2;
    struct lfile *fa = lsock_file_new(&p->end[0]->base, nonblock);
    struct lfile *fb = fa ? lsock_file_new(&p->end[1]->base, nonblock) : NULL;
    if (!fb) {
        if (fa) {
            p->end[1]->closed = true;
            p->alive = 1;
            lfile_put(fa); /* frees the pair */
        } else {
            for (int i = 0; i < 2; i++)
                end_free(p->end[i]);
            free(p);
        }
        return -ENFILE;
    }
    *a = fa;
    *b = fb;
    return 0;
}
