/* struct machine: what firmware told us (ACPI, MP table, SMBIOS), filled once
 * by the firmware probes. Platform code and drivers read it; nothing after
 * the probes parses firmware again. Arrays are capped; *_dropped counts what
 * did not fit. */
#ifndef KESTREL_MACHINE_H
#define KESTREL_MACHINE_H
#include <stdbool.h>
#include <stdint.h>

/* Clouds sell 192-vCPU machines and x2APIC firmware lists up to a few
 * hundred; past this the rest are counted, warned about and left offline. */
#define MACHINE_MAX_CPUS 512
#define MACHINE_MAX_IOAPICS 8
#define MACHINE_MAX_OVERRIDES 32
#define MACHINE_MAX_NMIS 8
#define MACHINE_MAX_ECAM 4
#define MACHINE_MAX_MMIO 32
#define MACHINE_STR 48
#define MACHINE_MAX_PCI_ROUTES 256

struct machine_cpu {
    uint32_t apic_id;
    uint32_t acpi_uid; /* ACPI processor UID (MP table: 0) */
    bool bsp;          /* MP table says so; ACPI does not */
};

struct machine_ioapic {
    uint8_t id;
    uint64_t addr;
    uint32_t gsi_base;
};

/* An ISA IRQ routed elsewhere (ACPI interrupt source override, or an MP
 * table I/O interrupt entry). flags: MPS INTI bits (1:0 polarity, 3:2 trigger). */
struct machine_irq_override {
    uint8_t bus_irq;
    uint32_t gsi;
    uint16_t flags;
};

struct machine_nmi {
    uint32_t acpi_uid; /* 0xff / 0xffffffff: all processors */
    uint8_t lint;
    uint16_t flags;
};

struct machine_ecam {
    uint64_t base;
    uint16_t segment;
    uint8_t bus_start, bus_end;
};

/* Where a PCI function's INTx pin is wired, as firmware says (ACPI _PRT in
 * APIC mode, or the MP table's interrupt entries for a PCI bus). pin: 0 for
 * INTA .. 3 for INTD; the entry holds for every function of the device. */
struct machine_pci_route {
    uint16_t segment;
    uint8_t bus, dev, pin;
    bool level, active_low;
    uint32_t gsi;
};

enum machine_route_source { MACHINE_ROUTES_NONE, MACHINE_ROUTES_PRT, MACHINE_ROUTES_MPTABLE };

struct machine_mmio_dev {
    uint64_t base, size;
    uint32_t irq;
};

/* ACPI generic address structure. */
struct machine_gas {
    uint8_t space; /* 0 memory, 1 I/O */
    uint8_t bit_width, bit_offset, access_size;
    uint64_t addr;
};

struct machine {
    bool acpi, mptable, smbios; /* which probes succeeded */
    uint64_t rsdp_addr;
    char acpi_oem[7];  /* RSDP OEM id, e.g. "BOCHS " or "FIRECK" */
    char mp_oem[9];    /* MP configuration table OEM id */

    struct machine_cpu cpus[MACHINE_MAX_CPUS];
    unsigned n_cpus, cpus_dropped;
    /* Processor entries not taken: present but disabled (or only "online
     * capable", i.e. hot-pluggable later), listed twice, or with an APIC id
     * no CPU can have (0xff xAPIC, 0xffffffff x2APIC: broadcast). */
    unsigned cpus_disabled, cpus_duplicate, cpus_invalid;
    uint64_t lapic_addr;
    bool pic_present; /* MADT PCAT_COMPAT / MP IMCR: 8259s to mask */
    struct machine_ioapic ioapics[MACHINE_MAX_IOAPICS];
    unsigned n_ioapics, ioapics_dropped;
    struct machine_irq_override overrides[MACHINE_MAX_OVERRIDES];
    unsigned n_overrides, overrides_dropped;
    struct machine_nmi nmis[MACHINE_MAX_NMIS];
    unsigned n_nmis;

    /* FADT */
    bool fadt;
    bool hw_reduced;
    uint16_t sci_irq;
    uint16_t boot_arch; /* IAPC_BOOT_ARCH flags */
    uint32_t pm1a_cnt, pm1b_cnt; /* I/O ports, 0 = none */
    struct machine_gas reset_reg;
    uint8_t reset_value;
    bool reset_supported;
    struct machine_gas sleep_control, sleep_status; /* hardware-reduced ACPI */
    bool s5_valid;
    uint8_t slp_typ_a, slp_typ_b;
    /* Events (FADT): PM1 event blocks (status, then enable, each half of
     * pm1_evt_len), GPE0 block (likewise), the SMI command that turns ACPI
     * mode on, and whether the power button is the fixed-feature one. */
    uint32_t pm1a_evt, pm1b_evt, gpe0_blk, smi_cmd; /* I/O ports, 0 = none */
    uint8_t pm1_evt_len, gpe0_blk_len, acpi_enable;
    bool fixed_power_button;
    /* Power button events declared in AML (drivers/acpi/acpi_event.c). */
    bool ged_valid;          /* hardware-reduced Generic Event Device (ACPI0013) */
    uint64_t ged_reg;        /* its event selector register (SystemMemory) */
    uint32_t ged_irq;        /* GSI from its _CRS */
    bool ged_irq_edge, ged_irq_active_low;
    uint32_t ged_power_bits; /* selector bits whose _EVT branch notifies the power button */
    bool power_gpe_valid;    /* a _Lxx/_Exx method notifies the power button */
    uint8_t power_gpe;
    bool power_gpe_level;

    struct machine_ecam ecam[MACHINE_MAX_ECAM];
    unsigned n_ecam;
    bool hpet;
    uint64_t hpet_addr;

    /* Devices declared in the DSDT/SSDTs. */
    struct machine_mmio_dev mmio[MACHINE_MAX_MMIO];
    unsigned n_mmio, mmio_dropped;
    uint16_t pvpanic_port; /* QEMU0001, 0 = none */

    /* PCI INTx routing (drivers/acpi/acpi_prt.c, drivers/firmware/mptable.c). */
    struct machine_pci_route pci_routes[MACHINE_MAX_PCI_ROUTES];
    unsigned n_pci_routes, pci_routes_dropped;
    uint8_t pci_route_source; /* enum machine_route_source */
    bool pic_mode_set;        /* \_PIC(1) ran (or there is no _PIC) */

    /* SMBIOS */
    uint8_t smbios_major, smbios_minor;
    char bios_vendor[MACHINE_STR], bios_version[MACHINE_STR];
    char sys_vendor[MACHINE_STR], sys_product[MACHINE_STR], sys_version[MACHINE_STR], sys_serial[MACHINE_STR];
    uint8_t uuid[16];
    bool uuid_valid;
};

/* The machine description the firmware probes filled (core/machine.c). */
const struct machine *machine_info(void);

/* The boot line's calls, in this order: copy the BIOS data area while the
 * entry code still maps page 0 (not under UEFI); probe the firmware tables;
 * hand the IO-APICs, HPET and ACPI power registers to their services. */
struct boot_info;
void machine_save_bda(void);
void machine_probe(const struct boot_info *bi);
void machine_apply(void);

/* Before the first use of pci_routes: the MP table's routes when ACPI gave
 * none (parsed here, not at machine_probe, so a boot without PCI skips it). */
void machine_pci_routes_complete(void);

#endif
