/* The device model: bus probes produce struct device records; drivers
 * declare what they match and an attach(); binding is by table. */
#ifndef KESTREL_DEVICE_H
#define KESTREL_DEVICE_H
#include <stdbool.h>
#include <stdint.h>

enum bus_type { BUS_PCI = 1, BUS_MMIO = 2 };

#define PCI_BARS 6
#define PCI_MAX_CAPS 16

struct pci_bar {
    uint64_t addr;
    uint64_t size;
    bool io;       /* I/O space rather than memory */
    bool is64;     /* takes this slot and the next */
    bool prefetch;
};

struct pci_info {
    uint16_t segment;
    uint8_t bus, dev, fn;
    uint16_t vendor, device, subsys_vendor, subsys_device;
    uint8_t class_code, subclass, prog_if, revision, header_type;
    uint8_t irq_line, irq_pin;
    /* Where INTx enters firmware's routing: the device on the nearest bus
     * firmware gave routes for (a root bus, or a bridge's secondary bus
     * with a _PRT of its own), itself or the bridge above it, and how far
     * the pin rotates on the way (the PCI-to-PCI bridge swizzle: + device
     * number per bridge). */
    uint8_t intx_bus, intx_dev, intx_swizzle;
    struct pci_bar bars[PCI_BARS];
    uint8_t cap_id[PCI_MAX_CAPS], cap_off[PCI_MAX_CAPS];
    unsigned n_caps;
};

struct mmio_info {
    uint64_t base, size;
    uint32_t irq;
    const char *source; /* "cmdline" or "acpi" */
};

struct driver;

struct device {
    enum bus_type bus;
    struct pci_info pci;
    struct mmio_info mmio;
    const struct driver *driver;
    void *priv;
    struct device *next;
};

struct pci_id {
    uint16_t vendor, device; /* 0xffff matches any device */
};
/* A pci_id with this vendor (no vendor has it) matches any function whose
 * class << 8 | subclass equals its device field. */
#define PCI_ID_CLASS 0xffff

struct driver {
    const char *name;
    enum bus_type bus;
    const struct pci_id *pci_ids; /* ends with vendor 0 */
    bool mmio_virtio;             /* matches virtio-mmio devices */
    int (*attach)(struct device *dev);
};

#define DEVICE_DRIVER(var)                                                                      \
    static const struct driver var;                                                             \
    static const struct driver *const var##_entry                                               \
        __attribute__((used, section(".kestrel.devdrivers." #var))) = &var;                     \
    static const struct driver var

struct device *device_add(const struct device *proto);
struct device *device_list(void);
/* Matches every unbound device against every driver. */
void devices_bind(void);

/* Bus probes (drivers/pci, drivers/virtio/mmio_probe.c). */
int pci_probe(void);
/* vendor << 16 | device of each function on PCI bus 0, for platform
 * detection (no BARs sized, nothing added); returns how many. */
unsigned pci_peek_ids(uint32_t *ids, unsigned max);
int mmio_probe_cmdline(void);
int mmio_probe_acpi(void);

#endif
