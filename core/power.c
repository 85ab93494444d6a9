/* power_off/reboot: the platform's method first, then what every PC has:
 * the keyboard controller's reset line, then a triple fault. QEMU started
 * with -no-reboot exits on a reset, so the VM ends even without ACPI. */
#include "arch/x86.h"
#include "cpu.h"
#include "log.h"
#include "memory.h"
#include "platform.h"
#include "power.h"

static struct power_acpi acpi;
static bool acpi_set;

void power_set_acpi(const struct power_acpi *a)
{
    acpi = *a;
    acpi_set = true;
}

bool power_acpi_available(void) { return acpi_set && acpi.s5_valid; }

static void reg_write8(const struct power_reg *r, uint8_t v)
{
    if (r->space == 1 && r->addr <= 0xffff)
        outb((uint16_t)r->addr, v);
    else if (r->space == 0 && r->addr)
        *(volatile uint8_t *)ioremap(r->addr, 1) = v;
}

static void acpi_s5(void)
{
    if (!power_acpi_available())
        return;
    if (acpi.hw_reduced) {
        /* Sleep control register: SLP_TYP in bits 2-4, SLP_EN bit 5. */
        reg_write8(&acpi.sleep_control, (uint8_t)(((acpi.slp_typ_a & 7) << 2) | (1u << 5)));
        return;
    }
    if (acpi.pm1a_cnt)
        outw(acpi.pm1a_cnt, (uint16_t)(((acpi.slp_typ_a & 7) << 10) | (1u << 13)));
    if (acpi.pm1b_cnt)
        outw(acpi.pm1b_cnt, (uint16_t)(((acpi.slp_typ_b & 7) << 10) | (1u << 13)));
}

static void reset_by_keyboard_controller(void)
{
    for (int i = 0; i < 100000 && (inb(0x64) & 0x02); i++)
        cpu_relax();
    outb(0x64, 0xfe);
}

static void triple_fault(void) __attribute__((noreturn));
static void triple_fault(void)
{
    struct {
        uint16_t limit;
        uint64_t base;
    } __attribute__((packed)) null_idt = { 0, 0 };
    __asm__ volatile("lidt %0; int3" ::"m"(null_idt));
    for (;;)
        cpu_halt();
}

/* The status cannot travel through ACPI or a reset; say it on the console. */
static void announce(int status) { kprintf("kestrel: power off, status %d\n", status); }

void power_off_acpi_or_reset(int status)
{
    (void)status;
    acpi_s5();
}

void power_off_qemu(int status)
{
    isa_debug_exit(status);
    acpi_s5();
}

void power_off_firecracker(int status)
{
    (void)status;
    reset_by_keyboard_controller(); /* Firecracker ends the VM on the i8042 reset */
}

void power_reboot_pc(void)
{
    if (acpi_set && acpi.reset_valid)
        reg_write8(&acpi.reset, acpi.reset_value);
    outb(0xcf9, 0x02);
    outb(0xcf9, 0x06); /* PCI reset control: full reset */
    reset_by_keyboard_controller();
}

void power_reboot(void)
{
    irq_disable();
    smp_stop_others();
    const struct platform *p = platform_current();
    if (p && p->reboot)
        p->reboot();
    reset_by_keyboard_controller();
    triple_fault();
}

void power_off(int status)
{
    irq_disable();
    smp_stop_others();
    announce(status);
    const struct platform *p = platform_current();
    if (p && p->power_off)
        p->power_off(status);
    else
        power_off_qemu(status);
    reset_by_keyboard_controller();
    triple_fault();
}
