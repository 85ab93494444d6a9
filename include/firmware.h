/* Firmware probes: ACPI, MP table, SMBIOS. Tables are reached by physical
 * address through fw_mem.map, which returns a pointer to len readable bytes
 * or NULL; the kernel maps its identity map, tests a captured memory image.
 * Everything read is untrusted: bad tables are rejected with a log line. */
#ifndef KESTREL_FIRMWARE_H
#define KESTREL_FIRMWARE_H
#include <stddef.h>
#include <stdint.h>
#include "machine.h"
#include "phys_mem.h"

/* Each returns 0 when it filled its part of m, negative when there is no
 * table or it was rejected. rsdp_hint: 0 = scan the EBDA and 0xE0000-0xFFFFF. */
int acpi_probe(struct machine *m, const struct fw_mem *mem, uint64_t rsdp_hint);
/* After a successful acpi_probe: the PCI interrupt routes of its AML (\_PIC(1),
 * then every _PRT), into m->pci_routes; 0 when some were found. Separate so a
 * boot that probes no PCI bus never loads the AML. */
int acpi_probe_pci_routes(struct machine *m, const struct fw_mem *mem);
/* The AML term lists acpi_probe_pci_routes will load (in firmware memory). */
struct acpi_aml_block;
unsigned acpi_probe_aml_blocks(const struct acpi_aml_block **blocks);
int mptable_probe(struct machine *m, const struct fw_mem *mem);
int smbios_probe(struct machine *m, const struct fw_mem *mem);
/* Under UEFI: the SMBIOS entry point from the EFI system table's
 * configuration tables (3.x preferred), no scan. */
int smbios_probe_efi(struct machine *m, const struct fw_mem *mem, uint64_t systab);

/* The EFI system table's configuration table for guid (16 bytes as in
 * memory), or 0 when the table is absent or the system table is bad. */
uint64_t efi_config_table(const struct fw_mem *mem, uint64_t systab, const uint8_t *guid);

/* The table parsers underneath, for tests and fuzzers: t/len is one whole
 * table (header included) that the caller has bounds-checked. */
int acpi_parse_madt(struct machine *m, const uint8_t *t, uint32_t len);
int acpi_parse_fadt(struct machine *m, const uint8_t *t, uint32_t len, uint64_t *dsdt);
int acpi_parse_mcfg(struct machine *m, const uint8_t *t, uint32_t len);
int acpi_parse_hpet(struct machine *m, const uint8_t *t, uint32_t len);
void acpi_aml_scan(struct machine *m, const uint8_t *aml, uint32_t len);
/* PCI INTx routes from ACPI (drivers/acpi/acpi_prt.c): the definition
 * blocks (DSDT first, then SSDTs; AML after the 36-byte header) are loaded
 * into the AML evaluator, \_PIC(1) is called and each root bridge's _PRT
 * evaluated into m->pci_routes. 0 when routes were found, else -1. */
struct acpi_aml_block {
    const uint8_t *aml;
    uint32_t len;
    uint8_t revision;
};
int acpi_pci_routes(struct machine *m, const struct fw_mem *mem, const struct acpi_aml_block *blocks, unsigned n);
int mptable_parse_config(struct machine *m, const uint8_t *t, uint32_t len);
int smbios_parse_structures(struct machine *m, const uint8_t *t, uint32_t len, unsigned max_count);

/* Shared helpers. */
uint8_t fw_checksum(const uint8_t *p, size_t n);
uint16_t fw_le16(const uint8_t *p);
uint32_t fw_le32(const uint8_t *p);
uint64_t fw_le64(const uint8_t *p);

#endif
