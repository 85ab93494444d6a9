/* Host unit test of linux/signal_frame.c: the rt_sigframe's layout and
 * placement, what a handler is entered with, sigreturn's checks of a context
 * the program may have forged, masks, altstack rules, fault mapping. */
#include <stddef.h>
#include <string.h>
#include "../../linux/signal_frame.h"
#include "check.h"
#include "errno.h"

#define UCS 0x23
#define USS 0x1b

static void test_layout(void)
{
    CHECK_EQ(offsetof(struct rt_sigframe, uc), 8);
    CHECK_EQ(offsetof(struct rt_sigframe, uc.uc_mcontext), 48);
    CHECK_EQ(offsetof(struct rt_sigframe, uc.uc_mcontext.rip), 48 + 128);
    CHECK_EQ(offsetof(struct rt_sigframe, uc.uc_mcontext.fpstate), 48 + 184);
    CHECK_EQ(offsetof(struct rt_sigframe, uc.uc_sigmask), 48 + 256);
    CHECK_EQ(offsetof(struct rt_sigframe, info), 312);
    CHECK_EQ(offsetof(struct lsiginfo, u.fault.addr), 16);
    CHECK_EQ(offsetof(struct lstack, ss_size), 16);
    CHECK_EQ(offsetof(struct lsigcontext, cs), 144);
    CHECK_EQ(offsetof(struct lsigcontext, err), 152);
    CHECK_EQ(offsetof(struct lsigcontext, cr2), 176);
}

static void test_place(void)
{
    struct altstack none = {0};
    struct sigframe_layout l;
    CHECK_EQ(sigframe_place(&none, 0x7fff0000, false, 832, &l), 0);
    CHECK_EQ(l.fpstate % 64, 0);
    CHECK(l.fpstate + 832 <= 0x7fff0000 - 128); /* the red zone is left alone */
    CHECK_EQ((l.frame + 8) % 16, 0);
    CHECK(l.frame + sizeof(struct rt_sigframe) <= l.fpstate);
    CHECK(!l.on_altstack);
    /* SA_ONSTACK with no alternate stack: the same stack. */
    CHECK_EQ(sigframe_place(&none, 0x7fff0000, true, 832, &l), 0);
    CHECK(!l.on_altstack);

    struct altstack a = {.sp = 0x500000, .size = 0x4000};
    CHECK_EQ(sigframe_place(&a, 0x7fff0000, true, 832, &l), 0);
    CHECK(l.on_altstack && l.frame > 0x500000 && l.fpstate + 832 <= 0x504000);
    /* Nested on the alternate stack: continues below the current sp. */
    CHECK_EQ(sigframe_place(&a, 0x503000, true, 832, &l), 0);
    CHECK(l.on_altstack && l.fpstate + 832 <= 0x503000 - 128);
    /* Nested but too deep: the frame would leave the stack. */
    CHECK_EQ(sigframe_place(&a, 0x500200, true, 832, &l), -EFAULT);
    /* A stack too small for one frame. */
    struct altstack tiny = {.sp = 0x500000, .size = 512};
    CHECK_EQ(sigframe_place(&tiny, 0x7fff0000, true, 832, &l), -EFAULT);
    /* A stack pointer near 0 or non-canonical. */
    CHECK_EQ(sigframe_place(&none, 100, false, 832, &l), -EFAULT);
    CHECK_EQ(sigframe_place(&none, 0x800000001000ull, false, 832, &l), -EFAULT);
}

static struct int_frame sample_regs(void)
{
    struct int_frame r;
    uint64_t *w = (uint64_t *)&r;
    for (size_t i = 0; i < sizeof r / 8; i++)
        w[i] = 0x1111 * (i + 1);
    r.rip = 0x401234;
    r.rsp = 0x7ffe0000;
    r.rflags = 0x246 | (1ul << 10) | (1ul << 8);
    r.cs = UCS;
    r.ss = USS;
    return r;
}

