/* One interrupt for a PCI function, the best kind it offers: MSI-X entry 0,
 * then MSI, then its INTx line through the IO-APIC routing firmware set up
 * (interrupt line register and the MADT/MP overrides behind irq_attach_isa). */
#include <stddef.h>
#include "irq.h"
#include "log.h"
#include "pci.h"

#define CMD_INTX_DISABLE 0x0400

static void intx_enable(const struct pci_info *p, bool on)
{
    uint16_t cmd = pci_read16(p, 0x04);
    pci_write16(p, 0x04, (uint16_t)(on ? cmd & ~CMD_INTX_DISABLE : cmd | CMD_INTX_DISABLE));
}

static int message_irq(const struct pci_info *p, enum pci_irq_kind kind, irq_handler_fn fn, void *arg)
{
    if (!pci_find_cap(p, kind == PCI_IRQ_MSIX ? PCI_CAP_MSIX : PCI_CAP_MSI, 0))
        return -1;
    int vec = irq_alloc_vector();
    if (vec < 0)
        return -1;
    irq_set_handler((unsigned)vec, fn, arg);
    int r = kind == PCI_IRQ_MSIX ? pci_msix_enable(p, 0, (unsigned)vec) : pci_msi_enable(p, (unsigned)vec);
    if (r != 0) {
        irq_set_handler((unsigned)vec, NULL, NULL);
        return -1;
    }
    intx_enable(p, false);
    return 0;
}

int pci_attach_irq(const struct pci_info *p, unsigned allowed, irq_handler_fn fn, void *arg,
                   enum pci_irq_kind *kind)
{
    static const enum pci_irq_kind order[] = { PCI_IRQ_MSIX, PCI_IRQ_MSI };
    for (unsigned i = 0; i < 2; i++) {
        if ((allowed & order[i]) && message_irq(p, order[i], fn, arg) == 0) {
            *kind = order[i];
            return 0;
        }
    }
    if (!(allowed & PCI_IRQ_INTX) || p->irq_pin == 0 || p->irq_line == 0 || p->irq_line == 0xff) {
        pr_warn("pci: %02x:%02x.%u: no usable interrupt\n", p->bus, p->dev, p->fn);
        return -1;
    }
    if (irq_attach_isa(p->irq_line, 1, fn, arg) < 0)
        return -1;
    intx_enable(p, true);
    *kind = PCI_IRQ_INTX;
    return 0;
}

const char *pci_irq_kind_name(enum pci_irq_kind kind)
{
    return kind == PCI_IRQ_MSIX ? "msi-x" : kind == PCI_IRQ_MSI ? "msi" : "intx";
}
