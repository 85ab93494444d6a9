/* Which CPU device interrupts (IO-APIC pins, MSI, MSI-X) are sent to.
 * Without interrupt remapping their destination field has 8 bits, in
 * x2APIC mode too, and 0xff there means broadcast: the CPU must have an
 * APIC id below 0xff. The boot CPU normally has; where firmware numbered it
 * higher, the first CPU online that qualifies takes them. Pure: the host
 * test (tests/unit/test_irq_target.c) feeds it CPU lists. */
#include "cpu.h"
#include "irq.h"

#define IRQ_DEST_LIMIT 0xffu

int irq_target_pick(struct cpu *const *list, unsigned n, uint32_t *apic_id)
{
    for (unsigned i = 0; i < n; i++) {
        if (list[i] && list[i]->online && list[i]->apic_id < IRQ_DEST_LIMIT) {
            *apic_id = list[i]->apic_id;
            return 0;
        }
    }
    return -1;
}
