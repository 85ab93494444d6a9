/* Device interrupts through the IO-APICs. A GSI gets one vector; devices
 * sharing a line (PCI INTx) each add a handler to it, and every handler
 * checks its own device. ISA/PCI-line numbers go through firmware's
 * interrupt source overrides. */
#include <stddef.h>
#include <stdlib.h>
#include "irq.h"
#include "log.h"
#include "machine.h"
#include "spinlock.h"

#define MAX_SHARED_GSIS 32

struct action {
    irq_handler_fn fn;
    void *arg;
    struct action *next;
};

static struct {
    unsigned gsi;
    int vector;
    struct action *actions;
} lines[MAX_SHARED_GSIS];
static unsigned nlines;
static struct spinlock lock = SPINLOCK_INIT;

static void dispatch(struct int_frame *f, void *arg)
{
    for (struct action *a = ((typeof(&lines[0]))arg)->actions; a; a = a->next)
        a->fn(f, a->arg);
}

int irq_attach_gsi(unsigned gsi, int level, int active_low, irq_handler_fn fn, void *arg)
{
    struct action *a = malloc(sizeof(*a));
    if (!a)
        return -1;
    a->fn = fn;
    a->arg = arg;
    uint64_t flags = spin_lock_irqsave(&lock);
    for (unsigned i = 0; i < nlines; i++) {
        if (lines[i].gsi == gsi) {
            a->next = lines[i].actions;
            lines[i].actions = a; /* published last: dispatch sees a whole entry */
            spin_unlock_irqrestore(&lock, flags);
            return lines[i].vector;
        }
    }
    int vec = nlines < MAX_SHARED_GSIS ? irq_alloc_vector() : -1;
    if (vec < 0) {
        spin_unlock_irqrestore(&lock, flags);
        free(a);
        return -1;
    }
    a->next = NULL;
    lines[nlines] = (typeof(lines[0])){ gsi, vec, a };
    irq_set_handler((unsigned)vec, dispatch, &lines[nlines]);
    if (ioapic_route(gsi, (unsigned)vec, level, active_low) < 0) {
        irq_set_handler((unsigned)vec, NULL, NULL);
        spin_unlock_irqrestore(&lock, flags);
        pr_warn("irq: no IO-APIC pin for GSI %u\n", gsi);
        free(a);
        return -1;
    }
    nlines++;
    spin_unlock_irqrestore(&lock, flags);
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
