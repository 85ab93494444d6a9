/* ktest cpus: every CPU the kernel counts as online answers an IPI sent to
 * its APIC id, on itself, and reports the APIC id its LAPIC has; so "online"
 * in the boot log is checked against what each CPU does. */
#include <stdio.h>
#include "clock.h"
#include "cpu.h"
#include "irq.h"

int ktest_cpus(int argc, char **argv);

static volatile uint32_t answered_id[MAX_CPUS];
static volatile uint8_t answered[MAX_CPUS];

static void ping(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    struct cpu *c = this_cpu();
    answered_id[c->id] = lapic_id();
    __atomic_store_n(&answered[c->id], 1, __ATOMIC_RELEASE);
}

int ktest_cpus(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    int vec = irq_alloc_vector();
    if (vec < 0)
        return 2;
    irq_set_handler((unsigned)vec, ping, NULL);
    unsigned ok = 0, wrong = 0, silent = 0;
    uint32_t max_id = 0;
    for (unsigned i = 0; i < ncpus; i++) {
        struct cpu *c = cpus[i];
        if (!c || !c->online) {
            silent++;
            continue;
        }
        smp_send_ipi(c, (unsigned)vec);
        uint64_t end = clock_monotonic_ns() + 2000000000ull;
        while (!__atomic_load_n(&answered[i], __ATOMIC_ACQUIRE) && clock_monotonic_ns() < end)
            __asm__ volatile("pause");
        if (!answered[i]) {
            silent++;
            printf("cpus: cpu %u (APIC id %u) did not answer\n", i, c->apic_id);
        } else if (answered_id[i] != c->apic_id) {
            wrong++;
            printf("cpus: cpu %u answered as APIC id %u, kernel has %u\n", i, answered_id[i], c->apic_id);
        } else {
            ok++;
        }
        if (c->apic_id > max_id)
            max_id = c->apic_id;
    }
    printf("cpus: online=%u answered=%u wrong=%u silent=%u max_apic_id=%u x2apic=%d irq_target=%u\n", ncpus, ok,
           wrong, silent, max_id, lapic_is_x2apic(), irq_target_apic_id());
    return ok == ncpus && wrong == 0 && silent == 0 ? 0 : 1;
}
