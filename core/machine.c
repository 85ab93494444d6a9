/* The machine description: filled once from firmware (ACPI or the MP table,
 * SMBIOS) by the boot line through machine_probe(), handed to the interrupt
 * controllers, HPET and power code by machine_apply(), and read by platform
 * code and drivers through machine_info() (include/machine.h). */
#include <string.h>
#include "arch/x86.h"
#include "boot_info.h"
#include "clock.h"
#include "firmware.h"
#include "irq.h"
#include "log.h"
#include "machine.h"
#include "memory.h"
#include "power.h"

#define IOAPIC_DEFAULT_BASE 0xfec00000ull

static struct machine machine;
static const struct boot_info *boot;
/* The BIOS data area sits in page 0, which stays unmapped to catch NULL
 * dereferences; its first bytes are copied while the entry map still has it. */
static uint8_t bda_copy[0x500];

const struct machine *machine_info(void) { return &machine; }

void machine_save_bda(void)
{
    memcpy(bda_copy, (const void *)(uintptr_t)0, sizeof(bda_copy));
}

/* Firmware tables through our page tables: every page must be mapped. */
static const void *fw_map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx;
    if (len == 0 || phys + len < phys)
        return NULL;
    /* UEFI has no BIOS data area or BIOS ROM tables below 1 MiB: refusing
     * the range turns every legacy scan into a quick miss. */
    if (boot->efi && phys < 0x100000)
        return NULL;
    if (phys + len <= sizeof(bda_copy))
        return bda_copy + phys;
    if (phys < PAGE_SIZE)
        return NULL;
    for (uint64_t p = phys & ~(PAGE_SIZE - 1); p < phys + len; p += PAGE_SIZE) {
        if (paging_translate(p) < 0)
            return NULL;
    }
    return (const void *)(uintptr_t)phys;
}

/* The operation region accesses the ACPI methods we run perform: QEMU pc's
 * link devices read the PIIX3's PIRQ registers through PCI_Config;
 * VirtualBox's DSDT reads its configuration through an index/data port pair
 * and writes a signature into the southbridge's configuration space to open
 * PCI-to-IO-APIC routing. PCI through configuration mechanism #1 (the MCFG
 * window is not mapped this early), bus 0-255, segment 0. */
static int fw_aml_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx;
    if (width != 1 && width != 2 && width != 4)
        return -1;
    if (space == 1) {
        if (addr > 0x10000 - width)
            return -1;
        uint16_t port = (uint16_t)addr;
        if (write) {
            if (width == 1)
                outb(port, (uint8_t)*v);
            else if (width == 2)
                outw(port, (uint16_t)*v);
            else
                outl(port, *v);
        } else {
            *v = width == 1 ? inb(port) : width == 2 ? inw(port) : inl(port);
        }
        return 0;
    }
    unsigned off = (unsigned)(addr & 0xfff);
    if (space != 2 || off > 256 - width || (off & (width - 1)))
        return -1;
    outl(0xcf8, 0x80000000u | (uint32_t)((addr >> 20) & 0xff) << 16 | (uint32_t)((addr >> 15) & 0x1f) << 11 |
                    (uint32_t)((addr >> 12) & 7) << 8 | (off & 0xfc));
    uint16_t data = (uint16_t)(0xcfc + (off & 3));
    if (write) {
        if (width == 1)
            outb(data, (uint8_t)*v);
        else if (width == 2)
            outw(data, (uint16_t)*v);
        else
            outl(data, *v);
    } else {
        *v = width == 1 ? inb(data) : width == 2 ? inw(data) : inl(data);
    }
    return 0;
}

/* PCI interrupt routes with ACPI: its _PRT; without a usable one, the MP
 * table's PCI interrupt entries come next, before the Interrupt Line
 * register (only those). Both only when a PCI bus is probed: a machine
 * without one (microvm) never loads the AML nor parses the MP table. */
static bool routes_from_acpi, routes_from_mptable;

/* The AML is read later now: firmware that left its tables in memory it
 * calls usable RAM must not see them handed out meanwhile. Pages already
 * used (reserved, ACPI, the kernel's) are skipped; the few claimed stay. */
static void keep_aml(void)
{
    const struct acpi_aml_block *b;
    unsigned n = acpi_probe_aml_blocks(&b);
    for (unsigned i = 0; i < n; i++) {
        uint64_t a = (uint64_t)(uintptr_t)b[i].aml & ~(PAGE_SIZE - 1);
        for (uint64_t p = a; p < (uint64_t)(uintptr_t)b[i].aml + b[i].len; p += PAGE_SIZE)
            (void)pages_claim(p, 1);
    }
}

