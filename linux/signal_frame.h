/* Pure logic of Linux signals (linux/signal.c does the kernel side): signal
 * sets and dispositions, the choice of the next signal to deliver, default
 * actions, sigaltstack rules, the x86-64 rt_sigframe exactly as Linux lays it
 * out on the user stack, and the checks rt_sigreturn applies to the context a
 * program hands back (it may be garbage: it must never give ring 0, a bad
 * RFLAGS or a state XRSTOR faults on). */
#ifndef KESTREL_LINUX_SIGNAL_FRAME_H
#define KESTREL_LINUX_SIGNAL_FRAME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "irq.h"

#define LNX_NSIG 64
#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGILL 4
#define SIGTRAP 5
#define SIGABRT 6
#define SIGBUS 7
#define SIGFPE 8
#define SIGKILL 9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15
#define SIGSTKFLT 16
#define SIGCHLD 17
#define SIGCONT 18
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGURG 23
#define SIGXCPU 24
#define SIGXFSZ 25
#define SIGVTALRM 26
#define SIGPROF 27
#define SIGWINCH 28
#define SIGIO 29
#define SIGPWR 30
#define SIGSYS 31

#define SA_NOCLDSTOP 0x00000001ul
#define SA_NOCLDWAIT 0x00000002ul
#define SA_SIGINFO 0x00000004ul
#define SA_RESTORER 0x04000000ul
#define SA_ONSTACK 0x08000000ul
#define SA_RESTART 0x10000000ul
#define SA_NODEFER 0x40000000ul
#define SA_RESETHAND 0x80000000ul
#define SIG_DFL_ADDR 0ul
#define SIG_IGN_ADDR 1ul

#define SIG_BLOCK 0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

#define SS_ONSTACK 1
#define SS_DISABLE 2
#define SS_AUTODISARM (1u << 31)
#define MINSIGSTKSZ 2048

/* si_code values */
#define SI_USER 0
#define SI_KERNEL 0x80
#define SI_TKILL (-6)
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRERR 2
#define FPE_INTDIV 1
#define FPE_FLTINV 7
#define ILL_ILLOPN 2
#define TRAP_BRKPT 1
#define TRAP_TRACE 2

/* Internal restart codes a blocking call returns when a signal came
 * (never seen by the program). */
#define ERESTARTSYS 512
#define ERESTARTNOHAND 514

typedef uint64_t lsigset_t; /* bit sig-1 */
static inline lsigset_t sigbit(int sig) { return 1ull << (sig - 1); }
#define SIG_UNBLOCKABLE (sigbit(SIGKILL) | sigbit(SIGSTOP))
#define SIG_SYNCHRONOUS (sigbit(SIGSEGV) | sigbit(SIGBUS) | sigbit(SIGILL) | sigbit(SIGTRAP) | \
                         sigbit(SIGFPE) | sigbit(SIGSYS))

/* struct sigaction as the rt_sigaction system call passes it on x86-64. */
struct kernel_sigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
};
_Static_assert(sizeof(struct kernel_sigaction) == 32, "kernel_sigaction layout");

struct lstack { /* stack_t */
    uint64_t ss_sp;
    int32_t ss_flags;
    int32_t pad;
    uint64_t ss_size;
};
_Static_assert(sizeof(struct lstack) == 24, "stack_t layout");

struct lsiginfo { /* siginfo_t: 128 bytes */
    int32_t si_signo, si_errno, si_code, pad0;
    union {
        struct { int32_t pid; uint32_t uid; } kill;
        struct { uint64_t addr; } fault;
        uint8_t raw[112];
    } u;
};
_Static_assert(sizeof(struct lsiginfo) == 128, "siginfo layout");

struct lsigcontext { /* struct sigcontext, x86-64 */
    uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
    uint16_t cs, gs, fs, ss;
    uint64_t err, trapno, oldmask, cr2;
    uint64_t fpstate;
    uint64_t reserved1[8];
};
_Static_assert(sizeof(struct lsigcontext) == 256, "sigcontext layout");

struct lucontext { /* the kernel's struct ucontext */
    uint64_t uc_flags;
    uint64_t uc_link;
    struct lstack uc_stack;
    struct lsigcontext uc_mcontext;
    lsigset_t uc_sigmask;
};
_Static_assert(sizeof(struct lucontext) == 304, "ucontext layout");

struct rt_sigframe {
    uint64_t pretcode; /* the restorer: the handler's return address */
    struct lucontext uc;
    struct lsiginfo info;
};
_Static_assert(sizeof(struct rt_sigframe) == 440, "rt_sigframe layout");

#define UC_FP_XSTATE 1
#define UC_SIGCONTEXT_SS 2
#define UC_STRICT_RESTORE_SS 4
#define FP_XSTATE_MAGIC1 0x46505853u
#define FP_XSTATE_MAGIC2 0x46505845u

/* What a pending signal carries (the siginfo fields the kernel fills). */
struct lsig_info {
    int32_t code;
    int32_t pid;
    uint64_t addr;
    uint64_t trapno, err;
    bool fault; /* raised by a CPU exception (addr, trapno, err are its) */
};

