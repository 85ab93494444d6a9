/* One interrupt for a PCI function, the best kind it offers: MSI-X entry 0,
 * then MSI, then its INTx pin. INTx goes where firmware says the pin is
 * wired: ACPI's _PRT (evaluated in APIC mode) or the MP table's PCI
 * interrupt entries (machine->pci_routes), and only without either the
 * Interrupt Line register through the ISA overrides, which is right on
 * QEMU's PIIX3 but not on chipsets that wire PCI to IO-APIC pins 16-23
 * only (VirtualBox's ICH9). `pci.nomsi=1` keeps every driver on INTx. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "cmdline.h"
#include "irq.h"
#include "log.h"
#include "machine.h"
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

static const struct machine_pci_route *find_route(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t pin)
{
    const struct machine *m = machine_info();
    for (unsigned i = 0; i < m->n_pci_routes; i++) {
        const struct machine_pci_route *r = &m->pci_routes[i];
        if (r->segment == seg && r->bus == bus && r->dev == dev && r->pin == pin)
            return r;
    }
    return NULL;
}

/* The function's own entry, else (behind bridges that firmware gave no
 * table of their own) the root-bus entry its pin reaches through the
 * bridges' swizzle. */
static const struct machine_pci_route *intx_route(const struct pci_info *p, bool *swizzled)
{
    const struct machine_pci_route *r = find_route(p->segment, p->bus, p->dev, (uint8_t)(p->irq_pin - 1));
    *swizzled = false;
    if (r || (p->intx_bus == p->bus && p->intx_dev == p->dev))
        return r;
    *swizzled = true;
    return find_route(p->segment, p->intx_bus, p->intx_dev, (uint8_t)((p->irq_pin - 1 + p->intx_swizzle) & 3));
}

static int intx_attach(const struct pci_info *p, irq_handler_fn fn, void *arg)
{
    bool swizzled;
    const struct machine_pci_route *r = intx_route(p, &swizzled);
    char pin = (char)('A' + p->irq_pin - 1);
    if (r) {
        const char *src = machine_info()->pci_route_source == MACHINE_ROUTES_MPTABLE ? "MP table" : "_PRT";
        char via[40] = "";
        if (swizzled)
            snprintf(via, sizeof(via), " via %02x:%02x INT%c", p->intx_bus, p->intx_dev, 'A' + r->pin);
        pr_info("pci: %02x:%02x.%u: INT%c -> GSI %u (%s%s, %s, active %s)\n", p->bus, p->dev, p->fn, pin, r->gsi,
                src, via, r->level ? "level" : "edge", r->active_low ? "low" : "high");
        if (irq_attach_gsi(r->gsi, r->level, r->active_low, fn, arg) >= 0)
            return 0;
        pr_warn("pci: %02x:%02x.%u: GSI %u cannot be attached; trying the Interrupt Line\n", p->bus, p->dev, p->fn,
                r->gsi);
    }
    if (p->irq_line == 0 || p->irq_line == 0xff) {
        pr_warn("pci: %02x:%02x.%u: INT%c has no route and no Interrupt Line\n", p->bus, p->dev, p->fn, pin);
        return -1;
    }
    pr_info("pci: %02x:%02x.%u: INT%c -> IRQ %u (Interrupt Line)\n", p->bus, p->dev, p->fn, pin, p->irq_line);
    return irq_attach_isa(p->irq_line, 1, fn, arg) < 0 ? -1 : 0;
}

/* VirtualBox's ICH9 wires PCI INTx to IO-APIC pins 16-23 only. QEMU's ICH9
 * also drives the ISA IRQ each PIRQx_ROUT register names (the Interrupt Line
 * SeaBIOS wrote), which hides a driver that trusts that register. Test
 * knob `pci.ich9_pirq_isa=off`: set IRQEN (bit 7, routing off) in all eight
 * registers of the ICH9 LPC bridge (8086:2918 at 00:1f.0) before any driver
 * attaches, so QEMU behaves like VirtualBox. */
void pci_irq_quirks(void)
{
    const char *v = cmdline_param(kernel_options(), "pci.ich9_pirq_isa", 0);
    if (!v || strcmp(v, "off") != 0)
        return;
    struct pci_info lpc = { .bus = 0, .dev = 31, .fn = 0 };
    if (pci_read32(&lpc, 0x00) != 0x29188086u) {
        pr_warn("pci: pci.ich9_pirq_isa=off: no ICH9 LPC bridge at 00:1f.0\n");
        return;
    }
    static const uint8_t regs[] = { 0x60, 0x61, 0x62, 0x63, 0x68, 0x69, 0x6a, 0x6b };
    for (unsigned i = 0; i < sizeof(regs); i++)
        pci_write8(&lpc, regs[i], (uint8_t)(pci_read8(&lpc, regs[i]) | 0x80));
    pr_info("pci: ICH9 PIRQ-to-ISA routing switched off (pci.ich9_pirq_isa=off)\n");
}

int pci_attach_irq(const struct pci_info *p, unsigned allowed, irq_handler_fn fn, void *arg,
                   enum pci_irq_kind *kind)
{
    static const enum pci_irq_kind order[] = { PCI_IRQ_MSIX, PCI_IRQ_MSI };
    const char *nomsi = cmdline_param(kernel_options(), "pci.nomsi", 0);
    if (nomsi && strcmp(nomsi, "0") != 0 && (allowed & PCI_IRQ_INTX))
        allowed = PCI_IRQ_INTX;
    for (unsigned i = 0; i < 2; i++) {
        if ((allowed & order[i]) && message_irq(p, order[i], fn, arg) == 0) {
            *kind = order[i];
            return 0;
        }
    }
    if (!(allowed & PCI_IRQ_INTX) || p->irq_pin == 0 || p->irq_pin > 4) {
        pr_warn("pci: %02x:%02x.%u: no usable interrupt\n", p->bus, p->dev, p->fn);
        return -1;
    }
    if (intx_attach(p, fn, arg) < 0)
        return -1;
    intx_enable(p, true);
    *kind = PCI_IRQ_INTX;
    return 0;
}

const char *pci_irq_kind_name(enum pci_irq_kind kind)
{
    return kind == PCI_IRQ_MSIX ? "msi-x" : kind == PCI_IRQ_MSI ? "msi" : "intx";
}