void machine_pci_routes_complete(void)
{
    static struct fw_mem mem = { .map = fw_map, .aml_io = fw_aml_io };
    if (routes_from_acpi) {
        routes_from_acpi = false;
        acpi_probe_pci_routes(&machine, &mem);
    }
    if (!routes_from_mptable)
        return;
    routes_from_mptable = false;
    if (machine.n_pci_routes)
        return;
    static struct machine mp;
    if (mptable_probe(&mp, &mem) == 0 && mp.n_pci_routes) {
        memcpy(machine.pci_routes, mp.pci_routes, sizeof(mp.pci_routes[0]) * mp.n_pci_routes);
        machine.n_pci_routes = mp.n_pci_routes;
        machine.pci_route_source = MACHINE_ROUTES_MPTABLE;
    }
}

void machine_probe(const struct boot_info *bi)
{
    boot = bi;
    struct fw_mem mem = { .map = fw_map, .aml_io = fw_aml_io };
    uint64_t rsdp = bi->rsdp_copy_len ? (uint64_t)(uintptr_t)bi->rsdp_copy : bi->rsdp_addr;
    if (acpi_probe(&machine, &mem, rsdp) == 0) {
        routes_from_acpi = true; /* machine_pci_routes_complete(), if PCI is probed */
        routes_from_mptable = !bi->efi;
        keep_aml();
    } else if (!bi->efi) {
        mptable_probe(&machine, &mem);
    }
    if (bi->efi)
        smbios_probe_efi(&machine, &mem, bi->efi_systab);
    else
        smbios_probe(&machine, &mem);
    pr_info("firmware: %s%s%s, %u CPU%s, %u IO-APIC%s%s\n", machine.acpi ? "ACPI" : "",
            machine.mptable ? "MP table" : "", machine.acpi || machine.mptable ? "" : "no ACPI or MP table",
            machine.n_cpus, machine.n_cpus == 1 ? "" : "s", machine.n_ioapics, machine.n_ioapics == 1 ? "" : "s",
            machine.smbios ? ", SMBIOS" : "");
    pr_debug("firmware: oem '%s', smbios '%s' '%s' bios '%s', s5 %d (%u), pm1a %#x, reset %d (%#llx=%#x), "
             "hw-reduced %d, mcfg %u, hpet %#llx, mmio %u, pvpanic %#x, pci routes %u (%s)\n",
             machine.acpi_oem, machine.sys_vendor, machine.sys_product, machine.bios_version, machine.s5_valid,
             machine.slp_typ_a, machine.pm1a_cnt, machine.reset_supported,
             (unsigned long long)machine.reset_reg.addr, machine.reset_value, machine.hw_reduced, machine.n_ecam,
             (unsigned long long)machine.hpet_addr, machine.n_mmio, machine.pvpanic_port, machine.n_pci_routes,
             machine.pci_route_source == MACHINE_ROUTES_PRT       ? "_PRT"
             : machine.pci_route_source == MACHINE_ROUTES_MPTABLE ? "MP table"
                                                                  : "none");
}


/* Hands what firmware said to the services that need it. */
void machine_apply(void)
{
    for (unsigned i = 0; i < machine.n_ioapics; i++)
        ioapic_init(machine.ioapics[i].addr, machine.ioapics[i].gsi_base);
    if (!machine.n_ioapics)
        ioapic_init(IOAPIC_DEFAULT_BASE, 0);
    if (machine.hpet)
        hpet_set_address(machine.hpet_addr);
    if (machine.fadt) {
        struct power_acpi pa = {
            .s5_valid = machine.s5_valid,
            .slp_typ_a = machine.slp_typ_a,
            .slp_typ_b = machine.slp_typ_b,
            .pm1a_cnt = (uint16_t)machine.pm1a_cnt,
            .pm1b_cnt = (uint16_t)machine.pm1b_cnt,
            .hw_reduced = machine.hw_reduced,
            .sleep_control = { machine.sleep_control.space, machine.sleep_control.addr },
            .reset = { machine.reset_reg.space, machine.reset_reg.addr },
            .reset_value = machine.reset_value,
            .reset_valid = machine.reset_supported,
        };
        power_set_acpi(&pa);
    }
}
