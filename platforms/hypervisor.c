/* Hypervisor identification through CPUID: the signature at 0x40000000 and,
 * because Xen puts its own block at 0x40000100 when it also offers a
 * Viridian (Hyper-V) front, the next block too. Each CPUID is a VM exit
 * under KVM, so the scan stops there. */
#include <string.h>
#include "arch/x86.h"
#include "platform.h"

void hypervisor_detect(struct platform_signals *s)
{
    s->hv_signature[0] = 0;
    s->hv_base = 0;
    if (!(cpuid(1, 0).ecx & (1u << 31)))
        return;
    for (uint32_t base = 0x40000000; base <= 0x40000100; base += 0x100) {
        struct cpuid_regs r = cpuid(base, 0);
        if (r.eax < base || r.eax > base + 0xff)
            continue; /* no leaves here (or nonsense): not a hypervisor block */
        char sig[13];
        memcpy(sig, &r.ebx, 4);
        memcpy(sig + 4, &r.ecx, 4);
        memcpy(sig + 8, &r.edx, 4);
        sig[12] = 0;
        for (int i = 0; i < 12; i++) {
            if (sig[i] && (sig[i] < 0x20 || sig[i] > 0x7e))
                sig[i] = '?';
        }
        /* Xen's own block wins over a Viridian block in front of it. */
        if (s->hv_signature[0] && strcmp(sig, "XenVMMXenVMM") != 0)
            continue;
        memcpy(s->hv_signature, sig, sizeof(sig));
        s->hv_base = base;
        s->hv_max_leaf = r.eax;
    }
}

uint32_t hypervisor_base(const char *signature)
{
    struct platform_signals s;
    hypervisor_detect(&s);
    return s.hv_signature[0] && __builtin_strcmp(s.hv_signature, signature) == 0 ? s.hv_base : 0;
}
