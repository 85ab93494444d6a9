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
# Xen HVM guests' DSDTs: hvmloader (built by Xen, not by the device model)
# embeds them. Debian's xen-utils package ships hvmloader; fetched by apt
# (no installation: `apt-get download`, unpacked with dpkg -x under build/)
# and cut out by tests/unit/xen_dsdt.py. Never committed. The newest
# xen-utils-4.N the configured archive has, unless XEN_UTILS_PKG says.
XEN_DSDT := $(BUILD)/xen-hvmloader/xen_dsdt_0.aml
XEN_UTILS_PKG ?= $(shell apt-cache pkgnames xen-utils-4. 2>/dev/null | grep -x 'xen-utils-4\.[0-9]*' | sort -V | tail -1)
$(XEN_DSDT): tests/unit/xen_dsdt.py
	@mkdir -p $(@D)/pkg
	$(quiet) APT $(XEN_UTILS_PKG)
	$(Q)test -n "$(XEN_UTILS_PKG)" || { echo "no xen-utils-4.N package known to apt (apt-get update?)"; exit 1; }
	$(Q)rm -f $(@D)/pkg/*.deb && cd $(@D)/pkg && apt-get download -q $(XEN_UTILS_PKG) >../apt.log 2>&1 || { cat ../apt.log; exit 1; }
	$(Q)dpkg -x $(@D)/pkg/$(XEN_UTILS_PKG)_*.deb $(@D)/root
	$(Q)$(PYTHON) $< $$(ls $(@D)/root/usr/lib/xen-*/boot/hvmloader | head -1) $(@D)
$(BUILD)/host/unit/test_acpi_prt: $(BUILD)/aml/vbox_style.aml $(BUILD)/aml/bridge_prt.aml $(XEN_DSDT)
