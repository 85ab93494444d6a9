/* drivers/firmware/: firmware tables other than ACPI: the Intel MP table
 * (used where ACPI is absent) and SMBIOS. This file reads MP spec 1.4 tables. */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define MP_MAX_ENTRIES 1024
#define MP_CPU_ENABLED 1u
#define MP_CPU_BSP 2u
#define MP_IOAPIC_ENABLED 1u
#define MP_INT_VECTORED 0

static int find_floating(const struct fw_mem *mem, uint64_t start, uint64_t len, uint64_t *found)
{
    const uint8_t *area = mem->map(mem->ctx, start, len);
    if (!area)
        return -1;
    for (uint64_t off = 0; off + 16 <= len; off += 16) {
        const uint8_t *f = area + off;
        uint64_t p = start + off;
        if (memcmp(f, "_MP_", 4) != 0)
            continue;
        if (f[8] != 1 || fw_checksum(f, 16) != 0) {
            pr_warn("mptable: floating pointer at %#llx has a bad length or checksum\n", (unsigned long long)p);
            continue;
        }
        *found = p;
        return 0;
    }
    return -1;
}

static void add_cpu(struct machine *m, const uint8_t *e)
{
    if (!(e[3] & MP_CPU_ENABLED))
        return;
    if (m->n_cpus == MACHINE_MAX_CPUS) {
        m->cpus_dropped++;
        return;
    }
    m->cpus[m->n_cpus++] = (struct machine_cpu){ e[1], 0, (e[3] & MP_CPU_BSP) != 0 };
}

static void add_ioapic(struct machine *m, const uint8_t *e)
{
    if (!(e[3] & MP_IOAPIC_ENABLED))
        return;
    if (m->n_ioapics == MACHINE_MAX_IOAPICS) {
        m->ioapics_dropped++;
        return;
    }
    /* GSI bases are not in the MP table: number the pins of each IO-APIC
     * after the previous one's (24 pins each, as on every PC chipset). */
    uint32_t base = m->n_ioapics * 24;
    m->ioapics[m->n_ioapics++] = (struct machine_ioapic){ e[1], fw_le32(e + 4), base };
}

/* An I/O interrupt on the ISA bus becomes an override (ISA IRQ -> GSI). */
static void add_irq(struct machine *m, const uint8_t *e, int isa_bus)
{
    if (e[1] != MP_INT_VECTORED || isa_bus < 0 || e[4] != isa_bus)
        return;
    uint32_t gsi_base = 0;
    for (unsigned i = 0; i < m->n_ioapics; i++) {
        if (m->ioapics[i].id == e[6])
            gsi_base = m->ioapics[i].gsi_base;
    }
    if (m->n_overrides == MACHINE_MAX_OVERRIDES) {
        m->overrides_dropped++;
        return;
    }
    m->overrides[m->n_overrides++] = (struct machine_irq_override){ e[5], gsi_base + e[7], fw_le16(e + 2) };
}

/* An I/O interrupt whose source is a PCI bus: the MP spec (D.3) puts the
 * device in bits 6:2 of the source IRQ and the pin (0 = INTA) in bits 1:0.
 * Conforming polarity and trigger mean PCI's: active low, level. */
static void add_pci_route(struct machine *m, const uint8_t *e, const uint8_t *pci_bus)
{
    if (e[1] != MP_INT_VECTORED || !(pci_bus[e[4] / 8] & (1u << (e[4] % 8))))
        return;
    int found = 0;
    uint32_t gsi_base = 0;
    for (unsigned i = 0; i < m->n_ioapics; i++) {
        if (m->ioapics[i].id == e[6] || e[6] == 0xff) {
            gsi_base = m->ioapics[i].gsi_base;
            found = 1;
            break;
        }
    }
    if (!found)
        return; /* a pin of an IO-APIC the table does not list */
    uint16_t flags = fw_le16(e + 2);
    unsigned pol = flags & 3, trig = (flags >> 2) & 3;
    struct machine_pci_route r = { 0, e[4], (uint8_t)((e[5] >> 2) & 0x1f), (uint8_t)(e[5] & 3), trig != 1, pol != 1,
                                   gsi_base + e[7] };
    for (unsigned i = 0; i < m->n_pci_routes; i++) {
        const struct machine_pci_route *o = &m->pci_routes[i];
        if (o->bus == r.bus && o->dev == r.dev && o->pin == r.pin)
            return;
    }
    if (m->n_pci_routes == MACHINE_MAX_PCI_ROUTES) {
        m->pci_routes_dropped++;
        return;
    }
    m->pci_routes[m->n_pci_routes++] = r;
    m->pci_route_source = MACHINE_ROUTES_MPTABLE;
}

