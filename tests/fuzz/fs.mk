# libFuzzer targets for the fs parsers; seeds are made at build time by
# tests/fuzz/make_fs_seeds.sh (mkfs.ext4 -d, cpio) into build/fuzz-seeds.
FUZZ_TARGETS += fuzz_ext4 fuzz_ext4_rw fuzz_cpio fuzz_part
fuzz_fuzz_ext4_SRCS := tests/fuzz/fuzz_ext4.c fs/ext4.c fs/ext4_write.c fs/ext4_journal.c fs/ext4_hash.c
fuzz_fuzz_ext4_rw_SRCS := tests/fuzz/fuzz_ext4_rw.c fs/ext4.c fs/ext4_write.c fs/ext4_journal.c fs/ext4_hash.c
fuzz_fuzz_cpio_SRCS := tests/fuzz/fuzz_cpio.c fs/cpio.c fs/ramfs.c fs/vfs.c
fuzz_fuzz_part_SRCS := tests/fuzz/fuzz_part.c fs/part.c
FS_FUZZ_SEEDS := $(BUILD)/fuzz-seeds/fs.stamp
$(FS_FUZZ_SEEDS): tests/fuzz/make_fs_seeds.sh
	tests/fuzz/make_fs_seeds.sh $(BUILD)/fuzz-seeds
	touch $@
check-fuzz: $(FS_FUZZ_SEEDS)
