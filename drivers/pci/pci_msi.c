/* Plain MSI: one message, pointed at a vector on the CPU device interrupts go to; for
 * devices without MSI-X (and drivers that can live with one vector). */
#include "irq.h"
#include "pci.h"

#define MSI_ENABLE 0x0001
#define MSI_MME_MASK 0x0070 /* multiple message enable: 0 = one message */
#define MSI_64BIT 0x0080
#define MSI_PER_VECTOR_MASK 0x0100

int pci_msi_enable(const struct pci_info *p, unsigned vector)
{
    uint8_t cap = pci_find_cap(p, PCI_CAP_MSI, 0);
    if (!cap || vector > 0xff)
        return -1;
    uint16_t ctrl = pci_read16(p, (uint16_t)(cap + 2));
    uint16_t data_off = (ctrl & MSI_64BIT) ? 12 : 8;
    pci_write32(p, (uint16_t)(cap + 4), 0xfee00000u | (irq_target_apic_id() << 12));
    if (ctrl & MSI_64BIT)
        pci_write32(p, (uint16_t)(cap + 8), 0);
    pci_write16(p, (uint16_t)(cap + data_off), (uint16_t)vector); /* fixed delivery, edge */
    if (ctrl & MSI_PER_VECTOR_MASK)
        pci_write32(p, (uint16_t)(cap + data_off + 4), 0); /* mask bits follow the data word */
    pci_write16(p, (uint16_t)(cap + 2), (uint16_t)((ctrl & ~MSI_MME_MASK) | MSI_ENABLE));
    return 0;
}
