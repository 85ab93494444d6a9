/* PCI configuration space access (port 0xCF8/0xCFC or ECAM windows from
 * ACPI MCFG) and capability lookup for drivers. */
#ifndef KESTREL_PCI_H
#define KESTREL_PCI_H
#include <stdint.h>
#include "device.h"
#include "irq.h"

#define PCI_CAP_MSI 0x05
#define PCI_CAP_VENDOR 0x09
#define PCI_CAP_PCIE 0x10
#define PCI_CAP_MSIX 0x11

uint32_t pci_read32(const struct pci_info *p, uint16_t off);
uint16_t pci_read16(const struct pci_info *p, uint16_t off);
uint8_t pci_read8(const struct pci_info *p, uint16_t off);
void pci_write32(const struct pci_info *p, uint16_t off, uint32_t v);
void pci_write16(const struct pci_info *p, uint16_t off, uint16_t v);
void pci_write8(const struct pci_info *p, uint16_t off, uint8_t v);

/* Offset of the n-th capability with this id (0 = first), or 0. */
uint8_t pci_find_cap(const struct pci_info *p, uint8_t id, unsigned n);
/* Turns on memory/I-O decoding and bus mastering. */
void pci_enable(const struct pci_info *p);
/* Points MSI-X table entry at vector and enables MSI-X; 0 or -1. */
int pci_msix_enable(const struct pci_info *p, unsigned entry, unsigned vector);
/* The same, sent to the CPU with this APIC id (below 0xff; -1 otherwise). */
int pci_msix_enable_to(const struct pci_info *p, unsigned entry, unsigned vector, uint32_t apic_id);
/* MSI-X table entries the function has, 0 without MSI-X. */
int pci_msix_count(const struct pci_info *p);
/* Points the MSI capability (one message) at vector and enables it; 0 or -1. */
int pci_msi_enable(const struct pci_info *p, unsigned vector);

enum pci_irq_kind { PCI_IRQ_MSIX = 1, PCI_IRQ_MSI = 2, PCI_IRQ_INTX = 4 };
#define PCI_IRQ_ANY (PCI_IRQ_MSIX | PCI_IRQ_MSI | PCI_IRQ_INTX)
/* One interrupt for the function: the first of MSI-X, MSI, INTx that
 * `allowed` permits and the device offers. INTx handlers may share the line
 * and must check their device's status. Sets *kind; 0 or -1. */
int pci_attach_irq(const struct pci_info *p, unsigned allowed, irq_handler_fn fn, void *arg,
                   enum pci_irq_kind *kind);
const char *pci_irq_kind_name(enum pci_irq_kind kind);
/* Chipset settings the command line asks for before drivers attach
 * (pci.ich9_pirq_isa=off; drivers/pci/pci_irq.c). */
void pci_irq_quirks(void);

#endif
