# Stop sources: i8042 scancode streams (the AML power-button matcher runs
# under fuzz_acpi_table, through acpi_aml_scan).
FUZZ_TARGETS += fuzz_i8042_keys
fuzz_fuzz_i8042_keys_SRCS := tests/fuzz/fuzz_i8042_keys.c drivers/misc/i8042_keys.c
