/* MADT processor entries built by hand: x2APIC (type 9) entries with ids
 * above 254, more CPUs than Kestrel keeps, disabled, duplicate and
 * broadcast ids, x2APIC NMI entries, and tables rejected whole. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "firmware.h"

static uint8_t tbl[65536];
static uint32_t tlen;
static struct machine m;

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void begin(void)
{
    memset(tbl, 0, sizeof(tbl));
    memcpy(tbl, "APIC", 4);
    put32(tbl + 36, 0xfee00000u);
    put32(tbl + 40, 1); /* PCAT_COMPAT */
    tlen = 44;
    memset(&m, 0, sizeof(m));
}

static void lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *e = tbl + tlen;
    e[0] = 0, e[1] = 8, e[2] = uid, e[3] = id;
    put32(e + 4, flags);
    tlen += 8;
}

static void x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = tbl + tlen;
    e[0] = 9, e[1] = 16, e[2] = e[3] = 0;
    put32(e + 4, id);
    put32(e + 8, flags);
    put32(e + 12, uid);
    tlen += 16;
}

static void x2apic_nmi(uint32_t uid, uint8_t lint, uint16_t flags)
{
    uint8_t *e = tbl + tlen;
    e[0] = 0xa, e[1] = 12, e[2] = (uint8_t)flags, e[3] = (uint8_t)(flags >> 8);
    put32(e + 4, uid);
    e[8] = lint, e[9] = e[10] = e[11] = 0;
    tlen += 12;
}

static int parse(void)
{
    put32(tbl + 4, tlen);
    return acpi_parse_madt(&m, tbl, tlen);
}

/* QEMU's layout for more than 254 CPUs: type 0 below 255, type 9 above. */
static void test_x2apic_ids(void)
{
    begin();
    for (uint32_t i = 0; i < 255; i++)
        lapic((uint8_t)i, (uint8_t)i, 1);
    for (uint32_t i = 255; i < 300; i++)
        x2apic(i, 1, i);
    x2apic_nmi(0xffffffffu, 1, 5);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, 300);
    for (unsigned i = 0; i < m.n_cpus; i++) {
        CHECK_EQ(m.cpus[i].apic_id, i);
        CHECK_EQ(m.cpus[i].acpi_uid, i);
    }
    CHECK_EQ(m.cpus_dropped + m.cpus_duplicate + m.cpus_invalid + m.cpus_disabled, 0);
    CHECK_EQ(m.n_nmis, 1);
    CHECK_EQ(m.nmis[0].acpi_uid, 0xffffffffu);
    CHECK_EQ(m.nmis[0].lint, 1);
    CHECK_EQ(m.nmis[0].flags, 5);
    CHECK(m.pic_present);
    CHECK_EQ(m.lapic_addr, 0xfee00000u);
}

/* Sparse x2APIC ids (cluster-style numbering) survive as they are. */
static void test_sparse_ids(void)
{
    begin();
    x2apic(0x10000, 1, 7);
    x2apic(0x20001, 1, 8);
    x2apic(4096, 1, 9);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, 3);
    CHECK_EQ(m.cpus[0].apic_id, 0x10000);
    CHECK_EQ(m.cpus[1].apic_id, 0x20001);
    CHECK_EQ(m.cpus[2].acpi_uid, 9);
}

/* More CPUs than Kestrel keeps: the first MACHINE_MAX_CPUS, the rest counted. */
static void test_too_many(void)
{
    begin();
    for (uint32_t i = 0; i < MACHINE_MAX_CPUS + 88; i++)
        x2apic(i, 1, i);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, MACHINE_MAX_CPUS);
    CHECK_EQ(m.cpus_dropped, 88);
    CHECK_EQ(m.cpus[MACHINE_MAX_CPUS - 1].apic_id, MACHINE_MAX_CPUS - 1);
    /* Absurd counts: a 64 KiB table of x2APIC entries, bounded work. */
    begin();
    while (tlen + 16 <= sizeof(tbl))
        x2apic(tlen, 1, 0);
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, MACHINE_MAX_CPUS);
    CHECK_EQ(m.cpus_dropped, (sizeof(tbl) - 44) / 16 - MACHINE_MAX_CPUS);
}

