/* Which extended-state features (XCR0) Kestrel enables for programs and how
 * large their save area is, decided from CPUID values alone
 * (arch/x86_64/xsave_choice.c), so host tests can feed what QEMU, KVM or
 * Xen report. CPUID comes from the hypervisor: a leaf 0xD that cannot be
 * right (a size too small for the components it enables, or absurdly
 * large) makes Kestrel use FXSAVE instead of trusting it. */
#ifndef KESTREL_XSAVE_CHOICE_H
#define KESTREL_XSAVE_CHOICE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define XCR0_X87 0x1ull
#define XCR0_SSE 0x2ull
#define XCR0_AVX 0x4ull
#define XCR0_AVX512 0xe0ull /* opmask, ZMM_Hi256, Hi16_ZMM: only all three */

/* The legacy (FXSAVE) region and the XSAVE header: every XSAVE area has them. */
#define XSAVE_LEGACY_HEADER_BYTES 576
/* No area we would enable (x87..AVX-512 is 2688 bytes) comes near this. */
#define XSAVE_AREA_MAX 16384

/* CPUID leaf 0xD as read on a CPU. */
struct xsave_cpuid {
    uint32_t supported_lo, supported_hi; /* 0xD.0 EAX, EDX: XCR0 bits the CPU allows */
    uint32_t size[8], offset[8];         /* 0xD.i EAX, EBX for components i = 2..7 */
};

/* x87 and SSE always; AVX and AVX-512 when supported and their component
 * entries have the architectural sizes at offsets past the header. */
uint64_t xsave_pick_xcr0(const struct xsave_cpuid *c);

/* The bytes an area for xcr0 needs by the component entries (at least the
 * legacy region and header). */
size_t xsave_needed_bytes(const struct xsave_cpuid *c, uint64_t xcr0);

/* Whether `reported` (0xD.0 EBX once XCR0 = xcr0) can be used as the area's
 * size: it holds every enabled component and is at most XSAVE_AREA_MAX. */
bool xsave_size_ok(const struct xsave_cpuid *c, uint64_t xcr0, uint32_t reported);

#endif
