/* libFuzzer target for linux/signal_frame.c: what a program hands the kernel
 * in rt_sigreturn (sigcontext, FPU image), sigaltstack and rt_sigprocmask,
 * with the invariants the kernel relies on checked: user selectors only,
 * IF on and IOPL 0, canonical rip/rsp, XRSTOR-safe images, frames inside
 * the stack they claim. */
#include <stdint.h>
#include <string.h>
#include "../../linux/signal_frame.h"

#define UCS 0x23
#define USS 0x1b

static void fuzz_sigreturn(const uint8_t *d, size_t n)
{
    struct lsigcontext sc;
    memset(&sc, 0, sizeof sc);
    memcpy(&sc, d, n < sizeof sc ? n : sizeof sc);
    struct int_frame regs;
    memset(&regs, 0x5a, sizeof regs);
    if (sigreturn_restore(&regs, &sc, UCS, USS) == 0) {
        if (regs.cs != UCS || regs.ss != USS || !(regs.rflags & (1ul << 9)) ||
            (regs.rflags & ((3ul << 12) | (1ul << 14) | (1ul << 17) | (1ul << 19) | (1ul << 20))) ||
            !is_canonical(regs.rip) || !is_canonical(regs.rsp) || regs.rflags >> 22)
            __builtin_trap();
    }
}

static void fuzz_fpstate(const uint8_t *d, size_t n)
{
    static uint8_t img[1024];
    memset(img, 0, sizeof img);
    memcpy(img, d, n < sizeof img ? n : sizeof img);
    size_t size = n > 0 ? (d[0] & 1 ? 512 : sizeof img) : 512;
    fpstate_sanitize(img, size, size > 512, 0x7, 0xffff);
    uint32_t mxcsr;
    memcpy(&mxcsr, img + 24, 4);
    if (mxcsr >> 16)
        __builtin_trap();
    if (size > 512) {
        uint64_t bv;
        memcpy(&bv, img + 512, 8);
        if (bv & ~0x7ull)
            __builtin_trap();
        for (int i = 520; i < 576; i++)
            if (img[i])
                __builtin_trap();
    }
}

static void fuzz_stacks(const uint8_t *d, size_t n)
{
    uint64_t v[6] = {0};
    memcpy(v, d, n < sizeof v ? n : sizeof v);
    struct altstack a = {0};
    struct lstack ss = {.ss_sp = v[0], .ss_flags = (int32_t)v[1], .ss_size = v[2]};
    int r = altstack_set(&a, v[3], &ss);
    if (r == 0 && a.size && (a.size < MINSIGSTKSZ || a.sp + a.size < a.sp))
        __builtin_trap();
    struct lstack q;
    altstack_get(&a, v[3], &q);
    struct sigframe_layout l;
    size_t fp = (size_t)(v[4] & 0x3fff);
    if (sigframe_place(&a, v[3], v[5] & 1, fp, &l) == 0) {
        if (l.fpstate % 64 || (l.frame + 8) % 16 || l.frame + sizeof(struct rt_sigframe) > l.fpstate)
            __builtin_trap();
        if (l.on_altstack && !altstack_on(&a, l.frame))
            __builtin_trap();
        if (!l.on_altstack && l.fpstate + fp > v[3] - 128)
            __builtin_trap();
    }
    lsigset_t b = v[0];
    if (sig_mask_apply(&b, (int)v[1], v[2], (size_t)(v[4] & 15)) == 0 && (b & SIG_UNBLOCKABLE))
        __builtin_trap();
    int s = sig_next(v[0], v[1]);
    if (s && (!(v[0] & ~v[1] & sigbit(s))))
        __builtin_trap();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    fuzz_sigreturn(d, n);
    fuzz_fpstate(d, n);
    fuzz_stacks(d, n);
    return 0;
}
