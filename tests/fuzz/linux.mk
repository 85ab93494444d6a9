# libFuzzer targets for linux/'s parsers of program-supplied bytes.
FUZZ_TARGETS += fuzz_elf_parse fuzz_user_stack
fuzz_fuzz_elf_parse_SRCS := tests/fuzz/fuzz_elf_parse.c linux/elf_parse.c
fuzz_fuzz_user_stack_SRCS := tests/fuzz/fuzz_user_stack.c linux/user_stack.c
# The file side: iovec arrays and getdents64 packing.
FUZZ_TARGETS += fuzz_linux_files
fuzz_fuzz_linux_files_SRCS := tests/fuzz/fuzz_linux_files.c linux/layout.c
# fuzz_elf_parse starts from real programs' headers (static, dynamic, loaders).
ELF_FUZZ_SEEDS := $(BUILD)/fuzz-seeds/elf.stamp
$(ELF_FUZZ_SEEDS): tests/fuzz/make_elf_seeds.sh
	tests/fuzz/make_elf_seeds.sh $(BUILD)/fuzz-seeds
	touch $@
check-fuzz: $(ELF_FUZZ_SEEDS)
