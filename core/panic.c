/* The panic path: one report (reason, registers, backtrace), the platform's
 * panic notifiers, then power-off with PANIC_EXIT_STATUS. A second panic
 * while reporting stops at once. */
#include <stdarg.h>
#include "arch/x86.h"
#include "console.h"
#include "cpu.h"
#include "format.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "panic.h"
#include "platform.h"
#include "power.h"
#include "sched.h"

static volatile int panicking;
static void (*notifiers[PANIC_NOTIFIERS])(void);

int panic_notifier_register(void (*fn)(void))
{
    for (int i = 0; i < PANIC_NOTIFIERS; i++) {
        if (!notifiers[i]) {
            notifiers[i] = fn;
            return 0;
        }
    }
    return -1;
}

static int readable(uint64_t addr)
{
    return addr % 8 == 0 && addr >= 4096 && paging_translate(addr) >= 0 && paging_translate(addr + 8) >= 0;
}

void backtrace_print(uint64_t rbp)
{
    kprintf("backtrace:\n");
    for (int depth = 0; depth < 24 && readable(rbp); depth++) {
        uint64_t *frame = (uint64_t *)(uintptr_t)rbp;
        if (frame[1] == 0)
            break;
        kprintf("  #%d %#llx\n", depth, (unsigned long long)frame[1]);
        if (frame[0] <= rbp)
            break; /* frames go up the stack; anything else is garbage */
        rbp = frame[0];
    }
}

static void print_frame(const struct int_frame *f)
{
    kprintf("rip %016llx  rsp %016llx  rflags %016llx\n", (unsigned long long)f->rip,
            (unsigned long long)f->rsp, (unsigned long long)f->rflags);
    kprintf("rax %016llx  rbx %016llx  rcx %016llx\n", (unsigned long long)f->rax, (unsigned long long)f->rbx,
            (unsigned long long)f->rcx);
    kprintf("rdx %016llx  rsi %016llx  rdi %016llx\n", (unsigned long long)f->rdx, (unsigned long long)f->rsi,
            (unsigned long long)f->rdi);
    kprintf("rbp %016llx  r8  %016llx  r9  %016llx\n", (unsigned long long)f->rbp, (unsigned long long)f->r8,
            (unsigned long long)f->r9);
    kprintf("r10 %016llx  r11 %016llx  r12 %016llx\n", (unsigned long long)f->r10, (unsigned long long)f->r11,
            (unsigned long long)f->r12);
    kprintf("r13 %016llx  r14 %016llx  r15 %016llx\n", (unsigned long long)f->r13, (unsigned long long)f->r14,
            (unsigned long long)f->r15);
    kprintf("cr2 %016llx  cr3 %016llx  error %llx\n", (unsigned long long)read_cr2(),
            (unsigned long long)read_cr3(), (unsigned long long)f->error);
}

static void vpanic(struct int_frame *f, uint64_t rbp, const char *fmt, va_list ap) __attribute__((noreturn));
static void vpanic(struct int_frame *f, uint64_t rbp, const char *fmt, va_list ap)
{
    irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST)) {
        console_panic_mode();
        kprintf("\nnested panic; stopping\n");
        power_off(PANIC_EXIT_STATUS);
    }
    console_panic_mode();
    smp_stop_others();
    char msg[256];
    fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
    struct thread *t = this_cpu() ? this_cpu()->current : NULL;
    kprintf("\nKESTREL PANIC: %s\n", msg);
    kprintf("cpu %u, thread %s\n", this_cpu() ? this_cpu()->id : 0, t ? t->name : "(boot)");
    if (f) {
        print_frame(f);
        kprintf("  #r %#llx\n", (unsigned long long)f->rip);
    }
    backtrace_print(rbp);
    for (int i = 0; i < PANIC_NOTIFIERS && notifiers[i]; i++)
        notifiers[i]();
    platform_panic_notify();
    power_off(PANIC_EXIT_STATUS);
}

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(NULL, (uint64_t)(uintptr_t)__builtin_frame_address(0), fmt, ap);
}

void panic_frame(struct int_frame *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vpanic(f, f->rbp, fmt, ap);
}
