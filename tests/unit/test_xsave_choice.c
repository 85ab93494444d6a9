/* The XCR0 and XSAVE area size Kestrel takes from CPUID leaf 0xD
 * (arch/x86_64/xsave_choice.c), against what real CPUs and hypervisors
 * report and against leaves that cannot be right. */
#include <string.h>
#include "check.h"
#include "xsave_choice.h"

/* A leaf 0xD with the standard (non-compacted) layout for the XCR0 bits in
 * `supported`: AVX at 576, opmask at 1088, ZMM_Hi256 at 1152, Hi16_ZMM at 1664. */
static struct xsave_cpuid leaf(uint64_t supported)
{
    struct xsave_cpuid c;
    memset(&c, 0, sizeof(c));
    c.supported_lo = (uint32_t)supported;
    c.supported_hi = (uint32_t)(supported >> 32);
    if (supported & XCR0_AVX) {
        c.size[2] = 256;
        c.offset[2] = 576;
    }
    if (supported & 0x20) {
        c.size[5] = 64;
        c.offset[5] = 1088;
    }
    if (supported & 0x40) {
        c.size[6] = 512;
        c.offset[6] = 1152;
    }
    if (supported & 0x80) {
        c.size[7] = 1024;
        c.offset[7] = 1664;
    }
    return c;
}

int main(void)
{
    /* A Xen PVH or HVM guest whose policy leaves only x87 and SSE (or a CPU
     * without AVX): XCR0 3, the legacy region and header. */
    struct xsave_cpuid c = leaf(0x3);
    CHECK_EQ(xsave_pick_xcr0(&c), 0x3);
    CHECK_EQ(xsave_needed_bytes(&c, 0x3), 576);
    CHECK(xsave_size_ok(&c, 0x3, 576));

    /* AVX (QEMU -cpu max under TCG, KVM on most hosts, Zen 2): 832 bytes. */
    c = leaf(0x7);
    CHECK_EQ(xsave_pick_xcr0(&c), 0x7);
    CHECK_EQ(xsave_needed_bytes(&c, 0x7), 832);
    CHECK(xsave_size_ok(&c, 0x7, 832));
    /* The size of a smaller XCR0 (576: a hypervisor answering EBX for XCR0
     * 3 after XCR0 became 7) would let XSAVE write past the area. */
    CHECK(!xsave_size_ok(&c, 0x7, 576));
    /* More than the components need is fine (padding some CPUs report). */
    CHECK(xsave_size_ok(&c, 0x7, 1088));

    /* AVX-512 and PKRU (Skylake-SP): PKRU is not enabled, the three
     * AVX-512 components are; 2688 bytes. */
    c = leaf(0x2e7);
    CHECK_EQ(xsave_pick_xcr0(&c), 0xe7);
    CHECK_EQ(xsave_needed_bytes(&c, 0xe7), 2688);
    CHECK(xsave_size_ok(&c, 0xe7, 2688));
    CHECK(!xsave_size_ok(&c, 0xe7, 832));

    /* Half of AVX-512 (a policy masking Hi16_ZMM): no AVX-512 at all. */
    c = leaf(0x67);
    CHECK_EQ(xsave_pick_xcr0(&c), 0x7);
    /* AVX-512 without AVX: neither (XCR0 with AVX-512 bits needs AVX, #GP). */
    c = leaf(0xe3);
    CHECK_EQ(xsave_pick_xcr0(&c), 0x3);

    /* Component entries that cannot be right: not enabled. */
    c = leaf(0x7);
    c.size[2] = 0;
    CHECK_EQ(xsave_pick_xcr0(&c), 0x3);
    c = leaf(0x7);
    c.offset[2] = 512; /* inside the legacy region */
    CHECK_EQ(xsave_pick_xcr0(&c), 0x3);
    c = leaf(0x7);
    c.offset[2] = 0xfffffff0u; /* offset + size wraps 32 bits */
    CHECK_EQ(xsave_pick_xcr0(&c), 0x3);
    c = leaf(0xe7);
    c.size[7] = 0x100000;
    CHECK_EQ(xsave_pick_xcr0(&c), 0x7);

    /* Reported sizes that cannot be right: 0, below the header, absurd. */
    c = leaf(0x3);
    CHECK(!xsave_size_ok(&c, 0x3, 0));
    CHECK(!xsave_size_ok(&c, 0x3, 512));
    CHECK(!xsave_size_ok(&c, 0x3, 575));
    CHECK(!xsave_size_ok(&c, 0x3, XSAVE_AREA_MAX + 1));
    CHECK(!xsave_size_ok(&c, 0x3, 0xffffffffu));
    CHECK(xsave_size_ok(&c, 0x3, XSAVE_AREA_MAX));

    /* Bits above 31 (EDX) never enabled: XCR0 only takes what we know. */
    c = leaf(0x7 | (1ull << 62));
    CHECK_EQ(xsave_pick_xcr0(&c), 0x7);
    return check_report("test_xsave_choice");
}
