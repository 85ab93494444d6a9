/* drivers/clock/: clock sources and the timers used to calibrate them.
 * pit.c polls the 8254's channel 0 to measure other counters against it. */
#include "arch/x86.h"
#include "clock.h"
#include "irq.h"

static uint16_t pit_read(void)
{
    outb(0x43, 0x00); /* latch channel 0 */
    uint8_t lo = inb(0x40);
    uint8_t hi = inb(0x40);
    return (uint16_t)(lo | (hi << 8));
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
    prev = pit_read();
    uint64_t t0 = rdtsc();
    uint32_t l0 = lapic_timer_count();
    uint64_t elapsed = 0;
    while (elapsed < target) {
        uint16_t cur = pit_read();
        elapsed += (uint16_t)(prev - cur);
        prev = cur;
    }
    *tsc_delta = rdtsc() - t0;
    *lapic_delta = l0 - lapic_timer_count();
    *pit_ticks = elapsed;
    return 0;
}
