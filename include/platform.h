/* Platform descriptors: what kind of machine this is and how to drive it.
 * Each registers through a linker-section table; platform_select() scores
 * them against boot_info (or takes --platform=NAME). */
#ifndef KESTREL_PLATFORM_H
#define KESTREL_PLATFORM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "boot_info.h"

#define PLATFORM_MAX_PCI_IDS 32

/* What detection looks at: gathered once (CPUID, boot protocol, firmware
 * facts), then scored by every descriptor. Strings are "" when absent. */
struct platform_signals {
    char hv_signature[13]; /* CPUID hypervisor leaf block, e.g. "KVMKVMKVM" */
    uint32_t hv_base;      /* leaf where it was found (Xen may sit at 0x40000100) */
    uint32_t hv_max_leaf;
    enum boot_proto proto;
    bool acpi, mptable, smbios;
    char acpi_oem[7];        /* RSDP OEM id, e.g. "BOCHS " or "FIRECK" */
    char smbios_vendor[48];  /* type 1 manufacturer */
    char smbios_product[48]; /* type 1 product name */
    char bios_version[48];   /* type 0 BIOS version ("4.11.amazon" on Xen EC2) */
    bool ecam;               /* ACPI MCFG present (q35-style chipset) */
    bool acpi_hw_reduced;    /* FADT says hardware-reduced (microvm, Firecracker) */
    unsigned mmio_devices;   /* virtio-mmio devices from the command line or DSDT */
    bool qemu_fw_cfg;        /* QEMU's fw_cfg answers "QEMU" at port 0x510 */
    char bios_vendor[48];    /* type 0 vendor ("Google" on GCE) */
    uint8_t sys_uuid[16];    /* type 1 UUID as stored (Nitro: "ec2..." in either byte order) */
    bool sys_uuid_valid;
    /* vendor << 16 | device of the functions on PCI bus 0, looked at only
     * when firmware says the machine has PCI (ENA, gVNIC, Amazon NVMe). */
    uint32_t pci_ids[PLATFORM_MAX_PCI_IDS];
    unsigned n_pci_ids;
    uint32_t vmware_backdoor; /* GETVERSION's answer, 0 when not asked or silent */
};

/* Common hypervisor signatures. */
#define HV_KVM "KVMKVMKVM"
#define HV_TCG "TCGTCGTCGTCG"
#define HV_XEN "XenVMMXenVMM"
#define HV_VMWARE "VMwareVMware"
#define HV_VBOX "VBoxVBoxVBox"
#define HV_HYPERV "Microsoft Hv"

static inline int hv_is(const struct platform_signals *s, const char *sig)
{
    return __builtin_strcmp(s->hv_signature, sig) == 0;
}

/* Score helpers for descriptors: each adds points and a word to why. */
struct detect_result {
    int score;
    char why[128];
};
void detect_add(struct detect_result *r, int points, const char *signal);
int str_has(const char *haystack, const char *needle);

/* The first PCI id on bus 0 with this vendor (and device, 0xffff any), or 0. */
uint32_t signals_pci_id(const struct platform_signals *s, uint16_t vendor, uint16_t device);

void hypervisor_detect(struct platform_signals *s);
/* The CPUID leaf base of the hypervisor with this signature, or 0. */
uint32_t hypervisor_base(const char *signature);
int qemu_fw_cfg_present(void);

struct platform {
    const char *name;
    /* Scores the signals (0 = not this platform) and names what matched. */
    void (*detect)(const struct platform_signals *s, struct detect_result *r);
    const char *const *clock_preference; /* NULL-terminated, may be NULL */
    void (*power_off)(int status);       /* returns if it could not */
    void (*reboot)(void);
    void (*panic_notify)(void);
    int (*init)(void); /* set-up before clocks (Xen: hypercalls, shared info) */
    /* Signals only safe to gather once the others point here (an I/O port
     * that means nothing elsewhere); runs before scoring. */
    void (*probe_signals)(struct platform_signals *s);
    bool i8042_cad;   /* Ctrl-Alt-Del on its i8042 is how the host asks for a stop (Firecracker) */
    bool isa_pvpanic; /* may have QEMU's ISA pvpanic at port 0x505 without saying so in ACPI */
    unsigned buses;   /* BUS_PROBE_* in the order pci, mmio (command line), mmio (ACPI) */
    /* How long a disk request may take before the driver resets the
     * controller: 0 = the driver's default, PLATFORM_NO_IO_TIMEOUT = never
     * (EBS and GCE persistent disks stall rather than fail: AWS and Google
     * advise the longest time-out; a watchdog only logs). VMware: 180 s,
     * as its tools set for path failover and storage vMotion. */
    int io_timeout_s;
};
#define PLATFORM_NO_IO_TIMEOUT (-1)
/* The I/O time-out a disk driver should use, in ms: the command line's
 * (driver_key=MS, 0 meaning none) wins, then the platform's, then
 * default_ms. 0 means no time-out. */
unsigned long platform_io_timeout_ms(const char *driver_key, unsigned long default_ms);

#define BUS_PROBE_PCI 0x1         /* always, unless --nopci */
#define BUS_PROBE_PCI_IF_ECAM 0x2 /* only when firmware lists an ECAM window */
#define BUS_PROBE_MMIO_CMDLINE 0x4
#define BUS_PROBE_MMIO_ACPI 0x8
#define BUS_PROBE_XENBUS 0x10
#define BUS_PROBE_PC (BUS_PROBE_PCI | BUS_PROBE_MMIO_ACPI)

/* Pure: the probes that run for a descriptor's buses on this machine
 * (BUS_PROBE_PCI_IF_ECAM resolved to BUS_PROBE_PCI or nothing; --nopci
 * drops PCI; xenbus only when Xen answered). */
unsigned platform_bus_plan(unsigned buses, bool ecam, bool nopci, bool xen);

/* The table holds pointers: gcc may pad structs to 32 bytes, pointers never.
 * Host tests get a global pointer per descriptor instead of the section. */
#ifdef HOST_TEST
#define PLATFORM(var)                                                                           \
    static const struct platform var;                                                           \
    const struct platform *const platform_entry_##var = &var;                                   \
    static const struct platform var
#else
#define PLATFORM(var)                                                                           \
    static const struct platform var;                                                           \
    static const struct platform *const var##_entry                                             \
        __attribute__((used, section(".kestrel.platforms." #var))) = &var;                      \
    static const struct platform var
#endif

/* Returns the chosen platform, or NULL (with an error printed) when forced
 * names no platform. */
const struct platform *platform_select(const struct platform_signals *s, const char *forced);
/* Pure: the best-scoring descriptor among n (ties: the first), for host tests. */
const struct platform *platform_best(const struct platform *const *list, size_t n,
                                     const struct platform_signals *s, struct detect_result *why);
const struct platform *platform_current(void);
/* Runs every descriptor's probe_signals hook. */
void platform_probe_signals(struct platform_signals *s);
void platform_panic_notify(void);

#endif
