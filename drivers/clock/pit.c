/* drivers/clock/: clock sources and the timers used to calibrate them.
 * pit.c polls the 8254's channel 0 to measure other counters against it. */
#include <stddef.h>
#include "arch/x86.h"
#include "clock.h"
#include "irq.h"
#include "pit_count.h"
#include "spinlock.h"
#include "timer.h"

static uint16_t pit_read(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    return (uint16_t)(lo | (hi << 8));
}

/* One measurement of about target PIT ticks. */
struct pit_attempt {
    uint64_t total;   /* TSC ticks from the middle of the first latch's bracket to the last's */
    uint64_t bracket; /* TSC ticks around the first and the last latch together */
    uint64_t max_gap; /* the largest TSC gap between two polls */
    uint64_t ticks;   /* PIT ticks counted */
    uint32_t lapic;   /* LAPIC timer counts */
};

static __attribute__((noinline)) void pit_attempt(uint64_t target, struct pit_attempt *m)
{
    uint64_t b0 = rdtsc();
    uint16_t prev = pit_read();
    uint64_t a0 = rdtsc(), last = a0, max_gap = 0, bn = b0, an = a0;
    uint32_t l0 = lapic_timer_count();
    uint64_t elapsed = 0;
    while (elapsed < target) {
        bn = rdtsc();
        uint16_t cur = pit_read();
        an = rdtsc();
        if (an - last > max_gap)
            max_gap = an - last;
        last = an;
        elapsed += (uint16_t)(prev - cur);
        prev = cur;
    }
    m->lapic = l0 - lapic_timer_count();
    m->total = (bn + an) / 2 - (b0 + a0) / 2;
    m->bracket = (a0 - b0) + (an - bn);
    m->max_gap = max_gap;
    m->ticks = elapsed;
}

int pit_measure(uint64_t us, uint64_t *tsc_delta, uint64_t *lapic_delta, uint64_t *pit_ticks)
{
    uint64_t target = PIT_HZ * us / 1000000;
    outb(0x43, 0x34); /* channel 0, lo/hi, mode 2 (rate generator), binary */
    outb(0x40, 0);
    outb(0x40, 0); /* reload 65536: wraps every 55 ms, polled far faster */
    uint16_t prev = pit_read();
    /* An absent PIT reads as a constant 0xffff: give up after a while. */
    unsigned same = 0;
    while (pit_read() == prev) {
        if (++same > 1000000)
            return -1;
    }
    /* A pass of one tick first, thrown away: under TCG the first run of
     * the loop is translated between its first latch and the TSC reads
     * around it, which failed the bracket test below in half the boots
     * and cost a second 2 ms attempt. */
    struct pit_attempt m;
    pit_attempt(1, &m);
    /* A stall of the vCPU (seen under TCG on a loaded host: a TSC rate 4.9
     * times too high, or half too low, the clock as far off) is found by
     * pit_calibration_ok: measure again, a few times, and keep the attempt
     * with the tightest ends if none is clean. */
    uint64_t best_bracket = UINT64_MAX;
    for (int attempt = 0; attempt < 5; attempt++) {
        pit_attempt(target, &m);
        int ok = pit_calibration_ok(m.max_gap, m.total, m.bracket);
        /* Every attempt stalled for a PIT period: the last is still a rate. */
        int last_chance = attempt == 4 && best_bracket == UINT64_MAX;
        if (ok || last_chance || (m.max_gap <= m.total / 2 && m.bracket < best_bracket)) {
            best_bracket = m.bracket;
            *tsc_delta = m.total;
            *lapic_delta = m.lapic;
            *pit_ticks = m.ticks;
        }
        if (ok)
            break;
    }
    return 0;
}

/* The calibration window: the PIT starts counting early in the boot and
 * the TSC is measured against it when the clock is set up, so the boot's
 * own work is the measurement and nothing waits 2 ms for it. Channel 0
 * counts down once from 65535 (mode 0); the read-back command latches its
 * count with its status, whose OUT bit says the count ran out (55 ms had
 * passed), when the window is useless and pit_measure is the way. */
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL_COUNT 0x40 /* the count written is not loaded yet */

struct pit_sample {
    uint64_t tsc;     /* the middle of the TSC reads around the latch */
    uint64_t bracket; /* the TSC ticks between them */
    uint16_t count;
    uint8_t status;
};

static void pit_sample(struct pit_sample *s)
{
    uint64_t before = rdtsc();
    outb(0x43, 0xc2); /* read-back: latch channel 0's count and status */
    s->status = inb(0x40);
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    uint64_t after = rdtsc();
    s->count = (uint16_t)(lo | (hi << 8));
    s->tsc = before + (after - before) / 2;
    s->bracket = after - before;
}

static struct pit_sample window_start;
static int window_open;

/* Three samples once the counter runs, the one with the tightest bracket
 * kept: the first run of this code is translated (TCG) or faulted in
 * between its TSC reads. */
