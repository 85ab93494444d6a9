/* Platform detection: for the signals each kind of machine shows (as seen
 * on QEMU presets, and as documented for the others), the right descriptor
 * wins, and the reason names the signals. */
#include <string.h>
#include "check.h"
#include "platform.h"
#include "power.h"
#include "xen.h"

/* Power methods are only referenced, never called, here. */
void power_off_qemu(int s) { (void)s; }
void power_off_acpi_or_reset(int s) { (void)s; }
void power_off_firecracker(int s) { (void)s; }
void power_reboot_pc(void) {}
void xen_power_off(int s) { (void)s; }
void xen_reboot(void) {}
void xen_crash(void) {}
int xen_init(void) { return 0; }

#define P(x) extern const struct platform *const platform_entry_##x;
P(qemu_pc) P(qemu_q35) P(microvm) P(firecracker) P(xen_hvm) P(xen_pvh) P(vmware) P(virtualbox) P(ec2) P(gce)
P(generic_pc)
#undef P

static const struct platform *list[11];

static const char *pick(const struct platform_signals *s, char *why)
{
    struct detect_result r;
    const struct platform *p = platform_best(list, 11, s, &r);
    if (why)
        strcpy(why, r.why);
    return p ? p->name : "(none)";
}

static struct platform_signals base(const char *hv)
{
    struct platform_signals s;
    memset(&s, 0, sizeof(s));
    strcpy(s.hv_signature, hv);
    s.proto = BOOT_PROTO_PVH;
    return s;
}