static void test_fill_enter_return(void)
{
    struct int_frame regs = sample_regs(), orig = regs;
    struct kernel_sigaction act = {.handler = 0x402000, .flags = SA_SIGINFO | SA_RESTORER,
                                   .restorer = 0x403000, .mask = sigbit(SIGUSR2)};
    struct lsiginfo info = {.si_signo = SIGSEGV, .si_code = SEGV_MAPERR, .u.fault.addr = 0xdead0};
    struct altstack alt = {.sp = 0x600000, .size = 0x8000, .flags = SS_AUTODISARM};
    struct sigframe_in in = {.regs = &regs, .sig = SIGSEGV, .info = &info, .act = &act,
                             .old_blocked = sigbit(SIGUSR1), .alt = &alt, .xsave = true,
                             .trapno = 14, .err = 4, .cr2 = 0xdead0};
    struct sigframe_layout l;
    CHECK_EQ(sigframe_place(&alt, regs.rsp, true, 1024, &l), 0);
    static struct rt_sigframe f;
    sigframe_fill(&f, &in, &l);
    CHECK_EQ(f.pretcode, 0x403000);
    CHECK_EQ(f.uc.uc_mcontext.rip, 0x401234);
    CHECK_EQ(f.uc.uc_mcontext.rsp, 0x7ffe0000);
    CHECK_EQ(f.uc.uc_mcontext.rax, orig.rax);
    CHECK_EQ(f.uc.uc_mcontext.r15, orig.r15);
    CHECK_EQ(f.uc.uc_mcontext.cr2, 0xdead0);
    CHECK_EQ(f.uc.uc_mcontext.trapno, 14);
    CHECK_EQ(f.uc.uc_mcontext.fpstate, l.fpstate);
    CHECK_EQ(f.uc.uc_sigmask, sigbit(SIGUSR1));
    CHECK_EQ(f.uc.uc_flags & UC_FP_XSTATE, UC_FP_XSTATE);
    CHECK_EQ(f.uc.uc_stack.ss_sp, 0x600000);
    CHECK_EQ((uint32_t)f.uc.uc_stack.ss_flags, SS_AUTODISARM); /* enabled, not on it */
    CHECK_EQ(f.info.u.fault.addr, 0xdead0);

    sigframe_enter(&regs, &in, &l, UCS, USS);
    CHECK_EQ(regs.rip, 0x402000);
    CHECK_EQ(regs.rsp, l.frame);
    CHECK_EQ(regs.rdi, SIGSEGV);
    CHECK_EQ(regs.rsi, l.frame + 312);
    CHECK_EQ(regs.rdx, l.frame + 8);
    CHECK_EQ(regs.rflags & ((1ul << 10) | (1ul << 8)), 0);

    CHECK_EQ(sig_handler_mask(&act, SIGSEGV, sigbit(SIGUSR1)),
             sigbit(SIGUSR1) | sigbit(SIGUSR2) | sigbit(SIGSEGV));
    act.flags |= SA_NODEFER;
    act.mask |= sigbit(SIGKILL);
    CHECK_EQ(sig_handler_mask(&act, SIGSEGV, 0), sigbit(SIGUSR2));

    /* sigreturn with the context unchanged gives the interrupted registers. */
    struct int_frame back = regs;
    CHECK_EQ(sigreturn_restore(&back, &f.uc.uc_mcontext, UCS, USS), 0);
    CHECK_EQ(back.rip, orig.rip);
    CHECK_EQ(back.rsp, orig.rsp);
    CHECK_EQ(back.rax, orig.rax);
    CHECK_EQ(back.rcx, orig.rcx);
    CHECK_EQ(back.r11, orig.r11);
    CHECK_EQ(back.rflags, orig.rflags);
}

static void test_sigreturn_hostile(void)
{
    struct int_frame regs = sample_regs(), before;
    struct lsigcontext sc;
    memset(&sc, 0xff, sizeof sc);
    sc.rip = 0x401000;
    sc.rsp = 0x7ff00000;
    before = regs;
    CHECK_EQ(sigreturn_restore(&regs, &sc, UCS, USS), 0);
    CHECK_EQ(regs.cs, UCS); /* 0xffff asked: never a kernel selector */
    CHECK_EQ(regs.ss, USS);
    CHECK_EQ(regs.rflags & (3ul << 12), 0); /* IOPL 0 */
    CHECK_EQ(regs.rflags & (1ul << 9), 1ul << 9); /* IF on */
    CHECK_EQ(regs.rflags & (1ul << 14), 0); /* NT */
    CHECK_EQ(regs.rflags & (1ul << 17), 0); /* VM */
    CHECK_EQ(regs.rflags & (1ul << 1), 1ul << 1);
    /* Non-canonical rip or rsp: refused, registers untouched. */
    regs = before;
    sc.rip = 0x0000800000000000ull;
    CHECK_EQ(sigreturn_restore(&regs, &sc, UCS, USS), -EFAULT);
    CHECK(memcmp(&regs, &before, sizeof regs) == 0);
    sc.rip = 0x401000;
    sc.rsp = 0x1234567812345678ull;
    CHECK_EQ(sigreturn_restore(&regs, &sc, UCS, USS), -EFAULT);
    CHECK(is_canonical(0xffff800000000000ull));
    CHECK(!is_canonical(0xfff0800000000000ull));
}

