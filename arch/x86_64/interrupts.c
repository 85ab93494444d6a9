/* Interrupt dispatch: exceptions become panics with a clear reason, device
 * vectors go to registered handlers, and the return path is where a
 * preempted thread gives up the CPU. */
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "panic.h"
#include "sched.h"
#include "user.h"

static struct {
    irq_handler_fn fn;
    void *arg;
} handlers[256];
static unsigned next_vector = VEC_FIRST_DEVICE;

static const char *const exception_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS", "segment not present",
    "stack fault", "general protection fault", "page fault", "reserved", "x87 error", "alignment check",
    "machine check", "SIMD error", "virtualization", "control protection",
};

void irq_set_handler(unsigned vector, irq_handler_fn fn, void *arg)
{
    handlers[vector & 255].arg = arg;
    handlers[vector & 255].fn = fn;
}

int irq_alloc_vector(void)
{
    if (next_vector > VEC_LAST_DEVICE)
        return -1;
    return (int)next_vector++;
}

static void page_fault(struct int_frame *f)
{
    uint64_t addr = read_cr2();
    const char *what = (f->error & 1) ? "protection violation" : "not present";
    const char *access = (f->error & 16) ? "instruction fetch" : (f->error & 2) ? "write" : "read";
    if (stack_guard_hit(addr))
        panic_frame(f, "stack overflow: page fault at %#llx (guard page) rip=%#llx", (unsigned long long)addr,
                    (unsigned long long)f->rip);
    panic_frame(f, "page fault at %#llx (%s, %s) rip=%#llx", (unsigned long long)addr, access, what,
                (unsigned long long)f->rip);
}

/* Instructions allowed to fault (probes of hypervisor ports that may not
 * exist): each entry is the faulting address and where to resume. */
struct extable_entry {
    uint64_t fault, resume;
};
extern const struct extable_entry __start_kestrel_extable[], __stop_kestrel_extable[];

static int fault_fixup(struct int_frame *f)
{
    for (const struct extable_entry *e = __start_kestrel_extable; e < __stop_kestrel_extable; e++) {
        if (e->fault == f->rip) {
            f->rip = e->resume;
            return 1;
        }
    }
    return 0;
}

void interrupt_dispatch(struct int_frame *f)
{
    unsigned vec = (unsigned)f->vector;
    /* The program's own faults; NMI, double fault and machine check are the
     * machine's, whatever ran when they came. */
    if (vec < 32 && (f->cs & 3) && vec != 2 && vec != 8 && vec != 18) {
        linux_user_exception(f);
        return;
    }
    /* 14: the checked copies to and from a program's memory (linux/uaccess.c). */
    if ((vec == 13 || vec == 6 || vec == 14) && fault_fixup(f))
        return;
    if (vec == 14)
        page_fault(f);
    if (vec < 32) {
        const char *name = exception_names[vec] ? exception_names[vec] : "reserved exception";
        panic_frame(f, "%s (vector %u, error %#llx) rip=%#llx", name, vec, (unsigned long long)f->error,
                    (unsigned long long)f->rip);
    }
    if (vec == VEC_SPURIOUS || (vec >= 0x20 && vec < 0x30))
        return; /* spurious LAPIC or masked-PIC vectors: no EOI */
    struct cpu *c = this_cpu();
    c->irq_depth++;
    if (handlers[vec].fn)
        handlers[vec].fn(f, handlers[vec].arg);
    else
        pr_warn("irq: unexpected vector %u\n", vec);
    lapic_eoi();
    c->irq_depth--;
    if (c->need_resched && c->irq_depth == 0)
        schedule();
}
