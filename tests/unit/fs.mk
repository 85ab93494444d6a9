# Host unit tests of fs/ pure logic and lib/ helpers (see Makefile: UNIT_TESTS).
UNIT_TESTS += test_sha256 test_ext4 test_cpio test_part
test_sha256_SRCS := tests/unit/test_sha256.c lib/sha256.c
test_ext4_SRCS := tests/unit/test_ext4.c fs/ext4.c fs/ext4_write.c fs/ext4_journal.c fs/ext4_hash.c
test_cpio_SRCS := tests/unit/test_cpio.c fs/cpio.c fs/ramfs.c fs/vfs.c
test_part_SRCS := tests/unit/test_part.c fs/part.c
UNIT_TESTS += test_vfs
test_vfs_SRCS := tests/unit/test_vfs.c fs/vfs.c fs/ramfs.c fs/cpio.c
UNIT_TESTS += test_ext4_rw
test_ext4_rw_SRCS := tests/unit/test_ext4_rw.c fs/ext4.c fs/ext4_write.c fs/ext4_journal.c fs/ext4_hash.c fs/ext4_vnode.c \
	fs/vfs.c fs/ramfs.c fs/cpio.c