/* ---- dispositions ---- */
enum sig_default { SIGDEF_TERM, SIGDEF_IGNORE, SIGDEF_CORE };
enum sig_default sig_default_action(int sig);
const char *sig_name(int sig); /* "SIGSEGV", or "SIG42" style for others */
/* rt_sigaction's checks: 0 or -EINVAL (bad number, sigsetsize, or a change
 * to SIGKILL/SIGSTOP). Stores act (its mask without KILL/STOP) if given. */
int sig_action_check(int sig, size_t sigsetsize, bool changing);
void sig_action_store(struct kernel_sigaction *slot, const struct kernel_sigaction *act);
/* rt_sigprocmask: the new mask, or -EINVAL for a bad how / size. */
int sig_mask_apply(lsigset_t *blocked, int how, lsigset_t set, size_t sigsetsize);
/* Is sig discarded at once when raised (SIG_IGN, or default ignore)? */
bool sig_ignored(const struct kernel_sigaction *act, int sig);

/* The next signal to deliver from pending & ~blocked: synchronous faults
 * first, then the lowest number. 0 when none. */
int sig_next(lsigset_t pending, lsigset_t blocked);

/* What a CPU fault in user mode becomes (vector -> signal, si_code);
 * 0 if the vector is not one a program's fault raises. */
int sig_from_fault(unsigned vector, uint64_t error, int *si_code);

/* A synchronous fault must reach the program or kill it: when it is blocked
 * or ignored, the action is reset to default and the signal unblocked (so it
 * kills), as Linux's force_sig does. */
void sig_force(struct kernel_sigaction *slot, lsigset_t *blocked, int sig);

/* ---- alternate stack ---- */
struct altstack {
    uint64_t sp;
    uint64_t size;
    uint32_t flags; /* SS_DISABLE or 0, plus SS_AUTODISARM */
};
bool altstack_on(const struct altstack *a, uint64_t sp);
/* What sigaltstack(2) reports as the current setting. */
void altstack_get(const struct altstack *a, uint64_t sp, struct lstack *out);
/* sigaltstack's set: 0, -EPERM (on the stack now), -EINVAL, -ENOMEM. */
int altstack_set(struct altstack *a, uint64_t sp, const struct lstack *ss);

/* ---- frames ---- */
struct sigframe_layout {
    uint64_t frame;   /* user address of the rt_sigframe (rsp at the handler) */
    uint64_t fpstate; /* user address of the FPU image (64-byte aligned) */
    bool on_altstack; /* switched onto the alternate stack */
};
/* Where the frame goes: below the red zone of the interrupted stack, or at
 * the top of the alternate stack (SA_ONSTACK, enabled, not on it already).
 * -EFAULT when the frame would leave the alternate stack it is on, or wrap. */
int sigframe_place(const struct altstack *a, uint64_t user_sp, bool sa_onstack, size_t fp_size,
                   struct sigframe_layout *out);

struct sigframe_in {
    const struct int_frame *regs; /* user registers at the interruption */
    int sig;
    const struct lsiginfo *info;
    const struct kernel_sigaction *act;
    lsigset_t old_blocked;
    const struct altstack *alt;
    bool xsave;                   /* the FPU image is XSAVE format */
    uint64_t trapno, err, cr2;    /* the CPU fault behind it, else 0 */
};
/* Fills the frame to copy to layout->frame. */
void sigframe_fill(struct rt_sigframe *f, const struct sigframe_in *in,
                   const struct sigframe_layout *layout);
/* Points regs at the handler: rip, rsp, rdi=sig, rsi=&info, rdx=&uc, rax=0,
 * DF/TF/RF cleared, user selectors. */
void sigframe_enter(struct int_frame *regs, const struct sigframe_in *in,
                    const struct sigframe_layout *layout, uint16_t user_cs, uint16_t user_ss);
/* The mask while the handler runs. */
lsigset_t sig_handler_mask(const struct kernel_sigaction *act, int sig, lsigset_t blocked);

/* rt_sigreturn: the program's context back into regs, checked: selectors are
 * forced to the user ones, only the arithmetic/DF/TF/AC/RF flags come from the
 * program (IF on, IOPL 0), a non-canonical rip or rsp is refused (-EFAULT:
 * the caller kills with SIGSEGV, as Linux's bad frame does). regs is only
 * written on success. */
int sigreturn_restore(struct int_frame *regs, const struct lsigcontext *sc, uint16_t user_cs,
                      uint16_t user_ss);
/* Makes an FPU image the program handed back safe for FXRSTOR/XRSTOR: MXCSR
 * reserved bits cleared, XSAVE header (xstate_bv within features, standard
 * format, reserved bytes zero) fixed. size: the image's size. */
void fpstate_sanitize(uint8_t *img, size_t size, bool xsave, uint64_t features,
                      uint32_t mxcsr_mask);

/* A system call a signal interrupted: fixes rax/rip for restart (SA_RESTART,
 * or no handler runs) or -EINTR. orig_nr: the call's number. */
void sig_syscall_restart(struct int_frame *regs, long ret, bool handler_runs, bool sa_restart,
                         uint64_t orig_nr);

bool is_canonical(uint64_t a);

#endif