#define WINDOW_SAMPLES 3

void pit_window_open(void)
{
    outb(0x43, 0x30); /* channel 0, lo/hi, mode 0 (one count down), binary */
    outb(0x40, 0xff);
    outb(0x40, 0xff);
    struct pit_sample s, best = { .bracket = UINT64_MAX };
    int counting = 0;
    /* An absent PIT reads 0xff everywhere, OUT and null count set: a few
     * hundred polls say so. */
    for (int i = 0; i < 500 && counting < WINDOW_SAMPLES; i++) {
        pit_sample(&s);
        if ((s.status & (PIT_STATUS_OUT | PIT_STATUS_NULL_COUNT)) || s.count == 0xffff)
            continue;
        counting++;
        if (s.bracket < best.bracket)
            best = s;
    }
    window_open = counting == WINDOW_SAMPLES;
    window_start = best;
}

int pit_window_close(uint64_t us, uint64_t *tsc_delta, uint64_t *pit_ticks)
{
    if (!window_open)
        return -1;
    window_open = 0;
    uint64_t target = PIT_HZ * us / 1000000;
    struct pit_sample s, best = { .bracket = UINT64_MAX };
    int taken = 0;
    /* Bounded: a counter that stopped would never reach the target. */
    for (unsigned polls = 0; taken < WINDOW_SAMPLES; polls++) {
        if (polls > 4000000)
            return -1;
        pit_sample(&s);
        if (s.status & PIT_STATUS_OUT)
            return -1;
        if ((uint16_t)(window_start.count - s.count) < target) {
            cpu_relax();
            continue;
        }
        taken++;
        if (s.bracket < best.bracket)
            best = s;
    }
    uint64_t total = best.tsc - window_start.tsc;
    /* OUT still low: the count never wrapped, so stalls in between cost
     * nothing; only the ends' brackets matter. */
    if (!pit_calibration_ok(0, total, window_start.bracket + best.bracket))
        return -1;
    *tsc_delta = total;
    *pit_ticks = (uint16_t)(window_start.count - best.count);
    return 0;
}

/* The PIT as a clock source of last resort: channel 0 counts down from
 * 65536 at 1.193182 MHz and is polled; each read adds the ticks since the
 * previous one. It must be read at least every 55 ms, so while it is the
 * clock a 20 ms timer keeps reading it; where the vCPU was stalled longer
 * than that (a busy host), the TSC, too coarse or unsteady to be the clock
 * but good to a few ms over a gap, says how many wraps were missed. */
#define KEEPALIVE_NS 20000000ull

static struct spinlock pit_lock = SPINLOCK_INIT;
static uint64_t pit_total;
static uint16_t pit_prev;
static uint64_t pit_prev_tsc;
static struct timer keepalive;
static uint64_t pit_mult; /* ns = ticks * pit_mult >> 32 */

static uint64_t pit_read_ns(void)
{
    uint64_t flags = spin_lock_irqsave(&pit_lock);
    uint64_t tsc = rdtsc();
    uint16_t cur = pit_read();
    uint64_t expected = 0, hz = tsc_hz();
    if (hz && tsc > pit_prev_tsc) {
        uint64_t d = tsc - pit_prev_tsc; /* split so that no product overflows */
        expected = d / hz * PIT_HZ + d % hz * PIT_HZ / hz;
    }
    pit_total += pit_elapsed_ticks(pit_prev, cur, expected);
    pit_prev = cur;
    pit_prev_tsc = tsc;
    uint64_t t = pit_total;
    spin_unlock_irqrestore(&pit_lock, flags);
    return (uint64_t)(((unsigned __int128)t * pit_mult) >> 32);
}

static void pit_keepalive(struct timer *t, void *arg)
{
    (void)arg;
    timer_arm(t, pit_read_ns() + KEEPALIVE_NS);
}

static int pit_probe(void)
{
    outb(0x43, 0x34);
    outb(0x40, 0);
    outb(0x40, 0);
    uint16_t a = pit_read();
    for (int i = 0; i < 1000000 && pit_read() == a; i++)
        cpu_relax();
    if (pit_read() == a)
        return -1;
    pit_mult = (1000000000ull << 32) / PIT_HZ;
    pit_prev_tsc = rdtsc();
    pit_prev = pit_read();
    pit_total = 0;
    return 0;
}

/* The keepalive needs the timer code, which starts after clock_init. */
static void pit_timers_ready(void)
{
    timer_setup(&keepalive, pit_keepalive, NULL);
    timer_arm(&keepalive, pit_read_ns() + KEEPALIVE_NS);
}

static uint64_t pit_hz(void) { return PIT_HZ; }

CLOCK_SOURCE(pit_source) = {
    .name = "pit",
    .rating = 100,
    .probe = pit_probe,
    .read_ns = pit_read_ns,
    .freq_hz = pit_hz,
    .timers_ready = pit_timers_ready,
    .stable_across_cpus = true,
};
