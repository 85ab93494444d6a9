/* Pipes: a 64 KiB ring (Linux's default capacity) between a read end and a
 * write end. Reads block while it is empty and a writer exists (end of file
 * when none does); writes block while it is full, and a write of at most
 * PIPE_BUF bytes goes in whole. A write with no reader left fails with
 * EPIPE and raises SIGPIPE. Waits are interruptible: a signal ends one
 * with what was done, or a restart (SA_RESTART) / EINTR when nothing was.
 *
 * A named FIFO (mknod S_IFIFO) is the same pipe, found by its vnode while
 * anyone has it open and gone (with its bytes) at the last close, as on
 * Linux. Opening one for reading waits for a writer to open it, for writing
 * waits for a reader (O_NONBLOCK: no wait, and a writer without a reader is
 * -ENXIO); O_RDWR never waits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "files.h"
#include "linux_consts.h"
#include "thread.h"

#define PIPE_CAP 65536u
#define PIPE_BUF 4096u

struct pipe {
    struct mutex lock;
    struct waitq wq;  /* readers and writers waiting for a change */
    unsigned gen;     /* bumped at every change, so a wait cannot miss one */
    uint8_t *buf;
    size_t head, count;
    unsigned readers, writers;
    unsigned ropens, wopens; /* opens of a FIFO's each side so far: what a waiting open watches */
    uint64_t ino;
    struct vnode *fifo; /* a named FIFO's vnode (its files hold references), NULL for pipe(2) */
    struct pipe *next;  /* on fifos */
    /* The open files (no reference; each leaves at its release), told of
     * every change: two for pipe(2), any number for a FIFO. */
    struct lfile **ends;
    unsigned nends, ends_cap;
    struct lfile *two_ends[2];
};

/* Named FIFOs open now; fifo_lock is taken before a pipe's own lock. */
static struct mutex fifo_lock = MUTEX_INIT;
static struct pipe *fifos;

static uint64_t next_pipe_ino = 1000;

/* Something changed (bytes, an end closed): wake every waiter, and tell
 * poll/select/epoll on either end. Lock held. */
static void pipe_changed(struct pipe *p)
{
    __atomic_add_fetch(&p->gen, 1, __ATOMIC_RELEASE);
    uint64_t flags = sched_lock();
    sched_wake_all_locked(&p->wq);
    sched_unlock(flags);
    for (unsigned i = 0; i < p->nends; i++)
        lfile_notify(p->ends[i], 0);
}

/* Lock held. 0, or -ENOMEM. */
static int ends_add(struct pipe *p, struct lfile *f)
{
    if (p->nends == p->ends_cap) {
        unsigned cap = p->ends_cap * 2;
        struct lfile **e = malloc(cap * sizeof(*e));
        if (!e)
            return -ENOMEM;
        memcpy(e, p->ends, p->nends * sizeof(*e));
        if (p->ends != p->two_ends)
            free(p->ends);
        p->ends = e;
        p->ends_cap = cap;
    }
    p->ends[p->nends++] = f;
    return 0;
}

static void ends_remove(struct pipe *p, struct lfile *f)
{
    for (unsigned i = 0; i < p->nends; i++) {
        if (p->ends[i] == f) {
            p->ends[i] = p->ends[--p->nends];
            return;
        }
    }
}

static bool reads(unsigned flags) { return (flags & LX_O_ACCMODE) != LX_O_WRONLY; }
static bool writes(unsigned flags) { return (flags & LX_O_ACCMODE) != LX_O_RDONLY; }

/* Waits for a change with p->lock dropped (held again on return): 0, or
 * -EINTR when a signal for this thread came first. */
static int pipe_wait(struct pipe *p)
{
    unsigned gen = p->gen;
    mutex_unlock(&p->lock);
    uint64_t flags = sched_lock();
    int rc = 0;
    if (__atomic_load_n(&p->gen, __ATOMIC_ACQUIRE) == gen) {
        if (lthread_current())
            rc = lthread_block_locked(&p->wq, 0);
        else
            sched_wait_locked(&p->wq);
    }
    sched_unlock(flags);
    mutex_lock(&p->lock);
    return rc;
}

static long pipe_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    struct pipe *p = f->priv;
    if (len == 0)
        return 0;
    mutex_lock(&p->lock);
    while (p->count == 0 && p->writers) {
        if (f->status_flags & LX_O_NONBLOCK) {
            mutex_unlock(&p->lock);
            return -EAGAIN;
        }
        if (pipe_wait(p) == -EINTR) {
            mutex_unlock(&p->lock);
            return -ERESTARTSYS;
        }
    }
    size_t n = len < p->count ? len : p->count;
    for (size_t done = 0; done < n;) {
        size_t chunk = PIPE_CAP - p->head;
        if (chunk > n - done)
            chunk = n - done;
        memcpy((uint8_t *)buf + done, p->buf + p->head, chunk);
        p->head = (p->head + chunk) % PIPE_CAP;
        done += chunk;
    }
    p->count -= n;
    pipe_changed(p);
    mutex_unlock(&p->lock);
    return (long)n;
}

