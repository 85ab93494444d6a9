# Host unit tests of linux/ pure logic: the ELF header checks and the
# initial stack builder.
UNIT_TESTS += test_elf_parse test_user_stack
test_elf_parse_SRCS := tests/unit/test_elf_parse.c linux/elf_parse.c
test_user_stack_SRCS := tests/unit/test_user_stack.c linux/user_stack.c
