# Stop sources' pure logic: Ctrl-Alt-Del in i8042 scancode streams.
UNIT_TESTS += test_i8042_keys
test_i8042_keys_SRCS := tests/unit/test_i8042_keys.c drivers/misc/i8042_keys.c