static void put_bytes(struct pipe *p, const uint8_t *src, size_t n)
{
    size_t tail = (p->head + p->count) % PIPE_CAP;
    for (size_t done = 0; done < n;) {
        size_t chunk = PIPE_CAP - tail;
        if (chunk > n - done)
            chunk = n - done;
        memcpy(p->buf + tail, src + done, chunk);
        tail = (tail + chunk) % PIPE_CAP;
        done += chunk;
    }
    p->count += n;
}

/* A write nobody will read: SIGPIPE for the writing thread (its default
 * ends the program; ignored or handled, the write still fails), EPIPE. */
static long broken(void)
{
    struct lthread *t = lthread_current();
    if (t) {
        struct lsig_info info = { .code = 0, .pid = lproc_current()->pid };
        signal_send(t, LX_SIGPIPE, &info);
    }
    return -EPIPE;
}

static long pipe_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos)
{
    struct pipe *p = f->priv;
    size_t done = 0;
    mutex_lock(&p->lock);
    while (done < len) {
        if (!p->readers) {
            mutex_unlock(&p->lock);
            return done ? (long)done : broken();
        }
        size_t space = PIPE_CAP - p->count;
        size_t want = len - done;
        /* Up to PIPE_BUF bytes go in at once or not at all. */
        bool fits = len <= PIPE_BUF ? space >= want : space > 0;
        if (!fits) {
            if (f->status_flags & LX_O_NONBLOCK) {
                mutex_unlock(&p->lock);
                return done ? (long)done : -EAGAIN;
            }
            if (pipe_wait(p) == -EINTR) {
                mutex_unlock(&p->lock);
                return done ? (long)done : -ERESTARTSYS;
            }
            continue;
        }
        size_t n = want < space ? want : space;
        put_bytes(p, (const uint8_t *)buf + done, n);
        done += n;
        pipe_changed(p);
    }
    mutex_unlock(&p->lock);
    return (long)done;
}

static int pipe_fstat(struct lfile *f, struct vfs_stat *st)
{
    struct pipe *p = f->priv;
    if (f->vn) { /* a named FIFO: its inode */
        vfs_vn_stat(f->vn, st);
        return 0;
    }
    memset(st, 0, sizeof(*st));
    st->mode = VFS_S_IFIFO | 0600;
    st->ino = p->ino;
    st->nlink = 1;
    st->blksize = 4096;
    st->dev = 0x0c; /* pipefs' anonymous device */
    return 0;
}

static long pipe_readable(struct lfile *f)
{
    struct pipe *p = f->priv;
    mutex_lock(&p->lock);
    long n = (long)p->count;
    mutex_unlock(&p->lock);
    return n;
}

/* The read end: data (EPOLLIN), or no writer left (EPOLLHUP, and EPOLLIN:
 * a read returns end of file). The write end: room for PIPE_BUF bytes
 * (EPOLLOUT), or no reader left (EPOLLERR: a write fails). */
static unsigned pipe_poll(struct lfile *f)
{
    struct pipe *p = f->priv;
    unsigned m = 0;
    mutex_lock(&p->lock);
    if (reads(f->status_flags)) {
        if (p->count)
            m |= LX_EPOLLIN | LX_EPOLLRDNORM;
        if (!p->writers)
            m |= LX_EPOLLHUP;
    }
    if (writes(f->status_flags)) {
        if (PIPE_CAP - p->count >= PIPE_BUF)
            m |= LX_EPOLLOUT | LX_EPOLLWRNORM;
        if (!p->readers)
            m |= LX_EPOLLERR;
    }
    mutex_unlock(&p->lock);
    return m;
}

static void pipe_free(struct pipe *p)
{
    if (p->ends != p->two_ends)
        free(p->ends);
    free(p->buf);
    free(p);
}

/* One reader and/or writer (flags' access mode) goes: f's release, or an
 * open of a FIFO that failed before its file existed (f NULL). The last
 * one frees the pipe; a FIFO leaves fifos first. */
static void pipe_drop(struct pipe *p, unsigned flags, struct lfile *f)
{
    bool named = p->fifo != NULL;
    if (named)
        mutex_lock(&fifo_lock);
    mutex_lock(&p->lock);
    if (f)
        ends_remove(p, f);
    if (reads(flags))
        p->readers--;
    if (writes(flags))
        p->writers--;
    bool last = !p->readers && !p->writers;
    if (last && named) {
        struct pipe **pp = &fifos;
        while (*pp != p)
            pp = &(*pp)->next;
        *pp = p->next;
    }
    pipe_changed(p);
    mutex_unlock(&p->lock);
    if (named)
        mutex_unlock(&fifo_lock);
    if (last)
        pipe_free(p);
}

