/* Readiness notification: the waiters poll, select and epoll attach to an
 * open file, and the wake-up a file sends them when its state changes. */
#include "abi.h"
#include "linux_consts.h"

unsigned lfile_poll(struct lfile *f)
{
    if (!f->ops->poll)
        return LX_EPOLLIN | LX_EPOLLOUT;
    return f->ops->poll(f);
}

void lfile_poll_add(struct lfile *f, struct lpoll_waiter *w)
{
    uint64_t irq = spin_lock_irqsave(&f->poll_lock);
    w->prev = NULL;
    w->next = f->pollers;
    if (f->pollers)
        f->pollers->prev = w;
    f->pollers = w;
    spin_unlock_irqrestore(&f->poll_lock, irq);
}

void lfile_poll_del(struct lfile *f, struct lpoll_waiter *w)
{
    uint64_t irq = spin_lock_irqsave(&f->poll_lock);
    if (w->prev)
        w->prev->next = w->next;
    else if (f->pollers == w)
        f->pollers = w->next;
    if (w->next)
        w->next->prev = w->prev;
    w->next = w->prev = NULL;
    spin_unlock_irqrestore(&f->poll_lock, irq);
}

void lfile_notify(struct lfile *f, unsigned events)
{
    uint64_t irq = spin_lock_irqsave(&f->poll_lock);
    for (struct lpoll_waiter *w = f->pollers; w; w = w->next)
        w->wake(w, f, events);
    spin_unlock_irqrestore(&f->poll_lock, irq);
}

void lfile_poll_free(struct lfile *f)
{
    uint64_t irq = spin_lock_irqsave(&f->poll_lock);
    while (f->pollers) {
        struct lpoll_waiter *w = f->pollers;
        f->pollers = w->next;
        if (f->pollers)
            f->pollers->prev = NULL;
        w->next = w->prev = NULL;
        w->wake(w, f, LX_POLLFREE); /* unlinked first: it may free itself later */
    }
    spin_unlock_irqrestore(&f->poll_lock, irq);
}