/* Disabled, online-capable-only (hot-pluggable), duplicate and broadcast ids
 * are skipped and counted; none shifts the CPUs that are taken. */
static void test_skipped_entries(void)
{
    begin();
    lapic(0, 0, 1);
    lapic(1, 1, 0);           /* disabled */
    lapic(2, 2, 2);           /* online capable only: not present now */
    lapic(3, 0xff, 1);        /* xAPIC broadcast */
    x2apic(0xffffffffu, 1, 4); /* x2APIC broadcast */
    x2apic(0, 1, 5);          /* id 0 again (listed in both kinds) */
    x2apic(300, 1, 6);
    x2apic(300, 1, 7); /* id 300 twice */
    x2apic(301, 0, 8); /* disabled x2APIC */
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, 2);
    CHECK_EQ(m.cpus[0].apic_id, 0);
    CHECK_EQ(m.cpus[0].acpi_uid, 0); /* the first listing stands */
    CHECK_EQ(m.cpus[1].apic_id, 300);
    CHECK_EQ(m.cpus[1].acpi_uid, 6);
    CHECK_EQ(m.cpus_disabled, 3);
    CHECK_EQ(m.cpus_invalid, 2);
    CHECK_EQ(m.cpus_duplicate, 2);
    CHECK_EQ(m.cpus_dropped, 0);
}

/* Tables rejected whole leave the machine description untouched. */
static void test_rejected(void)
{
    /* No processor that could run. */
    begin();
    lapic(0, 0, 0);
    x2apic(0xffffffffu, 1, 1);
    x2apic(5, 2, 2);
    m.lapic_addr = 0x1234;
    CHECK_EQ(parse(), -1);
    CHECK_EQ(m.n_cpus, 0);
    CHECK_EQ(m.cpus_disabled, 0);
    CHECK_EQ(m.lapic_addr, 0x1234);
    /* A bad length after good entries: nothing of the table is taken. */
    begin();
    for (uint32_t i = 0; i < 10; i++)
        x2apic(i + 300, 1, i);
    x2apic_nmi(1, 0, 0);
    tbl[tlen] = 9, tbl[tlen + 1] = 200; /* runs past the end */
    tlen += 16;
    CHECK_EQ(parse(), -1);
    CHECK_EQ(m.n_cpus, 0);
    CHECK_EQ(m.n_nmis, 0);
    CHECK_EQ(m.lapic_addr, 0);
    /* Length 0 would loop forever if it were walked. */
    begin();
    x2apic(1, 1, 1);
    tbl[tlen] = 9, tbl[tlen + 1] = 0;
    tlen += 16;
    CHECK_EQ(parse(), -1);
    CHECK_EQ(m.n_cpus, 0);
    /* Entries shorter than their type are skipped, not read past. */
    begin();
    x2apic(1, 1, 1);
    uint8_t *e = tbl + tlen;
    e[0] = 9, e[1] = 12; /* no UID field */
    put32(e + 4, 2);
    put32(e + 8, 1);
    tlen += 12;
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_cpus, 1);
}

/* NMI entries for a LINT pin a local APIC does not have are dropped. */
static void test_nmi(void)
{
    begin();
    x2apic(400, 1, 40);
    x2apic_nmi(40, 0, 0xd);
    x2apic_nmi(40, 2, 0); /* LINT2 does not exist */
    uint8_t *e = tbl + tlen;
    e[0] = 4, e[1] = 6, e[2] = 0xff, e[3] = 5, e[4] = 0, e[5] = 1; /* type 4, all processors */
    tlen += 6;
    CHECK_EQ(parse(), 0);
    CHECK_EQ(m.n_nmis, 2);
    CHECK_EQ(m.nmis[0].acpi_uid, 40);
    CHECK_EQ(m.nmis[0].lint, 0);
    CHECK_EQ(m.nmis[0].flags, 0xd);
    CHECK_EQ(m.nmis[1].acpi_uid, 0xffffffffu);
    CHECK_EQ(m.nmis[1].lint, 1);
}

int main(void)
{
    test_x2apic_ids();
    test_sparse_ids();
    test_too_many();
    test_skipped_entries();
    test_rejected();
    test_nmi();
    return check_report("test_madt");
}