int main(void)
{
    const struct platform *const l[] = { platform_entry_qemu_pc, platform_entry_qemu_q35, platform_entry_microvm,
                                         platform_entry_firecracker, platform_entry_xen_hvm, platform_entry_xen_pvh,
                                         platform_entry_vmware, platform_entry_virtualbox, platform_entry_ec2,
                                         platform_entry_gce, platform_entry_generic_pc };
    memcpy(list, l, sizeof(l));
    char why[128];

    /* QEMU pc and q35 (SeaBIOS gives SMBIOS; q35 has MCFG). */
    struct platform_signals s = base(HV_TCG);
    s.qemu_fw_cfg = s.acpi = s.smbios = true;
    strcpy(s.acpi_oem, "BOCHS ");
    strcpy(s.smbios_vendor, "QEMU");
    strcpy(s.smbios_product, "Standard PC (i440FX + PIIX, 1996)");
    CHECK(strcmp(pick(&s, why), "qemu-pc") == 0);
    CHECK(strstr(why, "SMBIOS product i440FX") != NULL);
    strcpy(s.smbios_product, "Standard PC (Q35 + ICH9, 2009)");
    s.ecam = true;
    CHECK(strcmp(pick(&s, why), "qemu-q35") == 0);
    CHECK(strstr(why, "MCFG") != NULL);

    /* microvm with and without ACPI; virtio-mmio devices on the command line. */
    s = base(HV_TCG);
    s.qemu_fw_cfg = s.acpi = s.acpi_hw_reduced = true;
    strcpy(s.acpi_oem, "BOCHS ");
    CHECK(strcmp(pick(&s, NULL), "microvm") == 0);
    s.acpi = s.acpi_hw_reduced = false;
    s.mptable = true;
    s.mmio_devices = 2;
    CHECK(strcmp(pick(&s, why), "microvm") == 0);
    CHECK(strstr(why, "virtio-mmio") != NULL);

    /* Firecracker: with its ACPI tables, and without (MP table only). */
    s = base(HV_KVM);
    s.acpi = s.acpi_hw_reduced = true;
    strcpy(s.acpi_oem, "FIRECK");
    s.mmio_devices = 1;
    CHECK(strcmp(pick(&s, why), "firecracker") == 0);
    CHECK(strstr(why, "FIRECK") != NULL);
    s.acpi = s.acpi_hw_reduced = false;
    s.acpi_oem[0] = 0;
    s.mptable = true;
    CHECK(strcmp(pick(&s, NULL), "firecracker") == 0);

    /* QEMU dressed as VMware and as VirtualBox: SMBIOS beats fw_cfg. */
    s = base(HV_TCG);
    s.qemu_fw_cfg = s.acpi = s.smbios = true;
    strcpy(s.smbios_vendor, "VMware, Inc.");
    strcpy(s.smbios_product, "VMware Virtual Platform");
    CHECK(strcmp(pick(&s, NULL), "vmware") == 0);
    strcpy(s.smbios_vendor, "innotek GmbH");
    strcpy(s.smbios_product, "VirtualBox");
    CHECK(strcmp(pick(&s, why), "virtualbox") == 0);
    CHECK(strstr(why, "innotek") != NULL);
    /* The real ones, by CPUID alone. */
    s = base(HV_VMWARE);
    CHECK(strcmp(pick(&s, NULL), "vmware") == 0);
    s = base(HV_VBOX);
    CHECK(strcmp(pick(&s, NULL), "virtualbox") == 0);

    /* VirtualBox under each paravirtualisation setting (KVM, minimal, none,
     * and QEMU's TCG under our preset): SMBIOS alone wins, the PCI ids alone
     * win (SMBIOS strings changed by the user), and both together; the
     * clock preference puts kvmclock first (it probes only under "KVM"). */
    {
        static const char *const cpuids[] = { HV_KVM, HV_VBOX, "", HV_TCG };
        for (unsigned i = 0; i < 4; i++) {
            for (unsigned how = 0; how < 3; how++) {
                s = base(cpuids[i]);
                s.proto = BOOT_PROTO_MB2;
                s.acpi = s.smbios = true;
                s.qemu_fw_cfg = i == 3;
                strcpy(s.acpi_oem, "VBOX  ");
                if (how != 1) {
                    strcpy(s.smbios_vendor, "innotek GmbH");
                    strcpy(s.smbios_product, "VirtualBox");
                } else {
                    strcpy(s.smbios_vendor, "Custom Vendor");
                    strcpy(s.smbios_product, "My Box");
                }
                s.pci_vbox_guest = how != 0;
                s.pci_vbox_vga = how != 0;
                CHECK(strcmp(pick(&s, why), "virtualbox") == 0);
                CHECK(strstr(why, how == 1 ? "PCI 80ee:cafe" : "innotek") != NULL);
                /* Only the guest device (graphics set to none) is still enough. */
                if (how == 1) {
                    s.pci_vbox_vga = false;
                    CHECK(strcmp(pick(&s, NULL), "virtualbox") == 0);
                }
            }
        }
        CHECK(strcmp(platform_entry_virtualbox->clock_preference[0], "kvmclock") == 0);
        CHECK(strcmp(platform_entry_virtualbox->clock_preference[1], "tsc") == 0);
        /* KVM CPUID without any VirtualBox sign stays someone else's. */
        s = base(HV_KVM);
        s.proto = BOOT_PROTO_MB2;
        s.acpi = s.smbios = true;
        s.qemu_fw_cfg = true;
        strcpy(s.smbios_vendor, "QEMU");
        strcpy(s.smbios_product, "Standard PC (i440FX + PIIX, 1996)");
        CHECK(strcmp(pick(&s, NULL), "qemu-pc") == 0);
    }

    /* Xen: PVH entry or not. */
    s = base(HV_XEN);
    CHECK(strcmp(pick(&s, NULL), "xen-pvh") == 0);
    s.proto = BOOT_PROTO_MB2;
    s.smbios = true;
    strcpy(s.smbios_vendor, "Xen");
    CHECK(strcmp(pick(&s, NULL), "xen-hvm") == 0);

    /* EC2: Xen-based (BIOS version) and Nitro (SMBIOS vendor). GCE. */
    strcpy(s.bios_version, "4.11.amazon");
    CHECK(strcmp(pick(&s, why), "ec2") == 0);
    s = base(HV_KVM);
    s.smbios = s.acpi = true;
    strcpy(s.smbios_vendor, "Amazon EC2");
    strcpy(s.smbios_product, "m5.large");
    CHECK(strcmp(pick(&s, NULL), "ec2") == 0);
    strcpy(s.smbios_vendor, "Google");
    strcpy(s.smbios_product, "Google Compute Engine");
    CHECK(strcmp(pick(&s, NULL), "gce") == 0);

    /* Nothing known: the fallback. Hyper-V has no descriptor yet. */
    s = base("");
    s.proto = BOOT_PROTO_MB2;
    CHECK(strcmp(pick(&s, why), "generic-pc") == 0);
    CHECK(strcmp(why, "fallback") == 0);
    s = base(HV_HYPERV);
    CHECK(strcmp(pick(&s, NULL), "generic-pc") == 0);

    /* str_has and detect_add bounds. */
    CHECK(str_has("VMware, Inc.", "VMware"));
    CHECK(!str_has("", "x"));
    CHECK(!str_has("abc", ""));
    struct detect_result r;
    memset(&r, 0, sizeof(r));
    for (int i = 0; i < 40; i++)
        detect_add(&r, 1, "a-rather-long-signal-name");
    CHECK_EQ(r.score, 40);
    CHECK(strlen(r.why) < sizeof(r.why));
    return check_report("test_platform_detect");
}
