/* Device interrupts through the IO-APICs: a vector per attachment, routing
 * from firmware's interrupt source overrides for ISA/PCI-line numbers. */
#include <stddef.h>
#include "irq.h"
#include "log.h"
#include "machine.h"

int irq_attach_gsi(unsigned gsi, int level, int active_low, irq_handler_fn fn, void *arg)
{
    int vec = irq_alloc_vector();
    if (vec < 0)
        return -1;
    irq_set_handler((unsigned)vec, fn, arg);
    if (ioapic_route(gsi, (unsigned)vec, level, active_low) < 0) {
        pr_warn("irq: no IO-APIC pin for GSI %u\n", gsi);
        irq_set_handler((unsigned)vec, NULL, NULL);
        return -1;
    }
    return vec;
}

int irq_attach_isa(unsigned irq, int default_level, irq_handler_fn fn, void *arg)
{
    const struct machine *m = machine_info();
    unsigned gsi = irq;
    int level = default_level, active_low = default_level; /* PCI lines: level, active low */
    for (unsigned i = 0; i < m->n_overrides; i++) {
        const struct machine_irq_override *o = &m->overrides[i];
        if (o->bus_irq != irq)
            continue;
        gsi = o->gsi;
        unsigned pol = o->flags & 3, trig = (o->flags >> 2) & 3;
        if (pol)
            active_low = pol == 3;
        if (trig)
            level = trig == 3;
    }
    return irq_attach_gsi(gsi, level, active_low, fn, arg);
}
