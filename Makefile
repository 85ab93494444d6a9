# Kestrel: `make` builds build/kestrel.elf for APP (default hello);
# `make run` boots it on the default preset; `make check` runs every test.

APP ?= hello
PRESET ?= microvm
BUILD ?= build
CC := gcc
HOSTCC := gcc
FUZZCC := clang
# Debian's python3 carries python3-pytest (a pyenv python3 may come first in PATH).
PYTHON := $(firstword $(wildcard /usr/bin/python3) python3)

# Quiet by default: one short line per step; `make V=1` prints the full commands.
ifeq ($(V),1)
Q :=
quiet = @true
else
Q := @
quiet = @printf '  %-6s %s\n'
endif

KCFLAGS := -std=gnu11 -O2 -g -ffreestanding -fno-pic -fno-pie -fno-stack-protector \
	-fno-omit-frame-pointer -fno-asynchronous-unwind-tables -fno-strict-aliasing \
	-fno-delete-null-pointer-checks \
	-mno-red-zone -mgeneral-regs-only -mcmodel=small -ffunction-sections -fdata-sections \
	-Wall -Wextra -Werror -Wno-unused-parameter \
	-nostdinc -isystem $(shell $(CC) -print-file-name=include) -Iinclude -Ilib/include
KASFLAGS := -D__ASSEMBLY__ -Iinclude
KLDFLAGS := -nostdlib -static -no-pie -Wl,-T,arch/x86_64/kernel.ld -Wl,--gc-sections \
	-Wl,-z,max-page-size=4096 -Wl,--build-id=none -Wl,-z,noexecstack

# Xen's public headers (Debian's libxen-dev) are the ABI the Xen drivers
# speak. They are reached through a directory holding only xen/ (a link made
# here, never committed): -I/usr/include would mix the host libc's headers
# with ours. Interface version: Xen 4.17's (__XEN_LATEST_INTERFACE_VERSION__).
XEN_HEADERS := /usr/include/xen
XEN_INC := $(BUILD)/xen-include
XEN_CFLAGS := -I$(XEN_INC) -D__XEN_INTERFACE_VERSION__=0x00040e00
KCFLAGS += $(XEN_CFLAGS)
KASFLAGS += $(XEN_CFLAGS)

HOST_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=address,undefined \
	-fno-sanitize-recover=all -Iinclude -DHOST_TEST $(XEN_CFLAGS)
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude -DHOST_TEST $(XEN_CFLAGS)
FUZZ_SECONDS ?= 20

# Drivers are listed by folder; a build may leave folders out to get smaller.
DRIVER_DIRS := drivers/misc drivers/clock drivers/acpi drivers/firmware drivers/pci drivers/virtio drivers/scsi \
	drivers/vmw \
	drivers/xen
