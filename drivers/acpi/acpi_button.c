/* The ACPI power button as a stop source: the fixed-feature button (PM1
 * status/enable, PWRBTN bit) and a GPE-signalled one, both on the SCI; or,
 * on hardware-reduced ACPI, the Generic Event Device's selector register
 * and its own interrupt. What to watch comes from struct machine (FADT and
 * drivers/acpi/acpi_event.c); this file only touches the registers. */
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "driver.h"
#include "irq.h"
#include "log.h"
#include "machine.h"
#include "memory.h"
#include "stop.h"

#define PM1_PWRBTN (1u << 8) /* PWRBTN_STS in the status half, PWRBTN_EN in the enable half */
#define PM1_SCI_EN 1u        /* PM1 control: ACPI mode on */
#define ACPI_MODE_WAIT_NS 300000000ull

static uint16_t pm1_sts, pm1_en;       /* fixed button: 0 when not used */
static uint16_t gpe_sts, gpe_en;       /* GPE button's status/enable bytes */
static uint8_t gpe_bit, gpe_number;
static volatile uint32_t *ged_sel;     /* GED selector register */
static uint32_t ged_bits;

static void sci_handler(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    if (pm1_sts && (inw(pm1_sts) & PM1_PWRBTN)) {
        outw(pm1_sts, PM1_PWRBTN); /* write-one-to-clear, or the level SCI stays up */
        stop_request(STOP_POWEROFF, "the ACPI power button");
    }
    if (gpe_sts && (inb(gpe_sts) & gpe_bit)) {
        outb(gpe_sts, gpe_bit);
        stop_request(STOP_POWEROFF, "the ACPI power button (GPE)");
    }
}

static void ged_handler(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    uint32_t sel = *ged_sel; /* reading acknowledges (QEMU clears it) */
    if (sel & ged_bits)
        stop_request(STOP_POWEROFF, "the ACPI Generic Event Device's power button");
}

/* Firmware may start in legacy mode: the SMI command hands the events to us. */
static void acpi_mode_on(const struct machine *m)
{
    if (!m->pm1a_cnt || (inw((uint16_t)m->pm1a_cnt) & PM1_SCI_EN))
        return;
    if (!m->smi_cmd || !m->acpi_enable) {
        pr_warn("acpi: SCI_EN is off and firmware gives no way to turn it on\n");
        return;
    }
    outb((uint16_t)m->smi_cmd, m->acpi_enable);
    uint64_t end = clock_monotonic_ns() + ACPI_MODE_WAIT_NS;
    while (!(inw((uint16_t)m->pm1a_cnt) & PM1_SCI_EN) && clock_monotonic_ns() < end)
        cpu_relax();
    if (!(inw((uint16_t)m->pm1a_cnt) & PM1_SCI_EN))
        pr_warn("acpi: firmware did not enter ACPI mode\n");
}

static void setup_fixed(const struct machine *m)
{
    pm1_sts = (uint16_t)m->pm1a_evt;
    pm1_en = (uint16_t)(m->pm1a_evt + m->pm1_evt_len / 2);
    outw(pm1_sts, PM1_PWRBTN); /* a press from before boot is not a request */
    outw(pm1_en, (uint16_t)(inw(pm1_en) | PM1_PWRBTN));
}

static void setup_gpe(const struct machine *m)
{
    unsigned half = m->gpe0_blk_len / 2u;
    if (!m->gpe0_blk || m->power_gpe / 8u >= half) {
        pr_warn("acpi: power button on GPE %#x, outside the GPE0 block\n", m->power_gpe);
        return;
    }
    gpe_number = m->power_gpe;
    gpe_bit = (uint8_t)(1u << (m->power_gpe % 8));
    gpe_sts = (uint16_t)(m->gpe0_blk + m->power_gpe / 8u);
    gpe_en = (uint16_t)(gpe_sts + half);
    outb(gpe_sts, gpe_bit);
    outb(gpe_en, (uint8_t)(inb(gpe_en) | gpe_bit));
}

static void setup_ged(const struct machine *m)
{
    ged_sel = ioremap(m->ged_reg, 4);
    if (!ged_sel)
        return;
    ged_bits = m->ged_power_bits;
    if (irq_attach_gsi(m->ged_irq, !m->ged_irq_edge, m->ged_irq_active_low, ged_handler, NULL) < 0) {
        pr_warn("acpi: cannot route the GED's interrupt (GSI %u)\n", m->ged_irq);
        ged_sel = NULL;
        return;
    }
    pr_info("acpi: power button: Generic Event Device at %#llx (bits %#x), GSI %u\n",
            (unsigned long long)m->ged_reg, ged_bits, m->ged_irq);
}

static void acpi_button_init(void)
{
    const struct machine *m = machine_info();
    if (!m->acpi || !m->fadt)
        return;
    if (m->hw_reduced) {
        if (m->ged_valid)
            setup_ged(m);
        return;
    }
    if (!m->fixed_power_button && !m->power_gpe_valid)
        return;
    /* Routed before the enables, so an early press finds a handler. */
    if (irq_attach_isa(m->sci_irq, 1, sci_handler, NULL) < 0) {
        pr_warn("acpi: cannot route the SCI (IRQ %u): no power button\n", m->sci_irq);
        return;
    }
    acpi_mode_on(m);
    if (m->fixed_power_button)
        setup_fixed(m);
    if (m->power_gpe_valid)
        setup_gpe(m);
    pr_info("acpi: power button: %s%s on SCI IRQ %u\n", pm1_sts ? "fixed feature" : "",
            gpe_sts ? (pm1_sts ? " and GPE" : "GPE") : "", m->sci_irq);
    if (gpe_sts)
        pr_debug("acpi: power button GPE %#x\n", gpe_number);
}

DRIVER_INIT(acpi_button) = { "acpi-button", acpi_button_init };
