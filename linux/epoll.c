/* epoll: an instance is a file holding registrations (descriptor, file,
 * events, data). Each registration is a waiter on its file; the file's
 * wake-up puts it on the instance's ready list, and epoll_wait checks each
 * ready one's readiness again before reporting it: level-triggered ones go
 * back on the list, edge-triggered ones wait for the next wake-up,
 * EPOLLONESHOT ones are disabled until EPOLL_CTL_MOD. A registration holds
 * no reference to its file: when the file's last reference goes, the file
 * tells it (LX_POLLFREE) and it is dropped, as in Linux. An instance is
 * itself pollable (readable while something is ready), so instances nest;
 * loops and nesting deeper than Linux's limit are refused (ELOOP). */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "linux_consts.h"
#include "poll_wait.h"
#include "signal_frame.h"
#include "thread.h"
#include "uaccess.h"

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3
#define EP_PRIVATE (LX_EPOLLET | LX_EPOLLONESHOT | LX_EPOLLWAKEUP | LX_EPOLLEXCLUSIVE)
#define EP_MAX_NESTS 4
#define EP_MAX_EVENTS (INT32_MAX / 12) /* Linux's bound on maxevents */
/* Events gathered per pass (fewer than maxevents is Linux's answer too).
 * 80 x 12 bytes is one of the heap's slab objects; 256 took a page from
 * the page allocator, cleared, on every epoll_wait (nginx waits once a
 * request). */
#define EP_BATCH 80

struct lx_epoll_event {
    uint32_t events;
    uint64_t data;
} __attribute__((packed));

struct epoll;
struct epitem {
    struct lpoll_waiter w; /* first: the wake-up finds the item from it */
    struct epoll *ep;
    struct lfile *file; /* NULL once the file went (under ep->lock) */
    int fd;
    uint32_t events; /* asked-for bits and the EP_PRIVATE flags (under ep->lock) */
    uint64_t data;
    bool on_ready;
    struct epitem *next;  /* the instance's registrations (under ep->mu) */
    struct epitem *rnext; /* the ready list (under ep->lock) */
};

struct epoll {
    struct mutex mu;      /* registrations: ctl, wait and poll */
    struct spinlock lock; /* ready list, item->file, item->events */
    struct epitem *items;
    struct epitem *rhead, *rtail;
    struct lpoll_sleep sleep;
    struct lfile *self; /* the instance's file (no reference) */
};

/* ep->lock held. */
static void ready_push_locked(struct epoll *ep, struct epitem *it)
{
    if (it->on_ready)
        return;
    it->on_ready = true;
    it->rnext = NULL;
    if (ep->rtail)
        ep->rtail->rnext = it;
    else
        ep->rhead = it;
    ep->rtail = it;
}

static struct epitem *ready_pop_locked(struct epoll *ep)
{
    struct epitem *it = ep->rhead;
    if (!it)
        return NULL;
    ep->rhead = it->rnext;
    if (!ep->rhead)
        ep->rtail = NULL;
    it->rnext = NULL;
    it->on_ready = false;
    return it;
}

static void ready_remove_locked(struct epoll *ep, struct epitem *it)
{
    if (!it->on_ready)
        return;
    struct epitem *prev = NULL;
    for (struct epitem *x = ep->rhead; x; prev = x, x = x->rnext) {
        if (x != it)
            continue;
        if (prev)
            prev->rnext = x->rnext;
        else
            ep->rhead = x->rnext;
        if (ep->rtail == x)
            ep->rtail = prev;
        break;
    }
    it->on_ready = false;
    it->rnext = NULL;
}

