/* Interrupt vectors and handlers. Exceptions are 0-31; devices get vectors
 * from irq_alloc_vector(); the LAPIC timer and IPIs sit at the top. */
#ifndef KESTREL_IRQ_H
#define KESTREL_IRQ_H
#include <stdint.h>

struct int_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

#define VEC_FIRST_DEVICE 0x30
#define VEC_LAST_DEVICE 0xdf
#define VEC_LAPIC_TIMER 0xef
#define VEC_RESCHED 0xf0 /* IPI: a thread became runnable, look at the run queue */
#define VEC_HALT 0xf1    /* IPI: another CPU panicked, stop */
#define VEC_SPURIOUS 0xff

typedef void (*irq_handler_fn)(struct int_frame *f, void *arg);

void irq_set_handler(unsigned vector, irq_handler_fn fn, void *arg);
/* A free vector for a device, or -1. */
int irq_alloc_vector(void);

/* LAPIC */
void lapic_init(void);
void lapic_eoi(void);
uint32_t lapic_id(void);
/* Calibrated LAPIC timer: fire VEC_LAPIC_TIMER once after ns (0 = stop). */
void lapic_timer_oneshot_ns(uint64_t ns);
void lapic_timer_calibrate(uint64_t ticks_per_sec);
struct event_timer;
/* The LAPIC timer as an event timer (TSC-deadline or one-shot, as set up). */
const struct event_timer *lapic_event_timer(void);
/* Switch to TSC-deadline mode when the CPU has it (CPUID.1:ECX[24]). */
void lapic_timer_use_tsc_deadline(uint64_t tsc_hz);
/* On an AP: arm its LAPIC timer with the rate the BSP measured. */
void lapic_timer_enable(void);
/* Raw ICR write: low word (vector, delivery mode, ...) to one APIC id. */
void lapic_send_icr(uint32_t apic_id, uint32_t low);
void lapic_timer_prepare_calibration(void);
uint32_t lapic_timer_count(void);
int lapic_is_x2apic(void);
/* The APIC id device interrupts are sent to (one below 0xff: without
 * interrupt remapping, IO-APIC and MSI destinations have 8 bits). */
uint32_t irq_target_apic_id(void);
/* Its choice among n CPUs (arch/x86_64/irq_target.c): the first online one
 * with such an id; 0, or -1 when none has one. */
struct cpu;
int irq_target_pick(struct cpu *const *list, unsigned n, uint32_t *apic_id);

/* IO-APIC and legacy PIC */
void ioapic_init(uint64_t phys, unsigned gsi_base);
int ioapic_route(unsigned gsi, unsigned vector, int level, int active_low);

/* A device interrupt on a GSI (IO-APIC), with its own vector. Returns the
 * vector or -1. */
int irq_attach_gsi(unsigned gsi, int level, int active_low, irq_handler_fn fn, void *arg);
/* An ISA/PCI-line IRQ number through firmware's interrupt source overrides. */
int irq_attach_isa(unsigned irq, int default_level, irq_handler_fn fn, void *arg);
void pic_disable(void);

#endif
