/* power_off/reboot: the platform's method first, then what every PC has:
 * the keyboard controller reset line, then a triple fault. QEMU started
 * with -no-reboot exits on a reset, so the VM ends even without ACPI. */
#include "arch/x86.h"
#include "log.h"
#include "platform.h"
#include "power.h"

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

void power_reboot(void)
{
    irq_disable();
    const struct platform *p = platform_current();
    if (p && p->reboot)
        p->reboot();
    reset_by_keyboard_controller();
    triple_fault();
}

void power_off(int status)
{
    irq_disable();
    const struct platform *p = platform_current();
    if (p && p->power_off)
        p->power_off(status);
    else
        isa_debug_exit(status);
    reset_by_keyboard_controller();
    triple_fault();
}
