/* ec2: Amazon EC2. Nitro instances: KVM, SMBIOS vendor "Amazon EC2" with
 * the instance type as product, a system UUID beginning "ec2", Amazon's
 * NVMe and ENA functions (vendor 1d0f) on PCI. Xen-based instances: Xen,
 * SMBIOS "Xen", BIOS version "4.11.amazon"; there the Xen set-up runs and
 * xenbus is probed before PCI, as on any Xen HVM guest. NICs: ENA on Nitro
 * (drivers/ena), netfront on Xen-based types. */
#include "platform.h"
#include "power.h"
#include "xen.h"

#define PCI_VENDOR_AMAZON 0x1d0f

static const char *const clocks[] = { "kvmclock", "xen", "tsc", NULL };

/* "ec2" as the UUID's first hex digits, in the stored byte order or with
 * the first field little-endian (SMBIOS 2.6 and later). */
static int uuid_says_ec2(const struct platform_signals *s)
{
    const uint8_t *u = s->sys_uuid;
    return s->sys_uuid_valid && ((u[0] == 0xec && (u[1] >> 4) == 2) || (u[3] == 0xec && (u[2] >> 4) == 2));
}

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (str_has(s->smbios_vendor, "Amazon EC2"))
        detect_add(r, 60, "SMBIOS vendor Amazon EC2");
    if (str_has(s->bios_version, "amazon"))
        detect_add(r, 60, "BIOS version amazon");
    if (uuid_says_ec2(s))
        detect_add(r, 30, "system UUID ec2...");
    static const uint16_t ena[] = { 0xec20, 0xec21, 0x0ec2, 0x1ec2 };
    uint32_t id = 0;
    for (unsigned i = 0; i < 4 && !id; i++)
        id = signals_pci_id(s, PCI_VENDOR_AMAZON, ena[i]);
    if (id)
        detect_add(r, 30, "PCI ENA");
    else if (signals_pci_id(s, PCI_VENDOR_AMAZON, 0xffff))
        detect_add(r, 20, "PCI vendor Amazon");
    if (r->score && hv_is(s, HV_XEN))
        detect_add(r, 50, "CPUID XenVMMXenVMM");
    if (r->score && hv_is(s, HV_KVM))
        detect_add(r, 5, "CPUID KVMKVMKVM");
}

/* Xen-based instances are Xen HVM guests: hypercall page and shared info
 * before the clocks, Xen's own way to power off and report a crash. */
static int init(void) { return xen_present() ? xen_init() : 0; }

static void power_off_ec2(int status)
{
    if (xen_present())
        xen_power_off(status);
    power_off_acpi_or_reset(status);
}

static void panic_notify(void)
{
    if (xen_present())
        xen_crash();
}

PLATFORM(ec2) = {
    .name = "ec2",
    .io_timeout_s = PLATFORM_NO_IO_TIMEOUT,
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_ec2,
    .reboot = power_reboot_pc,
    .panic_notify = panic_notify,
    .init = init,
    .buses = BUS_PROBE_PC | BUS_PROBE_XENBUS,
};
