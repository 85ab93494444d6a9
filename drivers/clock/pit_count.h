/* Counting PIT ticks between two polls of a 16-bit down-counter that wraps
 * every 65536 ticks: pure logic, shared with host tests. */
#ifndef KESTREL_PIT_COUNT_H
#define KESTREL_PIT_COUNT_H
#include <stdint.h>

#define PIT_PERIOD 65536u

/* Ticks from a read of prev to a read of cur. expected is the elapsed time
 * in PIT ticks by another, coarser reference (the TSC), or 0 for none: the
 * counter alone cannot tell how many whole periods passed between two reads,
 * so periods the reference says were missed are added back. */
uint64_t pit_elapsed_ticks(uint16_t prev, uint16_t cur, uint64_t expected);

/* Whether a calibration against the PIT (pit_measure) must be done again:
 * a vCPU stalled for a PIT period (55 ms, a busy host) between two polls
 * loses whole periods that the measured counter (the TSC) still counts, and
 * there is no reference yet to count them back. Such a stall is the largest
 * gap between two polls making up more than half of the whole measurement
 * (max_gap and total in the measured counter's ticks); shorter stalls are
 * harmless, as the PIT counts them too. */
int pit_calibration_stalled(uint64_t max_gap, uint64_t total);

#endif
