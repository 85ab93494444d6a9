/* IO-APIC: all pins masked at start; drivers route the ones they use. */
#include "irq.h"
#include "log.h"
#include "memory.h"

static volatile uint32_t *regs;
static unsigned npins;

static uint32_t rd(uint32_t reg)
{
    regs[0] = reg;
    return regs[4];
}

static void wr(uint32_t reg, uint32_t v)
{
    regs[0] = reg;
    regs[4] = v;
}

void ioapic_init(uint64_t phys)
{
    regs = ioremap(phys, 0x20);
    uint32_t ver = rd(1);
    if (ver == 0xffffffffu) {
        pr_debug("ioapic: none at %#llx\n", (unsigned long long)phys);
        regs = NULL;
        return;
    }
    npins = ((ver >> 16) & 0xff) + 1;
    for (unsigned i = 0; i < npins; i++) {
        wr(0x10 + 2 * i, 1u << 16);
        wr(0x11 + 2 * i, 0);
    }
    pr_debug("ioapic: %u pins at %#llx\n", npins, (unsigned long long)phys);
}

int ioapic_route(unsigned gsi, unsigned vector, int level, int active_low)
{
    if (!regs || gsi >= npins)
        return -1;
    uint32_t lo = vector | (level ? 1u << 15 : 0) | (active_low ? 1u << 13 : 0);
    wr(0x11 + 2 * gsi, lapic_id() << 24);
    wr(0x10 + 2 * gsi, lo);
    return 0;
}
