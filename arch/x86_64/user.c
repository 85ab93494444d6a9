/* Ring 3 for Linux programs: per-CPU set-up of SYSCALL and the FPU/SIMD
 * state the programs use, per-thread user contexts (extended state saved
 * with XSAVE where the CPU has it, FXSAVE otherwise; FS/GS base), the
 * switch hook, entry into ring 3 and TLB shootdowns. The kernel itself
 * stays on general registers, so the state is only switched, never used. */
#include <stdlib.h>
#include <string.h>
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"
#include "sched.h"
#include "spinlock.h"
#include "log.h"
#include "panic.h"
#include "user.h"
#include "xsave_choice.h"

#define CR0_MP (1ull << 1)
#define CR0_EM (1ull << 2)
#define CR0_TS (1ull << 3)
#define CR4_OSFXSR (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_OSXSAVE (1ull << 18)
#define CR4_SMEP (1ull << 20)
/* RFLAGS bits the SYSCALL entry clears: TF, IF, DF, IOPL, NT, AC. */
#define FMASK_BITS 0x47700ull
/* RFLAGS bits a program may hold: CF PF AF ZF SF TF DF OF AC ID (and IF, forced). */
#define USER_RFLAGS_MASK 0x250dd5ull
#define VEC_TLB 0xf2

extern char syscall_entry[];
void user_enter_frame(const struct int_frame *f) __attribute__((noreturn));

static size_t xsave_bytes = 512;
static bool xsave_ok;
static uint64_t xcr0;
/* A leaf 0xD the boot CPU did not believe (distrusted_xcr0 != 0). */
static uint32_t distrusted_size;
static uint64_t distrusted_xcr0;
static size_t distrusted_need;
static struct spinlock tlb_lock = SPINLOCK_INIT;
static volatile unsigned tlb_acks;

static void tlb_ipi(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    write_cr3(read_cr3());
    __atomic_add_fetch(&tlb_acks, 1, __ATOMIC_RELEASE);
}

static void read_xsave_cpuid(struct xsave_cpuid *c)
{
    struct cpuid_regs d = cpuid(0xd, 0);
    c->supported_lo = d.eax;
    c->supported_hi = d.edx;
    for (unsigned i = 2; i < 8; i++) {
        struct cpuid_regs r = cpuid(0xd, i);
        c->size[i] = r.eax;
        c->offset[i] = r.ebx;
    }
}

/* The boot CPU decides (xsave_choice.c) and the others follow it (below):
 * one XCR0 and one area size for every thread wherever it runs. A leaf 0xD
 * whose size cannot hold what it enables is not believed: FXSAVE then. */
static void xsave_setup_bsp(uint64_t *cr4)
{
    struct xsave_cpuid c;
    read_xsave_cpuid(&c);
    uint64_t v = xsave_pick_xcr0(&c);
    write_cr4(*cr4 | CR4_OSXSAVE); /* before XSETBV, which is #UD without it */
    xsetbv(0, v);
    uint32_t size = cpuid(0xd, 0).ebx; /* the area's size for the features XCR0 enables now */
    if (!xsave_size_ok(&c, v, size)) {
        /* No console yet: said when the first program starts (user_ctx_create). */
        distrusted_size = size;
        distrusted_xcr0 = v;
        distrusted_need = xsave_needed_bytes(&c, v);
        xsetbv(0, XCR0_X87 | XCR0_SSE);
        write_cr4(*cr4);
        return;
    }
    *cr4 |= CR4_OSXSAVE;
    xcr0 = v;
    xsave_bytes = size;
    xsave_ok = true;
}

/* A second CPU without the boot CPU's features would fault in XRSTOR at the
 * first switch to a program thread: say so at once instead. */
static void xsave_setup_ap(uint64_t *cr4)
{
    struct cpuid_regs d = cpuid(0xd, 0);
    uint64_t supported = d.eax | ((uint64_t)d.edx << 32);
    if (!(cpuid(1, 0).ecx & (1u << 26)) || (supported & xcr0) != xcr0)
        panic("cpu %u: no XSAVE for XCR0 %#llx, which the boot CPU uses", this_cpu()->id, (unsigned long long)xcr0);
    *cr4 |= CR4_OSXSAVE;
    write_cr4(*cr4);
    xsetbv(0, xcr0);
}

void user_cpu_init(void)
{
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    struct cpuid_regs r1 = cpuid(1, 0);
    if (cpuid(0, 0).eax >= 7 && (cpuid(7, 0).ebx & (1u << 7)))
        cr4 |= CR4_SMEP; /* the kernel never runs the program's pages */
    write_cr4(cr4);
    if (this_cpu()->id != 0) {
        if (xsave_ok)
            xsave_setup_ap(&cr4);
    } else if ((r1.ecx & (1u << 26)) && cpuid(0, 0).eax >= 0xd) {
        xsave_setup_bsp(&cr4);
    }
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | 1); /* SCE */
    wrmsr(MSR_STAR, (0x08ull << 32) | (0x2bull << 48));
    wrmsr(MSR_LSTAR, (uint64_t)(uintptr_t)syscall_entry);
    wrmsr(MSR_FMASK, FMASK_BITS);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    if (this_cpu()->id == 0)
        irq_set_handler(VEC_TLB, tlb_ipi, NULL);
}

size_t user_xsave_size(void) { return xsave_bytes; }
bool user_has_xsave(void) { return xsave_ok; }

