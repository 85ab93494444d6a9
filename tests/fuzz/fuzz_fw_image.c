/* Whole firmware probes (ACPI, then MP table, SMBIOS) over a fuzzed sparse
 * memory image in the fixtures' format; the fixtures are the seeds. */
#include <string.h>
#include "firmware.h"
#include "../unit/fw_image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    static struct fw_image img;
    static struct machine m;
    if (fw_image_parse(&img, data, len) == 0) {
        struct fw_mem mem = fw_image_mem(&img);
        memset(&m, 0, sizeof(m));
        if (acpi_probe(&m, &mem, 0) < 0)
            mptable_probe(&m, &mem);
        else
            acpi_probe_pci_routes(&m, &mem); /* the AML, as a PCI probe has it run */
        smbios_probe(&m, &mem);
    }
    fw_image_free(&img);
    return 0;
}
