/* From ring 3 into the Linux ABI: system calls to the table, faults to
 * demand paging or to the program's signal, and the hook every return to
 * ring 3 passes (where abi-threads delivers pending signals). */
#include "abi.h"
#include "thread.h"
#include "arch/x86.h"
#include "log.h"
#include "power.h"
#include "stop.h"
#include "user.h"

void linux_syscall(struct int_frame *f)
{
    struct sysargs a = { { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 } };
    f->error = f->rax; /* the number, for a restart after a signal (linux/signal.c) */
    f->rax = (uint64_t)syscall_dispatch(f->rax, &a);
}

void linux_return_to_user(struct int_frame *f)
{
    signal_deliver(f);
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case LINUX_SIGILL:
        return "SIGILL";
    case LINUX_SIGTRAP:
        return "SIGTRAP";
    case LINUX_SIGBUS:
        return "SIGBUS";
    case LINUX_SIGFPE:
        return "SIGFPE";
    case LINUX_SIGKILL:
        return "SIGKILL";
    default:
        return "SIGSEGV";
    }
}

void linux_fatal_signal(int sig, uint64_t addr, uint64_t rip)
{
    kprintf("app: %s at 0x%llx, rip 0x%llx\n", signal_name(sig), (unsigned long long)addr, (unsigned long long)rip);
    vfs_sync(); /* what the program wrote before it died stays, as Linux's page cache would write it back */
    stop_program_exited(128 + sig);
}

/* To the program's handler if it has one and the signal is not blocked;
 * otherwise fatal (linux/signal.c). */
void linux_fault_signal(struct int_frame *f, int sig, int code, uint64_t addr)
{
    signal_fault(f, sig, code, addr);
}

void linux_user_exception(struct int_frame *f)
{
    unsigned vec = (unsigned)f->vector;
    if (vec == 14) {
        uint64_t addr = read_cr2();
        irq_enable(); /* on the thread's own stack now: it may sleep on the mm lock */
        int code = 0;
        struct lproc *p = lproc_current();
        int sig = p ? mm_fault(&p->mm, addr, f->error, &code) : LINUX_SIGSEGV;
        if (sig)
            linux_fault_signal(f, sig, code, addr);
        irq_disable();
        return;
    }
    switch (vec) {
    case 0:  /* divide error */
    case 16: /* x87 */
    case 19: /* SIMD */
        linux_fault_signal(f, LINUX_SIGFPE, 0, f->rip);
        return;
    case 6: /* invalid opcode */
        linux_fault_signal(f, LINUX_SIGILL, 0, f->rip);
        return;
    case 1: /* debug */
    case 3: /* int3 */
        linux_fault_signal(f, LINUX_SIGTRAP, 0, f->rip);
        return;
    case 17: /* alignment check */
        linux_fault_signal(f, LINUX_SIGBUS, 0, 0);
        return;
    default: /* general protection and the rest: Linux reports address 0 */
        linux_fault_signal(f, LINUX_SIGSEGV, 0, 0);
        return;
    }
}
