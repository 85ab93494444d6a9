# libFuzzer target for select's bitmaps and poll's revents (linux/poll_sets.c).
FUZZ_TARGETS += fuzz_poll_sets
fuzz_fuzz_poll_sets_SRCS := tests/fuzz/fuzz_poll_sets.c linux/poll_sets.c
