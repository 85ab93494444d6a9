/* IO-APICs: every pin masked at start; drivers route the GSIs they use.
 * Several IO-APICs (microvm has two) each own GSIs from their base. */
#include "irq.h"
#include "log.h"
#include "memory.h"

#define MAX_IOAPICS 8

static struct {
    volatile uint32_t *regs;
    unsigned gsi_base, npins;
} ioapics[MAX_IOAPICS];
static unsigned n_ioapics;

static uint32_t rd(volatile uint32_t *r, uint32_t reg)
{
    r[0] = reg;
    return r[4];
}

static void wr(volatile uint32_t *r, uint32_t reg, uint32_t v)
{
    r[0] = reg;
    r[4] = v;
}

void ioapic_init(uint64_t phys, unsigned gsi_base)
{
    if (n_ioapics == MAX_IOAPICS)
        return;
    volatile uint32_t *r = ioremap(phys, 0x20);
    uint32_t ver = r ? rd(r, 1) : 0xffffffffu;
    if (ver == 0xffffffffu) {
        pr_debug("ioapic: none at %#llx\n", (unsigned long long)phys);
        return;
    }
    unsigned npins = ((ver >> 16) & 0xff) + 1;
    for (unsigned i = 0; i < npins; i++) {
        wr(r, 0x10 + 2 * i, 1u << 16);
        wr(r, 0x11 + 2 * i, 0);
    }
    ioapics[n_ioapics++] = (typeof(ioapics[0])){ r, gsi_base, npins };
    pr_debug("ioapic: %u pins at %#llx, GSI %u+\n", npins, (unsigned long long)phys, gsi_base);
}

int ioapic_route(unsigned gsi, unsigned vector, int level, int active_low)
{
    for (unsigned i = 0; i < n_ioapics; i++) {
        if (gsi < ioapics[i].gsi_base || gsi >= ioapics[i].gsi_base + ioapics[i].npins)
            continue;
        unsigned pin = gsi - ioapics[i].gsi_base;
        uint32_t lo = vector | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0);
        wr(ioapics[i].regs, 0x11 + 2 * pin, irq_target_apic_id() << 24);
        wr(ioapics[i].regs, 0x10 + 2 * pin, lo);
        return 0;
    }
    return -1;
}