static void test_fpstate(void)
{
    static uint8_t img[1024];
    memset(img, 0xff, sizeof img);
    fpstate_sanitize(img, sizeof img, true, 0x7, 0xffbf);
    uint32_t mxcsr;
    uint64_t bv, comp;
    memcpy(&mxcsr, img + 24, 4);
    memcpy(&bv, img + 512, 8);
    memcpy(&comp, img + 520, 8);
    CHECK_EQ(mxcsr, 0xffbf);
    CHECK_EQ(bv, 0x7);
    CHECK_EQ(comp, 0);
    CHECK_EQ(img[575], 0);
    CHECK_EQ(img[576], 0xff); /* the state itself is the program's */
    memset(img, 0xff, sizeof img);
    fpstate_sanitize(img, 512, false, 0, 0xffff);
    memcpy(&mxcsr, img + 24, 4);
    CHECK_EQ(mxcsr, 0xffff);
    CHECK_EQ(img[512], 0xff); /* FXSAVE: nothing past 512 touched */
}

static void test_sets_and_actions(void)
{
    lsigset_t b = 0;
    CHECK_EQ(sig_mask_apply(&b, SIG_BLOCK, sigbit(SIGUSR1) | sigbit(SIGKILL), 8), 0);
    CHECK_EQ(b, sigbit(SIGUSR1));
    CHECK_EQ(sig_mask_apply(&b, SIG_SETMASK, ~0ull, 8), 0);
    CHECK_EQ(b, ~0ull & ~SIG_UNBLOCKABLE);
    CHECK_EQ(sig_mask_apply(&b, SIG_UNBLOCK, sigbit(SIGINT), 8), 0);
    CHECK_EQ(b & sigbit(SIGINT), 0);
    CHECK_EQ(sig_mask_apply(&b, 3, 0, 8), -EINVAL);
    CHECK_EQ(sig_mask_apply(&b, SIG_BLOCK, 0, 4), -EINVAL);

    CHECK_EQ(sig_next(0, 0), 0);
    CHECK_EQ(sig_next(sigbit(SIGUSR1) | sigbit(SIGTERM), 0), SIGUSR1);
    CHECK_EQ(sig_next(sigbit(SIGUSR1) | sigbit(SIGSEGV), 0), SIGSEGV);
    CHECK_EQ(sig_next(sigbit(SIGHUP) | sigbit(SIGURG), sigbit(SIGHUP)), SIGURG);
    CHECK_EQ(sig_next(sigbit(64), 0), 64);
    CHECK_EQ(sig_next(sigbit(SIGHUP), sigbit(SIGHUP)), 0);

    CHECK_EQ(sig_action_check(0, 8, false), -EINVAL);
    CHECK_EQ(sig_action_check(65, 8, false), -EINVAL);
    CHECK_EQ(sig_action_check(SIGKILL, 8, true), -EINVAL);
    CHECK_EQ(sig_action_check(SIGKILL, 8, false), 0);
    CHECK_EQ(sig_action_check(SIGUSR1, 16, true), -EINVAL);
    struct kernel_sigaction slot, act = {.handler = 5, .mask = ~0ull};
    sig_action_store(&slot, &act);
    CHECK_EQ(slot.mask, ~SIG_UNBLOCKABLE);

    struct kernel_sigaction dfl = {0}, ign = {.handler = SIG_IGN_ADDR};
    CHECK(sig_ignored(&dfl, SIGCHLD) && sig_ignored(&dfl, SIGURG) && sig_ignored(&dfl, SIGWINCH));
    CHECK(!sig_ignored(&dfl, SIGTERM) && !sig_ignored(&dfl, 40));
    CHECK(sig_ignored(&ign, SIGTERM) && !sig_ignored(&ign, SIGKILL));
    CHECK_EQ(sig_default_action(SIGSEGV), SIGDEF_CORE);
    CHECK_EQ(sig_default_action(SIGTERM), SIGDEF_TERM);
    CHECK(strcmp(sig_name(SIGSEGV), "SIGSEGV") == 0);
    CHECK(strcmp(sig_name(SIGURG), "SIGURG") == 0);

    /* A fault while its signal is blocked (inside its own handler): reset, kill. */
    struct kernel_sigaction h = {.handler = 0x401000};
    lsigset_t blk = sigbit(SIGSEGV) | sigbit(SIGUSR1);
    sig_force(&h, &blk, SIGSEGV);
    CHECK_EQ(h.handler, SIG_DFL_ADDR);
    CHECK_EQ(blk, sigbit(SIGUSR1));
    h.handler = 0x401000;
    sig_force(&h, &blk, SIGSEGV);
    CHECK_EQ(h.handler, 0x401000); /* unblocked and handled: kept */
    h.handler = SIG_IGN_ADDR;
    sig_force(&h, &blk, SIGFPE);
    CHECK_EQ(h.handler, SIG_DFL_ADDR);

    int code;
    CHECK_EQ(sig_from_fault(0, 0, &code), SIGFPE);
    CHECK_EQ(code, FPE_INTDIV);
    CHECK_EQ(sig_from_fault(14, 6, &code), SIGSEGV);
    CHECK_EQ(code, SEGV_MAPERR);
    CHECK_EQ(sig_from_fault(14, 7, &code), SIGSEGV);
    CHECK_EQ(code, SEGV_ACCERR);
    CHECK_EQ(sig_from_fault(6, 0, &code), SIGILL);
    CHECK_EQ(sig_from_fault(13, 0, &code), SIGSEGV);
    CHECK_EQ(sig_from_fault(3, 0, &code), SIGTRAP);
    CHECK_EQ(sig_from_fault(2, 0, &code), 0);
}

