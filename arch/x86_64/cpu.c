/* Per-CPU setup: GDT with a TSS (interrupt stacks for faults that must work
 * even when the thread's stack is gone), the shared IDT and the %gs base. */
#include <string.h>
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"
#include "user.h"

struct idt_entry {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;
    uint8_t type;
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t zero;
} __attribute__((packed));

struct table_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* IST 1: double fault, 2: page fault, 3: NMI and machine check. */
enum { IST_DF = 1, IST_PF = 2, IST_NMI = 3 };

struct cpu *cpus[MAX_CPUS];
unsigned ncpus;
static struct cpu bsp_cpu;
static uint8_t bsp_ist[3 * IST_SIZE] __attribute__((aligned(16)));
static struct idt_entry idt[256];
extern char isr_stubs[];

static void gdt_load(struct cpu *c)
{
    struct tss *t = &c->tss;
    memset(t, 0, sizeof(*t));
    for (int i = 0; i < 3; i++)
        t->ist[i] = (uint64_t)(uintptr_t)(c->ist_stacks + (i + 1) * IST_SIZE);
    t->iomap_base = sizeof(*t);
    uint64_t base = (uint64_t)(uintptr_t)t, limit = sizeof(*t) - 1;
    c->gdt[0] = 0;
    c->gdt[1] = 0x00af9a000000ffffull; /* 0x08 code64 */
    c->gdt[2] = 0x00cf92000000ffffull; /* 0x10 data */
    c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
                (((base >> 24) & 0xff) << 56);
    c->gdt[4] = base >> 32;
    /* Ring 3 (SYSRET's layout: STAR base 0x28, data at +8, code64 at +16). */
    c->gdt[5] = 0x00cffa000000ffffull; /* 0x28 code32, unused */
    c->gdt[6] = 0x00cff2000000ffffull; /* 0x30 data, DPL 3 */
    c->gdt[7] = 0x00affa000000ffffull; /* 0x38 code64, DPL 3 */
    struct table_ptr p = { sizeof(c->gdt) - 1, (uint64_t)(uintptr_t)c->gdt };
    __asm__ volatile("lgdt %0\n"
                     "pushq $0x08\n"
                     "leaq 1f(%%rip), %%rax\n"
                     "pushq %%rax\n"
                     "lretq\n"
                     "1:\n"
                     "movw $0x10, %%ax\n"
                     "movw %%ax, %%ds\n"
                     "movw %%ax, %%es\n"
                     "movw %%ax, %%ss\n"
                     "movw $0x18, %%ax\n"
                     "ltr %%ax\n"
                     :
                     : "m"(p)
                     : "rax", "memory");
}

static void idt_set(unsigned vec, unsigned ist)
{
    uint64_t off = (uint64_t)(uintptr_t)(isr_stubs + 16 * vec);
    idt[vec] = (struct idt_entry){
        .off_lo = (uint16_t)off,
        .sel = 0x08,
        .ist = (uint8_t)ist,
        .type = 0x8e, /* present, DPL 0, interrupt gate */
        .off_mid = (uint16_t)(off >> 16),
        .off_hi = (uint32_t)(off >> 32),
    };
}

static void idt_build(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, 0);
    idt_set(2, IST_NMI);
    idt_set(8, IST_DF);
    idt_set(14, IST_PF);
    idt_set(18, IST_NMI);
}

void cpu_init_tables(struct cpu *c)
{
    c->self = c;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)c);
    gdt_load(c);
    struct table_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(p));
    user_cpu_init();
}

void cpu_init_bsp(void)
{
    idt_build();
    bsp_cpu.id = 0;
    bsp_cpu.ist_stacks = bsp_ist;
    bsp_cpu.online = true;
    cpus[0] = &bsp_cpu;
    ncpus = 1;
    cpu_init_tables(&bsp_cpu);
}
