/* drivers/pci/: configuration access (CF8 and ECAM), enumeration, BARs,
 * capabilities (MSI/MSI-X set-up joins with the first driver that needs it).
 * This file walks every bus behind the bridges firmware configured. */
#include <stdio.h>
#include <string.h>
#include "device.h"
#include "log.h"
#include "machine.h"
#include "pci.h"

#define MAX_CAP_WALK 48
#define PCI_MAX_DEVICES 256

static unsigned found;

static void size_bars(struct pci_info *p)
{
    unsigned nbars = (p->header_type & 0x7f) == 0 ? 6 : (p->header_type & 0x7f) == 1 ? 2 : 0;
    uint16_t cmd = pci_read16(p, 0x04);
    pci_write16(p, 0x04, (uint16_t)(cmd & ~0x3)); /* no decoding while the BARs hold all-ones */
    for (unsigned i = 0; i < nbars; i++) {
        uint16_t off = (uint16_t)(0x10 + 4 * i);
        uint32_t lo = pci_read32(p, off);
        struct pci_bar *b = &p->bars[i];
        b->io = lo & 1;
        b->is64 = !b->io && ((lo >> 1) & 3) == 2;
        b->prefetch = !b->io && (lo & 8);
        pci_write32(p, off, 0xffffffffu);
        uint32_t mask_lo = pci_read32(p, off);
        pci_write32(p, off, lo);
        uint64_t addr = lo & (b->io ? ~3u : ~15u), mask = mask_lo & (b->io ? ~3u : ~15u);
        if (mask == 0) { /* hard-wired to zero: no BAR here */
            memset(b, 0, sizeof(*b));
            continue;
        }
        if (b->is64 && i + 1 < nbars) {
            uint32_t hi = pci_read32(p, (uint16_t)(off + 4));
            pci_write32(p, (uint16_t)(off + 4), 0xffffffffu);
            uint32_t mask_hi = pci_read32(p, (uint16_t)(off + 4));
            pci_write32(p, (uint16_t)(off + 4), hi);
            addr |= (uint64_t)hi << 32;
            mask |= (uint64_t)mask_hi << 32;
        } else {
            if (b->io)
                mask |= 0xffff0000u;
            mask |= 0xffffffff00000000ull;
        }
        b->addr = addr;
        b->size = mask ? (~mask + 1) : 0;
        if (b->is64)
            i++;
    }
    pci_write16(p, 0x04, cmd);
}

/* The capability list, bounded: a looping or out-of-range list stops. */
static void read_caps(struct pci_info *p)
{
    if (!(pci_read16(p, 0x06) & 0x10))
        return;
    uint8_t off = pci_read8(p, 0x34) & 0xfc;
    for (int i = 0; i < MAX_CAP_WALK && off >= 0x40 && p->n_caps < PCI_MAX_CAPS; i++) {
        p->cap_id[p->n_caps] = pci_read8(p, off);
        p->cap_off[p->n_caps++] = off;
        off = pci_read8(p, (uint16_t)(off + 1)) & 0xfc;
    }
}

static void scan_bus(uint16_t seg, uint8_t bus, int depth, const struct pci_info *bridge);

/* Whether firmware listed routes for devices on this bus: a secondary bus
 * with them is where the swizzle from the buses below stops. */
static bool bus_routed(uint16_t seg, uint8_t bus)
{
    const struct machine *m = machine_info();
    for (unsigned i = 0; i < m->n_pci_routes; i++) {
        if (m->pci_routes[i].segment == seg && m->pci_routes[i].bus == bus)
            return true;
    }
    return false;
}

