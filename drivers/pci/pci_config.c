/* Configuration space access: ECAM (memory-mapped, 4 KiB per function) when
 * ACPI's MCFG gives a window for the bus, else the 0xCF8/0xCFC port pair
 * (256 bytes per function). */
#include "arch/x86.h"
#include "machine.h"
#include "memory.h"
#include "pci.h"
#include "spinlock.h"

static struct spinlock cf8_lock = SPINLOCK_INIT;
static volatile uint8_t *ecam[MACHINE_MAX_ECAM];

/* The ECAM bytes of (bus, dev, fn), or NULL to use the ports. */
static volatile uint8_t *ecam_at(const struct pci_info *p, uint16_t off)
{
    const struct machine *m = machine_info();
    for (unsigned i = 0; i < m->n_ecam; i++) {
        const struct machine_ecam *e = &m->ecam[i];
        if (e->segment != p->segment || p->bus < e->bus_start || p->bus > e->bus_end)
            continue;
        if (!ecam[i]) /* 2 MiB pages: the whole window costs one page table */
            ecam[i] = ioremap(e->base + ((uint64_t)e->bus_start << 20),
                              ((uint64_t)(e->bus_end - e->bus_start) + 1) << 20);
        if (!ecam[i])
            return NULL;
        return ecam[i] + (((uint64_t)(p->bus - e->bus_start) << 20) | ((uint64_t)p->dev << 15) |
                          ((uint64_t)p->fn << 12) | (off & 0xfff));
    }
    return NULL;
}

static uint32_t cf8_addr(const struct pci_info *p, uint16_t off)
{
    return 0x80000000u | (uint32_t)p->bus << 16 | (uint32_t)p->dev << 11 | (uint32_t)p->fn << 8 | (off & 0xfc);
}

uint32_t pci_read32(const struct pci_info *p, uint16_t off)
{
    volatile uint8_t *e = ecam_at(p, off);
    if (e)
        return *(volatile uint32_t *)e;
    if (off >= 256 || p->segment)
        return 0xffffffffu;
    uint64_t f = spin_lock_irqsave(&cf8_lock);
    outl(0xcf8, cf8_addr(p, off));
    uint32_t v = inl(0xcfc);
    spin_unlock_irqrestore(&cf8_lock, f);
    return v;
}

uint16_t pci_read16(const struct pci_info *p, uint16_t off) { return (uint16_t)(pci_read32(p, off & ~3) >> (8 * (off & 2))); }
uint8_t pci_read8(const struct pci_info *p, uint16_t off) { return (uint8_t)(pci_read32(p, off & ~3) >> (8 * (off & 3))); }

static void write_n(const struct pci_info *p, uint16_t off, uint32_t v, int bytes)
{
    volatile uint8_t *e = ecam_at(p, off);
    if (e) {
        if (bytes == 4)
            *(volatile uint32_t *)e = v;
        else if (bytes == 2)
            *(volatile uint16_t *)e = (uint16_t)v;
        else
            *e = (uint8_t)v;
        return;
    }
    if (off >= 256 || p->segment)
        return;
    uint64_t f = spin_lock_irqsave(&cf8_lock);
    outl(0xcf8, cf8_addr(p, off));
    if (bytes == 4)
        outl(0xcfc, v);
    else if (bytes == 2)
        outw((uint16_t)(0xcfc + (off & 2)), (uint16_t)v);
    else
        outb((uint16_t)(0xcfc + (off & 3)), (uint8_t)v);
    spin_unlock_irqrestore(&cf8_lock, f);
}

void pci_write32(const struct pci_info *p, uint16_t off, uint32_t v) { write_n(p, off, v, 4); }
void pci_write16(const struct pci_info *p, uint16_t off, uint16_t v) { write_n(p, off, v, 2); }
void pci_write8(const struct pci_info *p, uint16_t off, uint8_t v) { write_n(p, off, v, 1); }

uint8_t pci_find_cap(const struct pci_info *p, uint8_t id, unsigned n)
{
    for (unsigned i = 0; i < p->n_caps; i++) {
        if (p->cap_id[i] == id && n-- == 0)
            return p->cap_off[i];
    }
    return 0;
}

void pci_enable(const struct pci_info *p)
{
    pci_write16(p, 0x04, (uint16_t)(pci_read16(p, 0x04) | 0x7)); /* I/O, memory, bus master */
}
