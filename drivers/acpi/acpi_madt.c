/* MADT ("APIC"): local APICs and x2APICs, IO-APICs, interrupt source
 * overrides and NMI entries. Every entry's length is checked before any is
 * taken: an entry of length 0 or one that runs past the table rejects the
 * whole table and leaves the machine description as it was. Processor
 * entries are untrusted one by one: disabled, duplicate and impossible APIC
 * ids are counted and skipped, and more than MACHINE_MAX_CPUS are counted
 * and warned about. */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define MADT_HEADER 44
#define MADT_PCAT_COMPAT 1u
#define LAPIC_ENABLED 1u
#define LAPIC_ONLINE_CAPABLE 2u
#define XAPIC_BROADCAST 0xffu
#define X2APIC_BROADCAST 0xffffffffu

enum {
    MADT_LAPIC = 0,
    MADT_IOAPIC = 1,
    MADT_OVERRIDE = 2,
    MADT_LAPIC_NMI = 4,
    MADT_LAPIC_ADDR = 5,
    MADT_X2APIC = 9,
    MADT_X2APIC_NMI = 0xa,
};

static void add_cpu(struct machine *m, uint32_t apic_id, uint32_t uid, uint32_t flags, uint32_t broadcast)
{
    if (!(flags & LAPIC_ENABLED)) {
        /* Online-capable CPUs could be hot-added later; nothing here
         * handles that, and starting an absent CPU only costs a time-out. */
        m->cpus_disabled++;
        return;
    }
    if (apic_id == broadcast) {
        m->cpus_invalid++;
        return;
    }
    for (unsigned i = 0; i < m->n_cpus; i++) {
        if (m->cpus[i].apic_id == apic_id) {
            /* Some firmware lists a CPU in both an xAPIC and an x2APIC
             * entry; two CPUs cannot share an id, so the first stands. */
            m->cpus_duplicate++;
            return;
        }
    }
    if (m->n_cpus == MACHINE_MAX_CPUS) {
        m->cpus_dropped++;
        return;
    }
    m->cpus[m->n_cpus++] = (struct machine_cpu){ apic_id, uid, false };
}

static void add_nmi(struct machine *m, uint32_t uid, uint8_t lint, uint16_t flags)
{
    if (lint > 1 || m->n_nmis == MACHINE_MAX_NMIS)
        return; /* a local APIC has LINT0 and LINT1 only */
    m->nmis[m->n_nmis++] = (struct machine_nmi){ uid, lint, flags };
}

/* The first pass: every entry's length fits, and some entry names a
 * processor that could run (enabled, not a broadcast id). */
static int check_entries(const uint8_t *t, uint32_t len)
{
    bool usable = false;
    for (uint32_t off = MADT_HEADER; off < len;) {
        if (len - off < 2 || t[off + 1] < 2 || t[off + 1] > len - off) {
            pr_warn("acpi: MADT entry at +%u has a bad length; table rejected\n", off);
            return -1;
        }
        const uint8_t *e = t + off;
        if (e[0] == MADT_LAPIC && e[1] >= 8 && (fw_le32(e + 4) & LAPIC_ENABLED) && e[3] != XAPIC_BROADCAST)
            usable = true;
        if (e[0] == MADT_X2APIC && e[1] >= 16 && (fw_le32(e + 8) & LAPIC_ENABLED) &&
            fw_le32(e + 4) != X2APIC_BROADCAST)
            usable = true;
        off += e[1];
    }
    if (!usable) {
        pr_warn("acpi: MADT lists no usable processor; table rejected\n");
        return -1;
    }
    return 0;
}

static void take_entry(struct machine *m, const uint8_t *e)
{
    uint8_t elen = e[1];
    switch (e[0]) {
    case MADT_LAPIC:
        if (elen >= 8)
            add_cpu(m, e[3], e[2], fw_le32(e + 4), XAPIC_BROADCAST);
        break;
    case MADT_IOAPIC:
        if (elen < 12)
            break;
        if (m->n_ioapics == MACHINE_MAX_IOAPICS) {
            m->ioapics_dropped++;
            break;
        }
        m->ioapics[m->n_ioapics++] = (struct machine_ioapic){ e[2], fw_le32(e + 4), fw_le32(e + 8) };
        break;
    case MADT_OVERRIDE:
        if (elen < 10 || e[2] != 0)
            break;
        if (m->n_overrides == MACHINE_MAX_OVERRIDES) {
            m->overrides_dropped++;
            break;
        }
        m->overrides[m->n_overrides++] = (struct machine_irq_override){ e[3], fw_le32(e + 4), fw_le16(e + 8) };
        break;
    case MADT_LAPIC_NMI:
        if (elen >= 6)
            add_nmi(m, e[2] == 0xff ? 0xffffffffu : e[2], e[5], fw_le16(e + 3));
        break;
    case MADT_LAPIC_ADDR:
        if (elen >= 12)
            m->lapic_addr = fw_le64(e + 4);
        break;
    case MADT_X2APIC:
        if (elen >= 16)
            add_cpu(m, fw_le32(e + 4), fw_le32(e + 12), fw_le32(e + 8), X2APIC_BROADCAST);
        break;
    case MADT_X2APIC_NMI:
        if (elen >= 12)
            add_nmi(m, fw_le32(e + 4), e[8], fw_le16(e + 2));
        break;
    }
}

int acpi_parse_madt(struct machine *m, const uint8_t *t, uint32_t len)
{
    if (len < MADT_HEADER) {
        pr_warn("acpi: MADT too short (%u bytes)\n", len);
        return -1;
    }
    if (check_entries(t, len) < 0)
        return -1;
    m->lapic_addr = fw_le32(t + 36);
    m->pic_present = (fw_le32(t + 40) & MADT_PCAT_COMPAT) != 0;
    for (uint32_t off = MADT_HEADER; off < len; off += t[off + 1])
        take_entry(m, t + off);
    if (m->cpus_dropped)
        pr_warn("acpi: MADT lists %u CPUs; Kestrel runs at most %u, %u left offline\n",
                m->n_cpus + m->cpus_dropped, MACHINE_MAX_CPUS, m->cpus_dropped);
    if (m->cpus_duplicate || m->cpus_invalid)
        pr_warn("acpi: MADT processor entries skipped: %u with an APIC id listed before, %u with a broadcast id\n",
                m->cpus_duplicate, m->cpus_invalid);
    if (m->cpus_disabled)
        pr_info("acpi: %u processor entr%s disabled (not started)\n", m->cpus_disabled,
                m->cpus_disabled == 1 ? "y" : "ies");
    return 0;
}