/* The file's wake-up, under its poll lock with interrupts off. */
static void item_wake(struct lpoll_waiter *w, struct lfile *f, unsigned events)
{
    struct epitem *it = (struct epitem *)w;
    struct epoll *ep = it->ep;
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    if (events & LX_POLLFREE) {
        /* The file is going: the item is swept later (on the ready list so
         * the next wait finds it). Nothing of ep may be touched after the
         * unlock: a closing instance may free it as soon as file is NULL. */
        it->file = NULL;
        ready_push_locked(ep, it);
        spin_unlock_irqrestore(&ep->lock, irq);
        return;
    }
    unsigned want = it->events & ~EP_PRIVATE;
    if (!want || (events && !(events & (want | LX_EPOLLERR | LX_EPOLLHUP)))) {
        spin_unlock_irqrestore(&ep->lock, irq);
        return; /* disabled (EPOLLONESHOT fired), or not what it watches */
    }
    ready_push_locked(ep, it);
    spin_unlock_irqrestore(&ep->lock, irq);
    lpoll_sleep_wake(&ep->sleep);
    if (ep->self)
        lfile_notify(ep->self, LX_EPOLLIN); /* an instance watching this one */
}

/* The item's file with a reference, or NULL when it is gone or going. */
static struct lfile *item_file(struct epoll *ep, struct epitem *it)
{
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    struct lfile *f = it->file;
    if (f && !lfile_tryget(f))
        f = NULL;
    spin_unlock_irqrestore(&ep->lock, irq);
    return f;
}

/* Unlinks and frees it (ep->mu held): detached from its file first. */
static void item_drop(struct epoll *ep, struct epitem *it)
{
    for (;;) {
        uint64_t irq = spin_lock_irqsave(&ep->lock);
        struct lfile *f = it->file;
        bool got = f && lfile_tryget(f);
        spin_unlock_irqrestore(&ep->lock, irq);
        if (got) {
            lfile_poll_del(f, &it->w);
            lfile_put(f);
            break;
        }
        if (!f)
            break;
        thread_yield(); /* its last reference went: lfile_poll_free is about to detach it */
    }
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    ready_remove_locked(ep, it);
    spin_unlock_irqrestore(&ep->lock, irq);
    for (struct epitem **pp = &ep->items; *pp; pp = &(*pp)->next) {
        if (*pp == it) {
            *pp = it->next;
            break;
        }
    }
    free(it);
}

static struct epitem *item_find(struct epoll *ep, int fd, struct lfile *f)
{
    for (struct epitem *it = ep->items; it; it = it->next)
        if (it->fd == fd && __atomic_load_n(&it->file, __ATOMIC_RELAXED) == f)
            return it;
    return NULL;
}

/* Ready events into out (at most max), ep->mu taken here: the count. */
static int collect(struct epoll *ep, struct lx_epoll_event *out, int max)
{
    mutex_lock(&ep->mu);
    struct epitem *again = NULL, **again_tail = &again; /* level-triggered: back on the list */
    int n = 0;
    while (n < max) {
        uint64_t irq = spin_lock_irqsave(&ep->lock);
        struct epitem *it = ready_pop_locked(ep);
        bool dead = it && !it->file;
        spin_unlock_irqrestore(&ep->lock, irq);
        if (!it)
            break;
        if (dead) {
            item_drop(ep, it);
            continue;
        }
        struct lfile *f = item_file(ep, it);
        if (!f)
            continue; /* going: its LX_POLLFREE puts it back to be swept */
        unsigned ready = lfile_poll(f);
        lfile_put(f);
        irq = spin_lock_irqsave(&ep->lock);
        unsigned r = ready & ((it->events & ~EP_PRIVATE) | LX_EPOLLERR | LX_EPOLLHUP);
        if (!(it->events & ~EP_PRIVATE))
            r = 0; /* disabled since it was queued */
        if (r) {
            out[n].events = r;
            out[n].data = it->data;
            n++;
            if (it->events & LX_EPOLLONESHOT)
                it->events &= EP_PRIVATE;
            else if (!(it->events & LX_EPOLLET) && !it->on_ready) {
                it->rnext = NULL;
                *again_tail = it;
                again_tail = &it->rnext;
            }
        }
        spin_unlock_irqrestore(&ep->lock, irq);
    }
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    while (again) {
        struct epitem *it = again;
        again = it->rnext;
        ready_push_locked(ep, it); /* no-op if a wake-up queued it meanwhile */
    }
    spin_unlock_irqrestore(&ep->lock, irq);
    mutex_unlock(&ep->mu);
    return n;
}

