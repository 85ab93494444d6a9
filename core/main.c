/* kmain: the boot line, one stage after another, each consuming the last
 * one's result: boot_info, console, command line, memory, cpu/irq, platform,
 * clock, scheduler, then the app. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "arch/x86.h"
#include "boot_info.h"
#include "bootchart.h"
#include "clock.h"
#include "cloud_meta.h"
#include "cmdline.h"
#include "console.h"
#include "cpu.h"
#include "device.h"
#include "driver.h"
#include "firmware.h"
#include "machine.h"
#include "irq.h"
#include "linux.h"
#include "log.h"
#include "memory.h"
#include "net.h"
#include "netdev.h"
#include "panic.h"
#include "platform.h"
#include "xen.h"
#include "power.h"
#include "sched.h"
#include "stop.h"
#include "vfs.h"

#define APP_STACK_SIZE (64 * 1024)
#define EXIT_USAGE 2

extern uint64_t boot_entry_tsc;
void malloc_init(void);
void kmain(uint32_t proto, uint32_t info);

static struct boot_info bi;
/* The options as the boot line parsed them: cloud user-data may still name
 * another app (cloud_config). Everyone else reads kernel_options(). */
static struct kernel_options *opts;

/* Before our own page tables, the entry code's identity map covers 4 GiB. */
static const void *early_map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx;
    if (phys == 0 || phys + len < phys || phys + len > 0x100000000ull)
        return NULL;
    return (const void *)(uintptr_t)phys;
}


/* The platform's bus probes, then driver binding. */
static void probe_buses(const struct platform *plat)
{
    unsigned b = platform_bus_plan(plat->buses, machine_info()->n_ecam > 0, opts->nopci, xen_present());
    /* Xen HVM: PV devices first, so that the emulated copies of the same
     * disks and NICs are unplugged before PCI could bind them. */
    if (b & BUS_PROBE_XENBUS)
        xenbus_probe();
    if (b & BUS_PROBE_PCI) {
        pci_probe();
        bootchart_mark("pci");
    }
    int mmio = 0;
    if (b & BUS_PROBE_MMIO_CMDLINE)
        mmio += mmio_probe_cmdline();
    if (b & BUS_PROBE_MMIO_ACPI)
        mmio += mmio_probe_acpi();
    if (mmio)
        pr_info("virtio-mmio: %d device%s\n", mmio, mmio == 1 ? "" : "s");
    devices_bind();
    bootchart_mark("devices");
}

static const char *proto_name(enum boot_proto p)
{
    switch (p) {
    case BOOT_PROTO_PVH:
        return "PVH";
    case BOOT_PROTO_MB2:
        return "multiboot2";
    default:
        return "unknown";
    }
}

/* A checksum of a module, so tests can see it survived memory set-up
 * (translated a page at a time: per byte it was most of a static Linux
 * program's boot, for a line printed only with --verbose). */
static uint64_t fnv1a(uint64_t phys, uint64_t len)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (uint64_t i = 0; i < len;) {
        int64_t pa = paging_translate(phys + i);
        if (pa < 0)
            return 0;
        uint64_t n = PAGE_SIZE - ((phys + i) & (PAGE_SIZE - 1));
        if (n > len - i)
            n = len - i;
        const uint8_t *b = (const uint8_t *)(uintptr_t)pa;
        for (uint64_t k = 0; k < n; k++)
            h = (h ^ b[k]) * 0x100000001b3ull;
        i += n;
    }
    return h;
}

static void report_memory(void)
{
    pr_info("memory: %llu KiB RAM, %llu KiB free after the kernel\n",
            (unsigned long long)(memory_ram_bytes() / 1024), (unsigned long long)(memory_free_bytes() / 1024));
    for (unsigned i = 0; i < bi.n_memmap; i++)
        pr_debug("  %#014llx-%#014llx type %u\n", (unsigned long long)bi.memmap[i].base,
                 (unsigned long long)(bi.memmap[i].base + bi.memmap[i].size), bi.memmap[i].type);
    for (unsigned i = 0; i < bi.n_modules; i++) {
        const struct boot_module *m = &bi.modules[i];
        pr_info("boot: module %u at %#llx, %llu bytes, \"%s\"\n", i, (unsigned long long)m->base,
                (unsigned long long)m->size, m->cmdline);
        if (console_level() >= LOG_DEBUG)
            pr_debug("boot: module %u fnv1a %#018llx\n", i, (unsigned long long)fnv1a(m->base, m->size));
    }
    if (bi.efi)
        pr_info("boot: UEFI, system table %#llx, %s\n", (unsigned long long)bi.efi_systab,
                bi.efi_mmap_entries ? "memory map from the EFI map" : "no EFI memory map: the loader's map used");
    if (bi.efi_mmap_entries)
        pr_debug("boot: EFI memory map of %u descriptors\n", bi.efi_mmap_entries);
    if (bi.rsdp_addr || bi.rsdp_copy_len)
        pr_debug("boot: ACPI RSDP %s %#llx\n", bi.rsdp_copy_len ? "copy at" : "at",
                 (unsigned long long)(bi.rsdp_copy_len ? (uint64_t)(uintptr_t)bi.rsdp_copy : bi.rsdp_addr));
}

static void start_cpus(void)
{
    const struct machine *machine = machine_info();
    static uint32_t ids[MACHINE_MAX_CPUS + 1]; /* too big for the boot stack */
    unsigned count = 0;
    for (unsigned i = 0; i < machine->n_cpus; i++) {
        ids[count++] = machine->cpus[i].apic_id;
        /* smp.phantom=ID (a test hook): a CPU that is not there, tried
         * second, so the tests see one that never answers skipped and the
         * CPUs after it still started. */
        const char *phantom = cmdline_param(opts, "smp.phantom", 0);
        if (i == 0 && phantom)
            ids[count++] = (uint32_t)strtoul(phantom, NULL, 0);
    }
    unsigned n = smp_boot(ids, count);
    pr_info("smp: %u CPU%s online\n", n, n == 1 ? "" : "s");
}

