/* The device list and table-driven binding of drivers to devices. */
#include <stdlib.h>
#include <string.h>
#include "device.h"
#include "log.h"

extern const struct driver *const __start_kestrel_devdrivers[], *const __stop_kestrel_devdrivers[];
static struct device *head, **tail = &head;

struct device *device_add(const struct device *proto)
{
    struct device *d = malloc(sizeof(*d));
    if (!d)
        return NULL;
    *d = *proto;
    d->next = NULL;
    d->driver = NULL;
    *tail = d;
    tail = &d->next;
    return d;
}

struct device *device_list(void) { return head; }

static int matches(const struct driver *drv, const struct device *d)
{
    if (drv->bus != d->bus)
        return 0;
    if (d->bus == BUS_MMIO)
        return drv->mmio_virtio;
    for (const struct pci_id *id = drv->pci_ids; id && id->vendor; id++) {
        if (id->vendor == PCI_ID_CLASS && id->device == (d->pci.class_code << 8 | d->pci.subclass))
            return 1;
        if (id->vendor == d->pci.vendor && (id->device == 0xffff || id->device == d->pci.device))
            return 1;
    }
    return 0;
}

void devices_bind(void)
{
    for (struct device *d = head; d; d = d->next) {
        for (const struct driver *const *dp = __start_kestrel_devdrivers; dp < __stop_kestrel_devdrivers; dp++) {
            if (d->driver || !matches(*dp, d))
                continue;
            if ((*dp)->attach(d) == 0) {
                d->driver = *dp;
                break;
            }
        }
    }
}