/* An instance watched by poll or another instance: readable while one of
 * its queued registrations is ready. */
static unsigned epoll_poll(struct lfile *self)
{
    struct epoll *ep = self->priv;
    unsigned m = 0;
    mutex_lock(&ep->mu);
    uint64_t irq = spin_lock_irqsave(&ep->lock);
    struct epitem *it = ep->rhead;
    spin_unlock_irqrestore(&ep->lock, irq);
    while (it && !m) {
        /* Items leave the list only under ep->mu (held), so it stays valid. */
        struct lfile *f = item_file(ep, it);
        if (f) {
            unsigned ready = lfile_poll(f);
            lfile_put(f);
            irq = spin_lock_irqsave(&ep->lock);
            if (ready & ((it->events & ~EP_PRIVATE) | LX_EPOLLERR | LX_EPOLLHUP) && (it->events & ~EP_PRIVATE))
                m = LX_EPOLLIN | LX_EPOLLRDNORM;
            spin_unlock_irqrestore(&ep->lock, irq);
        }
        irq = spin_lock_irqsave(&ep->lock);
        it = it->rnext;
        spin_unlock_irqrestore(&ep->lock, irq);
    }
    mutex_unlock(&ep->mu);
    return m;
}

static void epoll_release(struct lfile *self)
{
    struct epoll *ep = self->priv;
    mutex_lock(&ep->mu);
    ep->self = NULL;
    while (ep->items)
        item_drop(ep, ep->items);
    mutex_unlock(&ep->mu);
    free(ep);
}

static long epoll_read(struct lfile *f, void *buf, size_t len, uint64_t *pos) { return -EINVAL; }

static const struct lfile_ops epoll_ops = {
    .read = epoll_read, .fstat = lfile_anon_fstat, .release = epoll_release, .poll = epoll_poll,
};

bool lfile_is_epoll(const struct lfile *f) { return f->ops == &epoll_ops; }

static long epoll_new(bool cloexec)
{
    struct epoll *ep = calloc(1, sizeof(*ep));
    if (!ep)
        return -ENOMEM;
    mutex_init(&ep->mu);
    struct lfile *f = lfile_new(&epoll_ops, LX_O_RDWR, ep);
    if (!f) {
        free(ep);
        return -ENOMEM;
    }
    ep->self = f;
    return fd_install(f, 0, cloexec);
}

SYSCALL_DECL(epoll_create)
{
    if ((int)s->a[0] <= 0)
        return -EINVAL;
    return epoll_new(false);
}

SYSCALL_DECL(epoll_create1)
{
    if (s->a[0] & ~(unsigned long)LX_O_CLOEXEC)
        return -EINVAL;
    return epoll_new(s->a[0] & LX_O_CLOEXEC);
}

/* ---- nesting ---- */

static struct mutex nest_lock = MUTEX_INIT; /* one epoll-in-epoll ADD at a time */

/* Can target reach ep through instances it watches, or nest too deep?
 * 0, or -ELOOP. Each instance's lock is taken alone, never two at once. */
static int nest_check(struct epoll *ep, struct lfile *target, int depth)
{
    if (depth > EP_MAX_NESTS)
        return -ELOOP;
    struct epoll *t = target->priv;
    if (t == ep)
        return -ELOOP;
    mutex_lock(&t->mu);
    unsigned n = 0;
    for (struct epitem *it = t->items; it; it = it->next)
        n++;
    struct lfile **kids = calloc(n ? n : 1, sizeof(*kids));
    unsigned k = 0;
    for (struct epitem *it = t->items; it && kids; it = it->next) {
        struct lfile *f = item_file(t, it);
        if (f && lfile_is_epoll(f))
            kids[k++] = f;
        else
            lfile_put(f);
    }
    mutex_unlock(&t->mu);
    int rc = kids ? 0 : -ENOMEM;
    for (unsigned i = 0; i < k; i++) {
        if (rc == 0)
            rc = nest_check(ep, kids[i], depth + 1);
        lfile_put(kids[i]);
    }
    free(kids);
    return rc;
}

