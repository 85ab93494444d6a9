# libFuzzer targets for every parser of untrusted input. `make check` runs
# each for FUZZ_SECONDS, seeded with tests/fuzz/NAME.seeds (paths, if any).
FUZZ_FW := drivers/acpi/acpi.c drivers/acpi/acpi_madt.c drivers/acpi/acpi_fadt.c drivers/acpi/acpi_aml.c drivers/acpi/acpi_aml_eval.c drivers/acpi/acpi_prt.c drivers/acpi/acpi_event.c \
	drivers/firmware/mptable.c drivers/firmware/smbios.c drivers/firmware/efi_tables.c
FUZZ_TARGETS += fuzz_fw_image fuzz_acpi_table fuzz_boot_info fuzz_cmdline
fuzz_fuzz_fw_image_SRCS := tests/fuzz/fuzz_fw_image.c tests/unit/fw_image.c $(FUZZ_FW)
fuzz_fuzz_acpi_table_SRCS := tests/fuzz/fuzz_acpi_table.c $(FUZZ_FW)
fuzz_fuzz_boot_info_SRCS := tests/fuzz/fuzz_boot_info.c core/boot_info.c
fuzz_fuzz_cmdline_SRCS := tests/fuzz/fuzz_cmdline.c core/cmdline.c
FUZZ_TARGETS += fuzz_virtio_mmio_param
fuzz_fuzz_virtio_mmio_param_SRCS := tests/fuzz/fuzz_virtio_mmio_param.c drivers/virtio/mmio_param.c
FUZZ_TARGETS += fuzz_virtqueue
fuzz_fuzz_virtqueue_SRCS := tests/fuzz/fuzz_virtqueue.c drivers/virtio/virtqueue.c
FUZZ_TARGETS += fuzz_xs_wire
fuzz_fuzz_xs_wire_SRCS := tests/fuzz/fuzz_xs_wire.c drivers/xen/xs_wire.c
FUZZ_TARGETS += fuzz_efi_tables
fuzz_fuzz_efi_tables_SRCS := tests/fuzz/fuzz_efi_tables.c $(FUZZ_FW)
FUZZ_TARGETS += fuzz_nvme
fuzz_fuzz_nvme_SRCS := tests/fuzz/fuzz_nvme.c drivers/nvme/nvme_queue.c drivers/nvme/nvme_prp.c \
	drivers/nvme/nvme_identify.c
# The AML evaluator and _PRT extraction; seeds: the fixtures' DSDTs and our own
# test DSDT (tests/fixtures/aml, compiled by the rule in tests/unit/firmware.mk)
# and Xen hvmloader's DSDTs (XEN_DSDT, fetched by the rule there).
FUZZ_TARGETS += fuzz_acpi_prt
fuzz_fuzz_acpi_prt_SRCS := tests/fuzz/fuzz_acpi_prt.c $(FUZZ_FW)
PRT_FUZZ_SEEDS := $(BUILD)/fuzz-seeds/acpi_prt.stamp
$(PRT_FUZZ_SEEDS): tests/fuzz/make_prt_seeds.py $(wildcard tests/fixtures/firmware/*.bin) $(BUILD)/aml/vbox_style.aml \
		$(BUILD)/aml/bridge_prt.aml $(XEN_DSDT)
	$(PYTHON) tests/fuzz/make_prt_seeds.py $(BUILD)/fuzz-seeds/acpi_prt $(BUILD)/aml/vbox_style.aml $(BUILD)/aml/bridge_prt.aml \
		$(dir $(XEN_DSDT))xen_dsdt_*.aml
	touch $@
check-fuzz: $(PRT_FUZZ_SEEDS)
