# pvclock arithmetic (kvmclock and the Xen clock share it) and TSC rate derivation.
UNIT_TESTS += test_pvclock
test_pvclock_SRCS := tests/unit/test_pvclock.c drivers/clock/pvclock.c drivers/clock/tsc_freq.c
# PIT tick counting across wraps the counter alone cannot see.
UNIT_TESTS += test_pit_count
test_pit_count_SRCS := tests/unit/test_pit_count.c drivers/clock/pit_count.c
