/* One table's bytes straight into a parser: the first byte picks which
 * (MADT, FADT, MCFG, HPET, AML, MP configuration, SMBIOS structures). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "firmware.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1 || len > 65536)
        return 0;
    static struct machine m;
    memset(&m, 0, sizeof(m));
    /* A private copy of exactly len bytes, so ASan sees any overread. */
    uint8_t *t = malloc(len - 1 ? len - 1 : 1);
    memcpy(t, data + 1, len - 1);
    uint32_t n = (uint32_t)(len - 1);
    uint64_t dsdt;
    switch (data[0] % 7) {
    case 0:
        acpi_parse_madt(&m, t, n);
        break;
    case 1:
        acpi_parse_fadt(&m, t, n, &dsdt);
        break;
    case 2:
        acpi_parse_mcfg(&m, t, n);
        break;
    case 3:
        acpi_parse_hpet(&m, t, n);
        break;
    case 4:
        acpi_aml_scan(&m, t, n);
        break;
    case 5:
        mptable_parse_config(&m, t, n);
        break;
    case 6:
        smbios_parse_structures(&m, t, n, 1000);
        break;
    }
    free(t);
    return 0;
}
