/* The EFI system table's configuration tables (UEFI 2.x, 4.3 and 4.6): where
 * UEFI firmware publishes SMBIOS and ACPI, since there is no BIOS area to scan.
 * The tables outlive ExitBootServices (runtime memory); all is read untrusted. */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define EFI_SYSTAB_SIGNATURE 0x5453595320494249ull /* "IBI SYST" */
#define EFI_SYSTAB_SIZE 120                         /* x64 layout up to ConfigurationTable */
#define EFI_SYSTAB_N_TABLES 104
#define EFI_SYSTAB_TABLES 112
#define EFI_CONFIG_ENTRY 24 /* GUID, then a pointer */
#define EFI_MAX_TABLES 1024 /* firmware publishes tens */

uint64_t efi_config_table(const struct fw_mem *mem, uint64_t systab, const uint8_t *guid)
{
    if (!systab)
        return 0;
    const uint8_t *st = mem->map(mem->ctx, systab, EFI_SYSTAB_SIZE);
    if (!st || fw_le64(st) != EFI_SYSTAB_SIGNATURE) {
        pr_warn("efi: no EFI system table at %#llx\n", (unsigned long long)systab);
        return 0;
    }
    uint64_t n = fw_le64(st + EFI_SYSTAB_N_TABLES);
    uint64_t tables = fw_le64(st + EFI_SYSTAB_TABLES);
    if (n > EFI_MAX_TABLES) {
        pr_warn("efi: %llu configuration tables is absurd\n", (unsigned long long)n);
        return 0;
    }
    const uint8_t *t = n ? mem->map(mem->ctx, tables, n * EFI_CONFIG_ENTRY) : NULL;
    if (!t) {
        if (n)
            pr_warn("efi: configuration tables at %#llx are not in memory\n", (unsigned long long)tables);
        return 0;
    }
    for (uint64_t i = 0; i < n; i++) {
        if (memcmp(t + i * EFI_CONFIG_ENTRY, guid, 16) == 0)
            return fw_le64(t + i * EFI_CONFIG_ENTRY + 16);
    }
    return 0;
}
