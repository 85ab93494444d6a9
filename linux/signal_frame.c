/* Signal sets, dispositions, sigaltstack, the x86-64 rt_sigframe and the
 * checks of rt_sigreturn (pure logic; see signal_frame.h). */
#include <string.h>
#include "errno.h"
#include "signal_frame.h"

#define RED_ZONE 128
#define FL_CF (1ul << 0)
#define FL_FIXED1 (1ul << 1)
#define FL_PF (1ul << 2)
#define FL_AF (1ul << 4)
#define FL_ZF (1ul << 6)
#define FL_SF (1ul << 7)
#define FL_TF (1ul << 8)
#define FL_IF (1ul << 9)
#define FL_DF (1ul << 10)
#define FL_OF (1ul << 11)
#define FL_RF (1ul << 16)
#define FL_AC (1ul << 18)
/* The flags a program may set through sigreturn (Linux's FIX_EFLAGS). */
#define FL_USER (FL_AC | FL_OF | FL_DF | FL_TF | FL_SF | FL_ZF | FL_AF | FL_PF | FL_CF | FL_RF)

static const char *const names[32] = {
    [SIGHUP] = "SIGHUP",   [SIGINT] = "SIGINT",     [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
    [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT",   [SIGBUS] = "SIGBUS",   [SIGFPE] = "SIGFPE",
    [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1",   [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM",   [SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT",
    [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT",   [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
    [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU",   [SIGURG] = "SIGURG",   [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
    [SIGIO] = "SIGIO",     [SIGPWR] = "SIGPWR",     [SIGSYS] = "SIGSYS",
};

const char *sig_name(int sig)
{
    static const char *const rt[] = {"SIGRTMIN", "SIGRT"};
    if (sig > 0 && sig < 32)
        return names[sig];
    return sig == 32 ? rt[0] : rt[1];
}

enum sig_default sig_default_action(int sig)
{
    switch (sig) {
    case SIGCHLD:
    case SIGURG:
    case SIGWINCH:
    case SIGCONT:
    /* No job control in a unikernel: the stop signals have nothing to stop
     * for and are ignored rather than freezing the only program. */
    case SIGSTOP:
    case SIGTSTP:
    case SIGTTIN:
    case SIGTTOU:
        return SIGDEF_IGNORE;
    case SIGQUIT:
    case SIGILL:
    case SIGTRAP:
    case SIGABRT:
    case SIGBUS:
    case SIGFPE:
    case SIGSEGV:
    case SIGXCPU:
    case SIGXFSZ:
    case SIGSYS:
        return SIGDEF_CORE;
    default:
        return SIGDEF_TERM;
    }
}

int sig_action_check(int sig, size_t sigsetsize, bool changing)
{
    if (sig < 1 || sig > LNX_NSIG || sigsetsize != sizeof(lsigset_t))
        return -EINVAL;
    if (changing && (sig == SIGKILL || sig == SIGSTOP))
        return -EINVAL;
    return 0;
}

void sig_action_store(struct kernel_sigaction *slot, const struct kernel_sigaction *act)
{
    *slot = *act;
    slot->mask &= ~SIG_UNBLOCKABLE;
}

int sig_mask_apply(lsigset_t *blocked, int how, lsigset_t set, size_t sigsetsize)
{
    if (sigsetsize != sizeof(lsigset_t))
        return -EINVAL;
    switch (how) {
    case SIG_BLOCK:
        *blocked |= set;
        break;
    case SIG_UNBLOCK:
        *blocked &= ~set;
        break;
    case SIG_SETMASK:
        *blocked = set;
        break;
    default:
        return -EINVAL;
    }
    *blocked &= ~SIG_UNBLOCKABLE;
    return 0;
}

bool sig_ignored(const struct kernel_sigaction *act, int sig)
{
    if (act->handler == SIG_IGN_ADDR)
        return sig != SIGKILL;
    return act->handler == SIG_DFL_ADDR && sig_default_action(sig) == SIGDEF_IGNORE;
}

int sig_next(lsigset_t pending, lsigset_t blocked)
{
    lsigset_t ready = pending & ~blocked;
    if (!ready)
        return 0;
    if (ready & SIG_SYNCHRONOUS)
        ready &= SIG_SYNCHRONOUS;
    return __builtin_ctzll(ready) + 1;
}

int sig_from_fault(unsigned vector, uint64_t error, int *si_code)
{
    *si_code = SI_KERNEL;
    switch (vector) {
    case 0:  /* #DE */
        *si_code = FPE_INTDIV;
        return SIGFPE;
    case 1:  /* #DB */
    case 3:  /* #BP */
        *si_code = vector == 1 ? TRAP_TRACE : SI_KERNEL;
        return SIGTRAP;
    case 4:  /* #OF */
    case 5:  /* #BR */
    case 13: /* #GP */
        return SIGSEGV;
    case 6:  /* #UD */
        *si_code = ILL_ILLOPN;
        return SIGILL;
    case 11: /* #NP */
    case 12: /* #SS */
        return SIGBUS;
    case 14: /* #PF: bit 0 set when the page was present (a protection fault) */
        *si_code = (error & 1) ? SEGV_ACCERR : SEGV_MAPERR;
        return SIGSEGV;
    case 16: /* #MF */
    case 19: /* #XM */
        *si_code = FPE_FLTINV;
        return SIGFPE;
    case 17: /* #AC */
        *si_code = 1; /* BUS_ADRALN */
        return SIGBUS;
    default:
        return 0;
    }
}

void sig_force(struct kernel_sigaction *slot, lsigset_t *blocked, int sig)
{
    bool blocked_now = (*blocked & sigbit(sig)) != 0;
    if (blocked_now || slot->handler == SIG_IGN_ADDR) {
        slot->handler = SIG_DFL_ADDR;
        *blocked &= ~sigbit(sig);
    }
}

bool altstack_on(const struct altstack *a, uint64_t sp)
{
    return a->size && sp > a->sp && sp - a->sp <= a->size;
}

void altstack_get(const struct altstack *a, uint64_t sp, struct lstack *out)
{
    memset(out, 0, sizeof *out);
    out->ss_sp = a->sp;
    out->ss_size = a->size;
    uint32_t f = a->flags & SS_AUTODISARM;
    if (!a->size)
        f |= SS_DISABLE;
    else if (altstack_on(a, sp))
        f |= SS_ONSTACK;
    out->ss_flags = (int32_t)f;
}

int altstack_set(struct altstack *a, uint64_t sp, const struct lstack *ss)
{
    if (altstack_on(a, sp))
        return -EPERM;
    uint32_t f = (uint32_t)ss->ss_flags;
    uint32_t mode = f & ~SS_AUTODISARM;
    if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
        return -EINVAL;
    if (mode == SS_DISABLE) {
        *a = (struct altstack){0};
        return 0;
    }
    if (ss->ss_size < MINSIGSTKSZ)
        return -ENOMEM;
    if (ss->ss_sp + ss->ss_size < ss->ss_sp)
        return -EINVAL;
    a->sp = ss->ss_sp;
    a->size = ss->ss_size;
    a->flags = f & SS_AUTODISARM;
    return 0;
}

int sigframe_place(const struct altstack *a, uint64_t user_sp, bool sa_onstack, size_t fp_size,
                   struct sigframe_layout *out)
{
    bool nested = altstack_on(a, user_sp);
    bool entering = sa_onstack && a->size && !nested;
    uint64_t sp = entering ? a->sp + a->size : user_sp - RED_ZONE;
    uint64_t need = (uint64_t)fp_size + sizeof(struct rt_sigframe) + 64 + 16;
    if (!entering && user_sp < RED_ZONE)
        return -EFAULT;
    if (sp < need || fp_size > (1u << 20))
        return -EFAULT;
    sp = (sp - fp_size) & ~63ull;
    out->fpstate = sp;
    sp -= sizeof(struct rt_sigframe);
    sp = (sp & ~15ull) - 8; /* as at a function's entry: (rsp + 8) % 16 == 0 */
    out->frame = sp;
    out->on_altstack = entering || nested;
    if ((entering || nested) && !altstack_on(a, sp))
        return -EFAULT;
    if (!is_canonical(sp) || !is_canonical(user_sp))
        return -EFAULT;
    return 0;
}

static void save_regs(struct lsigcontext *sc, const struct int_frame *r)
{
    sc->r8 = r->r8;
    sc->r9 = r->r9;
    sc->r10 = r->r10;
    sc->r11 = r->r11;
    sc->r12 = r->r12;
    sc->r13 = r->r13;
    sc->r14 = r->r14;
    sc->r15 = r->r15;
    sc->rdi = r->rdi;
    sc->rsi = r->rsi;
    sc->rbp = r->rbp;
    sc->rbx = r->rbx;
    sc->rdx = r->rdx;
    sc->rax = r->rax;
    sc->rcx = r->rcx;
    sc->rsp = r->rsp;
    sc->rip = r->rip;
    sc->eflags = r->rflags;
    sc->cs = (uint16_t)r->cs;
    sc->ss = (uint16_t)r->ss;
}

void sigframe_fill(struct rt_sigframe *f, const struct sigframe_in *in,
                   const struct sigframe_layout *layout)
{
    memset(f, 0, sizeof *f);
    /* Without SA_RESTORER the handler returns to 0 and faults: Linux refuses
     * such a frame with SIGSEGV too. */
    f->pretcode = (in->act->flags & SA_RESTORER) ? in->act->restorer : 0;
    f->uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (in->xsave ? UC_FP_XSTATE : 0);
    altstack_get(in->alt, in->regs->rsp, &f->uc.uc_stack);
    save_regs(&f->uc.uc_mcontext, in->regs);
    f->uc.uc_mcontext.trapno = in->trapno;
    f->uc.uc_mcontext.err = in->err;
    f->uc.uc_mcontext.cr2 = in->cr2;
    f->uc.uc_mcontext.oldmask = in->old_blocked;
    f->uc.uc_mcontext.fpstate = layout->fpstate;
    f->uc.uc_sigmask = in->old_blocked;
    f->info = *in->info;
}

void sigframe_enter(struct int_frame *regs, const struct sigframe_in *in,
                    const struct sigframe_layout *layout, uint16_t user_cs, uint16_t user_ss)
{
    regs->rip = in->act->handler;
    regs->rsp = layout->frame;
    regs->rdi = (uint64_t)in->sig;
    regs->rsi = layout->frame + offsetof(struct rt_sigframe, info);
    regs->rdx = layout->frame + offsetof(struct rt_sigframe, uc);
    regs->rax = 0;
    regs->rflags &= ~(FL_DF | FL_RF | FL_TF);
    regs->cs = user_cs;
    regs->ss = user_ss;
}

lsigset_t sig_handler_mask(const struct kernel_sigaction *act, int sig, lsigset_t blocked)
{
    blocked |= act->mask;
    if (!(act->flags & SA_NODEFER))
        blocked |= sigbit(sig);
    return blocked & ~SIG_UNBLOCKABLE;
}

bool is_canonical(uint64_t a)
{
    return (uint64_t)(((int64_t)(a << 16)) >> 16) == a;
}

int sigreturn_restore(struct int_frame *regs, const struct lsigcontext *sc, uint16_t user_cs,
                      uint16_t user_ss)
{
    if (!is_canonical(sc->rip) || !is_canonical(sc->rsp))
        return -EFAULT;
    regs->r8 = sc->r8;
    regs->r9 = sc->r9;
    regs->r10 = sc->r10;
    regs->r11 = sc->r11;
    regs->r12 = sc->r12;
    regs->r13 = sc->r13;
    regs->r14 = sc->r14;
    regs->r15 = sc->r15;
    regs->rdi = sc->rdi;
    regs->rsi = sc->rsi;
    regs->rbp = sc->rbp;
    regs->rbx = sc->rbx;
    regs->rdx = sc->rdx;
    regs->rax = sc->rax;
    regs->rcx = sc->rcx;
    regs->rsp = sc->rsp;
    regs->rip = sc->rip;
    /* IF on, IOPL 0, no NT/VM/VIF: only the program's own flags are taken. */
    regs->rflags = (sc->eflags & FL_USER) | FL_IF | FL_FIXED1;
    regs->cs = user_cs;
    regs->ss = user_ss;
    return 0;
}

void fpstate_sanitize(uint8_t *img, size_t size, bool xsave, uint64_t features, uint32_t mxcsr_mask)
{
    if (size < 512)
        return;
    uint32_t mxcsr;
    memcpy(&mxcsr, img + 24, 4);
    mxcsr &= mxcsr_mask;
    memcpy(img + 24, &mxcsr, 4);
    if (!xsave || size < 576)
        return;
    uint64_t bv;
    memcpy(&bv, img + 512, 8);
    bv &= features;
    memcpy(img + 512, &bv, 8);
    memset(img + 520, 0, 56); /* xcomp_bv (standard format) and reserved */
}

void sig_syscall_restart(struct int_frame *regs, long ret, bool handler_runs, bool sa_restart,
                         uint64_t orig_nr)
{
    bool restart;
    if (ret == -ERESTARTNOHAND)
        restart = !handler_runs;
    else if (ret == -ERESTARTSYS)
        restart = !handler_runs || sa_restart;
    else
        return;
    if (!restart) {
        regs->rax = (uint64_t)-EINTR;
        return;
    }
    regs->rax = orig_nr;
    regs->rip -= 2; /* back onto the 2-byte syscall instruction */
}
