/* signalfd: the calling thread's pending signals of a mask, read as
 * struct signalfd_siginfo records. Reading takes them as delivery would
 * (the program keeps them blocked so no handler runs first). Every
 * signalfd is on one list so a raised signal can tell its pollers. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "linux_consts.h"
#include "poll_wait.h"
#include "signal_frame.h"
#include "spinlock.h"
#include "thread.h"
#include "uaccess.h"

struct lx_signalfd_siginfo { /* 128 bytes */
    uint32_t signo;
    int32_t err, code;
    uint32_t pid, uid;
    int32_t fd;
    uint32_t tid, band, overrun, trapno;
    int32_t status, int_;
    uint64_t ptr, utime, stime, addr;
    uint16_t addr_lsb;
    uint8_t pad[46];
};
_Static_assert(sizeof(struct lx_signalfd_siginfo) == 128, "signalfd_siginfo layout");

struct sigfd {
    lsigset_t mask;
    struct lfile *self;
    struct lpoll_sleep sleep; /* blocked readers */
    struct sigfd *next;
};

static struct spinlock list_lock = SPINLOCK_INIT;
static struct sigfd *all;

void signalfd_notify(void)
{
    uint64_t irq = spin_lock_irqsave(&list_lock);
    for (struct sigfd *s = all; s; s = s->next) {
        lpoll_sleep_wake(&s->sleep);
        lfile_notify(s->self, LX_EPOLLIN);
    }
    spin_unlock_irqrestore(&list_lock, irq);
}

static lsigset_t mask_of(struct sigfd *s) { return __atomic_load_n(&s->mask, __ATOMIC_RELAXED); }

static long sfd_read(struct lfile *f, void *buf, size_t len, uint64_t *pos)
{
    struct sigfd *s = f->priv;
    size_t n = len / sizeof(struct lx_signalfd_siginfo), done = 0;
    if (!n)
        return -EINVAL;
    while (done < n) {
        unsigned seen = lpoll_sleep_gen(&s->sleep);
        struct lsig_info info;
        int sig = signal_take(mask_of(s), &info);
        if (sig) {
            struct lx_signalfd_siginfo si;
            memset(&si, 0, sizeof si);
            si.signo = (uint32_t)sig;
            si.code = info.code;
            if (info.fault) {
                si.addr = info.addr;
                si.trapno = (uint32_t)info.trapno;
            } else
                si.pid = (uint32_t)info.pid;
            memcpy((uint8_t *)buf + done * sizeof si, &si, sizeof si);
            done++;
            continue;
        }
        if (done)
            break;
        if (f->status_flags & LX_O_NONBLOCK)
            return -EAGAIN;
        if (lpoll_sleep_wait(&s->sleep, seen, 0) == -EINTR)
            return -ERESTARTSYS;
    }
    return (long)(done * sizeof(struct lx_signalfd_siginfo));
}

/* Readiness is the polling thread's: its pending signals of the mask. */
static unsigned sfd_poll(struct lfile *f)
{
    struct sigfd *s = f->priv;
    return signal_pending_in(mask_of(s)) ? LX_EPOLLIN | LX_EPOLLRDNORM : 0;
}

static void sfd_release(struct lfile *f)
{
    struct sigfd *s = f->priv;
    uint64_t irq = spin_lock_irqsave(&list_lock);
    for (struct sigfd **pp = &all; *pp; pp = &(*pp)->next) {
        if (*pp == s) {
            *pp = s->next;
            break;
        }
    }
    spin_unlock_irqrestore(&list_lock, irq);
    free(s);
}

static const struct lfile_ops signalfd_ops = {
    .read = sfd_read, .fstat = lfile_anon_fstat, .release = sfd_release, .poll = sfd_poll,
};

bool lfile_is_signalfd(const struct lfile *f) { return f->ops == &signalfd_ops; }

static long do_signalfd(int fd, const void *umask, size_t size, unsigned long flags)
{
    if (size != sizeof(lsigset_t) || (flags & ~(unsigned long)(LX_O_NONBLOCK | LX_O_CLOEXEC)))
        return -EINVAL;
    lsigset_t mask;
    if (copy_from_user(&mask, umask, sizeof mask))
        return -EFAULT;
    mask &= ~SIG_UNBLOCKABLE;
    if (fd != -1) {
        struct lfile *f = fd_get(fd);
        if (!f)
            return -EBADF;
        long rc = -EINVAL;
        if (f->ops == &signalfd_ops) {
            __atomic_store_n(&((struct sigfd *)f->priv)->mask, mask, __ATOMIC_RELAXED);
            rc = fd;
        }
        lfile_put(f);
        if (rc >= 0)
            signalfd_notify();
        return rc;
    }
    struct sigfd *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->mask = mask;
    struct lfile *f = lfile_new(&signalfd_ops, LX_O_RDWR | (flags & LX_O_NONBLOCK), s);
    if (!f) {
        free(s);
        return -ENOMEM;
    }
    s->self = f;
    uint64_t irq = spin_lock_irqsave(&list_lock);
    s->next = all;
    all = s;
    spin_unlock_irqrestore(&list_lock, irq);
    return fd_install(f, 0, flags & LX_O_CLOEXEC);
}

SYSCALL_DECL(signalfd) { return do_signalfd((int)s->a[0], (const void *)s->a[1], s->a[2], 0); }

SYSCALL_DECL(signalfd4) { return do_signalfd((int)s->a[0], (const void *)s->a[1], s->a[2], s->a[3]); }
