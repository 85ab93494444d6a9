/* MADT ("APIC"): local APICs and x2APICs, IO-APICs, interrupt source
 * overrides and NMI entries. An entry of length 0 or one that runs past the
 * table rejects the table. */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define MADT_PCAT_COMPAT 1u
#define LAPIC_ENABLED 1u
#define LAPIC_ONLINE_CAPABLE 2u

static void add_cpu(struct machine *m, uint32_t apic_id, uint32_t uid, uint32_t flags)
{
    if (!(flags & (LAPIC_ENABLED | LAPIC_ONLINE_CAPABLE)))
        return;
    for (unsigned i = 0; i < m->n_cpus; i++) {
        if (m->cpus[i].apic_id == apic_id)
            return; /* listed twice (xAPIC and x2APIC entries): once is enough */
    }
    if (m->n_cpus == MACHINE_MAX_CPUS) {
        m->cpus_dropped++;
        return;
    }
    m->cpus[m->n_cpus++] = (struct machine_cpu){ apic_id, uid, false };
}

int acpi_parse_madt(struct machine *m, const uint8_t *t, uint32_t len)
{
    if (len < 44) {
        pr_warn("acpi: MADT too short (%u bytes)\n", len);
        return -1;
    }
    struct machine saved = *m; /* a rejected table leaves no trace */
    m->lapic_addr = fw_le32(t + 36);
    m->pic_present = (fw_le32(t + 40) & MADT_PCAT_COMPAT) != 0;
    for (uint32_t off = 44; off < len;) {
        if (len - off < 2 || t[off + 1] < 2 || t[off + 1] > len - off) {
            pr_warn("acpi: MADT entry at +%u has a bad length; table rejected\n", off);
            *m = saved;
            return -1;
        }
        const uint8_t *e = t + off;
        uint8_t type = e[0], elen = e[1];
        off += elen;
        switch (type) {
        case 0: /* processor local APIC */
            if (elen >= 8)
                add_cpu(m, e[3], e[2], fw_le32(e + 4));
            break;
        case 1: /* IO-APIC */
            if (elen < 12)
                break;
            if (m->n_ioapics == MACHINE_MAX_IOAPICS) {
                m->ioapics_dropped++;
                break;
            }
            m->ioapics[m->n_ioapics++] = (struct machine_ioapic){ e[2], fw_le32(e + 4), fw_le32(e + 8) };
            break;
        case 2: /* interrupt source override */
            if (elen < 10 || e[2] != 0)
                break;
            if (m->n_overrides == MACHINE_MAX_OVERRIDES) {
                m->overrides_dropped++;
                break;
            }
            m->overrides[m->n_overrides++] = (struct machine_irq_override){ e[3], fw_le32(e + 4), fw_le16(e + 8) };
            break;
        case 4: /* local APIC NMI */
            if (elen >= 6 && m->n_nmis < MACHINE_MAX_NMIS)
                m->nmis[m->n_nmis++] = (struct machine_nmi){ e[2] == 0xff ? 0xffffffffu : e[2], e[5],
                                                             fw_le16(e + 3) };
            break;
        case 5: /* local APIC address override */
            if (elen >= 12)
                m->lapic_addr = fw_le64(e + 4);
            break;
        case 9: /* processor local x2APIC */
            if (elen >= 16)
                add_cpu(m, fw_le32(e + 4), fw_le32(e + 12), fw_le32(e + 8));
            break;
        case 0xa: /* local x2APIC NMI */
            if (elen >= 12 && m->n_nmis < MACHINE_MAX_NMIS)
                m->nmis[m->n_nmis++] = (struct machine_nmi){ fw_le32(e + 4), e[8], fw_le16(e + 2) };
            break;
        }
    }
    if (m->n_cpus == 0) {
        pr_warn("acpi: MADT lists no usable processor; table rejected\n");
        *m = saved;
        return -1;
    }
    if (m->cpus_dropped)
        pr_warn("acpi: MADT lists more than %u CPUs; %u ignored\n", MACHINE_MAX_CPUS, m->cpus_dropped);
    return 0;
}