static void add_function(struct pci_info *p, int depth, const struct pci_info *bridge)
{
    if (bridge && !bus_routed(p->segment, p->bus)) {
        p->intx_bus = bridge->intx_bus;
        p->intx_dev = bridge->intx_dev;
        p->intx_swizzle = (uint8_t)((bridge->intx_swizzle + p->dev) & 3);
    } else {
        p->intx_bus = p->bus;
        p->intx_dev = p->dev;
    }
    uint32_t id = pci_read32(p, 0x00), cls = pci_read32(p, 0x08);
    p->vendor = (uint16_t)id;
    p->device = (uint16_t)(id >> 16);
    p->revision = (uint8_t)cls;
    p->prog_if = (uint8_t)(cls >> 8);
    p->subclass = (uint8_t)(cls >> 16);
    p->class_code = (uint8_t)(cls >> 24);
    p->header_type = pci_read8(p, 0x0e);
    if ((p->header_type & 0x7f) == 0) {
        p->subsys_vendor = pci_read16(p, 0x2c);
        p->subsys_device = pci_read16(p, 0x2e);
    }
    p->irq_line = pci_read8(p, 0x3c);
    p->irq_pin = pci_read8(p, 0x3d);
    size_bars(p);
    read_caps(p);
    if (found++ < PCI_MAX_DEVICES) {
        struct device d;
        memset(&d, 0, sizeof(d));
        d.bus = BUS_PCI;
        d.pci = *p;
        device_add(&d);
    }
    char bars[160] = "", caps[64] = "";
    size_t n = 0;
    for (unsigned i = 0; i < PCI_BARS && n < sizeof(bars) - 40; i++) {
        const struct pci_bar *b = &p->bars[i];
        if (b->size)
            n += (size_t)snprintf(bars + n, sizeof(bars) - n, " bar%u=%s%s:%#llx+%#llx", i, b->io ? "io" : "mem",
                                  b->is64 ? "64" : b->io ? "" : "32", (unsigned long long)b->addr,
                                  (unsigned long long)b->size);
    }
    n = 0;
    for (unsigned i = 0; i < p->n_caps && n < sizeof(caps) - 4; i++)
        n += (size_t)snprintf(caps + n, sizeof(caps) - n, "%s%02x", i ? "," : "", p->cap_id[i]);
    pr_debug("pci: %02x:%02x.%u %04x:%04x class %02x%02x irq %u/%u caps [%s]%s\n", p->bus, p->dev, p->fn,
             p->vendor, p->device, p->class_code, p->subclass, p->irq_line, p->irq_pin, caps, bars);
    /* A PCI-to-PCI bridge: its secondary bus, as firmware numbered it. */
    if ((p->header_type & 0x7f) == 1) {
        uint8_t secondary = pci_read8(p, 0x19);
        if (secondary > p->bus)
            scan_bus(p->segment, secondary, depth + 1, p);
    }
}

static void scan_bus(uint16_t seg, uint8_t bus, int depth, const struct pci_info *bridge)
{
    if (depth > 8)
        return; /* bridges nest no deeper than this on any VM */
    for (uint8_t dev = 0; dev < 32; dev++) {
        for (uint8_t fn = 0; fn < 8; fn++) {
            struct pci_info p;
            memset(&p, 0, sizeof(p));
            p.segment = seg;
            p.bus = bus;
            p.dev = dev;
            p.fn = fn;
            uint16_t vendor = pci_read16(&p, 0x00);
            if (vendor == 0xffff || vendor == 0) {
                if (fn == 0)
                    break;
                continue;
            }
            add_function(&p, depth, bridge);
            if (fn == 0 && !(pci_read8(&p, 0x0e) & 0x80))
                break; /* single-function device */
        }
    }
}

int pci_probe(void)
{
    found = 0;
    machine_pci_routes_complete();
    pci_irq_quirks();
    scan_bus(0, 0, 0, NULL);
    const struct machine *m = machine_info();
    pr_info("pci: %u function%s (config space via %s)\n", found, found == 1 ? "" : "s",
            m->n_ecam && m->ecam[0].segment == 0 && m->ecam[0].bus_start == 0 ? "ECAM" : "ports 0xcf8/0xcfc");
    return (int)found;
}

unsigned pci_peek_ids(uint32_t *ids, unsigned max)
{
    unsigned n = 0;
    for (uint8_t dev = 0; dev < 32 && n < max; dev++) {
        struct pci_info p = { .bus = 0, .dev = dev };
        uint32_t id = pci_read32(&p, 0x00);
        if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0)
            continue;
        ids[n++] = (id & 0xffff) << 16 | id >> 16;
    }
    return n;
}