/* ---- epoll_ctl ---- */

static long ctl(struct epoll *ep, int op, int fd, struct lfile *target, const struct lx_epoll_event *ev)
{
    struct epitem *it = item_find(ep, fd, target);
    if (op == EPOLL_CTL_DEL) {
        if (!it)
            return -ENOENT;
        item_drop(ep, it);
        return 0;
    }
    uint32_t events = (ev->events & ~LX_EPOLLWAKEUP) | LX_EPOLLERR | LX_EPOLLHUP;
    if (op == EPOLL_CTL_ADD) {
        if (it)
            return -EEXIST;
        it = calloc(1, sizeof(*it));
        if (!it)
            return -ENOMEM;
        it->ep = ep;
        it->file = target;
        it->fd = fd;
        it->events = events;
        it->data = ev->data;
        it->w.wake = item_wake;
        it->w.ctx = it;
        it->next = ep->items;
        ep->items = it;
        lfile_poll_add(target, &it->w);
    } else {
        if (!it)
            return -ENOENT;
        if (it->events & LX_EPOLLEXCLUSIVE)
            return -EINVAL;
        uint64_t irq = spin_lock_irqsave(&ep->lock);
        it->events = events;
        it->data = ev->data;
        spin_unlock_irqrestore(&ep->lock, irq);
    }
    /* Ready already: queue it (a MOD re-arms EPOLLET and EPOLLONESHOT). */
    if (lfile_poll(target) & (events & ~EP_PRIVATE)) {
        uint64_t irq = spin_lock_irqsave(&ep->lock);
        ready_push_locked(ep, it);
        spin_unlock_irqrestore(&ep->lock, irq);
        lpoll_sleep_wake(&ep->sleep);
        if (ep->self)
            lfile_notify(ep->self, LX_EPOLLIN);
    }
    return 0;
}

SYSCALL_DECL(epoll_ctl)
{
    int epfd = (int)s->a[0], op = (int)s->a[1], fd = (int)s->a[2];
    struct lx_epoll_event ev = { 0, 0 };
    /* Linux's order of checks: the event, the descriptors, their kinds,
     * then the operation. */
    if (op != EPOLL_CTL_DEL && copy_from_user(&ev, (const void *)s->a[3], sizeof ev))
        return -EFAULT;
    struct lfile *epf = fd_get(epfd);
    if (!epf)
        return -EBADF;
    struct lfile *target = fd_get(fd);
    long rc = 0;
    if (!target)
        rc = -EBADF;
    else if (target->vn && !target->ops->poll)
        rc = -EPERM; /* regular files and directories: Linux cannot poll them either */
    else if (!lfile_is_epoll(epf) || target == epf)
        rc = -EINVAL;
    else if ((ev.events & LX_EPOLLEXCLUSIVE) && op == EPOLL_CTL_ADD &&
             ((ev.events & ~(LX_EPOLLIN | LX_EPOLLOUT | LX_EPOLLERR | LX_EPOLLHUP | LX_EPOLLWAKEUP | LX_EPOLLET |
                             LX_EPOLLEXCLUSIVE | LX_EPOLLRDNORM | LX_EPOLLWRNORM)) ||
              lfile_is_epoll(target)))
        rc = -EINVAL;
    else if ((ev.events & LX_EPOLLEXCLUSIVE) && op == EPOLL_CTL_MOD)
        rc = -EINVAL;
    else if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_DEL && op != EPOLL_CTL_MOD)
        rc = -EINVAL;
    if (rc) {
        lfile_put(target);
        lfile_put(epf);
        return rc;
    }
    struct epoll *ep = epf->priv;
    bool nested = op == EPOLL_CTL_ADD && lfile_is_epoll(target);
    if (nested) {
        mutex_lock(&nest_lock);
        rc = nest_check(ep, target, 1);
    }
    if (rc == 0) {
        mutex_lock(&ep->mu);
        rc = ctl(ep, op, fd, target, &ev);
        mutex_unlock(&ep->mu);
    }
    if (nested)
        mutex_unlock(&nest_lock);
    lfile_put(target);
    lfile_put(epf);
    return rc;
}