int mptable_parse_config(struct machine *m, const uint8_t *t, uint32_t len)
{
    if (len < 44 || memcmp(t, "PCMP", 4) != 0) {
        pr_warn("mptable: configuration table has no PCMP signature\n");
        return -1;
    }
    uint16_t base_len = fw_le16(t + 4), count = fw_le16(t + 34);
    if (base_len < 44 || base_len > len || fw_checksum(t, base_len) != 0) {
        pr_warn("mptable: configuration table has a bad length (%u) or checksum\n", base_len);
        return -1;
    }
    if (count > MP_MAX_ENTRIES) {
        pr_warn("mptable: absurd entry count %u\n", count);
        return -1;
    }
    /* qboot (QEMU microvm) writes its entries but leaves the count at 0:
     * then the table's length is what bounds the walk. */
    int by_length = count == 0 && base_len > 44;
    if (by_length) {
        pr_debug("mptable: entry count is 0; walking the %u bytes the header declares\n", base_len);
        count = MP_MAX_ENTRIES;
    }
    struct machine saved = *m;
    memcpy(m->mp_oem, t + 8, 8);
    m->mp_oem[8] = 0;
    m->lapic_addr = fw_le32(t + 36);
    int isa_bus = -1;
    uint8_t pci_bus[32] = { 0 }; /* bus ids whose type is PCI */
    /* Two passes: buses and IO-APICs first, so interrupts can refer to them. */
    for (int pass = 0; pass < 2; pass++) {
        uint32_t off = 44;
        for (unsigned i = 0; i < count; i++) {
            if (off >= base_len) {
                if (by_length)
                    break;
                pr_warn("mptable: %u entries announced, table ends after %u\n", count, i);
                *m = saved;
                return -1;
            }
            uint8_t type = t[off];
            uint32_t size = type == 0 ? 20 : 8;
            if (type > 4 || size > base_len - off) {
                pr_warn("mptable: entry %u (type %u) is unknown or runs past the table\n", i, type);
                *m = saved;
                return -1;
            }
            const uint8_t *e = t + off;
            if (pass == 0 && type == 0)
                add_cpu(m, e);
            else if (pass == 0 && type == 1 && memcmp(e + 2, "ISA   ", 6) == 0)
                isa_bus = e[1];
            else if (pass == 0 && type == 1 && memcmp(e + 2, "PCI   ", 6) == 0)
                pci_bus[e[1] / 8] |= (uint8_t)(1u << (e[1] % 8));
            else if (pass == 0 && type == 2)
                add_ioapic(m, e);
            else if (pass == 1 && type == 3) {
                add_irq(m, e, isa_bus);
                add_pci_route(m, e, pci_bus);
            }
            off += size;
        }
    }
    if (m->n_cpus == 0) {
        pr_warn("mptable: no enabled processor listed\n");
        *m = saved;
        return -1;
    }
    return 0;
}

int mptable_probe(struct machine *m, const struct fw_mem *mem)
{
    uint64_t fp = 0;
    const uint8_t *seg = mem->map(mem->ctx, 0x40e, 2);
    uint64_t ebda = seg ? (uint64_t)fw_le16(seg) << 4 : 0;
    if (!(ebda >= 0x80000 && ebda < 0xa0000 && find_floating(mem, ebda, 1024, &fp) == 0) &&
        find_floating(mem, 0x9fc00, 0x400, &fp) < 0 && find_floating(mem, 0xf0000, 0x10000, &fp) < 0) {
        pr_debug("mptable: none\n");
        return -1;
    }
    const uint8_t *f = mem->map(mem->ctx, fp, 16);
    uint32_t cfg = fw_le32(f + 4);
    if (cfg == 0) {
        pr_warn("mptable: default configuration %u is not supported\n", f[11]);
        return -1;
    }
    const uint8_t *h = mem->map(mem->ctx, cfg, 44);
    if (!h) {
        pr_warn("mptable: configuration table at %#x is not in memory\n", cfg);
        return -1;
    }
    uint16_t base_len = fw_le16(h + 4);
    const uint8_t *t = base_len >= 44 ? mem->map(mem->ctx, cfg, base_len) : NULL;
    if (!t) {
        pr_warn("mptable: configuration table at %#x has a bad length %u\n", cfg, base_len);
        return -1;
    }
    if (mptable_parse_config(m, t, base_len) < 0)
        return -1;
    m->mptable = true;
    m->pic_present = true; /* IMCR or virtual-wire mode: the 8259s exist either way */
    return 0;
}