static struct platform_signals signals;

static const struct platform_signals *collect_signals(void)
{
    const struct machine *machine = machine_info();
    hypervisor_detect(&signals);
    signals.proto = bi.proto;
    signals.qemu_fw_cfg = qemu_fw_cfg_present();
    while (cmdline_param(opts, "virtio_mmio.device", signals.mmio_devices))
        signals.mmio_devices++;
    signals.mmio_devices += machine->n_mmio;
    signals.acpi = machine->acpi;
    signals.mptable = machine->mptable;
    signals.smbios = machine->smbios;
    strlcpy(signals.acpi_oem, machine->acpi_oem, sizeof(signals.acpi_oem));
    strlcpy(signals.smbios_vendor, machine->sys_vendor, sizeof(signals.smbios_vendor));
    strlcpy(signals.smbios_product, machine->sys_product, sizeof(signals.smbios_product));
    strlcpy(signals.bios_version, machine->bios_version, sizeof(signals.bios_version));
    signals.ecam = machine->n_ecam > 0;
    strlcpy(signals.bios_vendor, machine->bios_vendor, sizeof(signals.bios_vendor));
    memcpy(signals.sys_uuid, machine->uuid, sizeof(signals.sys_uuid));
    signals.sys_uuid_valid = machine->uuid_valid;
    /* Bus 0's ids name cloud devices (ENA, gVNIC); read only where firmware
     * describes a PCI host, so nothing is probed that is absent. */
    if (!opts->nopci && (machine->n_ecam || (machine->fadt && !machine->hw_reduced)))
        signals.n_pci_ids = pci_peek_ids(signals.pci_ids, PLATFORM_MAX_PCI_IDS);
    signals.acpi_hw_reduced = machine->hw_reduced;
    platform_probe_signals(&signals);
    pr_debug("platform: cpuid '%s' at %#x, fw_cfg %d, mmio %u, acpi %d (oem '%s'), smbios %d ('%s' / '%s')\n",
             signals.hv_signature, signals.hv_base, signals.qemu_fw_cfg, signals.mmio_devices, signals.acpi,
             signals.acpi_oem, signals.smbios, signals.smbios_vendor, signals.smbios_product);
    return &signals;
}

/* The first thread: devices are found and bound here rather than on the
 * boot CPU's idle thread, because binding may wait for a device. */
static void *app_thread(void *arg)
{
    probe_buses(arg);
    fs_boot(&bi);
    if (netdev_count() && !opts->nonet) {
        net_boot();
        bootchart_mark("net");
    }
    cloud_config(opts);
    bootchart_mark("app main");
    if (opts->bootchart)
        bootchart_print();
    int status = linux_exec_requested(opts) ? linux_exec_main(opts) : main(opts->argc, opts->argv);
    vfs_sync(); /* what the app wrote reaches the disks */
    stop_program_exited(status);
}

static void app_start(const struct platform *plat)
{
    if (!thread_create("main", app_thread, (void *)plat, APP_STACK_SIZE))
        panic("cannot create the app's main thread");
}

void kmain(uint32_t proto, uint32_t info)
{
    cpu_init_bsp();
    uart16550_init();
    xen_detect(); /* PVH has no UART: Xen's debug port is the first console */
    tsc_calibration_begin();
    bi.entry_tsc = boot_entry_tsc;
    struct fw_mem early = { .map = early_map };
    if (boot_info_parse(&bi, (enum boot_proto)proto, info, &early) < 0)
        panic("cannot read the boot information (protocol %s)", proto_name((enum boot_proto)proto));
    /* Under UEFI page 0 is ordinary memory, not a BIOS data area. */
    if (!bi.efi)
        machine_save_bda(); /* page 0 is still mapped by the entry code */
    bootchart_mark("boot info");
    if (kernel_options_init(bi.cmdline, &opts) < 0) {
        kprintf("kestrel: %s\n", opts->error);
        power_off(EXIT_USAGE);
    }
    if (opts->help) {
        kprintf("%s", cmdline_help_text);
        power_off(0);
    }
    pr_debug("kestrel: booted by %s, command line \"%s\"\n", proto_name(bi.proto), bi.cmdline);
    if (bi.warnings)
        pr_warn("boot: %u boot-information entries were dropped or clipped\n", bi.warnings);

    memory_init(&bi);
    malloc_init();
    report_memory();
    bootchart_mark("memory");

    machine_probe(&bi);
    bootchart_mark("firmware");

    pic_disable();
    lapic_init();
    tsc_lapic_window_open();
    machine_apply();
    bootchart_mark("cpu/irq");

    const struct platform *plat = platform_select(collect_signals(), opts->platform);
    if (!plat)
        power_off(EXIT_USAGE);
    if (plat->init && plat->init() < 0)
        pr_warn("platform: %s set-up failed, carrying on without it\n", plat->name);
    bootchart_mark("platform");

    if (tsc_calibrate() < 0)
        panic("no way to measure time on this machine");
    if (clock_init(plat->clock_preference, opts->clock) < 0)
        power_off(EXIT_USAGE);
    timer_init();
    clock_timers_ready();
    bootchart_mark("clock");
    drivers_init();
    bootchart_mark("drivers");

    sched_init();
    start_cpus();
    bootchart_mark("smp");
    irq_enable();
    stop_init(opts->stop_timeout_s);
    app_start(plat);
    bootchart_mark("scheduler");
    sched_idle_loop();
}
