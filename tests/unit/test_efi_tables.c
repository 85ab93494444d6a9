/* EFI configuration tables and SMBIOS found through them, in a fake physical
 * memory laid out as OVMF leaves it after ExitBootServices, plus hostile variants. */
#include <stdint.h>
#include <string.h>
#include "check.h"
#include "firmware.h"

static uint8_t phys[0x4000];
#define BASE 0x100000u
#define SYSTAB 0x100000u
#define TABLES 0x100200u
#define EP3 0x100400u
#define EP2 0x100440u
#define STRUCTS 0x100800u

static const void *map(void *ctx, uint64_t p, uint64_t len)
{
    (void)ctx;
    if (p < BASE || p + len > BASE + sizeof(phys) || p + len < p)
        return NULL;
    return phys + (p - BASE);
}

static const struct fw_mem mem = { .map = map };
static void put(uint32_t at, const void *src, size_t n) { memcpy(phys + (at - BASE), src, n); }
static void put64(uint32_t at, uint64_t v) { put(at, &v, 8); }
static void put32(uint32_t at, uint32_t v) { put(at, &v, 4); }

static const uint8_t guid_acpi2[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                                        0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
static const uint8_t guid_smbios3[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
                                          0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };
static const uint8_t guid_smbios2[16] = { 0x31, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                          0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };

static void fix_checksum(uint32_t at, unsigned len, unsigned sum_at)
{
    uint8_t *p = phys + (at - BASE);
    p[sum_at] = 0;
    uint8_t s = 0;
    for (unsigned i = 0; i < len; i++)
        s += p[i];
    p[sum_at] = (uint8_t)-s;
}

/* A type 1 structure: manufacturer "VMware, Inc.", product "VMware7,1". */
static uint32_t put_structures(void)
{
    uint8_t t1[27] = { 1, 27, 0x01, 0x00, 1, 2, 0, 0 };
    put(STRUCTS, t1, sizeof(t1));
    static const char strings[] = "VMware, Inc.\0VMware7,1\0";
    put(STRUCTS + sizeof(t1), strings, sizeof(strings));
    uint8_t end[6] = { 127, 4, 0x02, 0x00, 0, 0 };
    put(STRUCTS + sizeof(t1) + sizeof(strings), end, sizeof(end));
    return sizeof(t1) + sizeof(strings) + sizeof(end);
}

static void fixture(int with_smbios3, int with_smbios2)
{
    memset(phys, 0, sizeof(phys));
    put64(SYSTAB, 0x5453595320494249ull);
    uint32_t n = 0;
    put(TABLES + 24 * n, guid_acpi2, 16);
    put64(TABLES + 24 * n++ + 16, 0xdead000);
    if (with_smbios3) {
        put(TABLES + 24 * n, guid_smbios3, 16);
        put64(TABLES + 24 * n++ + 16, EP3);
    }
    if (with_smbios2) {
        put(TABLES + 24 * n, guid_smbios2, 16);
        put64(TABLES + 24 * n++ + 16, EP2);
    }
    put64(SYSTAB + 104, n);
    put64(SYSTAB + 112, TABLES);
    uint32_t len = put_structures();
    uint8_t ep3[0x18] = "_SM3_";
    ep3[6] = 0x18;
    ep3[7] = 3;
    ep3[8] = 0;
    put(EP3, ep3, sizeof(ep3));
    put32(EP3 + 12, len);
    put64(EP3 + 16, STRUCTS);
    fix_checksum(EP3, 0x18, 5);
    uint8_t ep2[0x1f] = "_SM_";
    ep2[5] = 0x1f;
    ep2[6] = 2;
    ep2[7] = 8;
    memcpy(ep2 + 16, "_DMI_", 5);
    put(EP2, ep2, sizeof(ep2));
    uint16_t l16 = (uint16_t)len, count = 2;
    put(EP2 + 22, &l16, 2);
    put32(EP2 + 24, STRUCTS);
    put(EP2 + 28, &count, 2);
    fix_checksum(EP2 + 16, 15, 5);
    fix_checksum(EP2, 0x1f, 4);
}

static void test_found(void)
{
    struct machine m;
    fixture(1, 1);
    CHECK_EQ(efi_config_table(&mem, SYSTAB, guid_acpi2), 0xdead000);
    CHECK_EQ(efi_config_table(&mem, SYSTAB, guid_smbios3), EP3);
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), 0);
    CHECK(m.smbios);
    CHECK_EQ(m.smbios_major, 3); /* 3.x wins over 2.x */
    CHECK(strcmp(m.sys_vendor, "VMware, Inc.") == 0);
    CHECK(strcmp(m.sys_product, "VMware7,1") == 0);

    /* Only a 2.x entry point. */
    fixture(0, 1);
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), 0);
    CHECK_EQ(m.smbios_major, 2);
    CHECK(strcmp(m.sys_product, "VMware7,1") == 0);

    /* A bad 3.x checksum falls back to 2.x. */
    fixture(1, 1);
    phys[EP3 - BASE + 5] ^= 1;
    memset(&m, 0, sizeof(m));
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), 0);
    CHECK_EQ(m.smbios_major, 2);
}

static void test_hostile(void)
{
    struct machine m;
    memset(&m, 0, sizeof(m));
    fixture(0, 0);
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), -1); /* no SMBIOS tables at all */
    CHECK(!m.smbios);
    CHECK_EQ(efi_config_table(&mem, 0, guid_smbios3), 0);
    CHECK_EQ(efi_config_table(&mem, 0x900000, guid_smbios3), 0); /* unmapped */
    fixture(1, 1);
    put64(SYSTAB, 0x1234);                                        /* bad signature */
    CHECK_EQ(efi_config_table(&mem, SYSTAB, guid_smbios3), 0);
    fixture(1, 1);
    put64(SYSTAB + 104, 0xffffffffffffull);                       /* absurd count */
    CHECK_EQ(efi_config_table(&mem, SYSTAB, guid_smbios3), 0);
    fixture(1, 1);
    put64(SYSTAB + 104, 1000);                                    /* runs off memory */
    CHECK_EQ(efi_config_table(&mem, SYSTAB, guid_smbios3), 0);
    fixture(1, 0);
    put64(TABLES + 24 + 16, BASE + sizeof(phys) - 4);             /* entry point at the end */
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), -1);
    fixture(1, 0);
    put32(EP3 + 12, 0x7fffffff);                                  /* table length absurd */
    fix_checksum(EP3, 0x18, 5);
    CHECK_EQ(smbios_probe_efi(&m, &mem, SYSTAB), -1);
    CHECK(!m.smbios);
}

int main(void)
{
    test_found();
    test_hostile();
    return check_report("test_efi_tables");
}
