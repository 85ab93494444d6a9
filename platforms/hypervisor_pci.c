/* Hypervisor hints on PCI bus 0, read through ports 0xCF8/0xCFC before the
 * PCI bus probe: VirtualBox's own devices say where we are even when its
 * SMBIOS strings were changed and CPUID shows KVM or nothing. */
#include "arch/x86.h"
#include "platform.h"

#define PCI_SLOTS 32

unsigned pci_bus0_match(const uint32_t *ids, unsigned n)
{
    unsigned found = 0;
    for (unsigned slot = 0; slot < PCI_SLOTS; slot++) {
        outl(0xcf8, 0x80000000u | (uint32_t)slot << 11);
        uint32_t id = inl(0xcfc);
        for (unsigned i = 0; i < n; i++) {
            if (id == ids[i])
                found |= 1u << i;
        }
    }
    return found;
}
