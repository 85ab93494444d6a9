/* ACPI, MP-table and SMBIOS parsers against tables captured from QEMU
 * (tests/fixtures/firmware) and hand-corrupted copies of them. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "firmware.h"
#include "fw_image.h"

#define FIX "tests/fixtures/firmware/"

static struct fw_image img;
static struct machine m;

static int load(const char *name)
{
    fw_image_free(&img);
    memset(&m, 0, sizeof(m));
    if (fw_image_load(&img, name) < 0) {
        fprintf(stderr, "cannot load %s\n", name);
        check_failed++;
        return -1;
    }
    return 0;
}

static int probe_all(void)
{
    struct fw_mem mem = fw_image_mem(&img);
    int acpi = acpi_probe(&m, &mem, 0);
    if (acpi < 0)
        mptable_probe(&m, &mem);
    smbios_probe(&m, &mem);
    return acpi;
}

static void check_cpus(unsigned n)
{
    CHECK_EQ(m.n_cpus, n);
    for (unsigned i = 0; i < m.n_cpus && i < n; i++)
        CHECK_EQ(m.cpus[i].apic_id, i);
}

static void check_pc_common(void)
{
    CHECK(m.acpi);
    CHECK(strcmp(m.acpi_oem, "BOCHS ") == 0);
    CHECK_EQ(m.n_ioapics, 1);
    CHECK_EQ(m.ioapics[0].addr, 0xfec00000);
    CHECK_EQ(m.ioapics[0].gsi_base, 0);
    CHECK_EQ(m.lapic_addr, 0xfee00000);
    /* The PIT's IRQ 0 is wired to GSI 2 on every QEMU PC. */
    int irq0 = 0;
    for (unsigned i = 0; i < m.n_overrides; i++)
        irq0 |= m.overrides[i].bus_irq == 0 && m.overrides[i].gsi == 2;
    CHECK(irq0);
    CHECK(m.fadt && !m.hw_reduced);
    CHECK_EQ(m.pm1a_cnt, 0x604);
    CHECK(m.s5_valid);
    CHECK_EQ(m.slp_typ_a, 0);
    CHECK(m.hpet);
    CHECK_EQ(m.hpet_addr, 0xfed00000);
    CHECK(m.smbios);
    CHECK(m.pic_present);
}

