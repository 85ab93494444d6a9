# Firmware parsers against captured QEMU tables and corrupted variants.
FW_SRCS := drivers/acpi/acpi.c drivers/acpi/acpi_madt.c drivers/acpi/acpi_fadt.c drivers/acpi/acpi_aml.c drivers/acpi/acpi_aml_eval.c drivers/acpi/acpi_prt.c drivers/acpi/acpi_event.c \
	drivers/firmware/mptable.c drivers/firmware/smbios.c drivers/firmware/efi_tables.c tests/unit/fw_image.c
UNIT_TESTS += test_firmware
test_firmware_SRCS := tests/unit/test_firmware.c $(FW_SRCS)
UNIT_TESTS += test_efi_tables
test_efi_tables_SRCS := tests/unit/test_efi_tables.c $(FW_SRCS)
UNIT_TESTS += test_madt
test_madt_SRCS := tests/unit/test_madt.c $(FW_SRCS)
# ACPI _PRT through the AML evaluator on QEMU's DSDTs, and hostile AML.
UNIT_TESTS += test_acpi_prt
test_acpi_prt_SRCS := tests/unit/test_acpi_prt.c $(FW_SRCS)
# Test DSDTs of our own, compiled by iasl (acpica-tools) at build time.
$(BUILD)/aml/%.aml: tests/fixtures/aml/%.asl
	@mkdir -p $(@D)
	$(quiet) IASL $@
	$(Q)iasl -p $(basename $@) $< >$(basename $@).log 2>&1 || { cat $(basename $@).log; exit 1; }
$(BUILD)/host/unit/test_acpi_prt: $(BUILD)/aml/vbox_style.aml
