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
FUZZ_SECONDS ?= 8
FUZZ_JOBS ?= $(shell nproc)

# Drivers are listed by folder; a build may leave folders out to get smaller.
DRIVER_DIRS := drivers/misc drivers/clock drivers/acpi drivers/firmware drivers/pci drivers/virtio drivers/scsi \
	drivers/vmw \
	drivers/xen
DRIVER_DIRS += drivers/nvme
DRIVER_DIRS += drivers/ahci drivers/e1000
# ENA (EC2 Nitro) and gVNIC (GCE): their pure logic is host-tested against
# device models (tests/unit/ena.mk, gve.mk).
DRIVER_DIRS += drivers/ena
DRIVER_DIRS += drivers/gve
KSRCS := $(wildcard arch/x86_64/*.S arch/x86_64/*.c core/*.c lib/*.c platforms/*.c) \
	$(foreach d,$(DRIVER_DIRS),$(wildcard $(d)/*.c $(d)/*.S))
KSRCS += $(wildcard fs/*.c)
# The Linux ABI (linux/): loader, system-call entry and table, call families.
KSRCS += $(wildcard linux/*.c linux/*.S)
KOBJS := $(patsubst %,$(BUILD)/obj/%.o,$(basename $(KSRCS)))
# System-call numbers and names, generated from Debian's linux-libc-dev
# header (not a hand copy): __NR_* constants and a number-to-name table.
UNISTD_64 := /usr/include/x86_64-linux-gnu/asm/unistd_64.h
LINUX_GEN := $(BUILD)/gen/linux/syscall_nr.h $(BUILD)/gen/linux/syscall_names.h
KCFLAGS_LINUX := -I$(BUILD)/gen/linux
$(BUILD)/gen/linux/syscall_nr.h: $(UNISTD_64)
	@mkdir -p $(@D)
	$(quiet) GEN $@
	$(Q)grep '^#define __NR_[a-z0-9_]* [0-9]*$$' $< > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/linux/syscall_names.h: $(UNISTD_64)
	@mkdir -p $(@D)
	$(quiet) GEN $@
	$(Q)awk '/^#define __NR_[a-z0-9_]+ [0-9]+$$/ { printf "    [%s] = \"%s\",\n", $$3, substr($$2, 6) }' $< > $@.tmp && mv $@.tmp $@
$(filter $(BUILD)/obj/linux/%,$(KOBJS)): $(LINUX_GEN)

# The vDSO (linux/vdso/): a small shared object of ours, linked at build
# time and embedded by linux/vdso_image.S. It must need no relocation: the
# kernel maps its bytes as they are, so any relocation fails the build.
VDSO_CFLAGS := -std=gnu11 -O2 -fPIC -ffreestanding -fno-stack-protector -fno-builtin -mgeneral-regs-only \
	-fno-asynchronous-unwind-tables -fcf-protection=none -Wall -Wextra -Werror -Iinclude
VDSO_LDFLAGS := -shared -nostdlib -Wl,-T,linux/vdso/vdso.lds -Wl,--version-script=linux/vdso/vdso.map \
	-Wl,--hash-style=both -Wl,-soname=linux-vdso.so.1 -Wl,-z,max-page-size=4096 -Wl,--no-undefined \
	-Wl,--build-id=none -Wl,-z,noexecstack
$(BUILD)/vdso/vdso.so: linux/vdso/vdso.c linux/vdso/vdso.lds linux/vdso/vdso.map include/vdso_data.h
	@mkdir -p $(@D)
	$(quiet) VDSO $@
	$(Q)$(CC) $(VDSO_CFLAGS) -c linux/vdso/vdso.c -o $(BUILD)/vdso/vdso.o
	$(Q)$(CC) $(VDSO_LDFLAGS) $(BUILD)/vdso/vdso.o -o $@.tmp
	$(Q)if readelf -r $@.tmp | grep -q 'Relocation section'; then echo "vdso: has relocations" >&2; rm -f $@.tmp; exit 1; fi
	$(Q)mv $@.tmp $@
$(BUILD)/obj/linux/vdso_image.o: $(BUILD)/vdso/vdso.so
$(BUILD)/obj/linux/vdso_image.o: KASFLAGS += -DVDSO_SO='"$(BUILD)/vdso/vdso.so"'

# TCP/IP (IPv4 and IPv6): lwIP from Debian's source package, unpacked into $(BUILD)/lwip by
# scripts/fetch-lwip, plus our port and glue in net/ (docs/net.md).
.DEFAULT_GOAL := all
LWIP_DIR := $(BUILD)/lwip
LWIP_STAMP := $(LWIP_DIR)/src/include/lwip/init.h
LWIP_FILES := core/init.c core/def.c core/dns.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c \
	core/netif.c core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c \
	core/timeouts.c core/udp.c core/ipv4/dhcp.c core/ipv4/etharp.c core/ipv4/icmp.c core/ipv4/ip4.c \
	core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c core/ipv6/ethip6.c core/ipv6/icmp6.c core/ipv6/inet6.c \
	core/ipv6/ip6.c core/ipv6/ip6_addr.c core/ipv6/ip6_frag.c core/ipv6/nd6.c api/api_lib.c api/api_msg.c api/err.c api/netbuf.c \
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

.PHONY: FORCE all kernel apps loader run check check-quick check-unit check-boot check-fuzz fuzz check-xen check-bench check-redis-suite check-crash deps clean bench linux-programs insn-plugin bootstat-plugin backlog-preload
all: kernel

kernel: $(BUILD)/kestrel.elf

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(quiet) CC $<
	$(Q)$(CC) $(KCFLAGS) $(if $(filter linux/%,$<),$(KCFLAGS_LINUX)) -MMD -MP -c $< -o $@

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

# build/kestrel.elf is always the app APP names: a stamp holding the name
# changes whenever APP does, so `make APP=ktest` then `make` copies hello back
# (a time-stamp dependency alone kept the newer ktest).
APP_STAMP := $(BUILD)/app.name
$(APP_STAMP): FORCE
	@mkdir -p $(@D)
	@if [ "$$(cat $@ 2>/dev/null)" != "$(APP)" ]; then echo "$(APP)" > $@; fi
FORCE:

$(BUILD)/kestrel.elf: $(BUILD)/app-$(APP).elf $(APP_STAMP)
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

# make check gives each target a short smoke run (FUZZ_SECONDS, FUZZ_JOBS at
# a time: the machine's cores); `make fuzz` runs each for five minutes.
check-fuzz: $(FUZZ_BINS)
	@printf '%s\n' $(FUZZ_TARGETS) | BUILD=$(BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) \
		xargs -P $(FUZZ_JOBS) -n 1 tests/fuzz/run_one

fuzz: $(FUZZ_BINS)
	$(MAKE) check-fuzz FUZZ_SECONDS=300

# Linux programs for tests/boot/test_linux_programs.py and bench/syscall
# (tests/linux/build: gcc/musl-gcc -static, Go, busybox's testsuite).
linux-programs:
	@tests/linux/build

# ---- boot tests under QEMU ----
check-boot: apps linux-programs
	$(PYTHON) -m pytest -q --durations=25 tests/boot

check-quick: deps kernel check-unit check-boot

# ext4 crash consistency, long: 50 SIGKILLs of a writing guest, each followed
# by our journal replay, the fsynced files' check and e2fsck -fn (make check
# runs 3), and 200 simulated crash points on the host.
check-crash: apps $(BUILD)/host/unit/test_ext4_rw
	$(BUILD)/host/unit/test_ext4_rw $$(date +%s) 300 200
	KESTREL_CRASH_KILLS=50 $(PYTHON) -m pytest -q -s tests/boot/test_ext4_rw.py -k crash

# The real Xen 4.17 hypervisor with a Debian dom0 under QEMU TCG, running
# Kestrel as PVH and HVM guests, Debian's nginx as both (tests/xen/README.md).
# About 7 minutes, plus about 3 the first time while it builds its images
# into build/xen.
check-xen: deps apps linux-programs
	$(PYTHON) -m pytest -q tests/xen
	tests/xen/run --tests pvh+hvm+pvh-exec+pvh-nginx+hvm-nginx

# ---- bench/insn: the QEMU plugin counting guest instructions ----
# Built against qemu-plugin.h from Debian's source package of the installed
# QEMU (scripts/fetch-qemu-plugin-h), loaded with -plugin by bench/* --insns.
QEMU_PLUGIN_H := $(BUILD)/qemu-plugin/qemu-plugin.h
INSN_PLUGIN := $(BUILD)/bench/insn/libinsn.so
$(QEMU_PLUGIN_H):
	scripts/fetch-qemu-plugin-h $(@D)

$(INSN_PLUGIN): bench/insn/insn.c $(QEMU_PLUGIN_H)
	@mkdir -p $(@D)
	$(quiet) HOSTCC $@
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -I$(BUILD)/qemu-plugin -o $@ $< -lpthread

insn-plugin: $(INSN_PLUGIN)

# bench/listen-backlog.c: preloaded into QEMU so hostfwd listens with a real
# backlog (bench/apps, bench/http).
BACKLOG_PRELOAD := $(BUILD)/bench/listen-backlog.so
$(BACKLOG_PRELOAD): bench/listen-backlog.c
	@mkdir -p $(@D)
	$(quiet) HOSTCC $@
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -o $@ $< -ldl

backlog-preload: $(BACKLOG_PRELOAD)

# bench/bootstat: translated blocks and 2 MiB RAM regions backed in a boot.
BOOTSTAT_PLUGIN := $(BUILD)/bench/bootstat/libbootstat.so
$(BOOTSTAT_PLUGIN): bench/bootstat/bootstat.c $(QEMU_PLUGIN_H)
	@mkdir -p $(@D)
	$(quiet) HOSTCC $@
	$(Q)$(HOSTCC) -std=gnu11 -O2 -Wall -Wextra -Werror -fPIC -shared -I$(BUILD)/qemu-plugin -o $@ $< -lpthread

bootstat-plugin: $(BOOTSTAT_PLUGIN)

# Every bench in its short form (one round, smallest sizes, ratios printed
# but not judged), so a change that breaks a bench fails the gate.
# The instruction counts (--insns) are proven by bench/boot and bench/blk.
check-bench: apps $(INSN_PLUGIN)
	bench/boot --quick
	bench/boot --quick --insns
	bench/clock --quick
	bench/blk --quick
	bench/blk --quick --insns
	bench/net --quick
	bench/fs --quick
	bench/http --quick
	bench/image --quick
	bench/apps --quick

# The Xen rig's images (about 4 minutes of downloads, debootstrap and mkfs,
# little CPU) are built in the background while the host tests, the fuzz
# targets and the boot tests run; the rig itself and the benches run last,
# alone on the machine.
# The builds run in parallel first (one compiler per core); the tests then
# run one step at a time, with the Linux test programs (tests/linux/build,
# mostly Go's single-threaded compiles) and the Xen rig's images made in the
# background while the host unit tests use one core.
CHECK_JOBS ?= $(shell nproc)
check: deps
	@$(MAKE) --no-print-directory -j$(CHECK_JOBS) kernel apps $(UNIT_BINS) $(FUZZ_BINS) $(INSN_PLUGIN)
	@mkdir -p $(BUILD); tests/xen/run --build-only > $(BUILD)/xen-build.log 2>&1 & xb=$$!; \
	tests/linux/build > $(BUILD)/linux-programs.log 2>&1 & lp=$$!; \
	rc=0; $(MAKE) --no-print-directory check-unit check-fuzz || rc=$$?; \
	if ! wait $$lp; then echo "tests/linux/build failed (log $(BUILD)/linux-programs.log):"; \
		tail -30 $(BUILD)/linux-programs.log; [ $$rc != 0 ] || rc=1; fi; \
	[ $$rc != 0 ] || $(MAKE) --no-print-directory check-boot || rc=$$?; \
	if ! wait $$xb; then echo "the Xen rig's build failed (log $(BUILD)/xen-build.log):"; \
		tail -30 $(BUILD)/xen-build.log; [ $$rc != 0 ] || rc=1; fi; \
	[ $$rc = 0 ] || exit $$rc; \
	$(MAKE) --no-print-directory check-xen check-bench

bench: deps kernel
	bench/boot

# Redis's own test suite (Debian's source package, external-server mode)
# against Debian's redis-server on Kestrel: every unit, counts per unit
# (scripts/redis-suite; docs/linux-abi.md has the last counts). About
# 10 minutes under TCG, so not part of make check; tests/boot/
# test_redis_suite.py runs a few units there with a pass-count floor.
check-redis-suite: deps kernel
	scripts/redis-suite

clean:
	rm -rf $(BUILD)

-include $(KOBJS:.o=.d) $(wildcard $(BUILD)/obj/apps/*/*.d)
