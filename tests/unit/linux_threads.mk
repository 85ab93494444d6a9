# Host unit tests of linux/'s threads, futexes and signals (pure logic).
UNIT_TESTS += test_futex_table
test_futex_table_SRCS := tests/unit/test_futex_table.c linux/futex_table.c
UNIT_TESTS += test_signal_frame
test_signal_frame_SRCS := tests/unit/test_signal_frame.c linux/signal_frame.c
UNIT_TESTS += test_clone_args
test_clone_args_SRCS := tests/unit/test_clone_args.c linux/clone_args.c
