/* MSI-X enable order against a strict device model: real hardware (Nitro's
 * NVMe among it) may ignore MSI-X table writes until MSI-X is enabled, so
 * the capability is enabled with the function masked before the entry is
 * written, and unmasked only once the entry is complete. */
#include <string.h>
#include "check.h"
#include "pci.h"

#define CAP 0x40
#define MSIX_ENABLE 0x8000
#define MSIX_MASK 0x4000
#define SENTINEL 0xdeadbeefu

static uint16_t ctrl;
static uint32_t table[4 * 8];
/* The strict device: table stores made while MSI-X is disabled are lost.
 * Stores are plain memory, so the model re-checks at each control write:
 * whatever the entry holds when MSI-X goes from disabled to enabled was
 * written while disabled, and is discarded. */
static uint32_t latched[4 * 8];
static unsigned ctrl_writes;

uint32_t pci_read32(const struct pci_info *p, uint16_t off)
{
    (void)p;
    (void)off;
    return 0; /* the table: BAR 0, offset 0 */
}
uint16_t pci_read16(const struct pci_info *p, uint16_t off)
{
    (void)p;
    return off == CAP + 2 ? ctrl : 0;
}
void pci_write16(const struct pci_info *p, uint16_t off, uint16_t v)
{
    (void)p;
    if (off != CAP + 2)
        return;
    bool was = ctrl & MSIX_ENABLE;
    if (!was && (v & MSIX_ENABLE))
        for (unsigned i = 0; i < 4 * 8; i++)
            table[i] = latched[i]; /* what was stored while disabled is gone */
    ctrl = (uint16_t)((ctrl & 0x7ff) | (v & (MSIX_ENABLE | MSIX_MASK)));
    ctrl_writes++;
}
uint8_t pci_find_cap(const struct pci_info *p, uint8_t id, unsigned n)
{
    (void)p;
    return id == PCI_CAP_MSIX && n == 0 ? CAP : 0;
}
void *ioremap(uint64_t phys, size_t size)
{
    (void)phys;
    (void)size;
    return table;
}
uint32_t irq_target_apic_id(void) { return 3; }

static void reset(void)
{
    ctrl = 8 - 1; /* 8 entries */
    for (unsigned i = 0; i < 4 * 8; i++)
        table[i] = latched[i] = (i % 4 == 3) ? 1 : SENTINEL; /* masked, unprogrammed */
    ctrl_writes = 0;
}

int main(void)
{
    struct pci_info p;
    memset(&p, 0, sizeof(p));
    p.bars[0].addr = 0xfe000000;
    p.bars[0].size = 0x1000;

    reset();
    CHECK_EQ(pci_msix_enable(&p, 2, 0x41), 0);
    CHECK(ctrl & MSIX_ENABLE);
    CHECK(!(ctrl & MSIX_MASK));
    CHECK_EQ(table[8], 0xfee00000u | 3u << 12);
    CHECK_EQ(table[9], 0);
    CHECK_EQ(table[10], 0x41);
    CHECK_EQ(table[11], 0); /* entry unmasked */
    CHECK_EQ(table[0], SENTINEL); /* other entries untouched */
    CHECK_EQ(table[7], 1);

    /* Already enabled (a second vector): the first entry stays as it was. */
    CHECK_EQ(pci_msix_enable(&p, 3, 0x42), 0);
    CHECK_EQ(table[10], 0x41);
    CHECK_EQ(table[14], 0x42);
    CHECK(!(ctrl & MSIX_MASK));

    /* An entry past the table is refused without touching the device. */
    reset();
    CHECK_EQ(pci_msix_enable(&p, 8, 0x41), -1);
    CHECK_EQ(ctrl_writes, 0);
    printf("test_pci_msix: %d passed, %d failed\n", check_passed, check_failed);
    return check_failed != 0;
}
