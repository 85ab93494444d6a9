/* PIT tick counting: wraps seen by the counter alone, and whole periods
 * that only the reference (the TSC) saw pass. */
#include "check.h"
#include "../../drivers/clock/pit_count.h"

int main(void)
{
    /* No reference: the counter's own difference, modulo one period. */
    CHECK_EQ(pit_elapsed_ticks(1000, 400, 0), 600u);
    CHECK_EQ(pit_elapsed_ticks(100, 65000, 0), 636u); /* wrapped once */
    CHECK_EQ(pit_elapsed_ticks(5, 5, 0), 0u);
    /* A reference close to the counter adds nothing, even if it is off by
     * almost half a period either way. */
    CHECK_EQ(pit_elapsed_ticks(1000, 400, 600), 600u);
    CHECK_EQ(pit_elapsed_ticks(1000, 400, 600 + 32000), 600u);
    CHECK_EQ(pit_elapsed_ticks(1000, 400, 1), 600u);
    /* A stall of 2 s (about 36 periods) while nobody read the counter. */
    uint64_t real = 2 * 1193182u;
    uint16_t prev = 40000, cur = (uint16_t)(prev - real % PIT_PERIOD);
    CHECK_EQ(pit_elapsed_ticks(prev, cur, real), real);
    CHECK_EQ(pit_elapsed_ticks(prev, cur, real + 20000), real); /* reference 17 ms fast */
    CHECK_EQ(pit_elapsed_ticks(prev, cur, real - 20000), real); /* or slow */
    /* Exactly one missed period. */
    CHECK_EQ(pit_elapsed_ticks(300, 200, PIT_PERIOD + 100), PIT_PERIOD + 100u);
    /* A huge reference (a day) cannot overflow the arithmetic. */
    uint64_t day = 86400ull * 1193182u;
    CHECK_EQ(pit_elapsed_ticks(0, (uint16_t)(0 - day % PIT_PERIOD), day), day);
    /* Calibration: 2 ms at 2 GHz (4,000,000 TSC ticks) in polls of ~2 us,
     * latches bracketed by 4,000 ticks each, is clean. */
    CHECK_EQ(pit_calibration_ok(4000, 4000000, 8000), 1);
    CHECK_EQ(pit_calibration_ok(1000000, 4000000, 8000), 1); /* a 0.5 ms preemption: the PIT counts it */
    /* A PIT period (55 ms) lost between two polls. */
    CHECK_EQ(pit_calibration_ok(110000000, 114000000, 8000), 0);
    /* A 3 ms stall inside the last latch's bracket: the PIT counted 5 ms,
     * the TSC's reading says 2 (a 870 MHz TSC for a 2 GHz one, seen). */
    CHECK_EQ(pit_calibration_ok(4000, 4000000, 6000000), 0);
    CHECK_EQ(pit_calibration_ok(4000, 4000000, 31250), 1); /* 1/128: 0.4% at worst */
    CHECK_EQ(pit_calibration_ok(4000, 4000000, 31251), 0);
    CHECK_EQ(pit_calibration_ok(0, 0, 0), 0);
    return check_report("test_pit_count");
}
