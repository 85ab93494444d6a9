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

/* Whether a calibration against the PIT (pit_measure) can be trusted.
 * total: the measured counter's (the TSC's) ticks from the first PIT latch
 * to the last; max_gap: the largest between two polls; bracket: the TSC
 * ticks around the first and the last latch together (the latch happened
 * somewhere inside them). A vCPU stalled for a PIT period (55 ms, a busy
 * host) loses whole periods the TSC still counts: a gap of more than half
 * the measurement. A stall at either end puts an unknown time between the
 * latch and its TSC reading: a bracket over 1/128 of the measurement (the
 * rate could be off by more than 0.4%). Stalls in between are harmless,
 * as the PIT counts them too. */
int pit_calibration_ok(uint64_t max_gap, uint64_t total, uint64_t bracket);

#endif
