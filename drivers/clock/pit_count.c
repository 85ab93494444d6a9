/* PIT tick counting across missed wraps (see pit_count.h). */
#include "pit_count.h"

uint64_t pit_elapsed_ticks(uint16_t prev, uint16_t cur, uint64_t expected)
{
    uint64_t ticks = (uint16_t)(prev - cur);
    /* Whole periods lost while nobody read the counter (the vCPU was stalled,
     * an SMI ran): rounded, so a reference off by up to half a period (27 ms)
     * still counts them right, and a small gap never adds one. */
    if (expected > ticks + PIT_PERIOD / 2)
        ticks += (expected - ticks + PIT_PERIOD / 2) / PIT_PERIOD * PIT_PERIOD;
    return ticks;
}

int pit_calibration_ok(uint64_t max_gap, uint64_t total, uint64_t bracket)
{
    return total > 0 && max_gap <= total / 2 && bracket <= total / 128;
}
