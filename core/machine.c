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

/* ACPI's PCI_Config operation regions (the PIRQ link registers of pc's
 * PIIX3 are read this way). Configuration mechanism #1: every PC chipset
 * has it, and the MCFG window is not mapped this early. Reads only. */
static int fw_pci_read(void *ctx, unsigned seg, unsigned bus, unsigned dev, unsigned fn, unsigned off,
                       unsigned width, uint32_t *v)
{
    (void)ctx;
    if (seg || bus > 255 || dev > 31 || fn > 7 || off > 255 || (width != 1 && width != 2 && width != 4) ||
        (off & (width - 1)))
        return -1;
    outl(0xcf8, 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc));
    uint32_t d = inl(0xcfc) >> (8 * (off & 3));
    *v = width == 4 ? d : d & ((1u << (8 * width)) - 1);
    return 0;
}

void machine_probe(const struct boot_info *bi)
{
    boot = bi;
    struct fw_mem mem = { .map = fw_map, .pci_read = fw_pci_read };
    uint64_t rsdp = bi->rsdp_copy_len ? (uint64_t)(uintptr_t)bi->rsdp_copy : bi->rsdp_addr;
    if (acpi_probe(&machine, &mem, rsdp) < 0 && !bi->efi) {
        mptable_probe(&machine, &mem);
    } else if (!machine.n_pci_routes && !bi->efi) {
        /* ACPI without a usable _PRT: the MP table's PCI interrupt entries
         * come next, before the Interrupt Line register. Only those. */
        static struct machine mp;
        if (mptable_probe(&mp, &mem) == 0 && mp.n_pci_routes) {
            memcpy(machine.pci_routes, mp.pci_routes, sizeof(mp.pci_routes[0]) * mp.n_pci_routes);
            machine.n_pci_routes = mp.n_pci_routes;
            machine.pci_route_source = MACHINE_ROUTES_MPTABLE;
        }
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
