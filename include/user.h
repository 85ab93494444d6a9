/* User mode (ring 3) for Linux programs: the per-thread user context (FS/GS
 * base, extended FPU/SIMD state, the Linux side's per-thread state), entry
 * into ring 3, and the hooks the system-call and interrupt paths call
 * (arch/x86_64/user.c, syscall.S, isr.S). The program's registers on kernel
 * entry are a struct int_frame (include/irq.h) at the top of the thread's
 * kernel stack, whatever brought it in: system call, interrupt or fault. */
#ifndef KESTREL_USER_H
#define KESTREL_USER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "irq.h"

struct thread;

/* Segment selectors as ring 3 sees them (GDT entries 6 and 7, RPL 3). */
#define USER_DS 0x33
#define USER_CS 0x3b
/* Lowest address above the program's half (canonical lower half ends here). */
#define USER_VA_END 0x800000000000ull

/* A thread that runs a program has one of these (thread->uctx); extend the
 * Linux side through `lthread` (linux/abi.h's struct lthread). */
struct user_ctx {
    uint64_t fs_base, gs_base;
    void *xsave;      /* FXSAVE/XSAVE area, 64-byte aligned, user_xsave_size() bytes */
    void *xsave_mem;  /* what malloc gave (xsave is aligned inside it) */
    void *lthread;    /* per-thread Linux state (struct lthread) */
};

/* Per CPU, from cpu_init_tables: EFER.SCE, STAR/LSTAR/FMASK, CR4.OSFXSR,
 * OSXMMEXCPT, OSXSAVE with XCR0 from CPUID 0xD, SMEP where present. */
void user_cpu_init(void);
size_t user_xsave_size(void);
bool user_has_xsave(void);

/* A user context with the initial FPU state (FCW 0x37f, MXCSR 0x1f80). */
struct user_ctx *user_ctx_create(void);
void user_ctx_destroy(struct user_ctx *u);

/* Gives the running thread (which has none yet) the user context u, its
 * FPU/SIMD state loaded at once: a switch right after must save u's state,
 * not what the registers held for the previous program thread. */
void user_ctx_attach(struct user_ctx *u);

/* Copies the running thread's live FPU/SIMD state into dst (clone: the
 * child starts with the parent's). */
void user_fpu_copy_current(struct user_ctx *dst);

/* Scheduler hook on every switch: saves prev's extended state, loads
 * next's state, FS/GS base and kernel stack top (TSS.rsp0). */
void user_switch(struct thread *prev, struct thread *next);

/* Makes thread_current() (which must have a uctx) enter ring 3 with the
 * registers in f (rip, rsp, rflags, general registers; cs/ss are forced to
 * the user selectors). The thread's kernel stack is reset to its top: never
 * returns. */
void user_enter(const struct int_frame *f) __attribute__((noreturn));

/* The kernel stack top of thread t (where a ring-3 entry lands). */
uint64_t thread_kstack_top(const struct thread *t);

/* Set the running thread's FS/GS base (arch_prctl). */
void user_set_fs_base(uint64_t v);
void user_set_gs_base(uint64_t v);

/* ---- hooks into linux/ ---- */
/* A system call from ring 3 (syscall.S): nr in f->rax, result to f->rax. */
void linux_syscall(struct int_frame *f);
/* An exception (vector < 32) raised in ring 3: handled (demand paging) or
 * turned into the program's signal. */
void linux_user_exception(struct int_frame *f);
/* Called with interrupts enabled on every return to ring 3 (after a system
 * call, and after an interrupt or exception that came from ring 3): where
 * pending signals are delivered. It may rewrite f (signal frames). */
void linux_return_to_user(struct int_frame *f);

/* All CPUs drop their non-global TLB entries (after user PTEs were cleared
 * or their rights lowered). Call with interrupts enabled. */
void tlb_shootdown(void);

#endif
