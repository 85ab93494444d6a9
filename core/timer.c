/* Kernel timers: a deadline-sorted list per CPU; each CPU's LAPIC timer is
 * programmed for its list's head only, so nothing ticks while nothing is
 * due. One lock covers all lists: timers move between CPUs when re-armed. */
#include <stddef.h>
#include "clock.h"
#include "cpu.h"
#include "irq.h"
#include "spinlock.h"
#include "log.h"
#include "timer.h"

static struct spinlock lk = SPINLOCK_INIT;
static const struct event_timer *event;

void event_timer_set(const struct event_timer *et) { event = et; }
const struct event_timer *event_timer_current(void) { return event; }

static void reprogram_locked(struct cpu *c)
{
    if (!c->timers) {
        event->program_ns(0);
        return;
    }
    uint64_t now = clock_monotonic_ns();
    event->program_ns(c->timers->deadline > now ? c->timers->deadline - now : 1);
}

static void remove_locked(struct timer *t)
{
    for (struct timer **pp = &t->cpu->timers; *pp; pp = &(*pp)->next) {
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
    t->cpu = NULL;
    t->armed = false;
    t->deadline = 0;
}

void timer_arm(struct timer *t, uint64_t deadline_ns)
{
    uint64_t flags = spin_lock_irqsave(&lk);
    if (t->armed)
        remove_locked(t);
    struct cpu *c = this_cpu();
    t->cpu = c;
    t->deadline = deadline_ns;
    struct timer **pp = &c->timers;
    while (*pp && (*pp)->deadline <= deadline_ns)
        pp = &(*pp)->next;
    t->next = *pp;
    *pp = t;
    t->armed = true;
    if (c->timers == t)
        reprogram_locked(c);
    spin_unlock_irqrestore(&lk, flags);
}

bool timer_cancel(struct timer *t)
{
    uint64_t flags = spin_lock_irqsave(&lk);
    bool was_armed = t->armed;
    if (was_armed) {
        struct cpu *c = t->cpu;
        int was_head = c->timers == t;
        remove_locked(t);
        /* Another CPU's LAPIC may fire early for it; it finds nothing due. */
        if (was_head && c == this_cpu())
            reprogram_locked(c);
    }
    spin_unlock_irqrestore(&lk, flags);
    return was_armed;
}

/* Due timers are taken off the list one at a time under the lock and run
 * with it dropped. A private list of expired timers, chained through their
 * own next fields, broke when a callback here or another CPU re-armed one of
 * them before it ran: timer_arm rewrote its next and the rest of the list
 * was lost (or another CPU's list was walked as if expired). */
#define TIMERS_PER_INTERRUPT 64

static void timer_interrupt(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    uint64_t now = clock_monotonic_ns();
    uint64_t flags = spin_lock_irqsave(&lk);
    struct cpu *c = this_cpu();
    /* Bounded, with now fixed: a callback re-arming itself in the past cannot keep us here. */
    for (unsigned n = 0; n < TIMERS_PER_INTERRUPT && c->timers && c->timers->deadline <= now; n++) {
        struct timer *t = c->timers;
        c->timers = t->next;
        t->next = NULL;
        t->armed = false;
        spin_unlock_irqrestore(&lk, flags);
        if (t->fn)
            t->fn(t, t->arg);
        flags = spin_lock_irqsave(&lk);
    }
    reprogram_locked(c);
    spin_unlock_irqrestore(&lk, flags);
}

void timer_expire(void) { timer_interrupt(NULL, NULL); }

void timer_init(void)
{
    irq_set_handler(VEC_LAPIC_TIMER, timer_interrupt, NULL);
    if (!event)
        event = lapic_event_timer();
    pr_info("timer: %s, no periodic tick\n", event->name);
}
