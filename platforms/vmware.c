/* vmware: VMware Workstation/ESXi (and QEMU dressed as it: vmport + SMBIOS).
 * The backdoor port is asked only once CPUID or SMBIOS already says VMware. */
#include "platform.h"
#include "power.h"
#ifndef HOST_TEST
#include "clock.h"
#include "cmdline.h"
#include "errno.h"
#include "log.h"
#include "vmw_backdoor.h"
#endif

static const char *const clocks[] = { "tsc", NULL };

static bool says_vmware(const struct platform_signals *s)
{
    return hv_is(s, HV_VMWARE) || str_has(s->smbios_vendor, "VMware") || str_has(s->smbios_product, "VMware");
}

static void detect(const struct platform_signals *s, struct detect_result *r)
{
    if (hv_is(s, HV_VMWARE))
        detect_add(r, 50, "CPUID VMwareVMware");
    if (str_has(s->smbios_vendor, "VMware"))
        detect_add(r, 40, "SMBIOS vendor VMware");
    if (str_has(s->smbios_product, "VMware"))
        detect_add(r, 10, "SMBIOS product VMware");
    if (says_vmware(s) && s->vmware_backdoor)
        detect_add(r, 30, "backdoor");
}

#ifndef HOST_TEST
static void probe_signals(struct platform_signals *s)
{
    int64_t v = says_vmware(s) ? vmw_bdoor_version() : -1;
    if (v > 0)
        s->vmware_backdoor = (uint32_t)v;
}

#define GUESTINFO_KEY "kestrel.cmdline"

/* Settings handed over as guestinfo.kestrel.cmdline (VMX or OVF property). */
static void guestinfo_cmdline(void)
{
    static char value[1024];
    long n = rpci_guestinfo(&vmw_rpci_port, GUESTINFO_KEY, value, sizeof(value));
    if (n == -ENODEV) {
        pr_info("vmware: no message channel (RPCI), guestinfo not read\n");
        return;
    }
    if (n == -ENOENT) {
        pr_debug("vmware: guestinfo." GUESTINFO_KEY " not set\n");
        return;
    }
    if (n < 0) {
        pr_warn("vmware: reading guestinfo." GUESTINFO_KEY " failed (%ld)\n", n);
        return;
    }
    pr_info("vmware: guestinfo." GUESTINFO_KEY " = \"%s\"\n", value);
    if (n > 0)
        kernel_cmdline_append(value);
}

static int init(void)
{
    int64_t version = vmw_bdoor_version();
    if (version < 0) {
        pr_info("vmware: no backdoor\n");
        return 0;
    }
    pr_info("vmware: backdoor version %lld\n", (long long)version);
    uint64_t tsc, apic;
    if (vmw_bdoor_gethz(&tsc, &apic) == 0) {
        /* The LAPIC timer counts the bus clock divided by 16. */
        tsc_freq_hint(tsc, apic / 16, "backdoor GETHZ");
        pr_info("vmware: GETHZ TSC %llu Hz, APIC bus %llu Hz\n", (unsigned long long)tsc, (unsigned long long)apic);
    } else {
        pr_debug("vmware: GETHZ not offered\n");
    }
    if (kernel_options()->verbose)
        vmw_bdoor_log_info(); /* two more trips, for a debug line */
    guestinfo_cmdline();
    return 0;
}
#define PROBE_SIGNALS probe_signals
#define INIT init
#else
#define PROBE_SIGNALS NULL
#define INIT NULL
#endif

PLATFORM(vmware) = {
    .name = "vmware",
    .io_timeout_s = 180,
    .detect = detect,
    .clock_preference = clocks,
    .power_off = power_off_acpi_or_reset,
    .reboot = power_reboot_pc,
    .init = INIT,
    .probe_signals = PROBE_SIGNALS,
    .buses = BUS_PROBE_PC,
};
