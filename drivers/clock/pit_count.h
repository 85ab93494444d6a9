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

#endif
