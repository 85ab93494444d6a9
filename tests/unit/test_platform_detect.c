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
static int xen_inits;
static bool xen_here;
int xen_init(void) { return ++xen_inits > 0 ? 0 : -1; }
bool xen_present(void) { return xen_here; }

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

/* EC2 Nitro: SMBIOS as an m5.large shows it, the UUID in either byte order,
 * ENA and Amazon NVMe on PCI; each signal alone is enough against KVM. */
static void test_ec2_nitro(void)
{
    struct platform_signals s = base(HV_KVM);
    char why[128];
    s.proto = BOOT_PROTO_MB2;
    s.smbios = s.acpi = s.ecam = true;
    strcpy(s.smbios_vendor, "Amazon EC2");
    strcpy(s.smbios_product, "m5.large");
    strcpy(s.bios_vendor, "Amazon EC2");
    strcpy(s.bios_version, "1.0");
    static const uint8_t uuid_le[16] = { 0x1a, 0x2b, 0x2d, 0xec, 0x34, 0x12, 0x78, 0x56 }; /* EC22B2D... */
    memcpy(s.sys_uuid, uuid_le, 16);
    s.sys_uuid_valid = true;
    s.pci_ids[0] = 0x80861237;
    s.pci_ids[1] = 0x1d0f8061; /* EBS NVMe */
    s.pci_ids[2] = 0x1d0fec20; /* ENA */
    s.n_pci_ids = 3;
    CHECK(strcmp(pick(&s, why), "ec2") == 0);
    CHECK(strstr(why, "SMBIOS vendor Amazon EC2") && strstr(why, "UUID") && strstr(why, "PCI ENA"));
    CHECK(strstr(why, "KVMKVMKVM") != NULL);
    /* No SMBIOS strings: the UUID in stored order and the PCI functions. */
    s.smbios_vendor[0] = s.smbios_product[0] = s.bios_vendor[0] = 0;
    static const uint8_t uuid_be[16] = { 0xec, 0x2f, 0x00, 0x11 };
    memcpy(s.sys_uuid, uuid_be, 16);
    CHECK(strcmp(pick(&s, why), "ec2") == 0);
    CHECK(strstr(why, "UUID") != NULL);
    s.sys_uuid_valid = false;
    s.pci_ids[2] = 0x1d0fec21;
    CHECK(strcmp(pick(&s, why), "ec2") == 0);
    CHECK(strstr(why, "PCI ENA") != NULL);
    s.n_pci_ids = 2; /* NVMe only */
    CHECK(strcmp(pick(&s, why), "ec2") == 0);
    CHECK(strstr(why, "PCI vendor Amazon") != NULL);
    /* A UUID that merely contains ec2 later, and no Amazon device: not EC2. */
    static const uint8_t other[16] = { 0x12, 0xec, 0x20, 0x00 };
    memcpy(s.sys_uuid, other, 16);
    s.sys_uuid_valid = true;
    s.n_pci_ids = 1;
    CHECK(strcmp(pick(&s, NULL), "ec2") != 0);
}

/* Xen-based EC2: ec2 wins over xen-hvm, and it still does what Xen needs:
 * Xen set-up before the clocks, xenbus before PCI. */
static void test_ec2_xen(void)
{
    struct platform_signals s = base(HV_XEN);
    s.proto = BOOT_PROTO_MB2;
    s.smbios = s.acpi = true;
    strcpy(s.smbios_vendor, "Xen");
    strcpy(s.smbios_product, "HVM domU");
    strcpy(s.bios_vendor, "Xen");
    strcpy(s.bios_version, "4.11.amazon");
    struct detect_result r;
    const struct platform *p = platform_best(list, 11, &s, &r);
    CHECK(p && strcmp(p->name, "ec2") == 0);
    CHECK(strstr(r.why, "BIOS version amazon") && strstr(r.why, "XenVMMXenVMM"));
    CHECK(p && p->init);
    xen_here = true;
    xen_inits = 0;
    if (p && p->init)
        CHECK_EQ(p->init(), 0);
    CHECK_EQ(xen_inits, 1);
    unsigned plan = p ? platform_bus_plan(p->buses, false, false, xen_present()) : 0;
    CHECK(plan & BUS_PROBE_XENBUS);
    CHECK(plan & BUS_PROBE_PCI);
    /* On Nitro the same descriptor neither sets Xen up nor probes xenbus. */
    xen_here = false;
    xen_inits = 0;
    if (p && p->init)
        CHECK_EQ(p->init(), 0);
    CHECK_EQ(xen_inits, 0);
    plan = p ? platform_bus_plan(p->buses, true, false, xen_present()) : 0;
    CHECK(!(plan & BUS_PROBE_XENBUS) && (plan & BUS_PROBE_PCI));
    /* A plain Xen HVM guest stays xen-hvm. */
    strcpy(s.bios_version, "4.17.3");
    CHECK(strcmp(pick(&s, NULL), "xen-hvm") == 0);
}