static void test_pc(void)
{
    if (load(FIX "pc-smp1.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    check_pc_common();
    check_cpus(1);
    CHECK_EQ(m.n_ecam, 0);
    CHECK(strcmp(m.sys_vendor, "QEMU") == 0);
    CHECK(strstr(m.sys_product, "i440FX") != NULL);
    CHECK(m.uuid_valid);
    if (load(FIX "pc-smp4.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    check_pc_common();
    check_cpus(4);
}

static void test_q35(void)
{
    const char *files[] = { FIX "q35-smp2.bin", FIX "q35-smp4.bin" };
    unsigned cpus[] = { 2, 4 };
    for (int i = 0; i < 2; i++) {
        if (load(files[i]) < 0)
            return;
        CHECK_EQ(probe_all(), 0);
        check_pc_common();
        check_cpus(cpus[i]);
        CHECK(strstr(m.sys_product, "Q35") != NULL);
        CHECK_EQ(m.n_ecam, 1);
        CHECK_EQ(m.ecam[0].base, 0xb0000000);
        CHECK_EQ(m.ecam[0].segment, 0);
        CHECK_EQ(m.ecam[0].bus_start, 0);
        CHECK_EQ(m.ecam[0].bus_end, 255);
        CHECK(m.reset_supported);
        CHECK_EQ(m.reset_reg.space, 1);
        CHECK_EQ(m.reset_reg.addr, 0xcf9);
        CHECK_EQ(m.reset_value, 0xf);
        CHECK_EQ(m.pvpanic_port, 0);
    }
    if (load(FIX "q35-pvpanic.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    CHECK_EQ(m.pvpanic_port, 0x505);
}

static void test_microvm(void)
{
    if (load(FIX "microvm-smp1.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    check_cpus(1);
    CHECK(m.acpi && m.fadt && m.hw_reduced);
    CHECK(!m.smbios);
    CHECK(m.s5_valid);
    CHECK_EQ(m.sleep_control.space, 0);
    CHECK(m.sleep_control.addr != 0);
    CHECK_EQ(m.pm1a_cnt, 0);
    CHECK(m.n_ioapics >= 1);
    CHECK_EQ(m.ioapics[0].addr, 0xfec00000);
    CHECK_EQ(m.n_mmio, 0);
    if (load(FIX "microvm-smp4.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    check_cpus(4);
    /* Two virtio-mmio devices were attached; the DSDT lists their slots. */
    CHECK(m.n_mmio >= 2);
    for (unsigned i = 0; i < m.n_mmio; i++) {
        CHECK(m.mmio[i].base >= 0xfeb00000 && m.mmio[i].base < 0xfec00000);
        CHECK_EQ(m.mmio[i].size, 0x200);
        CHECK(m.mmio[i].irq >= 5 && m.mmio[i].irq < 64);
    }
    CHECK_EQ(m.pvpanic_port, 0x505);
}

static void test_microvm_mptable(void)
{
    const char *files[] = { FIX "microvm-noacpi-smp2.bin", FIX "microvm-noacpi-smp4.bin" };
    unsigned cpus[] = { 2, 4 };
    for (int i = 0; i < 2; i++) {
        if (load(files[i]) < 0)
            return;
        CHECK(probe_all() < 0); /* no ACPI: the MP table answers */
        CHECK(!m.acpi && m.mptable);
        check_cpus(cpus[i]);
        CHECK(m.cpus[0].bsp);
        CHECK_EQ(m.n_ioapics, 1);
        CHECK_EQ(m.ioapics[0].addr, 0xfec00000);
        CHECK(strncmp(m.mp_oem, "QBOOT", 5) == 0);
    }
}

static void test_smbios_dressed(void)
{
    if (load(FIX "vmware.bin") < 0)
        return;
    probe_all();
    CHECK(strcmp(m.sys_vendor, "VMware, Inc.") == 0);
    CHECK(strcmp(m.sys_product, "VMware Virtual Platform") == 0);
    if (load(FIX "virtualbox.bin") < 0)
        return;
    probe_all();
    CHECK(strcmp(m.sys_vendor, "innotek GmbH") == 0);
    CHECK(strcmp(m.sys_product, "VirtualBox") == 0);
}

/* ---- corrupted variants ---- */

static uint64_t rsdp(void) { return fw_image_find(&img, "RSD PTR ", 0xe0000, 0x100000); }

static uint64_t root_table(void)
{
    uint8_t *r = fw_image_at(&img, rsdp());
    return r[15] >= 2 && fw_le64(r + 24) ? fw_le64(r + 24) : fw_le32(r + 16);
}

/* Address of the first table with sig listed by the RSDT/XSDT. */
static uint64_t table(const char *sig)
{
    uint8_t *r = fw_image_at(&img, rsdp());
    int x = r[15] >= 2 && fw_le64(r + 24);
    uint64_t root = root_table();
    uint8_t *t = fw_image_at(&img, root);
    uint32_t n = (fw_le32(t + 4) - 36) / (x ? 8 : 4);
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = x ? fw_le64(t + 36 + 8 * i) : fw_le32(t + 36 + 4 * i);
        uint8_t *h = fw_image_at(&img, a);
        if (h && memcmp(h, sig, 4) == 0)
            return a;
    }
    return 0;
}

static void test_corrupt_acpi(void)
{
    /* RSDP checksum */
    if (load(FIX "q35-smp2.bin") < 0)
        return;
    fw_image_at(&img, rsdp())[8] ^= 1;
    struct fw_mem mem = fw_image_mem(&img);
    CHECK_EQ(acpi_probe(&m, &mem, 0), -1);
    CHECK(!m.acpi && m.n_cpus == 0);

    /* Root table checksum */
    load(FIX "q35-smp2.bin");
    fw_image_at(&img, root_table())[9] ^= 0x55;
    mem = fw_image_mem(&img);
    CHECK_EQ(acpi_probe(&m, &mem, 0), -1);

    /* MADT checksum: the MADT is rejected, so ACPI gives no CPUs and the
     * caller moves on (returns -1) but FADT facts still come through. */
    load(FIX "q35-smp2.bin");
    uint8_t *madt = fw_image_at(&img, table("APIC"));
    CHECK(madt != NULL);
    madt[9] ^= 1;
    mem = fw_image_mem(&img);
    CHECK_EQ(acpi_probe(&m, &mem, 0), -1);
    CHECK_EQ(m.n_cpus, 0);
    CHECK(m.fadt);

    /* Table length running past mapped memory. */
    load(FIX "q35-smp2.bin");
    madt = fw_image_at(&img, table("APIC"));
    madt[4] = 0xff, madt[5] = 0xff, madt[6] = 0xff, madt[7] = 0x7f;
    mem = fw_image_mem(&img);
    CHECK_EQ(acpi_probe(&m, &mem, 0), -1);

    /* MADT entries: zero length, running past the end, absurd counts. */
    load(FIX "q35-smp4.bin");
    madt = fw_image_at(&img, table("APIC"));
    uint32_t len = fw_le32(madt + 4);
    uint8_t copy[4096];
    memcpy(copy, madt, len);
    struct machine mm;
    memset(&mm, 0, sizeof(mm));
    CHECK_EQ(acpi_parse_madt(&mm, copy, len), 0);
    CHECK_EQ(mm.n_cpus, 4);
    memset(&mm, 0, sizeof(mm));
    copy[44 + 1] = 0; /* first entry length 0 */
    CHECK_EQ(acpi_parse_madt(&mm, copy, len), -1);
    CHECK_EQ(mm.n_cpus, 0);
    memcpy(copy, madt, len);
    copy[44 + 1] = 0xff; /* first entry runs past the table */
    CHECK_EQ(acpi_parse_madt(&mm, copy, len), -1);
    CHECK_EQ(acpi_parse_madt(&mm, copy, 40), -1);
    /* 300 xAPIC processor entries: their 8-bit ids wrap at 256, so 44 are
     * duplicates and one has the broadcast id 0xff; tests/unit/test_madt.c
     * has the x2APIC entries and the MACHINE_MAX_CPUS cap. */
    static uint8_t big[44 + 300 * 8];
    memcpy(big, madt, 44);
    for (int i = 0; i < 300; i++) {
        uint8_t *e = big + 44 + 8 * i;
        e[0] = 0, e[1] = 8, e[2] = (uint8_t)i, e[3] = (uint8_t)i, e[4] = 1, e[5] = e[6] = e[7] = 0;
    }
    memset(&mm, 0, sizeof(mm));
    CHECK_EQ(acpi_parse_madt(&mm, big, sizeof(big)), 0);
    CHECK_EQ(mm.n_cpus, 255);
    CHECK_EQ(mm.cpus_dropped, 0);
    CHECK_EQ(mm.cpus_duplicate, 300 - 256);
    CHECK_EQ(mm.cpus_invalid, 1);

    /* FADT too short; a DSDT _S5 package cut short. */
    CHECK_EQ(acpi_parse_fadt(&mm, copy, 100, &(uint64_t){ 0 }), -1);
    uint8_t aml[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x04, 0x0a };
    memset(&mm, 0, sizeof(mm));
    acpi_aml_scan(&mm, aml, sizeof(aml));
    CHECK(!mm.s5_valid);
    uint8_t aml_ok[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04, 0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
    acpi_aml_scan(&mm, aml_ok, sizeof(aml_ok));
    CHECK(mm.s5_valid);
    CHECK_EQ(mm.slp_typ_a, 5);
    /* A device whose PkgLength claims more than the table holds. */
    uint8_t dev[] = { 0x5b, 0x82, 0xff, 0xff, 'V', 'R', '0', '0', 0x08, '_', 'H', 'I', 'D', 0x0d, 'L' };
    memset(&mm, 0, sizeof(mm));
    acpi_aml_scan(&mm, dev, sizeof(dev));
    CHECK_EQ(mm.n_mmio, 0);
}

static void test_corrupt_mptable(void)
{
    if (load(FIX "microvm-noacpi-smp4.bin") < 0)
        return;
    uint64_t fp = fw_image_find(&img, "_MP_", 0x9fc00, 0xa0000);
    CHECK(fp != 0);
    uint8_t *f = fw_image_at(&img, fp);
    uint8_t *cfg = fw_image_at(&img, fw_le32(f + 4));
    uint16_t base_len = fw_le16(cfg + 4);
    static uint8_t copy[4096];
    memcpy(copy, cfg, base_len);
    struct machine mm;
    memset(&mm, 0, sizeof(mm));
    CHECK_EQ(mptable_parse_config(&mm, copy, base_len), 0);
    CHECK_EQ(mm.n_cpus, 4);
    /* Bad checksum. */
    copy[10] ^= 1;
    memset(&mm, 0, sizeof(mm));
    CHECK_EQ(mptable_parse_config(&mm, copy, base_len), -1);
    copy[10] ^= 1;
    /* Absurd entry count. */
    copy[34] = 0xff, copy[35] = 0xff;
    copy[7] = 0, copy[7] = (uint8_t)(0 - fw_checksum(copy, base_len));
    CHECK_EQ(mptable_parse_config(&mm, copy, base_len), -1);
    /* More entries announced than the table holds. */
    copy[34] = 200, copy[35] = 0;
    copy[7] = 0, copy[7] = (uint8_t)(0 - fw_checksum(copy, base_len));
    CHECK_EQ(mptable_parse_config(&mm, copy, base_len), -1);
    CHECK_EQ(mm.n_cpus, 0);
    /* An unknown entry type. */
    memcpy(copy, cfg, base_len);
    copy[44] = 9;
    copy[7] = 0, copy[7] = (uint8_t)(0 - fw_checksum(copy, base_len));
    CHECK_EQ(mptable_parse_config(&mm, copy, base_len), -1);
    /* Floating pointer checksum: probe finds no table. */
    f[10] ^= 1;
    struct fw_mem mem = fw_image_mem(&img);
    memset(&m, 0, sizeof(m));
    CHECK_EQ(mptable_probe(&m, &mem), -1);
}

static void test_corrupt_smbios(void)
{
    if (load(FIX "pc-smp1.bin") < 0)
        return;
    uint64_t ep = fw_image_find(&img, "_SM_", 0xf0000, 0x100000);
    uint64_t ep3 = fw_image_find(&img, "_SM3_", 0xf0000, 0x100000);
    CHECK(ep || ep3);
    uint8_t *e = fw_image_at(&img, ep ? ep : ep3);
    struct fw_mem mem = fw_image_mem(&img);
    e[ep ? 4 : 5] ^= 1; /* entry-point checksum */
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_probe(&m, &mem), -1);
    e[ep ? 4 : 5] ^= 1;
    /* A structure table length beyond memory. */
    if (ep) {
        e[22] = 0xff, e[23] = 0xff;
        e[24] = 0xf0, e[25] = 0xff, e[26] = 0xff, e[27] = 0xff;
        e[20] = 0, e[20] = (uint8_t)(0 - fw_checksum(e + 16, 15));
        e[4] = 0, e[4] = (uint8_t)(0 - fw_checksum(e, e[5]));
        memset(&m, 0, sizeof(m));
        CHECK_EQ(smbios_probe(&m, &mem), -1);
    }
    /* Structures: a header length below 4, strings with no terminator. */
    uint8_t s1[] = { 1, 2, 0, 0, 0, 0 };
    CHECK_EQ(smbios_parse_structures(&m, s1, sizeof(s1), 10), -1);
    uint8_t s2[] = { 1, 8, 0, 0, 1, 2, 0, 0, 'Q', 'E', 'M', 'U' };
    CHECK_EQ(smbios_parse_structures(&m, s2, sizeof(s2), 10), -1);
    uint8_t s3[] = { 1, 8, 0, 0, 1, 9, 3, 0, 'Q', 'E', 'M', 'U', 0, 'X', 0, 0 };
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_parse_structures(&m, s3, sizeof(s3), 10), 0);
    CHECK(strcmp(m.sys_vendor, "QEMU") == 0);
    CHECK(strcmp(m.sys_product, "") == 0); /* string 9 does not exist */
    CHECK(strcmp(m.sys_version, "") == 0); /* nor does string 3 */
}

/* SMBIOS 3.x: QEMU 7.2's SeaBIOS writes a 2.x entry point, so a 3.x one
 * (64-bit table address) is built here by hand at 0xf0000. */
static void test_smbios3(void)
{
    static uint8_t data[2][12 + 4096];
    uint64_t addrs[2] = { 0xf0000, 0x100000 };
    for (int i = 0; i < 2; i++) {
        memcpy(data[i], &addrs[i], 8);
        uint32_t n = 4096;
        memcpy(data[i] + 8, &n, 4);
        memset(data[i] + 12, 0, 4096);
    }
    uint8_t *ep = data[0] + 12, *st = data[1] + 12;
    static const uint8_t t1[] = { 1, 0x1b, 1, 0, 1, 2, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                  6, 0, 0 };
    memcpy(st, t1, sizeof(t1));
    memcpy(st + sizeof(t1), "Amazon EC2\0m5.large\0", 21); /* the zeroed page adds the last NUL */
    uint8_t *end = st + sizeof(t1) + 21;
    end[0] = 127, end[1] = 4; /* end-of-table, then its empty string set */
    memcpy(ep, "_SM3_", 5);
    ep[6] = 0x18, ep[7] = 3, ep[8] = 2, ep[10] = 1;
    uint32_t max = 4096;
    uint64_t at = 0x100000;
    memcpy(ep + 12, &max, 4);
    memcpy(ep + 16, &at, 8);
    ep[5] = (uint8_t)(0 - fw_checksum(ep, 0x18));
    fw_image_free(&img);
    memset(&m, 0, sizeof(m));
    static uint8_t blob[sizeof(data)];
    memcpy(blob, data, sizeof(data));
    CHECK_EQ(fw_image_parse(&img, blob, sizeof(blob)), 0);
    struct fw_mem mem = fw_image_mem(&img);
    CHECK_EQ(smbios_probe(&m, &mem), 0);
    CHECK_EQ(m.smbios_major, 3);
    CHECK(strcmp(m.sys_vendor, "Amazon EC2") == 0);
    CHECK(strcmp(m.sys_product, "m5.large") == 0);
    CHECK(m.uuid_valid && m.uuid[0] == 1 && m.uuid[15] == 16);
    /* The same with a 64-bit table address past what memory holds. */
    fw_image_at(&img, 0xf0010)[0] = 0xff; /* low byte of the address */
    uint8_t *e = fw_image_at(&img, 0xf0000);
    e[5] = 0, e[5] = (uint8_t)(0 - fw_checksum(e, 0x18));
    e[16 + 7] = 0x7f; /* address far beyond 4 GiB */
    e[5] = 0, e[5] = (uint8_t)(0 - fw_checksum(e, 0x18));
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_probe(&m, &mem), -1);
}

/* The kernel's map covers only what the memory map names: on SeaBIOS the
 * F segment is listed (reserved), the E segment is not. The RSDP scan must
 * still find the RSDP in the F segment (found by booting from a disk with
 * Kestrel's BIOS loader, which hands over no RSDP). */
static const void *map_without_e_segment(void *ctx, uint64_t phys, uint64_t len)
{
    const struct fw_mem *inner = ctx;
    if (phys < 0xf0000 && phys + len > 0xe0000)
        return NULL;
    return inner->map(inner->ctx, phys, len);
}

static void test_rsdp_scan_f_segment_only(void)
{
    if (load(FIX "q35-smp2.bin") < 0)
        return;
    struct fw_mem inner = fw_image_mem(&img);
    struct fw_mem mem = { .map = map_without_e_segment, .ctx = &inner };
    CHECK_EQ(acpi_probe(&m, &mem, 0), 0);
    CHECK(m.acpi);
    CHECK(m.rsdp_addr >= 0xf0000 && m.rsdp_addr < 0x100000);
}

/* QEMU microvm's GED and power button, as its DSDT has them (captured from
 * QEMU 7.2): the _EVT branch If ((Local0 & 2) == 2) Notify (PWRB, 0x80). */
static const uint8_t microvm_ged[] = {
    0x5b, 0x82, 0x4c, 0x06, 0x47, 0x45, 0x44, 0x5f, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x41, 0x43,
    0x50, 0x49, 0x30, 0x30, 0x31, 0x33, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x0d, 0x47, 0x45, 0x44,
    0x00, 0x08, 0x5f, 0x43, 0x52, 0x53, 0x11, 0x0e, 0x0a, 0x0b, 0x89, 0x06, 0x00, 0x03, 0x01, 0x09,
    0x00, 0x00, 0x00, 0x79, 0x00, 0x5b, 0x80, 0x45, 0x52, 0x45, 0x47, 0x00, 0x0c, 0x00, 0x00, 0xa0,
    0xfe, 0x0a, 0x04, 0x5b, 0x81, 0x0b, 0x45, 0x52, 0x45, 0x47, 0x43, 0x45, 0x53, 0x45, 0x4c, 0x20,
    0x14, 0x1d, 0x5f, 0x45, 0x56, 0x54, 0x09, 0x70, 0x45, 0x53, 0x45, 0x4c, 0x60, 0xa0, 0x10, 0x93,
    0x7b, 0x60, 0x0a, 0x02, 0x00, 0x0a, 0x02, 0x86, 0x50, 0x57, 0x52, 0x42, 0x0a, 0x80, 0x5b, 0x82,
    0x19, 0x50, 0x57, 0x52, 0x42, 0x08, 0x5f, 0x48, 0x49, 0x44, 0x0d, 0x50, 0x4e, 0x50, 0x30, 0x43,
    0x30, 0x43, 0x00, 0x08, 0x5f, 0x55, 0x49, 0x44, 0x00
};
#define GED_PREDICATE_OFF 95 /* And (Local0, 0x02, Zero) == 0x02 */

static void scan_ged(const uint8_t *aml, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, aml, n);
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, copy, (uint32_t)n);
    free(copy);
}

static void test_ged_variants(void)
{
    uint8_t g[sizeof(microvm_ged)];
    memcpy(g, microvm_ged, sizeof(g));
    scan_ged(g, sizeof(g));
    CHECK(m.ged_valid && m.ged_power_bits == 2 && m.ged_reg == 0xfea00000 && m.ged_irq == 9);
    /* (Local0 & 2) == 4 can never hold: not a power-button bit. */
    g[GED_PREDICATE_OFF + 7] = 0x04;
    scan_ged(g, sizeof(g));
    CHECK(!m.ged_valid);
    memcpy(g, microvm_ged, sizeof(g));
    /* Notify (PWRB, 0x81) is not a press. */
    g[GED_PREDICATE_OFF + 14] = 0x81;
    scan_ged(g, sizeof(g));
    CHECK(!m.ged_valid);
    memcpy(g, microvm_ged, sizeof(g));
    /* The notified device is not a power button (PNP0C0D: a lid). */
    g[sizeof(g) - 8] = 'D';
    scan_ged(g, sizeof(g));
    CHECK(!m.ged_valid);
    memcpy(g, microvm_ged, sizeof(g));
    /* An I/O OperationRegion (space 1) is not the GED's memory register. */
    g[59] = 0x01;
    scan_ged(g, sizeof(g));
    CHECK(!m.ged_valid);
    /* Every truncation and every single-byte change: bounded, and a GED
     * only when the register, interrupt and bits are all still there. */
    for (size_t n = 0; n < sizeof(microvm_ged); n++) {
        scan_ged(microvm_ged, n);
        CHECK(!m.ged_valid);
    }
    for (size_t i = 0; i < sizeof(microvm_ged); i++) {
        memcpy(g, microvm_ged, sizeof(g));
        g[i] ^= 0xff;
        scan_ged(g, sizeof(g));
        CHECK(!m.ged_valid || (m.ged_power_bits != 0 && m.ged_reg != 0));
    }
}

/* Power-button events: the FADT's event blocks, the GED on microvm, and a
 * GPE method in hand-made AML (no QEMU preset signals the button by GPE). */
static void test_power_events(void)
{
    if (load(FIX "pc-smp1.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    CHECK(m.fixed_power_button);
    CHECK_EQ(m.sci_irq, 9);
    CHECK_EQ(m.pm1a_evt, 0x600);
    CHECK_EQ(m.pm1_evt_len, 4);
    CHECK_EQ(m.gpe0_blk, 0xafe0);
    CHECK_EQ(m.gpe0_blk_len, 4);
    CHECK_EQ(m.smi_cmd, 0xb2);
    CHECK_EQ(m.acpi_enable, 0xf1);
    CHECK(!m.ged_valid && !m.power_gpe_valid);
    if (load(FIX "q35-smp2.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    CHECK(m.fixed_power_button);
    CHECK_EQ(m.gpe0_blk, 0x620);
    CHECK_EQ(m.gpe0_blk_len, 16);
    CHECK_EQ(m.acpi_enable, 2);
    if (load(FIX "microvm-smp1.bin") < 0)
        return;
    CHECK_EQ(probe_all(), 0);
    CHECK(!m.fixed_power_button);
    CHECK(m.ged_valid);
    CHECK_EQ(m.ged_reg, 0xfea00000);
    CHECK_EQ(m.ged_irq, 9);
    CHECK(m.ged_irq_edge && !m.ged_irq_active_low);
    CHECK_EQ(m.ged_power_bits, 2);

    /* Device (PWRB) { Name (_HID, "PNP0C0C") }
     * Method (\_GPE._L07) { Notify (\_SB.PWRB, 0x80) } */
    static const uint8_t dev[] = { 0x5b, 0x82, 0x13, 'P', 'W', 'R', 'B', 0x08, '_', 'H', 'I', 'D', 0x0d,
                                   'P', 'N', 'P', '0', 'C', '0', 'C', 0 };
    static const uint8_t gpe[] = { 0x14, 0x13, '_', 'L', '0', '7', 0x00, 0x86, 0x5c, 0x2e,
                                   '_', 'S', 'B', '_', 'P', 'W', 'R', 'B', 0x0a, 0x80 };
    uint8_t aml[sizeof(dev) + sizeof(gpe)];
    memcpy(aml, dev, sizeof(dev));
    memcpy(aml + sizeof(dev), gpe, sizeof(gpe));
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, aml, sizeof(aml));
    CHECK(m.power_gpe_valid);
    CHECK_EQ(m.power_gpe, 7);
    CHECK(m.power_gpe_level);
    /* An edge method with a two-digit hex number. */
    aml[sizeof(dev) + 3] = 'E';
    aml[sizeof(dev) + 4] = '1';
    aml[sizeof(dev) + 5] = 'F';
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, aml, sizeof(aml));
    CHECK(m.power_gpe_valid && m.power_gpe == 0x1f && !m.power_gpe_level);
    /* Not hex: no GPE. */
    aml[sizeof(dev) + 5] = 'G';
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, aml, sizeof(aml));
    CHECK(!m.power_gpe_valid);
    aml[sizeof(dev) + 5] = 'F';
    /* Notify with another value (0x02: device wake) is not a press. */
    aml[sizeof(aml) - 1] = 0x02;
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, aml, sizeof(aml));
    CHECK(!m.power_gpe_valid);
    aml[sizeof(aml) - 1] = 0x80;
    /* A device that is not a power button. */
    aml[19] = 'D';
    memset(&m, 0, sizeof(m));
    acpi_aml_scan(&m, aml, sizeof(aml));
    CHECK(!m.power_gpe_valid);
    aml[19] = 'C';
    /* Every truncation: no overread (ASan), and no GPE from half a method. */
    for (size_t n = 0; n < sizeof(aml); n++) {
        uint8_t *cut = malloc(n ? n : 1);
        memcpy(cut, aml, n);
        memset(&m, 0, sizeof(m));
        acpi_aml_scan(&m, cut, (uint32_t)n);
        CHECK(!m.power_gpe_valid);
        free(cut);
    }
}

int main(void)
{
    test_power_events();
    test_ged_variants();
    test_rsdp_scan_f_segment_only();
    test_smbios3();
    test_pc();
    test_q35();
    test_microvm();
    test_microvm_mptable();
    test_smbios_dressed();
    test_corrupt_acpi();
    test_corrupt_mptable();
    test_corrupt_smbios();
    fw_image_free(&img);
    return check_report("test_firmware");
}
