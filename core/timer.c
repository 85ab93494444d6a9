/* Kernel timers: a deadline-sorted list; the LAPIC timer is programmed for
 * the head only, so nothing ticks while nothing is due. */
#include <stddef.h>
#include "clock.h"
#include "irq.h"
#include "spinlock.h"
#include "timer.h"

static struct spinlock lk = SPINLOCK_INIT;
static struct timer *head;

static void reprogram_locked(void)
{
    if (!head) {
        lapic_timer_oneshot_ns(0);
        return;
    }
    uint64_t now = clock_monotonic_ns();
    lapic_timer_oneshot_ns(head->deadline > now ? head->deadline - now : 1);
}

static void remove_locked(struct timer *t)
{
    for (struct timer **pp = &head; *pp; pp = &(*pp)->next) {
        if (*pp == t) {
            *pp = t->next;
            break;
        }
    }
    t->next = NULL;
    t->armed = false;
}

void timer_setup(struct timer *t, timer_fn fn, void *arg)
{
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    t->armed = false;
    t->deadline = 0;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    uint64_t flags = spin_lock_irqsave(&lk);
    if (t->armed)
        remove_locked(t);
    t->deadline = deadline_ns;
    struct timer **pp = &head;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    if (head == t)
        reprogram_locked();
    spin_unlock_irqrestore(&lk, flags);
}

void timer_cancel(struct timer *t)
{
    uint64_t flags = spin_lock_irqsave(&lk);
    if (t->armed) {
        int was_head = head == t;
        remove_locked(t);
        if (was_head)
            reprogram_locked();
    }
    spin_unlock_irqrestore(&lk, flags);
}

static void timer_interrupt(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    uint64_t flags = spin_lock_irqsave(&lk);
    uint64_t now = clock_monotonic_ns();
    struct timer *expired = NULL, **tail = &expired;
    while (head && head->deadline <= now) {
        struct timer *t = head;
        head = t->next;
        t->next = NULL;
        t->armed = false;
        *tail = t;
        tail = &t->next;
    }
    reprogram_locked();
    spin_unlock_irqrestore(&lk, flags);
    while (expired) {
        struct timer *t = expired;
        expired = t->next;
        t->next = NULL;
        if (t->fn)
            t->fn(t, t->arg);
    }
}

void timer_init(void) { irq_set_handler(VEC_LAPIC_TIMER, timer_interrupt, NULL); }
