# pvclock arithmetic (kvmclock and the Xen clock share it) and TSC rate derivation.
UNIT_TESTS += test_pvclock
test_pvclock_SRCS := tests/unit/test_pvclock.c drivers/clock/pvclock.c drivers/clock/tsc_freq.c
