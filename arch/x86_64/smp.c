/* SMP bring-up: INIT-SIPI-SIPI to each CPU firmware listed, one at a time
 * through the real-mode trampoline; a CPU that does not come up in time is
 * reported and skipped. Also the IPIs the scheduler and panic use. */
#include <string.h>
#include "bootchart.h"
#include "arch/x86.h"
#include "clock.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "panic.h"
#include "sched.h"
#include "timer.h"

#define TRAMPOLINE_PHYS 0x8000ull
#define AP_STACK_SIZE (16 * 1024)
#define ICR_INIT 0x4500u
#define ICR_STARTUP 0x4600u
#define XAPIC_MAX_ID 0xffu

struct tramp_params {
    uint32_t cr3;
    uint32_t efer;
    uint64_t stack;
    uint64_t cpu;
};

extern char smp_trampoline_start[], smp_trampoline_end[], smp_tramp_params[];
void ap_entry(struct cpu *c) __attribute__((noreturn));

static void halt_ipi(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

void smp_send_ipi(const struct cpu *c, unsigned vector) { lapic_send_icr(c->apic_id, vector); }

uint32_t irq_target_apic_id(void)
{
    static bool warned;
    uint32_t id;
    if (irq_target_pick(cpus, ncpus, &id) == 0)
        return id;
    if (!warned) {
        warned = true;
        pr_warn("smp: no CPU online has an APIC id below %u: device interrupts cannot reach any\n", XAPIC_MAX_ID);
    }
    return cpus[0]->apic_id & 0xff;
}

void smp_stop_others(void)
{
    struct cpu *self = this_cpu();
    for (unsigned i = 0; i < ncpus; i++) {
        if (cpus[i] && cpus[i] != self && cpus[i]->online)
            smp_send_ipi(cpus[i], VEC_HALT);
    }
}

void ap_entry(struct cpu *c)
{
    int starting = CPU_BOOT_STARTING;
    if (!__atomic_compare_exchange_n(&c->boot_state, &starting, CPU_BOOT_ENTERED, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE)) {
        for (;;) { /* the boot CPU gave up on us and went on without us */
            irq_disable();
            cpu_halt();
        }
    }
    bootchart_mark_cpu(c->id, "ap entry");
    cpu_init_tables(c);
    lapic_init();
    if (event_timer_current()->cpu_init)
        event_timer_current()->cpu_init();
    clock_cpu_init();
    c->apic_id = lapic_id();
    if (sched_init_ap() < 0)
        panic("cpu %u: no memory for its idle thread", c->id);
    bootchart_mark_cpu(c->id, "online");
    __atomic_store_n(&c->online, true, __ATOMIC_RELEASE);
    irq_enable();
    sched_idle_loop();
}

static bool wait_online(struct cpu *c, uint64_t ns)
{
    uint64_t end = clock_monotonic_ns() + ns;
    while (clock_monotonic_ns() < end) {
        if (__atomic_load_n(&c->online, __ATOMIC_ACQUIRE))
            return true;
        cpu_relax();
    }
    return false;
}

static struct cpu *new_cpu(unsigned id, uint32_t apic_id, uint64_t *stack_top)
{
    struct cpu *c = pages_alloc((sizeof(struct cpu) + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    uint8_t *ist = pages_alloc(3 * IST_SIZE / PAGE_SIZE, PAGE_SIZE);
    void *stack = stack_alloc(AP_STACK_SIZE, stack_top);
    if (!c || !ist || !stack)
        return NULL; /* what was allocated stays: not worth a free path at boot */
    c->id = id;
    c->apic_id = apic_id;
    c->ist_stacks = ist;
    return c;
}

enum start_result { STARTED, ABANDONED, STUCK };

/* Under TCG on a busy host an AP can take seconds to be scheduled, so the
 * wait is long; one that never shows up costs it once. */
#define START_WAIT_NS 3000000000ull
#define ENTERED_WAIT_NS 10000000000ull

static enum start_result start_cpu(struct cpu *c, uint64_t stack_top)
{
    struct tramp_params *p =
        (struct tramp_params *)(uintptr_t)(TRAMPOLINE_PHYS + (smp_tramp_params - smp_trampoline_start));
    p->stack = stack_top;
    p->cpu = (uint64_t)(uintptr_t)c;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    bootchart_mark_cpu(c->id, "startup ipi");
    /* Virtual CPUs need none of the 10 ms/200 us pauses real hardware did;
     * the second SIPI is only sent if the first one was not enough. */
    lapic_send_icr(c->apic_id, ICR_INIT);
    lapic_send_icr(c->apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
    if (wait_online(c, 20000000))
        return STARTED;
    lapic_send_icr(c->apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> 12));
    if (wait_online(c, START_WAIT_NS))
        return STARTED;
    int starting = CPU_BOOT_STARTING;
    if (__atomic_compare_exchange_n(&c->boot_state, &starting, CPU_BOOT_ABANDONED, false, __ATOMIC_ACQ_REL,
                                    __ATOMIC_ACQUIRE)) {
        /* Not in C yet, so it holds no lock: INIT puts it back to waiting
         * for a SIPI, and a late wake-up cannot run the trampoline with the
         * next CPU's stack. */
        lapic_send_icr(c->apic_id, ICR_INIT);
        return ABANDONED;
    }
    /* It runs on its own stack and tables: let it finish. */
    return wait_online(c, ENTERED_WAIT_NS) ? STARTED : STUCK;
}

unsigned smp_boot(const uint32_t *apic_ids, unsigned n)
{
    irq_set_handler(VEC_HALT, halt_ipi, NULL);
    uint32_t self = lapic_id();
    cpus[0]->apic_id = self;
    if (n <= 1)
        return ncpus;
    uint64_t cr3 = read_cr3();
    if (cr3 >= 0x100000000ull)
        panic("smp: page tables above 4 GiB cannot be loaded by the trampoline");
    size_t size = (size_t)(smp_trampoline_end - smp_trampoline_start);
    paging_map(TRAMPOLINE_PHYS, TRAMPOLINE_PHYS, PAGE_SIZE, MAP_WRITE | MAP_EXEC);
    memcpy((void *)(uintptr_t)TRAMPOLINE_PHYS, smp_trampoline_start, size);
    struct tramp_params *p =
        (struct tramp_params *)(uintptr_t)(TRAMPOLINE_PHYS + (smp_tramp_params - smp_trampoline_start));
    p->cr3 = (uint32_t)cr3;
    p->efer = 0x100 | (uint32_t)(rdmsr(MSR_EFER) & 0x800);
    unsigned unreachable = 0, over = 0;
    for (unsigned i = 0; i < n; i++) {
        if (apic_ids[i] == self)
            continue;
        if (!lapic_is_x2apic() && apic_ids[i] >= XAPIC_MAX_ID) {
            unreachable++; /* an xAPIC ICR has 8 destination bits, and 0xff is broadcast */
            continue;
        }
        if (ncpus == MAX_CPUS) {
            over++;
            continue;
        }
        uint64_t top;
        struct cpu *c = new_cpu(ncpus, apic_ids[i], &top);
        if (!c) {
            /* About 44 KiB each (stack, interrupt stacks, tables): a small
             * memory size with many CPUs runs out; boot with what started. */
            pr_warn("smp: out of memory for CPU %u's stacks; the rest left offline\n", ncpus);
            break;
        }
        cpus[ncpus] = c;
        enum start_result r = start_cpu(c, top);
        if (r == ABANDONED) {
            pr_warn("smp: cpu with APIC id %u did not start; skipped\n", apic_ids[i]);
            cpus[ncpus] = NULL;
            continue; /* its memory stays allocated: it is never used again */
        }
        if (r == STUCK) {
            /* It owns its id and memory, and may yet go online and take
             * threads: it stays listed (everything that walks cpus[] looks
             * at ->online), and no other CPU is started in case its
             * trouble is the trampoline's. */
            pr_warn("smp: cpu with APIC id %u stopped half-way through start-up; no more CPUs started\n",
                    apic_ids[i]);
            ncpus++;
            break;
        }
        ncpus++;
    }
    if (unreachable)
        pr_warn("smp: %u CPU%s with APIC ids above %u left offline: this CPU has no x2APIC\n", unreachable,
                unreachable == 1 ? "" : "s", XAPIC_MAX_ID - 1);
    if (over)
        pr_warn("smp: %u CPU%s left offline: Kestrel runs at most %u\n", over, over == 1 ? "" : "s", MAX_CPUS);
    /* The trampoline page goes back to being data. */
    paging_map(TRAMPOLINE_PHYS, TRAMPOLINE_PHYS, PAGE_SIZE, MAP_WRITE);
    unsigned online = 0;
    for (unsigned i = 0; i < ncpus; i++)
        online += cpus[i] && __atomic_load_n(&cpus[i]->online, __ATOMIC_ACQUIRE);
    return online; /* a CPU stuck half-way is in ncpus, not here */
}
