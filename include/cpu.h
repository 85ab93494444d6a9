/* Per-CPU data, reached through %gs: the CPU's identity, its current and
 * idle threads, scheduling flags, its timer list and its descriptor tables. */
#ifndef KESTREL_CPU_H
#define KESTREL_CPU_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "timer.h"

/* As many as the firmware probes keep (MACHINE_MAX_CPUS); per-CPU data is
 * allocated as each CPU starts, only the pointer table is this big. */
#define MAX_CPUS 512
#define IST_SIZE 8192

struct thread;

/* An AP's start-up (arch/x86_64/smp.c): the boot CPU waits while it is
 * STARTING; the AP claims it (ENTERED) on its first C instruction, or the
 * boot CPU gives up on it (ABANDONED) and the AP halts if it comes late. */
enum { CPU_BOOT_STARTING = 0, CPU_BOOT_ENTERED, CPU_BOOT_ABANDONED };

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct cpu {
    struct cpu *self; /* %gs:0 */
    struct thread *current; /* %gs:8, read in one instruction by thread_current() */
    uint64_t kstack_top;    /* %gs:16: the running thread's kernel stack top (system-call entry) */
    uint64_t user_scratch;  /* %gs:24: the program's rsp while system-call entry switches stacks */
    unsigned id;
    uint32_t apic_id;
    struct thread *idle;
    struct thread *prev; /* thread just switched away from, until finish_switch() */
    volatile bool need_resched;
    volatile bool online;
    int boot_state; /* CPU_BOOT_*: who owns an AP that is slow to start */
    unsigned irq_depth;
    struct timer *timers; /* this CPU's pending timers, by deadline */
    struct timer slice_timer;
    uint64_t gdt[8]; /* null, kernel code/data, TSS (2), user code32/data/code64 */
    struct tss tss;
    uint8_t *ist_stacks; /* 3 * IST_SIZE */
};

_Static_assert(offsetof(struct cpu, current) == 8, "thread_current() reads %gs:8");
_Static_assert(offsetof(struct cpu, kstack_top) == 16, "arch/x86_64/syscall.S reads %gs:16");
_Static_assert(offsetof(struct cpu, user_scratch) == 24, "arch/x86_64/syscall.S uses %gs:24");

static inline struct cpu *this_cpu(void)
{
    struct cpu *c;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}

extern struct cpu *cpus[MAX_CPUS];
extern unsigned ncpus; /* CPUs online */

void cpu_init_bsp(void);
/* Per-CPU tables for c (GDT, TSS with interrupt stacks, %gs, IDT). */
void cpu_init_tables(struct cpu *c);

/* arch/x86_64/smp.c: start the CPUs whose APIC ids are listed. Returns how
 * many are online (including the caller). */
unsigned smp_boot(const uint32_t *apic_ids, unsigned n);
void smp_send_ipi(const struct cpu *c, unsigned vector);
void smp_stop_others(void);

#endif
