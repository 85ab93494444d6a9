/* pvpanic: QEMU's panic-notification device. The ISA variant is a single
 * I/O port (0x505 by default) whose read gives the events it supports; the
 * guest writes PANICKED (bit 0) when it panics. The PCI variant (1b36:0011)
 * joins when the PCI bus does. */
#include "arch/x86.h"
#include "driver.h"
#include "log.h"
#include "machine.h"
#include "panic.h"
#include "platform.h"

#define PVPANIC_PORT 0x505
#define PVPANIC_PANICKED 0x1

static uint16_t port;

static void pvpanic_notify(void) { outb(port, PVPANIC_PANICKED); }

static void pvpanic_init(void)
{
    const struct platform *p = platform_current();
    uint16_t candidate = machine_info()->pvpanic_port;
    const char *how = "ACPI QEMU0001";
    if (!candidate && p && p->isa_pvpanic) {
        candidate = PVPANIC_PORT;
        how = "probed";
    }
    if (!candidate)
        return;
    /* An absent port reads 0xff; the device reports a small event mask. */
    uint8_t events = inb(candidate);
    if (events == 0xff || !(events & PVPANIC_PANICKED))
        return;
    port = candidate;
    panic_notifier_register(pvpanic_notify);
    pr_info("pvpanic: ISA device at port %#x (events %#x, %s)\n", port, events, how);
}

DRIVER_INIT(pvpanic) = { "pvpanic", pvpanic_init };

/* The PCI variant: a one-byte register at the start of BAR 0. */
#include "device.h"
#include "memory.h"
#include "pci.h"

static volatile uint8_t *pci_reg;

static void pvpanic_pci_notify(void) { *pci_reg = PVPANIC_PANICKED; }

static int pvpanic_pci_attach(struct device *d)
{
    const struct pci_bar *b = &d->pci.bars[0];
    if (b->io || b->size == 0)
        return -1;
    pci_enable(&d->pci);
    pci_reg = ioremap(b->addr, 1);
    uint8_t events = pci_reg ? *pci_reg : 0;
    if (!(events & PVPANIC_PANICKED))
        return -1;
    panic_notifier_register(pvpanic_pci_notify);
    pr_info("pvpanic: PCI device %02x:%02x.%u (events %#x)\n", d->pci.bus, d->pci.dev, d->pci.fn, events);
    return 0;
}

static const struct pci_id pvpanic_ids[] = { { 0x1b36, 0x0011 }, { 0, 0 } };

DEVICE_DRIVER(pvpanic_pci) = { "pvpanic-pci", BUS_PCI, pvpanic_ids, false, pvpanic_pci_attach };