struct user_ctx *user_ctx_create(void)
{
    static bool said;
    if (distrusted_xcr0 && !__atomic_exchange_n(&said, true, __ATOMIC_RELAXED))
        pr_warn("cpu: CPUID 0xD says %u bytes of XSAVE area for XCR0 %#llx (needs %zu): programs use FXSAVE\n",
                distrusted_size, (unsigned long long)distrusted_xcr0, distrusted_need);
    struct user_ctx *u = calloc(1, sizeof(*u));
    if (!u)
        return NULL;
    u->xsave_mem = calloc(1, xsave_bytes + 64);
    if (!u->xsave_mem) {
        free(u);
        return NULL;
    }
    uint8_t *a = (uint8_t *)(((uintptr_t)u->xsave_mem + 63) & ~(uintptr_t)63);
    u->xsave = a;
    /* The legacy area's FCW and MXCSR at reset values; XSTATE_BV 0 makes
     * XRSTOR load every other component in its initial state. */
    a[0] = 0x7f;
    a[1] = 0x03;
    uint32_t mxcsr = 0x1f80;
    memcpy(a + 24, &mxcsr, 4);
    return u;
}

void user_ctx_destroy(struct user_ctx *u)
{
    if (!u)
        return;
    free(u->xsave_mem);
    free(u);
}

static void fpu_save(struct user_ctx *u)
{
    if (xsave_ok)
        __asm__ volatile("xsave64 (%0)" ::"r"(u->xsave), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" ::"r"(u->xsave) : "memory");
}

static void fpu_load(struct user_ctx *u)
{
    if (xsave_ok)
        __asm__ volatile("xrstor64 (%0)" ::"r"(u->xsave), "a"((uint32_t)xcr0), "d"((uint32_t)(xcr0 >> 32))
                         : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(u->xsave) : "memory");
}

/* Until its uctx is set a thread has no state of its own in the registers
 * (the last program thread's are there); once set, a switch away saves
 * the registers into it. So they are made u's before anything can switch. */
void user_ctx_attach(struct user_ctx *u)
{
    uint64_t flags = irq_save();
    thread_current()->uctx = u;
    fpu_load(u);
    irq_restore(flags);
}

void user_fpu_copy_current(struct user_ctx *dst)
{
    uint64_t flags = irq_save(); /* not switched away in the middle */
    fpu_save(dst);
    irq_restore(flags);
}

uint64_t thread_kstack_top(const struct thread *t)
{
    return (uint64_t)(uintptr_t)t->stack_base + t->stack_size;
}

static void load_user_state(struct thread *t)
{
    struct cpu *c = this_cpu();
    uint64_t top = thread_kstack_top(t);
    c->kstack_top = top;
    c->tss.rsp[0] = top;
    if (!t->uctx)
        return;
    fpu_load(t->uctx);
    wrmsr(MSR_FS_BASE, t->uctx->fs_base);
    wrmsr(MSR_KERNEL_GS_BASE, t->uctx->gs_base);
}

void user_switch(struct thread *prev, struct thread *next)
{
    if (prev->uctx)
        fpu_save(prev->uctx);
    load_user_state(next);
}

void user_set_fs_base(uint64_t v)
{
    struct thread *t = thread_current();
    t->uctx->fs_base = v;
    wrmsr(MSR_FS_BASE, v);
}

void user_set_gs_base(uint64_t v)
{
    struct thread *t = thread_current();
    t->uctx->gs_base = v;
    wrmsr(MSR_KERNEL_GS_BASE, v); /* swapped in on the way to ring 3 */
}

void user_enter(const struct int_frame *f)
{
    struct int_frame r = *f;
    r.cs = USER_CS;
    r.ss = USER_DS;
    r.rflags = (r.rflags & USER_RFLAGS_MASK) | 0x202;
    irq_disable();
    load_user_state(thread_current());
    user_enter_frame(&r);
}

/* From syscall.S and isr.S on the way back to ring 3 (interrupts off on
 * entry and on return). */
void user_return(struct int_frame *f);
void user_return(struct int_frame *f)
{
    irq_enable();
    linux_return_to_user(f);
    while (this_cpu()->need_resched) {
        schedule();
        /* A signal sent while this thread was switched out found it on no
         * CPU to kick: deliver it now, or it would wait for the next
         * interrupt on this CPU (none comes to a lone thread spinning). */
        linux_return_to_user(f);
    }
    irq_disable();
    f->cs = USER_CS;
    f->ss = USER_DS;
    f->rflags = (f->rflags & USER_RFLAGS_MASK) | 0x202;
}

/* Waits for the others with interrupts enabled: a CPU waiting here must
 * still answer another's shootdown. */
void tlb_shootdown(void)
{
    if (ncpus < 2) {
        write_cr3(read_cr3());
        return;
    }
    spin_lock_raw(&tlb_lock);
    uint64_t flags = irq_save();
    write_cr3(read_cr3());
    struct cpu *self = this_cpu();
    unsigned n = 0;
    __atomic_store_n(&tlb_acks, 0, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < ncpus; i++) {
        if (cpus[i] && cpus[i] != self && cpus[i]->online) {
            smp_send_ipi(cpus[i], VEC_TLB);
            n++;
        }
    }
    irq_restore(flags);
    while (__atomic_load_n(&tlb_acks, __ATOMIC_ACQUIRE) < n)
        cpu_relax();
    spin_unlock_raw(&tlb_lock);
}
