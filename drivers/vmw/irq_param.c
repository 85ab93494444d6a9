/* The interrupt kinds a VMware driver may use, from its command-line key. */
#include <string.h>
#include "cmdline.h"
#include "log.h"
#include "pci.h"
#include "irq_param.h"

unsigned vmw_irq_allowed(const char *key)
{
    const char *v = cmdline_param(kernel_options(), key, 0);
    if (!v)
        return PCI_IRQ_ANY;
    if (strcmp(v, "msix") == 0)
        return PCI_IRQ_MSIX;
    if (strcmp(v, "msi") == 0)
        return PCI_IRQ_MSI;
    if (strcmp(v, "intx") == 0)
        return PCI_IRQ_INTX;
    pr_warn("%s=%s: not msix, msi or intx; any kind allowed\n", key, v);
    return PCI_IRQ_ANY;
}
