# e1000 descriptor status and length checks, transmit ring accounting, MAC sources.
UNIT_TESTS += test_e1000
test_e1000_SRCS := tests/unit/test_e1000.c drivers/e1000/e1000_ring.c