/* GCE: the SMBIOS strings Google writes, the BIOS vendor alone, gVNIC. */
static void test_gce(void)
{
    struct platform_signals s = base(HV_KVM);
    char why[128];
    s.proto = BOOT_PROTO_MB2;
    s.smbios = s.acpi = true;
    strcpy(s.smbios_vendor, "Google");
    strcpy(s.smbios_product, "Google Compute Engine");
    strcpy(s.bios_vendor, "Google");
    strcpy(s.bios_version, "Google");
    CHECK(strcmp(pick(&s, why), "gce") == 0);
    CHECK(strstr(why, "SMBIOS product Google Compute Engine") && strstr(why, "BIOS vendor Google"));
    s.smbios_vendor[0] = s.smbios_product[0] = 0;
    CHECK(strcmp(pick(&s, why), "gce") == 0);
    s.bios_vendor[0] = 0;
    s.pci_ids[0] = 0x1ae00042;
    s.n_pci_ids = 1;
    CHECK(strcmp(pick(&s, why), "gce") == 0);
    CHECK(strstr(why, "gVNIC") != NULL);
    s.pci_ids[0] = 0x1ae00043; /* another Google function is no gVNIC */
    CHECK(strcmp(pick(&s, NULL), "gce") != 0);
    /* QEMU dressed as GCE (the gce preset): SMBIOS beats fw_cfg. */
    s = base(HV_TCG);
    s.qemu_fw_cfg = s.acpi = s.smbios = s.ecam = true;
    strcpy(s.smbios_vendor, "Google");
    strcpy(s.smbios_product, "Google Compute Engine");
    strcpy(s.bios_vendor, "Google");
    CHECK(strcmp(pick(&s, NULL), "gce") == 0);
}

/* Firecracker: PCI is probed when firmware lists an ECAM window, never
 * otherwise, never with --nopci; MMIO probes stay either way. */
static void test_bus_plan_firecracker(void)
{
    const struct platform *fc = platform_entry_firecracker;
    unsigned mmio = BUS_PROBE_MMIO_CMDLINE | BUS_PROBE_MMIO_ACPI;
    CHECK_EQ(platform_bus_plan(fc->buses, false, false, false), mmio);
    CHECK_EQ(platform_bus_plan(fc->buses, true, false, false), mmio | BUS_PROBE_PCI);
    CHECK_EQ(platform_bus_plan(fc->buses, true, true, false), mmio);
    CHECK_EQ(platform_bus_plan(fc->buses, false, false, true), mmio);
    /* Firecracker with PCI is still Firecracker: FIRECK, ECAM, no MMIO devices. */
    struct platform_signals s = base(HV_KVM);
    s.acpi = s.acpi_hw_reduced = s.ecam = true;
    strcpy(s.acpi_oem, "FIRECK");
    CHECK(strcmp(pick(&s, NULL), "firecracker") == 0);
    /* The others as before: pc always PCI, microvm only with ECAM. */
    CHECK(platform_bus_plan(platform_entry_qemu_pc->buses, false, false, false) & BUS_PROBE_PCI);
    CHECK(!(platform_bus_plan(platform_entry_qemu_pc->buses, false, true, false) & BUS_PROBE_PCI));
    CHECK(!(platform_bus_plan(platform_entry_microvm->buses, false, false, false) & BUS_PROBE_PCI));
    CHECK(platform_bus_plan(platform_entry_microvm->buses, true, false, false) & BUS_PROBE_PCI);
    CHECK(!(platform_bus_plan(platform_entry_xen_hvm->buses, false, false, false) & BUS_PROBE_XENBUS));
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

    /* The VMware backdoor counts only beside another VMware signal. */
    s = base(HV_TCG);
    s.vmware_backdoor = 6;
    CHECK(strcmp(pick(&s, NULL), "vmware") != 0);
    s = base(HV_VMWARE);
    s.vmware_backdoor = 6;
    CHECK(strcmp(pick(&s, why), "vmware") == 0);
    CHECK(strstr(why, "backdoor") != NULL);
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
                /* Bus 0 of a VirtualBox VM: PIIX3, VBoxVGA, the VMM device,
                 * e1000, ICH8 AHCI. */
                static const uint32_t vbox_bus0[] = { 0x80861237, 0x80867000, 0x80867111, 0x80eebeef,
                                                      0x8086100e, 0x80eecafe, 0x80862829 };
                s.n_pci_ids = 0;
                for (unsigned j = 0; how != 0 && j < sizeof(vbox_bus0) / sizeof(vbox_bus0[0]); j++)
                    s.pci_ids[s.n_pci_ids++] = vbox_bus0[j];
                CHECK(strcmp(pick(&s, why), "virtualbox") == 0);
                CHECK(strstr(why, how == 1 ? "PCI 80ee:cafe" : "innotek") != NULL);
                /* VMSVGA graphics (VMware's id 15ad:0405) instead of VBoxVGA:
                 * still VirtualBox, by the VMM device alone. */
                if (how == 1) {
                    s.pci_ids[3] = 0x15ad0405;
                    CHECK(strcmp(pick(&s, why), "virtualbox") == 0);
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
    test_ec2_nitro();
    test_ec2_xen();
    test_gce();
    test_bus_plan_firecracker();
    return check_report("test_platform_detect");
}
