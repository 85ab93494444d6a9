/* The CPU device interrupts go to (arch/x86_64/irq_target.c): one online,
 * with an APIC id an 8-bit destination can name and that is not broadcast,
 * even when the boot CPU's id is above 254. */
#include <string.h>
#include "check.h"
#include "cpu.h"
#include "irq.h"

static struct cpu c[4];
static struct cpu *list[4];

static void set(unsigned i, uint32_t apic_id, bool online)
{
    memset(&c[i], 0, sizeof(c[i]));
    c[i].id = i;
    c[i].apic_id = apic_id;
    c[i].online = online;
    list[i] = &c[i];
}

int main(void)
{
    uint32_t id = 12345;
    set(0, 0, true), set(1, 1, true), set(2, 300, true), set(3, 2, true);
    CHECK_EQ(irq_target_pick(list, 4, &id), 0);
    CHECK_EQ(id, 0); /* the boot CPU when it qualifies */

    set(0, 0x100, true), set(1, 0xff, true), set(2, 7, false), set(3, 9, true);
    CHECK_EQ(irq_target_pick(list, 4, &id), 0);
    CHECK_EQ(id, 9); /* not 0x100 (9 bits), not 0xff (broadcast), not an offline CPU */

    list[3] = NULL; /* a CPU that did not start */
    id = 12345;
    CHECK_EQ(irq_target_pick(list, 4, &id), -1);
    CHECK_EQ(id, 12345);
    CHECK_EQ(irq_target_pick(list, 0, &id), -1);

    set(0, 254, true);
    CHECK_EQ(irq_target_pick(list, 1, &id), 0);
    CHECK_EQ(id, 254);
    return check_report("test_irq_target");
}
