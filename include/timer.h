/* One-shot kernel timers on the monotonic clock. Callbacks run in interrupt
 * context with interrupts off: they may wake threads, not block. The event
 * timer is programmed only for the earliest deadline (no periodic tick). */
#ifndef KESTREL_TIMER_H
#define KESTREL_TIMER_H
#include <stdbool.h>
#include <stdint.h>

struct timer;
struct cpu;
typedef void (*timer_fn)(struct timer *t, void *arg);

struct timer {
    uint64_t deadline; /* monotonic ns */
    timer_fn fn;
    void *arg;
    struct timer *next;
    struct cpu *cpu; /* whose list it is on; timers fire on the CPU that armed them */
    bool armed;
};

/* Event timers: what wakes a CPU at a deadline. The LAPIC (TSC-deadline or
 * one-shot) is the default; Xen's single-shot timer replaces it there. */
struct event_timer {
    const char *name;
    void (*program_ns)(uint64_t ns); /* fire once ns from now; 0 = stop */
    void (*cpu_init)(void);          /* per-CPU set-up on each AP */
};

void event_timer_set(const struct event_timer *et);
/* What an event timer's interrupt handler calls (the LAPIC's is built in). */
void timer_expire(void);
const struct event_timer *event_timer_current(void);

void timer_init(void);
void timer_setup(struct timer *t, timer_fn fn, void *arg);
void timer_arm(struct timer *t, uint64_t deadline_ns);
/* true if it was armed (its callback will not run); false if it had
 * expired (its callback has run, or is running on the CPU that armed it). */
bool timer_cancel(struct timer *t);

#endif