static void test_altstack(void)
{
    struct altstack a = {0};
    struct lstack q, s = {.ss_sp = 0x500000, .ss_size = 0x4000};
    altstack_get(&a, 0x7fff0000, &q);
    CHECK_EQ(q.ss_flags, SS_DISABLE);
    CHECK_EQ(altstack_set(&a, 0x7fff0000, &s), 0);
    altstack_get(&a, 0x7fff0000, &q);
    CHECK(q.ss_flags == 0 && q.ss_sp == 0x500000 && q.ss_size == 0x4000);
    altstack_get(&a, 0x501000, &q);
    CHECK_EQ(q.ss_flags, SS_ONSTACK);
    CHECK_EQ(altstack_set(&a, 0x501000, &s), -EPERM); /* on it now */
    s.ss_size = 100;
    CHECK_EQ(altstack_set(&a, 0x7fff0000, &s), -ENOMEM);
    s.ss_flags = 77;
    CHECK_EQ(altstack_set(&a, 0x7fff0000, &s), -EINVAL);
    s.ss_flags = SS_DISABLE;
    CHECK_EQ(altstack_set(&a, 0x7fff0000, &s), 0);
    CHECK_EQ(a.size, 0);
    s = (struct lstack){.ss_sp = ~0ull - 100, .ss_size = 4096};
    CHECK_EQ(altstack_set(&a, 0x7fff0000, &s), -EINVAL);
}

static void test_restart(void)
{
    struct int_frame r = sample_regs();
    r.rip = 0x401002;
    r.rax = (uint64_t)-ERESTARTSYS;
    struct int_frame t = r;
    sig_syscall_restart(&t, -ERESTARTSYS, true, true, 202);
    CHECK(t.rax == 202 && t.rip == 0x401000);
    t = r;
    sig_syscall_restart(&t, -ERESTARTSYS, true, false, 202);
    CHECK(t.rax == (uint64_t)-EINTR && t.rip == 0x401002);
    t = r;
    sig_syscall_restart(&t, -ERESTARTSYS, false, false, 202);
    CHECK(t.rax == 202 && t.rip == 0x401000);
    t = r;
    sig_syscall_restart(&t, -ERESTARTNOHAND, true, true, 34);
    CHECK(t.rax == (uint64_t)-EINTR);
    t = r;
    t.rax = 5;
    sig_syscall_restart(&t, 5, true, true, 0);
    CHECK(t.rax == 5 && t.rip == 0x401002);
}

int main(void)
{
    test_layout();
    test_place();
    test_fill_enter_return();
    test_sigreturn_hostile();
    test_fpstate();
    test_sets_and_actions();
    test_altstack();
    test_restart();
    return check_report("test_signal_frame");
}
