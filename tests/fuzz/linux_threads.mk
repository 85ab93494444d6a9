# libFuzzer targets for what a Linux program passes to futex(), signal and clone calls.
FUZZ_TARGETS += fuzz_futex
fuzz_fuzz_futex_SRCS := tests/fuzz/fuzz_futex.c linux/futex_table.c
FUZZ_TARGETS += fuzz_sigframe
fuzz_fuzz_sigframe_SRCS := tests/fuzz/fuzz_sigframe.c linux/signal_frame.c
FUZZ_TARGETS += fuzz_clone
fuzz_fuzz_clone_SRCS := tests/fuzz/fuzz_clone.c linux/clone_args.c
