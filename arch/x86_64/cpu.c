/* Per-CPU setup: GDT with a TSS (interrupt stacks for faults that must work
 * even when the thread's stack is gone), the IDT and %gs per-CPU base. */
#include <string.h>
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"

#define IST_SIZE 8192

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

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

static struct cpu bsp_cpu;
static struct tss bsp_tss;
static uint64_t bsp_gdt[5];
static uint8_t ist_stacks[3][IST_SIZE] __attribute__((aligned(16)));
static struct idt_entry idt[256];
extern char isr_stubs[];

void gdt_init(struct cpu *c)
{
    (void)c;
    memset(&bsp_tss, 0, sizeof(bsp_tss));
    for (int i = 0; i < 3; i++)
        bsp_tss.ist[i] = (uint64_t)(uintptr_t)(ist_stacks[i] + IST_SIZE);
    bsp_tss.iomap_base = sizeof(bsp_tss);
    uint64_t base = (uint64_t)(uintptr_t)&bsp_tss, limit = sizeof(bsp_tss) - 1;
    bsp_gdt[0] = 0;
    bsp_gdt[1] = 0x00af9a000000ffffull; /* 0x08 code64 */
    bsp_gdt[2] = 0x00cf92000000ffffull; /* 0x10 data */
    bsp_gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ull << 40) | (((limit >> 16) & 0xf) << 48) |
                 (((base >> 24) & 0xff) << 56);
    bsp_gdt[4] = base >> 32;
    struct table_ptr p = { sizeof(bsp_gdt) - 1, (uint64_t)(uintptr_t)bsp_gdt };
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

void idt_init(void)
{
    for (unsigned v = 0; v < 256; v++)
        idt_set(v, 0);
    idt_set(2, IST_NMI);
    idt_set(8, IST_DF);
    idt_set(14, IST_PF);
    idt_set(18, IST_NMI);
    struct table_ptr p = { sizeof(idt) - 1, (uint64_t)(uintptr_t)idt };
    __asm__ volatile("lidt %0" ::"m"(p));
}

void cpu_init_bsp(void)
{
    bsp_cpu.self = &bsp_cpu;
    bsp_cpu.id = 0;
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)&bsp_cpu);
    gdt_init(&bsp_cpu);
    idt_init();
}
