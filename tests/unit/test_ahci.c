/* AHCI logic against a model HBA that can misbehave: stuck reset and
 * hand-off bits, a port whose device never clears BSY, an empty ATAPI
 * drive (never waited on), PRD byte counts that lie, register FISes that
 * report errors, and IDENTIFY data that is inconsistent. Time is a fake
 * clock that moves 1 ms per look, so every wait must end. */
#include <string.h>
#include "check.h"
#include "../../drivers/ahci/ahci_proto.h"

#define MS 1000000ull

struct model {
    uint32_t r[0x1100 / 4];
    uint64_t now;
    unsigned reads;
    bool stuck_reset, stuck_bios, stuck_stop, link_never_returns;
    uint32_t ssts_on_spinup; /* what SSTS becomes when SUD is first set */
    uint32_t tfd_after_comreset;
    unsigned comresets;
};

static uint32_t m_read(void *ctx, unsigned off)
{
    struct model *m = ctx;
    m->reads++;
    return m->r[off / 4];
}

static void m_write(void *ctx, unsigned off, uint32_t v)
{
    struct model *m = ctx;
    unsigned port = off >= 0x100 ? (off - 0x100) / 0x80 : 0, reg = off >= 0x100 ? (off - 0x100) % 0x80 : off;
    if (off == AHCI_GHC) {
        m->r[off / 4] = m->stuck_reset ? v : v & ~AHCI_GHC_HR;
        return;
    }
    if (off == AHCI_BOHC) {
        m->r[off / 4] = (v & AHCI_BOHC_OOS) && !m->stuck_bios ? v & ~(AHCI_BOHC_BOS | AHCI_BOHC_BB) : v;
        return;
    }
    if (off >= 0x100 && reg == PX_CMD) {
        if ((m->r[AHCI_CAP / 4] & AHCI_CAP_SSS) && (v & PX_CMD_SUD) && !(m->r[off / 4] & PX_CMD_SUD))
            m->r[(AHCI_PORT(port) + PX_SSTS) / 4] = m->ssts_on_spinup;
        uint32_t c = v & ~(PX_CMD_CR | PX_CMD_FR);
        if ((v & PX_CMD_ST) || m->stuck_stop)
            c |= PX_CMD_CR;
        if ((v & PX_CMD_FRE) || m->stuck_stop)
            c |= PX_CMD_FR;
        m->r[off / 4] = c;
        return;
    }
    if (off >= 0x100 && reg == PX_SCTL) {
        uint32_t *ssts = &m->r[(AHCI_PORT(port) + PX_SSTS) / 4];
        if ((v & 0xf) == 1) {
            m->comresets++;
            *ssts = 0;
        } else if (!m->link_never_returns) {
            *ssts = 3;
            m->r[(AHCI_PORT(port) + PX_TFD) / 4] = m->tfd_after_comreset;
        }
        m->r[off / 4] = v;
        return;
    }
    if (off >= 0x100 && (reg == PX_IS || reg == PX_SERR)) {
        m->r[off / 4] &= ~v;
        return;
    }
    m->r[off / 4] = v;
}

static uint64_t m_now(void *ctx)
{
    struct model *m = ctx;
    m->now += MS;
    return m->now;
}

static struct model m;
static struct ahci_io io = { m_read, m_write, m_now, &m };

static void model_reset(void)
{
    memset(&m, 0, sizeof(m));
    m.tfd_after_comreset = 0x50;
}

static void port_set(unsigned p, unsigned reg, uint32_t v) { m.r[(AHCI_PORT(p) + reg) / 4] = v; }
static uint32_t port_get(unsigned p, unsigned reg) { return m.r[(AHCI_PORT(p) + reg) / 4]; }

static void test_hba(void)
{
    model_reset();
    m.r[AHCI_CAP2 / 4] = AHCI_CAP2_BOH;
    m.r[AHCI_BOHC / 4] = AHCI_BOHC_BOS;
    CHECK_EQ(ahci_hba_reset(&io), 0);
    CHECK(m.r[AHCI_GHC / 4] & AHCI_GHC_AE);
    CHECK(!(m.r[AHCI_BOHC / 4] & AHCI_BOHC_BOS));
    /* A BIOS that never lets go: taken anyway, after a bounded wait. */
    model_reset();
    m.stuck_bios = true;
    m.r[AHCI_CAP2 / 4] = AHCI_CAP2_BOH;
    m.r[AHCI_BOHC / 4] = AHCI_BOHC_BOS;
    CHECK_EQ(ahci_hba_reset(&io), 0);
    CHECK(m.now < 100 * MS);
    /* An HBA that stays in reset. */
    model_reset();
    m.stuck_reset = true;
    CHECK_EQ(ahci_hba_reset(&io), -ETIMEDOUT);
    CHECK(m.now <= 1100 * MS);
}

