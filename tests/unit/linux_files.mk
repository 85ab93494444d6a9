# Host unit tests of the Linux ABI's file side: stat/statx layouts,
# getdents64 packing, iovec validation, path joining, /proc texts.
UNIT_TESTS += test_linux_layout
test_linux_layout_SRCS := tests/unit/test_linux_layout.c linux/layout.c linux/proc_text.c
# fs/vfs.c's vnode-level calls (canonical paths, open's checks).
UNIT_TESTS += test_vfs_vn
test_vfs_vn_SRCS := tests/unit/test_vfs_vn.c fs/vfs.c fs/ramfs.c fs/cpio.c
