/* FADT ("FACP"): PM1 control blocks, reset register, hardware-reduced flag,
 * sleep control/status registers, SCI, the event blocks (PM1 event, GPE0,
 * SMI command) and the DSDT address. Fields are read
 * only when the table is long enough to hold them (revisions differ). */
#include "firmware.h"
#include "log.h"

#define FADT_RESET_REG_SUP (1u << 10)
#define FADT_HW_REDUCED (1u << 20)
#define FADT_PWR_BUTTON (1u << 4) /* set: the power button is a control-method device */

static void gas(struct machine_gas *g, const uint8_t *p)
{
    *g = (struct machine_gas){ p[0], p[1], p[2], p[3], fw_le64(p + 4) };
}

/* A PM1 block from the 32-bit field, or the X_ one when it is an I/O port. */
static uint32_t pm1_port(const uint8_t *t, uint32_t len, unsigned off32, unsigned off_x)
{
    uint32_t port = fw_le32(t + off32);
    if (len >= off_x + 12 && t[off_x] == 1 && fw_le64(t + off_x + 4) && fw_le64(t + off_x + 4) <= 0xffff)
        port = (uint32_t)fw_le64(t + off_x + 4);
    return port <= 0xffff ? port : 0;
}

int acpi_parse_fadt(struct machine *m, const uint8_t *t, uint32_t len, uint64_t *dsdt)
{
    if (len < 116) {
        pr_warn("acpi: FADT too short (%u bytes)\n", len);
        return -1;
    }
    m->fadt = true;
    *dsdt = fw_le32(t + 40);
    if (len >= 148 && fw_le64(t + 140))
        *dsdt = fw_le64(t + 140);
    m->sci_irq = fw_le16(t + 46);
    m->pm1a_cnt = pm1_port(t, len, 64, 172);
    m->pm1b_cnt = pm1_port(t, len, 68, 184);
    m->pm1a_evt = pm1_port(t, len, 56, 148);
    m->pm1b_evt = pm1_port(t, len, 60, 160);
    m->gpe0_blk = pm1_port(t, len, 80, 220);
    m->smi_cmd = fw_le32(t + 48) <= 0xffff ? fw_le32(t + 48) : 0;
    m->acpi_enable = t[52];
    m->pm1_evt_len = t[88];
    m->gpe0_blk_len = t[92];
    m->boot_arch = fw_le16(t + 109);
    uint32_t flags = fw_le32(t + 112);
    m->hw_reduced = (flags & FADT_HW_REDUCED) != 0;
    m->fixed_power_button = !m->hw_reduced && !(flags & FADT_PWR_BUTTON) && m->pm1a_evt && m->pm1_evt_len >= 4;
    if (len >= 129) {
        gas(&m->reset_reg, t + 116);
        m->reset_value = t[128];
        m->reset_supported = (flags & FADT_RESET_REG_SUP) && (m->reset_reg.space <= 1) && m->reset_reg.addr;
    }
    if (len >= 268) {
        gas(&m->sleep_control, t + 244);
        gas(&m->sleep_status, t + 256);
    }
    return 0;
}

int acpi_parse_mcfg(struct machine *m, const uint8_t *t, uint32_t len)
{
    for (uint32_t off = 44; off + 16 <= len; off += 16) {
        const uint8_t *e = t + off;
        if (m->n_ecam == MACHINE_MAX_ECAM)
            break;
        if (e[11] < e[10] || fw_le64(e) == 0) {
            pr_warn("acpi: MCFG entry with bus range %u-%u at %#llx ignored\n", e[10], e[11],
                    (unsigned long long)fw_le64(e));
            continue;
        }
        m->ecam[m->n_ecam++] = (struct machine_ecam){ fw_le64(e), fw_le16(e + 8), e[10], e[11] };
    }
    return 0;
}

int acpi_parse_hpet(struct machine *m, const uint8_t *t, uint32_t len)
{
    if (len < 56 || t[40] != 0 || fw_le64(t + 44) == 0) {
        pr_warn("acpi: HPET table unusable\n");
        return -1;
    }
    m->hpet = true;
    m->hpet_addr = fw_le64(t + 44);
    return 0;
}