DRIVER_DIRS += drivers/nvme
DRIVER_DIRS += drivers/ahci drivers/e1000
KSRCS := $(wildcard arch/x86_64/*.S arch/x86_64/*.c core/*.c lib/*.c platforms/*.c) \
	$(foreach d,$(DRIVER_DIRS),$(wildcard $(d)/*.c $(d)/*.S))
KSRCS += $(wildcard fs/*.c)
# The Linux ABI (linux/): loader, system-call entry and table, call families.
KSRCS += $(wildcard linux/*.c linux/*.S)
KOBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(KSRCS)))

# TCP/IP: lwIP from Debian's source package, unpacked into $(BUILD)/lwip by
# scripts/fetch-lwip, plus our port and glue in net/ (docs/net.md).
.DEFAULT_GOAL := all
LWIP_DIR := $(BUILD)/lwip
LWIP_STAMP := $(LWIP_DIR)/src/include/lwip/init.h
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c api/api_lib.c api/api_msg.c api/err.c api/netbuf.c \
	api/netdb.c api/sockets.c api/tcpip.c netif/ethernet.c
LWIP_OBJS := $(patsubst %.c,$(BUILD)/obj/lwip/%.o,$(LWIP_FILES))
NET_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(wildcard net/*.c))
KCFLAGS += -Inet/port -I$(LWIP_DIR)/src/include
# lwIP's own code, not ours: its few benign warnings are not errors here.
LWIP_CFLAGS := $(filter-out -Werror,$(KCFLAGS)) -Werror=implicit-function-declaration -Wno-address -Wno-sign-compare -Wno-type-limits
KOBJS += $(NET_OBJS) $(LWIP_OBJS)

$(LWIP_STAMP):
	scripts/fetch-lwip $(LWIP_DIR)

$(LWIP_OBJS): $(BUILD)/obj/lwip/%.o: $(LWIP_STAMP)
	@mkdir -p $(@D)
	$(quiet) CC lwip/$*.c
	$(Q)$(CC) $(LWIP_CFLAGS) -MMD -MP -c $(LWIP_DIR)/src/$*.c -o $@

$(NET_OBJS) $(BUILD)/obj/lib/errno.o: | $(LWIP_STAMP)
APPS := $(notdir $(wildcard apps/*))

.PHONY: all kernel apps loader run check check-quick check-unit check-boot check-fuzz check-xen check-bench deps clean bench
all: kernel

kernel: $(BUILD)/kestrel.elf

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(KCFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/obj/%.o: %.S
	@mkdir -p $(@D)
	$(quiet) AS $<
	$(Q)$(CC) $(KASFLAGS) -MMD -MP -c $< -o $@

define app_rules
$(1)_OBJS := $$(patsubst %.c,$(BUILD)/obj/%.o,$$(wildcard apps/$(1)/*.c)) $(BUILD)/obj/apps/$(1)/app_name.o
$(BUILD)/obj/apps/$(1)/app_name.c:
	@mkdir -p $$(@D)
	$(Q)echo 'const char kestrel_app_name[] = "$(1)";' > $$@
$(BUILD)/obj/apps/$(1)/app_name.o: $(BUILD)/obj/apps/$(1)/app_name.c
	$$(quiet) CC $$<
	$(Q)$$(CC) $$(KCFLAGS) -c $$< -o $$@
$(BUILD)/app-$(1).elf: $$(KOBJS) $$($(1)_OBJS) arch/x86_64/kernel.ld
	$$(quiet) LD $$@
	$(Q)$$(CC) $$(KLDFLAGS) -o $$@ $$(KOBJS) $$($(1)_OBJS)
endef
$(foreach a,$(APPS),$(eval $(call app_rules,$(a))))
$(foreach a,$(APPS),$($(a)_OBJS)): | $(LWIP_STAMP)

$(XEN_INC)/xen:
	@test -f $(XEN_HEADERS)/io/ring.h || { echo "$(XEN_HEADERS) is missing: run scripts/deps (libxen-dev)" >&2; exit 1; }
	@mkdir -p $(@D)
	$(Q)ln -sfn $(XEN_HEADERS) $@
$(KOBJS) $(foreach a,$(APPS),$($(a)_OBJS)): | $(XEN_INC)/xen

$(BUILD)/kestrel.elf: $(BUILD)/app-$(APP).elf
	$(quiet) STRIP $@
	$(Q)cp $< $@
	$(Q)strip -o $(BUILD)/kestrel-stripped.elf $@

apps: $(foreach a,$(APPS),$(BUILD)/app-$(a).elf)

# Kestrel's BIOS loader (loader/bios): flat binaries that scripts/mkimage
# patches into a disk. Stage 1 runs at 0x7c00, stage 2 at 0x8000.
LOADER_BINS := $(BUILD)/loader/mbr.bin $(BUILD)/loader/stage2.bin
$(BUILD)/loader/%.bin: loader/bios/%.S
	@mkdir -p $(@D)
	$(quiet) AS $<
	$(Q)$(CC) -m32 -c -o $(BUILD)/loader/$*.o $<
	$(Q)ld -m elf_i386 -Ttext=$(if $(filter mbr,$*),0x7c00,0x8000) --oformat=binary -o $@ $(BUILD)/loader/$*.o
loader: $(LOADER_BINS)

deps:
	@scripts/deps

run: deps kernel
	scripts/run --preset $(PRESET) --kernel $(BUILD)/kestrel.elf -- $(APP) $(ARGS)

# ---- host unit tests (pure logic, ASan + UBSan) ----
UNIT_TESTS :=
include $(wildcard tests/unit/*.mk)
UNIT_BINS := $(addprefix $(BUILD)/host/unit/,$(UNIT_TESTS))

.SECONDEXPANSION:
$(BUILD)/host/unit/%: $$($$*_SRCS) tests/unit/host_shim.c tests/unit/check.h | $(XEN_INC)/xen
	@mkdir -p $(@D)
	$(quiet) HOSTCC $@
	$(Q)$(HOSTCC) $(HOST_CFLAGS) -o $@ $($*_SRCS) tests/unit/host_shim.c

check-unit: $(UNIT_BINS)
	@set -e; for t in $(UNIT_BINS); do $$t; done

# ---- fuzz targets (libFuzzer), run briefly by make check ----
FUZZ_TARGETS :=
include $(wildcard tests/fuzz/*.mk)
FUZZ_BINS := $(addprefix $(BUILD)/host/fuzz/,$(FUZZ_TARGETS))

$(BUILD)/host/fuzz/%: $$(fuzz_$$*_SRCS) tests/unit/host_shim.c | $(XEN_INC)/xen
	@mkdir -p $(@D)
	$(quiet) FUZZCC $@
	$(Q)$(FUZZCC) $(FUZZ_CFLAGS) -o $@ $(fuzz_$*_SRCS) tests/unit/host_shim.c

check-fuzz: $(FUZZ_BINS)
	@set -e; for t in $(FUZZ_TARGETS); do \
		corpus=$(BUILD)/fuzz-corpus/$$t; mkdir -p $$corpus; \
		seeds=$$(cat tests/fuzz/$$t.seeds 2>/dev/null || true); \
		echo "fuzz $$t: $(FUZZ_SECONDS) s"; \
		$(BUILD)/host/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 $$corpus $$seeds \
			> $(BUILD)/fuzz-$$t.log 2>&1 || { tail -40 $(BUILD)/fuzz-$$t.log; exit 1; }; \
	done

# ---- boot tests under QEMU ----
check-boot: apps
	$(PYTHON) -m pytest -q tests/boot

check-quick: deps kernel check-unit check-boot

# The real Xen 4.17 hypervisor with a Debian dom0 under QEMU TCG, running
# Kestrel as PVH and HVM guests (tests/xen/README.md). About 4 minutes, plus
# about 3 the first time while it builds its images into build/xen.
check-xen: deps apps
	$(PYTHON) -m pytest -q tests/xen
	tests/xen/run --tests pvh+hvm

# A short benchmark run proves bench/boot works on a fresh machine.
check-bench: kernel
	bench/boot --quick

check: deps kernel check-unit check-fuzz check-boot check-xen check-bench

bench: deps kernel
	bench/boot

clean:
	rm -rf $(BUILD)

-include $(KOBJS:.o=.d) $(wildcard $(BUILD)/obj/apps/*/*.d)
