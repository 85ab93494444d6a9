# Host unit tests of the Linux ABI's file side: stat/statx layouts,
# getdents64 packing, iovec validation, path joining, /proc texts.
UNIT_TESTS += test_linux_layout
test_linux_layout_SRCS := tests/unit/test_linux_layout.c linux/layout.c linux/proc_text.c
