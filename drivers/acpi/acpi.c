/* drivers/acpi/: ACPI tables: RSDP, RSDT/XSDT, MADT, FADT, MCFG, HPET and a
 * small AML scanner for \_S5 and the devices we need. This file finds the
 * RSDP, walks the root table and hands each table to its parser. */
#include <string.h>
#include "firmware.h"
#include "log.h"

#define MAX_TABLE_LEN (4u << 20) /* no sane table is larger */
#define MAX_ROOT_ENTRIES 256

uint8_t fw_checksum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

uint16_t fw_le16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
uint32_t fw_le32(const uint8_t *p) { return (uint32_t)fw_le16(p) | (uint32_t)fw_le16(p + 2) << 16; }
uint64_t fw_le64(const uint8_t *p) { return (uint64_t)fw_le32(p) | (uint64_t)fw_le32(p + 4) << 32; }

/* A valid RSDP at phys, or NULL. Sets *rev. */
static const uint8_t *rsdp_at(const struct fw_mem *mem, uint64_t phys, int quiet)
{
    const uint8_t *r = mem->map(mem->ctx, phys, 20);
    if (!r || memcmp(r, "RSD PTR ", 8) != 0)
        return NULL;
    if (fw_checksum(r, 20) != 0) {
        if (!quiet)
            pr_warn("acpi: RSDP at %#llx has a bad checksum\n", (unsigned long long)phys);
        return NULL;
    }
    if (r[15] >= 2) {
        const uint8_t *r2 = mem->map(mem->ctx, phys, 36);
        uint32_t len = r2 ? fw_le32(r2 + 20) : 0;
        if (!r2 || len < 36 || len > 4096 || !(r2 = mem->map(mem->ctx, phys, len)) || fw_checksum(r2, len) != 0) {
            pr_warn("acpi: RSDP v2 at %#llx has a bad length or extended checksum\n", (unsigned long long)phys);
            return NULL;
        }
        return r2;
    }
    return r;
}

/* One mapping for the whole area; only candidates get a closer look. */
static uint64_t scan_rsdp(const struct fw_mem *mem, uint64_t start, uint64_t len)
{
    const uint8_t *area = mem->map(mem->ctx, start, len);
    if (!area)
        return 0;
    for (uint64_t off = 0; off + 20 <= len; off += 16) {
        if (memcmp(area + off, "RSD PTR ", 8) == 0 && rsdp_at(mem, start + off, 1))
            return start + off;
    }
    return 0;
}

static uint64_t find_rsdp(const struct fw_mem *mem, uint64_t hint)
{
    if (hint) {
        if (rsdp_at(mem, hint, 0))
            return hint;
        pr_warn("acpi: no valid RSDP at the address the loader gave (%#llx); scanning\n",
                (unsigned long long)hint);
    }
    const uint8_t *ebda_seg = mem->map(mem->ctx, 0x40e, 2);
    if (ebda_seg) {
        uint64_t ebda = (uint64_t)fw_le16(ebda_seg) << 4;
        uint64_t p = ebda >= 0x80000 && ebda < 0xa0000 ? scan_rsdp(mem, ebda, 1024) : 0;
        if (p)
            return p;
    }
    /* Two 64 KiB windows: a memory map may list the F segment (reserved)
     * and leave the E segment out, so one 128 KiB mapping would fail. */
    uint64_t p = scan_rsdp(mem, 0xe0000, 0x10000);
    return p ? p : scan_rsdp(mem, 0xf0000, 0x10000);
}

/* Maps a whole table after checking its header, length and checksum. */
static const uint8_t *map_table(const struct fw_mem *mem, uint64_t phys, uint32_t *len_out)
{
    const uint8_t *h = mem->map(mem->ctx, phys, 36);
    if (!h) {
        pr_warn("acpi: table at %#llx is not in memory\n", (unsigned long long)phys);
        return NULL;
    }
    uint32_t len = fw_le32(h + 4);
    if (len < 36 || len > MAX_TABLE_LEN) {
        pr_warn("acpi: table %.4s at %#llx has an absurd length %u\n", (const char *)h, (unsigned long long)phys,
                len);
        return NULL;
    }
    const uint8_t *t = mem->map(mem->ctx, phys, len);
    if (!t) {
        pr_warn("acpi: table %.4s at %#llx runs past memory\n", (const char *)h, (unsigned long long)phys);
        return NULL;
    }
    if (fw_checksum(t, len) != 0) {
        pr_warn("acpi: table %.4s at %#llx has a bad checksum\n", (const char *)t, (unsigned long long)phys);
        return NULL;
    }
    *len_out = len;
    return t;
}

