/* virtio-mmio devices from the command line (virtio_mmio.device=, what QEMU
 * microvm and Firecracker pass) and from the DSDT (microvm with ACPI). A
 * window whose magic is wrong is reported and skipped; device id 0 is an
 * empty transport slot. */
#include <string.h>
#include "cmdline.h"
#include "device.h"
#include "log.h"
#include "machine.h"
#include "memory.h"
#include "virtio_mmio.h"

static int add(uint64_t base, uint64_t size, uint32_t irq, const char *source)
{
    for (struct device *d = device_list(); d; d = d->next) {
        if (d->bus == BUS_MMIO && d->mmio.base == base)
            return 0; /* listed by both the command line and ACPI */
    }
    volatile uint32_t *r = ioremap(base, size);
    if (!r)
        return 0;
    uint32_t magic = r[0], version = r[1], id = r[2];
    if (magic != VIRTIO_MMIO_MAGIC || (version != 1 && version != 2)) {
        pr_warn("virtio-mmio: no device at %#llx (magic %#x, version %u)\n", (unsigned long long)base, magic,
                version);
        return 0;
    }
    if (id == 0)
        return 0;
    struct device d;
    memset(&d, 0, sizeof(d));
    d.bus = BUS_MMIO;
    d.mmio = (struct mmio_info){ base, size, irq, source };
    device_add(&d);
    pr_debug("virtio-mmio: %#llx+%#llx irq %u: version %u, device id %u (%s)\n", (unsigned long long)base,
             (unsigned long long)size, irq, version, id, source);
    return 1;
}

int mmio_probe_cmdline(void)
{
    int n = 0;
    const char *v;
    for (unsigned i = 0; (v = cmdline_param(kernel_options(), "virtio_mmio.device", i)); i++) {
        uint64_t base, size;
        uint32_t irq;
        if (virtio_mmio_parse(v, &base, &size, &irq) < 0) {
            pr_err("virtio-mmio: cannot parse virtio_mmio.device=%s (want <size>@<base>:<irq>)\n", v);
            continue;
        }
        n += add(base, size, irq, "cmdline");
    }
    return n;
}

int mmio_probe_acpi(void)
{
    const struct machine *m = machine_info();
    int n = 0;
    for (unsigned i = 0; i < m->n_mmio; i++)
        n += add(m->mmio[i].base, m->mmio[i].size, m->mmio[i].irq, "acpi");
    return n;
}
