/* Per-CPU data, reached through %gs. One CPU runs today; the layout is
 * ready for SMP. */
#ifndef KESTREL_CPU_H
#define KESTREL_CPU_H
#include <stdbool.h>
#include <stdint.h>

struct thread;

struct cpu {
    struct cpu *self; /* %gs:0 */
    unsigned id;
    uint32_t apic_id;
    struct thread *current;
    struct thread *idle;
    struct thread *prev; /* thread just switched away from, until finish_switch() */
    volatile bool need_resched;
    unsigned irq_depth;
    uint64_t ticks; /* timer interrupts taken */
};

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

void cpu_init_bsp(void);
void gdt_init(struct cpu *c);
void idt_init(void);

#endif
