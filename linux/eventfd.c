/* eventfd: a 64-bit counter as a file. A write of 8 bytes adds to it
 * (blocking while the sum would pass 2^64-2), a read takes it all and
 * leaves zero, or with EFD_SEMAPHORE takes one (blocking while it is
 * zero). Readable while non-zero, writable while 1 more fits. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "linux_consts.h"
#include "poll_wait.h"
#include "signal_frame.h"
#include "thread.h"

#define EFD_SEMAPHORE 1
#define EFD_MAX 0xfffffffffffffffeull

struct eventfd {
    struct mutex lock;
    uint64_t count;
    bool semaphore;
    struct lpoll_sleep sleep; /* blocked readers and writers */
};

/* Lock held: wakes blocked readers and writers and tells the pollers. */
static void changed(struct lfile *f, struct eventfd *e)
{
    lpoll_sleep_wake(&e->sleep);
    lfile_notify(f, 0);
}

/* Waits for a change with the lock dropped: 0 or -EINTR. */
static int wait_change(struct eventfd *e)
{
    unsigned seen = lpoll_sleep_gen(&e->sleep);
    mutex_unlock(&e->lock);
    int rc = lpoll_sleep_wait(&e->sleep, seen, 0);
    mutex_lock(&e->lock);
    return rc;
}

static long efd_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    struct eventfd *e = f->priv;
    if (len < sizeof(uint64_t))
        return -EINVAL;
    mutex_lock(&e->lock);
    while (!e->count) {
        if (f->status_flags & LX_O_NONBLOCK) {
            mutex_unlock(&e->lock);
            return -EAGAIN;
        }
        if (wait_change(e) == -EINTR) {
            mutex_unlock(&e->lock);
            return -ERESTARTSYS;
        }
    }
    uint64_t v = e->semaphore ? 1 : e->count;
    e->count -= v;
    memcpy(buf, &v, sizeof v);
    changed(f, e);
    mutex_unlock(&e->lock);
    return sizeof v;
}

static long efd_write(struct lfile *f, const void *buf, size_t len, uint64_t *pos)
{
    struct eventfd *e = f->priv;
    uint64_t v;
    if (len < sizeof v)
        return -EINVAL;
    memcpy(&v, buf, sizeof v);
    if (v == UINT64_MAX)
        return -EINVAL;
    mutex_lock(&e->lock);
    while (EFD_MAX - e->count < v) {
        if (f->status_flags & LX_O_NONBLOCK) {
            mutex_unlock(&e->lock);
            return -EAGAIN;
        }
        if (wait_change(e) == -EINTR) {
            mutex_unlock(&e->lock);
            return -ERESTARTSYS;
        }
    }
    e->count += v;
    if (v)
        changed(f, e);
    mutex_unlock(&e->lock);
    return sizeof v;
}

static unsigned efd_poll(struct lfile *f)
{
    struct eventfd *e = f->priv;
    mutex_lock(&e->lock);
    unsigned m = (e->count ? LX_EPOLLIN : 0) | (e->count < EFD_MAX ? LX_EPOLLOUT : 0);
    mutex_unlock(&e->lock);
    return m;
}

static void efd_release(struct lfile *f) { free(f->priv); }

static const struct lfile_ops eventfd_ops = {
    .read = efd_read, .write = efd_write, .fstat = lfile_anon_fstat, .release = efd_release,
    .poll = efd_poll,
};

bool lfile_is_eventfd(const struct lfile *f) { return f->ops == &eventfd_ops; }

static long eventfd_new(unsigned initval, unsigned long flags)
{
    if (flags & ~(unsigned long)(EFD_SEMAPHORE | LX_O_NONBLOCK | LX_O_CLOEXEC))
        return -EINVAL;
    struct eventfd *e = calloc(1, sizeof(*e));
    if (!e)
        return -ENOMEM;
    mutex_init(&e->lock);
    e->count = initval;
    e->semaphore = flags & EFD_SEMAPHORE;
    struct lfile *f = lfile_new(&eventfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), e);
    if (!f) {
        free(e);
        return -ENOMEM;
    }
    return fd_install(f, 0, flags & LX_O_CLOEXEC);
}

SYSCALL_DECL(eventfd) { return eventfd_new((unsigned)s->a[0], 0); }

SYSCALL_DECL(eventfd2) { return eventfd_new((unsigned)s->a[0], s->a[1]); }
