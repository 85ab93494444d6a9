/* xen-hvm: a Xen HVM guest, started by the device model (hvmloader). */
#include "platform.h"
#include "power.h"
#include "xen.h"

static const char *const clocks[] = { "xen", "tsc", NULL };

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (!hv_is(s, HV_XEN))
        return;
    detect_add(r, 50, "CPUID XenVMMXenVMM");
    if (s->proto != BOOT_PROTO_PVH)
        detect_add(r, 20, "not booted through PVH");
    if (str_has(s->smbios_vendor, "Xen"))
        detect_add(r, 20, "SMBIOS vendor Xen");
}

PLATFORM(xen_hvm) = {
    .name = "xen-hvm",
    .detect = detect,
    .clock_preference = clocks,
    .power_off = xen_power_off,
    .reboot = xen_reboot,
    .panic_notify = xen_crash,
    .init = xen_init,
    .buses = BUS_PROBE_PCI | BUS_PROBE_XENBUS,
};
