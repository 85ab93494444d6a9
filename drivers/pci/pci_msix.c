/* MSI-X: one table entry pointed at a vector on the interrupt target's
 * LAPIC, or on a CPU the driver names. */
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "pci.h"

#define MSIX_ENABLE 0x8000
#define MSIX_FUNCTION_MASK 0x4000

int pci_msix_count(const struct pci_info *p)
{
    uint8_t cap = pci_find_cap(p, PCI_CAP_MSIX, 0);
    if (!cap)
        return 0;
    return (pci_read16(p, (uint16_t)(cap + 2)) & 0x7ff) + 1;
}

static int program(const struct pci_info *p, unsigned entry, unsigned vector, uint32_t apic_id);

int pci_msix_enable(const struct pci_info *p, unsigned entry, unsigned vector)
{
    return program(p, entry, vector, irq_target_apic_id());
}

int pci_msix_enable_to(const struct pci_info *p, unsigned entry, unsigned vector, uint32_t apic_id)
{
    /* Without interrupt remapping the destination field has 8 bits, and
     * 0xff there is a broadcast. */
    if (apic_id >= 0xff)
        return -1;
    return program(p, entry, vector, apic_id);
}

static int program(const struct pci_info *p, unsigned entry, unsigned vector, uint32_t apic_id)
{
    uint8_t cap = pci_find_cap(p, PCI_CAP_MSIX, 0);
    if (!cap)
        return -1;
    uint16_t ctrl = pci_read16(p, (uint16_t)(cap + 2));
    unsigned size = (ctrl & 0x7ff) + 1;
    uint32_t table = pci_read32(p, (uint16_t)(cap + 4));
    unsigned bir = table & 7;
    if (entry >= size || bir >= PCI_BARS || p->bars[bir].io || p->bars[bir].size == 0 ||
        (table & ~7u) + 16u * size > p->bars[bir].size) {
        pr_warn("pci: %02x:%02x.%u: unusable MSI-X table (BAR %u)\n", p->bus, p->dev, p->fn, bir);
        return -1;
    }
    volatile uint32_t *t = ioremap(p->bars[bir].addr + (table & ~7u), 16u * size);
    if (!t)
        return -1;
    /* Some devices ignore table writes until MSI-X is enabled (Linux's
     * driver says so; Nitro's NVMe is real hardware): enable it with the
     * whole function masked, program the entry masked, then unmask. */
    pci_write16(p, (uint16_t)(cap + 2), (uint16_t)(ctrl | MSIX_ENABLE | MSIX_FUNCTION_MASK));
    volatile uint32_t *e = t + 4 * entry;
    e[3] = 1;
    e[0] = 0xfee00000u | (apic_id << 12);
    e[1] = 0;
    e[2] = vector;
    e[3] = 0;
    pci_write16(p, (uint16_t)(cap + 2), (uint16_t)((ctrl | MSIX_ENABLE) & ~MSIX_FUNCTION_MASK));
    return 0;
}