/* ---- epoll_wait ---- */

static long do_wait(int epfd, void *uevents, int maxevents, uint64_t deadline, bool immediate)
{
    if (maxevents <= 0 || maxevents > EP_MAX_EVENTS)
        return -EINVAL;
    if (!user_range_ok((uintptr_t)uevents, (size_t)maxevents * sizeof(struct lx_epoll_event)))
        return -EFAULT;
    struct lfile *epf = fd_get(epfd);
    if (!epf)
        return -EBADF;
    if (!lfile_is_epoll(epf)) {
        lfile_put(epf);
        return -EINVAL;
    }
    struct epoll *ep = epf->priv;
    int max = maxevents < EP_BATCH ? maxevents : EP_BATCH;
    struct lx_epoll_event *buf = malloc((size_t)max * sizeof(*buf));
    long rc = buf ? 0 : -ENOMEM;
    while (buf) {
        unsigned seen = lpoll_sleep_gen(&ep->sleep);
        int n = collect(ep, buf, max);
        if (n) {
            rc = copy_to_user(uevents, buf, (size_t)n * sizeof(*buf)) ? -EFAULT : n;
            break;
        }
        if (immediate)
            break;
        int e = lpoll_sleep_wait(&ep->sleep, seen, deadline);
        if (e == -ETIMEDOUT)
            break;
        if (e == -EINTR) {
            rc = -EINTR;
            break;
        }
    }
    free(buf);
    lfile_put(epf);
    return rc;
}

/* epoll_wait's millisecond time-out: -1 (any negative) waits forever. */
static long wait_ms(const struct sysargs *s, const void *umask, size_t masksize)
{
    int timeout = (int)s->a[3];
    int e = lpoll_sigmask_enter(umask, masksize);
    if (e)
        return e;
    uint64_t deadline = timeout > 0 ? lpoll_deadline_after((uint64_t)timeout * 1000000ull) : 0;
    long rc = do_wait((int)s->a[0], (void *)s->a[1], (int)s->a[2], deadline, timeout == 0);
    lpoll_sigmask_leave(umask != NULL, rc);
    return rc; /* EINTR even with SA_RESTART, as Linux's epoll_wait */
}

SYSCALL_DECL(epoll_wait) { return wait_ms(s, NULL, 0); }

SYSCALL_DECL(epoll_pwait) { return wait_ms(s, (const void *)s->a[4], s->a[5]); }

SYSCALL_DECL(epoll_pwait2)
{
    uint64_t deadline = 0;
    bool immediate = false;
    if (s->a[3]) {
        struct { int64_t sec, nsec; } ts;
        if (copy_from_user(&ts, (const void *)s->a[3], sizeof ts))
            return -EFAULT;
        if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= 1000000000)
            return -EINVAL;
        immediate = !ts.sec && !ts.nsec;
        if (!immediate)
            deadline = lpoll_deadline_after((uint64_t)ts.sec > (1ull << 33) ? UINT64_MAX
                                                                           : (uint64_t)ts.sec * 1000000000ull + (uint64_t)ts.nsec);
    }
    int e = lpoll_sigmask_enter((const void *)s->a[4], s->a[5]);
    if (e)
        return e;
    long rc = do_wait((int)s->a[0], (void *)s->a[1], (int)s->a[2], deadline, immediate);
    lpoll_sigmask_leave(s->a[4] != 0, rc);
    return rc;
}
