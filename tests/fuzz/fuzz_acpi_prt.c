/* The AML evaluator and _PRT extraction (drivers/acpi/acpi_prt.c) on
 * arbitrary AML. Input: a revision byte, four PIRQ register values (what a
 * PCI_Config field read returns), then the definition block's AML. After
 * every run the routes must be within their bounds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "firmware.h"

static uint8_t pirq[4];

static const void *no_map(void *ctx, uint64_t phys, uint64_t len)
{
    (void)ctx, (void)phys, (void)len;
    return NULL;
}

/* PCI_Config bytes 0x60-0x63 of any function read as the PIRQ values; port
 * reads return the port's low byte; writes are accepted and dropped. */
static int region_io(void *ctx, unsigned space, bool write, uint64_t addr, unsigned width, uint32_t *v)
{
    (void)ctx, (void)width;
    if (write)
        return 0;
    if (space == 1) {
        *v = (uint32_t)(addr & 0xff);
        return 0;
    }
    /* Every function is a PCI-to-PCI bridge to the next bus, so a _PRT
     * below a root bridge reaches the secondary-bus walk. */
    if ((addr & 0xfff) == 0x0e) {
        *v = 0x01;
        return 0;
    }
    if ((addr & 0xfff) == 0x19) {
        *v = (uint32_t)((addr >> 20) & 0xff) + 1;
        return 0;
    }
    if ((addr & 0xfff) < 0x60 || (addr & 0xfff) >= 0x64)
        return -1;
    *v = pirq[(addr & 0xfff) - 0x60];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 5 || len > 65536)
        return 0;
    static struct machine m;
    memset(&m, 0, sizeof(m));
    memcpy(pirq, data + 1, 4);
    size_t n = len - 5;
    uint8_t *aml = malloc(n ? n : 1); /* exactly n bytes: ASan sees overreads */
    memcpy(aml, data + 5, n);
    struct fw_mem mem = { .map = no_map, .aml_io = region_io };
    struct acpi_aml_block b = { aml, (uint32_t)n, data[0] };
    acpi_pci_routes(&m, &mem, &b, 1);
    if (m.n_pci_routes > MACHINE_MAX_PCI_ROUTES)
        abort();
    for (unsigned i = 0; i < m.n_pci_routes; i++) {
        if (m.pci_routes[i].pin > 3 || m.pci_routes[i].dev > 31)
            abort();
    }
    free(aml);
    return 0;
}
