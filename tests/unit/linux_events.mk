# Host unit test of linux/poll_sets.c: poll's revents and select's bitmaps.
UNIT_TESTS += test_poll_sets
test_poll_sets_SRCS := tests/unit/test_poll_sets.c linux/poll_sets.c