static void test_ports(void)
{
    enum ahci_dev_kind k;
    /* Empty port: nothing to wait for. */
    model_reset();
    CHECK_EQ(ahci_port_probe(&io, 0, 0x10000, 0x10400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_NONE);
    CHECK(m.now < 10 * MS);
    CHECK_EQ(port_get(0, PX_CLB), 0x10000);
    CHECK_EQ(port_get(0, PX_FB), 0x10400);
    CHECK(port_get(0, PX_CMD) & PX_CMD_FRE);
    /* An empty ATAPI CD: recognised by signature, never waited on even
     * though its task file says busy. */
    model_reset();
    port_set(2, PX_SSTS, 0x113);
    port_set(2, PX_SIG, AHCI_SIG_ATAPI);
    port_set(2, PX_TFD, 0x80);
    CHECK_EQ(ahci_port_probe(&io, 2, 0x20000, 0x20400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_ATAPI);
    CHECK(m.now < 10 * MS);
    port_set(2, PX_SIG, AHCI_SIG_PM);
    CHECK_EQ(ahci_port_probe(&io, 2, 0x20000, 0x20400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_PM);
    /* An ATA disk. */
    model_reset();
    port_set(1, PX_SSTS, 0x123);
    port_set(1, PX_SIG, AHCI_SIG_ATA);
    port_set(1, PX_TFD, 0x50);
    CHECK_EQ(ahci_port_probe(&io, 1, 0x30000, 0x30400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_ATA);
    CHECK_EQ(ahci_port_start(&io, 1), 0);
    CHECK(port_get(1, PX_CMD) & PX_CMD_ST);
    CHECK_EQ(ahci_port_stop(&io, 1), 0);
    CHECK(!(port_get(1, PX_CMD) & (PX_CMD_ST | PX_CMD_CR | PX_CMD_FR)));
    /* A present device that never clears BSY and never sends a signature:
     * the probe ends with a time-out after about a second, not a hang. */
    model_reset();
    port_set(3, PX_SSTS, 0x3);
    port_set(3, PX_SIG, 0xffffffff);
    port_set(3, PX_TFD, 0x80);
    CHECK_EQ(ahci_port_probe(&io, 3, 0x40000, 0x40400, &k), -ETIMEDOUT);
    CHECK(m.now >= 1000 * MS && m.now < 1100 * MS);
    /* And starting it also times out (the signature was there, BSY was not cleared). */
    port_set(3, PX_SIG, AHCI_SIG_ATA);
    CHECK_EQ(ahci_port_start(&io, 3), -ETIMEDOUT);
    CHECK(!(port_get(3, PX_CMD) & PX_CMD_ST));
    /* Staggered spin-up: the link comes up only after SUD; an empty port
     * costs at most the bounded spin-up wait. */
    model_reset();
    m.r[AHCI_CAP / 4] = AHCI_CAP_SSS;
    m.ssts_on_spinup = 0x123;
    port_set(0, PX_SIG, AHCI_SIG_ATA);
    port_set(0, PX_TFD, 0x50);
    CHECK_EQ(ahci_port_probe(&io, 0, 0x1000, 0x1400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_ATA);
    model_reset();
    m.r[AHCI_CAP / 4] = AHCI_CAP_SSS;
    CHECK_EQ(ahci_port_probe(&io, 0, 0x1000, 0x1400, &k), 0);
    CHECK_EQ(k, AHCI_DEV_NONE);
    CHECK(m.now <= 30 * MS);
    /* A port whose command engine never stops. */
    model_reset();
    m.stuck_stop = true;
    port_set(0, PX_CMD, PX_CMD_ST | PX_CMD_CR);
    CHECK_EQ(ahci_port_stop(&io, 0), -ETIMEDOUT);
    CHECK_EQ(ahci_port_probe(&io, 0, 0x1000, 0x1400, &k), -ETIMEDOUT);
}

static void test_recover(void)
{
    /* A device holding an error after a failed command: COMRESET, errors
     * cleared, started again. */
    model_reset();
    port_set(0, PX_SSTS, 3);
    port_set(0, PX_TFD, 0x441);
    port_set(0, PX_CMD, PX_CMD_ST | PX_CMD_CR | PX_CMD_FRE | PX_CMD_FR);
    port_set(0, PX_SERR, 0x10000);
    port_set(0, PX_IS, PX_IS_TFES);
    CHECK_EQ(ahci_port_recover(&io, 0), 0);
    CHECK_EQ(m.comresets, 1);
    CHECK_EQ(port_get(0, PX_SERR), 0);
    CHECK_EQ(port_get(0, PX_IS), 0);
    CHECK(port_get(0, PX_CMD) & PX_CMD_ST);
    CHECK_EQ(port_get(0, PX_SCTL) & 0xf, 0);
    /* A device that stays busy even after COMRESET: bounded, reported. */
    model_reset();
    m.tfd_after_comreset = 0x80;
    port_set(0, PX_SSTS, 3);
    port_set(0, PX_TFD, 0x80);
    CHECK_EQ(ahci_port_recover(&io, 0), -ETIMEDOUT);
    CHECK(!(port_get(0, PX_CMD) & PX_CMD_ST));
    CHECK(m.now < 3000 * MS);
    /* A link that never comes back. */
    model_reset();
    m.link_never_returns = true;
    port_set(0, PX_SSTS, 3);
    port_set(0, PX_TFD, 0x80);
    CHECK_EQ(ahci_port_recover(&io, 0), -ETIMEDOUT);
    /* A clean port needs no COMRESET. */
    model_reset();
    port_set(0, PX_SSTS, 3);
    port_set(0, PX_TFD, 0x50);
    CHECK_EQ(ahci_port_recover(&io, 0), 0);
    CHECK_EQ(m.comresets, 0);
}

static void test_outcome(void)
{
    uint8_t rfis[AHCI_RFIS_SIZE];
    memset(rfis, 0, sizeof(rfis));
    const char *why;
    struct ahci_outcome o = { 0x50, PX_IS_DHRS, 4096, 4096, false, rfis };
    CHECK_EQ(ahci_check_outcome(&o, &why), 0);
    /* PRD byte counts that lie, both ways. */
    o.prdbc = 4094;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    CHECK(strstr(why, "short") != NULL);
    o.prdbc = 8192;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    CHECK(strstr(why, "beyond") != NULL);
    o.prdbc = 0xffffffffu;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    /* NCQ: the header count is not meaningful. */
    o.ncq = true;
    CHECK_EQ(ahci_check_outcome(&o, &why), 0);
    o.ncq = false;
    o.prdbc = 4096;
    /* A device-to-host register FIS with ERR or DF. */
    rfis[AHCI_RFIS_D2H] = FIS_TYPE_D2H;
    rfis[AHCI_RFIS_D2H + 2] = 0x51;
    rfis[AHCI_RFIS_D2H + 3] = 0x04; /* ABRT */
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    CHECK(strstr(why, "register FIS") != NULL);
    rfis[AHCI_RFIS_D2H + 2] = 0x70;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    rfis[AHCI_RFIS_D2H + 2] = 0x50;
    CHECK_EQ(ahci_check_outcome(&o, &why), 0);
    /* The same bytes under another FIS type are not read as a status. */
    rfis[AHCI_RFIS_D2H] = 0x5f;
    rfis[AHCI_RFIS_D2H + 2] = 0x51;
    CHECK_EQ(ahci_check_outcome(&o, &why), 0);
    /* Task-file and interface errors in PxIS, error bits in PxTFD. */
    o.is = PX_IS_TFES;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    o.is = PX_IS_IFS;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    o.is = PX_IS_HBFS;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
    o.is = 0;
    o.tfd = 0x451;
    CHECK_EQ(ahci_check_outcome(&o, &why), -EIO);
}

static void put_word(uint8_t *d, unsigned w, uint16_t v)
{
    d[2 * w] = (uint8_t)v;
    d[2 * w + 1] = (uint8_t)(v >> 8);
}

static void put_string(uint8_t *d, unsigned w, unsigned words, const char *s)
{
    char buf[80];
    memset(buf, ' ', sizeof(buf));
    memcpy(buf, s, strlen(s));
    for (unsigned i = 0; i < words; i++)
        put_word(d, w + i, (uint16_t)((uint8_t)buf[2 * i] << 8 | (uint8_t)buf[2 * i + 1]));
}

/* IDENTIFY data as QEMU's ide-hd gives it (LBA48, NCQ depth 32, FLUSH EXT). */
static void qemu_identify(uint8_t *d, uint64_t sectors)
{
    memset(d, 0, 512);
    put_word(d, 0, 0x0040);
    put_string(d, 10, 10, "QM00005");
    put_string(d, 27, 20, "QEMU HARDDISK");
    put_word(d, 49, 0x0b00);
    put_word(d, 60, (uint16_t)(sectors > 0x0fffffff ? 0xffff : sectors));
    put_word(d, 61, (uint16_t)(sectors > 0x0fffffff ? 0x0fff : sectors >> 16));
    put_word(d, 75, 31);
    put_word(d, 76, 0x0100);
    put_word(d, 83, 0x7400);
    put_word(d, 86, 0x3400);
    for (unsigned i = 0; i < 4; i++)
        put_word(d, 100 + i, (uint16_t)(sectors >> (16 * i)));
}

static void test_identify(void)
{
    uint8_t d[512];
    struct ata_identity id;
    const char *why;
    qemu_identify(d, 192);
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    CHECK(strcmp(id.model, "QEMU HARDDISK") == 0);
    CHECK(strcmp(id.serial, "QM00005") == 0);
    CHECK_EQ(id.sectors, 192);
    CHECK_EQ(id.sector_size, 512);
    CHECK(id.lba48 && id.flush_ext && id.ncq);
    CHECK_EQ(id.ncq_depth, 32);
    /* Past LBA28: the 48-bit count. */
    qemu_identify(d, 1ull << 33);
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    CHECK_EQ(id.sectors, 1ull << 33);
    /* 4 KiB logical sectors (words 117-118 count 16-bit words). */
    put_word(d, 106, 0x5000);
    put_word(d, 117, 2048);
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    CHECK_EQ(id.sector_size, 4096);
    put_word(d, 117, 300); /* not a power of two */
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    put_word(d, 117, 0);
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    put_word(d, 106, 0x9000); /* bits 15:14 not 01: the word is ignored */
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    CHECK_EQ(id.sector_size, 512);
    /* No capacity at all; a capacity past 48 bits; an ATAPI identity. */
    qemu_identify(d, 0);
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    qemu_identify(d, 192);
    put_word(d, 103, 0x0001);
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    qemu_identify(d, 192);
    put_word(d, 0, 0x85c0);
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    /* Integrity word: a wrong checksum is refused, a right one accepted. */
    qemu_identify(d, 192);
    d[510] = 0xa5;
    uint8_t sum = 0;
    for (unsigned i = 0; i < 511; i++)
        sum = (uint8_t)(sum + d[i]);
    d[511] = (uint8_t)(0x100 - sum);
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    d[511] ^= 1;
    CHECK_EQ(ata_identify_parse(d, &id, &why), -EIO);
    /* NCQ word 76 of all ones (not SATA): no NCQ. Control characters in strings. */
    qemu_identify(d, 192);
    put_word(d, 76, 0xffff);
    d[2 * 27 + 1] = 0x07;
    CHECK_EQ(ata_identify_parse(d, &id, &why), 0);
    CHECK(!id.ncq);
    CHECK_EQ(id.model[0], '?');
}

static void test_commands(void)
{
    uint8_t f[20];
    ahci_build_h2d(f, ATA_CMD_READ_FPDMA, 0x123456789aull, 16, 7);
    CHECK_EQ(f[0], FIS_TYPE_H2D);
    CHECK_EQ(f[1], 0x80);
    CHECK_EQ(f[2], ATA_CMD_READ_FPDMA);
    CHECK_EQ(f[3], 16);
    CHECK_EQ(f[12], 7 << 3);
    CHECK_EQ(f[4], 0x9a);
    CHECK_EQ(f[8], 0x34);
    CHECK_EQ(f[9], 0x12);
    CHECK_EQ(f[10], 0);
    CHECK_EQ(f[7], 0x40);
    ahci_build_h2d(f, ATA_CMD_WRITE_DMA_EXT, 5, 0x1234, 3);
    CHECK_EQ(f[12], 0x34);
    CHECK_EQ(f[13], 0x12);
    CHECK_EQ(f[3], 0);
    struct ahci_prd p[AHCI_PRDS];
    CHECK_EQ(ahci_fill_prdt(p, AHCI_PRDS, 0x100000, 4096), 1);
    CHECK_EQ(p[0].dbc, 4095);
    CHECK_EQ(p[0].dba, 0x100000);
    CHECK_EQ(ahci_fill_prdt(p, AHCI_PRDS, 0x100000000ull, 9u << 20), 3);
    CHECK_EQ(p[0].dbau, 1);
    CHECK_EQ(p[2].dbc, (1u << 20) - 1);
    CHECK_EQ(ahci_fill_prdt(p, AHCI_PRDS, 0x100001, 512), -EINVAL);
    CHECK_EQ(ahci_fill_prdt(p, AHCI_PRDS, 0x100000, 511), -EINVAL);
    CHECK_EQ(ahci_fill_prdt(p, AHCI_PRDS, 0x100000, 0), -EINVAL);
    CHECK_EQ(ahci_fill_prdt(p, 2, 0x100000, 9u << 20), -EINVAL);
    CHECK_EQ(ahci_classify(0x12345678), AHCI_DEV_UNKNOWN);
    CHECK(strcmp(ahci_kind_name(AHCI_DEV_ATAPI), "ATAPI drive") == 0);
    CHECK(strcmp(ahci_kind_name((enum ahci_dev_kind)99), "?") == 0);
}

int main(void)
{
    test_hba();
    test_ports();
    test_recover();
    test_outcome();
    test_identify();
    test_commands();
    return check_report("test_ahci");
}
