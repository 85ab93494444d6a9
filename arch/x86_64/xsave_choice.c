/* The XCR0 and XSAVE area size choice from CPUID leaf 0xD values
 * (include/xsave_choice.h). Pure: arch/x86_64/user.c reads CPUID and acts. */
#include "xsave_choice.h"

/* The architectural size of each component we may enable (Intel SDM vol. 1,
 * 13.2 and 13.4; AMD APM vol. 2, 11.5.2). */
static const uint32_t arch_size[8] = { [2] = 256, [5] = 64, [6] = 512, [7] = 1024 };

static bool entry_ok(const struct xsave_cpuid *c, unsigned i)
{
    return c->size[i] == arch_size[i] && c->offset[i] >= XSAVE_LEGACY_HEADER_BYTES &&
           (uint64_t)c->offset[i] + c->size[i] <= XSAVE_AREA_MAX;
}

uint64_t xsave_pick_xcr0(const struct xsave_cpuid *c)
{
    uint64_t supported = c->supported_lo | ((uint64_t)c->supported_hi << 32);
    uint64_t v = XCR0_X87 | XCR0_SSE;
    if ((supported & XCR0_AVX) && entry_ok(c, 2))
        v |= XCR0_AVX;
    if ((v & XCR0_AVX) && (supported & XCR0_AVX512) == XCR0_AVX512 && entry_ok(c, 5) && entry_ok(c, 6) &&
        entry_ok(c, 7))
        v |= XCR0_AVX512;
    return v;
}

size_t xsave_needed_bytes(const struct xsave_cpuid *c, uint64_t xcr0)
{
    uint64_t need = XSAVE_LEGACY_HEADER_BYTES;
    for (unsigned i = 2; i < 8; i++) {
        if (!(xcr0 & (1ull << i)))
            continue;
        uint64_t end = (uint64_t)c->offset[i] + c->size[i];
        if (end > need)
            need = end;
    }
    return (size_t)need;
}

bool xsave_size_ok(const struct xsave_cpuid *c, uint64_t xcr0, uint32_t reported)
{
    return reported <= XSAVE_AREA_MAX && reported >= xsave_needed_bytes(c, xcr0);
}