#define MAX_AML_BLOCKS 16

/* The AML term lists of the last acpi_probe, for acpi_probe_pci_routes. */
static struct acpi_aml_block saved[MAX_AML_BLOCKS];
static unsigned n_saved;

static void add_block(struct acpi_aml_block *b, unsigned *n, const uint8_t *t, uint32_t len)
{
    if (*n < MAX_AML_BLOCKS)
        b[(*n)++] = (struct acpi_aml_block){ t + 36, len - 36, t[8] };
}

int acpi_probe(struct machine *m, const struct fw_mem *mem, uint64_t rsdp_hint)
{
    n_saved = 0;
    uint64_t rp = find_rsdp(mem, rsdp_hint);
    if (!rp) {
        pr_debug("acpi: no RSDP\n");
        return -1;
    }
    const uint8_t *r = rsdp_at(mem, rp, 0);
    memcpy(m->acpi_oem, r + 9, 6);
    m->acpi_oem[6] = 0;
    m->rsdp_addr = rp;
    int xsdt = r[15] >= 2 && fw_le64(r + 24) != 0;
    uint64_t root_phys = xsdt ? fw_le64(r + 24) : fw_le32(r + 16);
    uint32_t root_len;
    const uint8_t *root = map_table(mem, root_phys, &root_len);
    if (root && memcmp(root, xsdt ? "XSDT" : "RSDT", 4) != 0)
        root = NULL;
    if (!root && xsdt) {
        xsdt = 0; /* fall back to the RSDT */
        root_phys = fw_le32(r + 16);
        root = map_table(mem, root_phys, &root_len);
        if (root && memcmp(root, "RSDT", 4) != 0)
            root = NULL;
    }
    if (!root) {
        pr_warn("acpi: no usable RSDT/XSDT\n");
        return -1;
    }
    unsigned esize = xsdt ? 8 : 4, n = (root_len - 36) / esize, madt_ok = 0;
    if (n > MAX_ROOT_ENTRIES)
        n = MAX_ROOT_ENTRIES;
    uint64_t dsdt = 0;
    /* Slot 0 is kept for the DSDT: it is loaded before the SSDTs. */
    struct acpi_aml_block blocks[MAX_AML_BLOCKS];
    unsigned nblocks = 1;
    blocks[0].len = 0;
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = root + 36 + i * esize;
        uint64_t phys = xsdt ? fw_le64(e) : fw_le32(e);
        uint32_t len;
        const uint8_t *t = phys ? map_table(mem, phys, &len) : NULL;
        if (!t)
            continue;
        if (memcmp(t, "APIC", 4) == 0)
            madt_ok |= acpi_parse_madt(m, t, len) == 0;
        else if (memcmp(t, "FACP", 4) == 0)
            acpi_parse_fadt(m, t, len, &dsdt);
        else if (memcmp(t, "MCFG", 4) == 0)
            acpi_parse_mcfg(m, t, len);
        else if (memcmp(t, "HPET", 4) == 0)
            acpi_parse_hpet(m, t, len);
        else if (memcmp(t, "SSDT", 4) == 0) {
            acpi_aml_scan(m, t + 36, len - 36);
            add_block(blocks, &nblocks, t, len);
        }
    }
    if (dsdt) {
        uint32_t len;
        const uint8_t *t = map_table(mem, dsdt, &len);
        if (t && memcmp(t, "DSDT", 4) == 0) {
            acpi_aml_scan(m, t + 36, len - 36);
            blocks[0] = (struct acpi_aml_block){ t + 36, len - 36, t[8] };
        }
    }
    if (!madt_ok) {
        pr_warn("acpi: no usable MADT; CPUs must come from elsewhere\n");
        return -1;
    }
    /* Only for ACPI that stands: else the MP table supplies the routes.
     * Kept for acpi_probe_pci_routes: loading the AML and running \_PIC
     * and _PRT is most of this probe's code, wanted only with a PCI bus. */
    n_saved = blocks[0].len ? nblocks : nblocks - 1;
    memcpy(saved, blocks[0].len ? blocks : blocks + 1, n_saved * sizeof(saved[0]));
    m->acpi = true;
    return 0;
}

unsigned acpi_probe_aml_blocks(const struct acpi_aml_block **blocks)
{
    *blocks = saved;
    return n_saved;
}

int acpi_probe_pci_routes(struct machine *m, const struct fw_mem *mem)
{
    unsigned n = n_saved;
    n_saved = 0;
    return n ? acpi_pci_routes(m, mem, saved, n) : -1;
}