static void pipe_release(struct lfile *f) { pipe_drop(f->priv, f->status_flags, f); }

/* A FIFO's file that never got onto its pipe (no memory for the list). */
static const struct lfile_ops fifo_failed_ops = { 0 };

static const struct lfile_ops pipe_ops = {
    .read = pipe_read, .write = pipe_write, .fstat = pipe_fstat, .readable = pipe_readable,
    .release = pipe_release, .poll = pipe_poll,
};

bool lfile_is_pipe(const struct lfile *f) { return f->ops == &pipe_ops; }

int pipe_name(const struct lfile *f, char *buf, size_t cap)
{
    const struct pipe *p = f->priv;
    return snprintf(buf, cap, "pipe:[%llu]", (unsigned long long)p->ino);
}

static struct pipe *pipe_new(void)
{
    struct pipe *p = calloc(1, sizeof(*p));
    uint8_t *buf = p ? malloc(PIPE_CAP) : NULL;
    if (!buf) {
        free(p);
        return NULL;
    }
    mutex_init(&p->lock);
    p->buf = buf;
    p->ino = __atomic_fetch_add(&next_pipe_ino, 1, __ATOMIC_RELAXED);
    p->ends = p->two_ends;
    p->ends_cap = 2;
    return p;
}

int pipe_create(unsigned flags, struct lfile **rd, struct lfile **wr)
{
    struct pipe *p = pipe_new();
    if (!p)
        return -ENFILE;
    uint8_t *buf = p->buf;
    p->readers = p->writers = 1;
    *rd = lfile_new(&pipe_ops, LX_O_RDONLY | (flags & LX_O_NONBLOCK), p);
    *wr = *rd ? lfile_new(&pipe_ops, LX_O_WRONLY | (flags & LX_O_NONBLOCK), p) : NULL;
    if (*wr) {
        p->ends[0] = *rd;
        p->ends[1] = *wr;
        p->nends = 2;
        return 0;
    }
    if (*rd) {
        p->writers = 0;
        lfile_put(*rd); /* frees the pipe: no writer, its reader gone */
        return -ENFILE;
    }
    free(buf);
    free(p);
    return -ENFILE;
}

long fifo_open(struct vnode *vn, unsigned flags, struct lfile **out)
{
    mutex_lock(&fifo_lock);
    struct pipe *p = fifos;
    while (p && p->fifo != vn)
        p = p->next;
    if (!p) {
        p = pipe_new();
        if (!p) {
            mutex_unlock(&fifo_lock);
            return -ENOMEM;
        }
        p->fifo = vn;
        p->next = fifos;
        fifos = p;
    }
    mutex_lock(&p->lock);
    bool nonblock = flags & LX_O_NONBLOCK;
    if ((flags & LX_O_ACCMODE) == LX_O_WRONLY && nonblock && !p->readers) {
        bool unused = !p->readers && !p->writers;
        if (unused) { /* made just now: nobody else knows it */
            struct pipe **pp = &fifos;
            while (*pp != p)
                pp = &(*pp)->next;
            *pp = p->next;
        }
        mutex_unlock(&p->lock);
        mutex_unlock(&fifo_lock);
        if (unused)
            pipe_free(p);
        return -ENXIO;
    }
    if (reads(flags)) {
        p->readers++;
        p->ropens++;
    }
    if (writes(flags)) {
        p->writers++;
        p->wopens++;
    }
    pipe_changed(p); /* wakes opens waiting for this side */
    mutex_unlock(&fifo_lock);
    long rc = 0;
    if (!nonblock && (flags & LX_O_ACCMODE) == LX_O_RDONLY && !p->writers) {
        unsigned seen = p->wopens; /* a writer that opens and closes meanwhile still counts */
        while (rc == 0 && p->wopens == seen)
            rc = pipe_wait(p);
    } else if (!nonblock && (flags & LX_O_ACCMODE) == LX_O_WRONLY && !p->readers) {
        unsigned seen = p->ropens;
        while (rc == 0 && p->ropens == seen)
            rc = pipe_wait(p);
    }
    struct lfile *f = NULL;
    if (rc == 0) {
        f = lfile_new(&pipe_ops, flags, p);
        rc = !f ? -ENOMEM : ends_add(p, f);
    }
    mutex_unlock(&p->lock);
    if (rc < 0) {
        if (f) {
            f->ops = &fifo_failed_ops; /* its release must not drop p a second time */
            lfile_put(f);
        }
        pipe_drop(p, flags, NULL);
        return rc == -EINTR ? -ERESTARTSYS : rc;
    }
    *out = f;
    return 0;
}
