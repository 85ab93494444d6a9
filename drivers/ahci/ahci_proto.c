/* drivers/ahci: the AHCI SATA host controller (class 01/06/01) and ATA disks behind it.
 * This file: register sequences over struct ahci_io and checks of what the HBA and disk write. */
#include <string.h>
#include "ahci_proto.h"
#include "log.h"

#define MS 1000000ull
#define HANDOFF_TIMEOUT (50 * MS)    /* the BIOS may take 25 ms to let go, longer if busy */
#define RESET_TIMEOUT (1000 * MS)    /* GHC.HR: the spec allows 1 s */
#define STOP_TIMEOUT (500 * MS)      /* PxCMD.CR / FR: 500 ms */
#define SIGNATURE_TIMEOUT (1000 * MS) /* present device sending its first FIS */
#define COMRESET_TIMEOUT (1000 * MS)
#define COMRESET_HOLD (10 * MS)
#define SPINUP_TIMEOUT (20 * MS) /* COMINIT comes within 10 ms of spin-up */

static unsigned preg(unsigned port, unsigned reg) { return AHCI_PORT(port) + reg; }

static int poll_bits(const struct ahci_io *io, unsigned off, uint32_t mask, uint32_t want, uint64_t timeout_ns,
                     uint32_t *last)
{
    uint64_t start = io->now_ns(io->ctx);
    for (;;) {
        *last = io->read(io->ctx, off);
        if ((*last & mask) == want)
            return 0;
        if (io->now_ns(io->ctx) - start >= timeout_ns)
            return -ETIMEDOUT;
    }
}

int ahci_wait(const struct ahci_io *io, unsigned off, uint32_t mask, uint32_t want, uint64_t timeout_ns,
              const char *what)
{
    uint32_t v;
    if (poll_bits(io, off, mask, want, timeout_ns, &v) == 0)
        return 0;
    pr_warn("ahci: timed out after %llu ms waiting for %s (register %#x = %#x)\n",
            (unsigned long long)(timeout_ns / MS), what, off, v);
    return -ETIMEDOUT;
}

int ahci_hba_reset(const struct ahci_io *io)
{
    if (io->read(io->ctx, AHCI_CAP2) & AHCI_CAP2_BOH) {
        io->write(io->ctx, AHCI_BOHC, io->read(io->ctx, AHCI_BOHC) | AHCI_BOHC_OOS);
        if (ahci_wait(io, AHCI_BOHC, AHCI_BOHC_BOS | AHCI_BOHC_BB, 0, HANDOFF_TIMEOUT, "BIOS hand-off") < 0)
            pr_warn("ahci: taking the HBA from the BIOS anyway\n");
    }
    /* Some HBAs ignore HR until AHCI mode is on. */
    io->write(io->ctx, AHCI_GHC, io->read(io->ctx, AHCI_GHC) | AHCI_GHC_AE);
    io->write(io->ctx, AHCI_GHC, io->read(io->ctx, AHCI_GHC) | AHCI_GHC_HR);
    if (ahci_wait(io, AHCI_GHC, AHCI_GHC_HR, 0, RESET_TIMEOUT, "HBA reset") < 0)
        return -ETIMEDOUT;
    io->write(io->ctx, AHCI_GHC, AHCI_GHC_AE);
    return 0;
}

int ahci_port_stop(const struct ahci_io *io, unsigned port)
{
    uint32_t cmd = io->read(io->ctx, preg(port, PX_CMD));
    if (cmd & PX_CMD_ST)
        io->write(io->ctx, preg(port, PX_CMD), cmd & ~PX_CMD_ST);
    if (ahci_wait(io, preg(port, PX_CMD), PX_CMD_CR, 0, STOP_TIMEOUT, "command list stop") < 0)
        return -ETIMEDOUT;
    cmd = io->read(io->ctx, preg(port, PX_CMD));
    if (cmd & PX_CMD_FRE)
        io->write(io->ctx, preg(port, PX_CMD), cmd & ~PX_CMD_FRE);
    return ahci_wait(io, preg(port, PX_CMD), PX_CMD_FR, 0, STOP_TIMEOUT, "FIS receive stop");
}

enum ahci_dev_kind ahci_classify(uint32_t sig)
{
    switch (sig) {
    case AHCI_SIG_ATA:
        return AHCI_DEV_ATA;
    case AHCI_SIG_ATAPI:
        return AHCI_DEV_ATAPI;
    case AHCI_SIG_PM:
        return AHCI_DEV_PM;
    case AHCI_SIG_SEMB:
        return AHCI_DEV_SEMB;
    default:
        return AHCI_DEV_UNKNOWN;
    }
}

const char *ahci_kind_name(enum ahci_dev_kind k)
{
    static const char *const names[] = { "nothing", "ATA disk", "ATAPI drive", "port multiplier",
                                         "enclosure bridge", "unknown device" };
    return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

static bool device_present(const struct ahci_io *io, unsigned port)
{
    return (io->read(io->ctx, preg(port, PX_SSTS)) & 0xf) == 3; /* DET: device and phy up */
}

int ahci_port_probe(const struct ahci_io *io, unsigned port, uint64_t clb, uint64_t fb, enum ahci_dev_kind *kind)
{
    *kind = AHCI_DEV_NONE;
    if (ahci_port_stop(io, port) < 0)
        return -ETIMEDOUT;
    io->write(io->ctx, preg(port, PX_CLB), (uint32_t)clb);
    io->write(io->ctx, preg(port, PX_CLBU), (uint32_t)(clb >> 32));
    io->write(io->ctx, preg(port, PX_FB), (uint32_t)fb);
    io->write(io->ctx, preg(port, PX_FBU), (uint32_t)(fb >> 32));
    io->write(io->ctx, preg(port, PX_SERR), 0xffffffffu);
    io->write(io->ctx, preg(port, PX_IS), 0xffffffffu);
    uint32_t cmd = io->read(io->ctx, preg(port, PX_CMD));
    bool spin_up = (io->read(io->ctx, AHCI_CAP) & AHCI_CAP_SSS) && !(cmd & PX_CMD_SUD);
    io->write(io->ctx, preg(port, PX_CMD), cmd | PX_CMD_FRE | PX_CMD_SUD | PX_CMD_POD);
    if (spin_up) { /* staggered spin-up: the link only starts now; bounded, silent (the port may be empty) */
        uint32_t v;
        poll_bits(io, preg(port, PX_SSTS), 0xf, 3, SPINUP_TIMEOUT, &v);
    }
    if (!device_present(io, port))
        return 0; /* an empty port is not waited on */
    uint32_t sig = io->read(io->ctx, preg(port, PX_SIG));
    if (ahci_classify(sig) == AHCI_DEV_UNKNOWN) {
        /* Present but its first register FIS has not come yet. */
        if (ahci_wait(io, preg(port, PX_TFD), ATA_STS_BSY, 0, SIGNATURE_TIMEOUT, "device signature") < 0)
            return -ETIMEDOUT;
        sig = io->read(io->ctx, preg(port, PX_SIG));
    }
    *kind = ahci_classify(sig);
    return 0;
}

int ahci_port_start(const struct ahci_io *io, unsigned port)
{
    if (ahci_wait(io, preg(port, PX_TFD), ATA_STS_BSY | ATA_STS_DRQ, 0, SIGNATURE_TIMEOUT, "device ready") < 0)
        return -ETIMEDOUT;
    uint32_t cmd = io->read(io->ctx, preg(port, PX_CMD));
    io->write(io->ctx, preg(port, PX_CMD), cmd | PX_CMD_FRE | PX_CMD_ST);
    return 0;
}

/* COMRESET: DET=1 must be held for at least 1 ms (AHCI 10.4.2); it is held
 * until the HBA shows the link down, or 10 ms where it never does (QEMU),
 * then DET=0 brings the link back, waited for on SSTS. */
static int comreset(const struct ahci_io *io, unsigned port)
{
    uint32_t sctl = io->read(io->ctx, preg(port, PX_SCTL)) & ~0xfu, v;
    io->write(io->ctx, preg(port, PX_SCTL), sctl | 1);
    poll_bits(io, preg(port, PX_SSTS), 0xf, 0, COMRESET_HOLD, &v);
    io->write(io->ctx, preg(port, PX_SCTL), sctl);
    return ahci_wait(io, preg(port, PX_SSTS), 0xf, 3, COMRESET_TIMEOUT, "link up after COMRESET");
}

int ahci_port_recover(const struct ahci_io *io, unsigned port)
{
    int rc = ahci_port_stop(io, port);
    uint32_t tfd = io->read(io->ctx, preg(port, PX_TFD));
    /* A device still busy, or holding an error (after a failed NCQ command
     * it aborts everything until its error log is read), is reset. */
    if (rc < 0 || (tfd & (ATA_STS_BSY | ATA_STS_DRQ | ATA_STS_ERR))) {
        if (comreset(io, port) < 0)
            return -ETIMEDOUT;
    }
    io->write(io->ctx, preg(port, PX_SERR), 0xffffffffu);
    io->write(io->ctx, preg(port, PX_IS), 0xffffffffu);
    uint32_t cmd = io->read(io->ctx, preg(port, PX_CMD));
    io->write(io->ctx, preg(port, PX_CMD), cmd | PX_CMD_FRE);
    return ahci_port_start(io, port);
}

/* IDENTIFY strings: two characters per word, high byte first, space padded. */
static void ata_string(const uint8_t *data, unsigned word, unsigned words, char *out)
{
    unsigned n = 0;
    for (unsigned i = 0; i < words; i++) {
        uint8_t hi = data[2 * (word + i) + 1], lo = data[2 * (word + i)];
        out[n++] = (char)(hi >= 0x20 && hi < 0x7f ? hi : '?');
        out[n++] = (char)(lo >= 0x20 && lo < 0x7f ? lo : '?');
    }
    out[n] = 0;
    while (n && out[n - 1] == ' ')
        out[--n] = 0;
    unsigned lead = 0;
    while (out[lead] == ' ')
        lead++;
    memmove(out, out + lead, n - lead + 1);
}

static uint16_t word(const uint8_t *data, unsigned w) { return (uint16_t)(data[2 * w] | data[2 * w + 1] << 8); }

/* Words 83/86 and 106 are valid only when bits 15:14 read 01. */
static bool word_valid(uint16_t w) { return (w & 0xc000) == 0x4000; }

int ata_identify_parse(const uint8_t data[512], struct ata_identity *id, const char **why)
{
    memset(id, 0, sizeof(*id));
    *why = NULL;
    if (data[510] == 0xa5) { /* integrity word: the 512 bytes sum to 0 */
        uint8_t sum = 0;
        for (unsigned i = 0; i < 512; i++)
            sum = (uint8_t)(sum + data[i]);
        if (sum) {
            *why = "checksum";
            return -EIO;
        }
    }
    if (word(data, 0) & 0x8000) {
        *why = "not an ATA device";
        return -EIO;
    }
    ata_string(data, 10, 10, id->serial);
    ata_string(data, 27, 20, id->model);
    uint16_t w83 = word(data, 83), w86 = word(data, 86), w106 = word(data, 106);
    id->lba48 = word_valid(w83) && (w83 & (1u << 10)) && (w86 & (1u << 10));
    id->flush_ext = word_valid(w83) && (w83 & (1u << 13));
    if (id->lba48) {
        for (unsigned i = 0; i < 4; i++)
            id->sectors |= (uint64_t)word(data, 100 + i) << (16 * i);
    }
    if (!id->lba48 || id->sectors == 0) /* LBA28 only, or the 48-bit count left empty */
        id->sectors = (uint32_t)(word(data, 60) | (uint32_t)word(data, 61) << 16);
    if (!(word(data, 49) & (1u << 9)) || id->sectors == 0) {
        *why = "no LBA capacity";
        return -EIO;
    }
    if (id->sectors >> 48) {
        *why = "capacity beyond 48 bits";
        return -EIO;
    }
    id->sector_size = 512;
    if (word_valid(w106) && (w106 & (1u << 12))) {
        uint32_t words = word(data, 117) | (uint32_t)word(data, 118) << 16;
        if (words < 256 || words > 32768 || (words & (words - 1))) {
            *why = "logical sector size";
            return -EIO;
        }
        id->sector_size = words * 2;
    }
    uint16_t w76 = word(data, 76);
    if (w76 != 0 && w76 != 0xffff && (w76 & (1u << 8))) {
        id->ncq = true;
        id->ncq_depth = (word(data, 75) & 0x1f) + 1u;
    }
    return 0;
}

void ahci_build_h2d(uint8_t fis[20], uint8_t cmd, uint64_t lba, uint32_t count, unsigned tag)
{
    memset(fis, 0, 20);
    fis[0] = FIS_TYPE_H2D;
    fis[1] = 0x80; /* command, not control */
    fis[2] = cmd;
    fis[4] = (uint8_t)lba;
    fis[5] = (uint8_t)(lba >> 8);
    fis[6] = (uint8_t)(lba >> 16);
    fis[7] = 0x40; /* LBA mode */
    fis[8] = (uint8_t)(lba >> 24);
    fis[9] = (uint8_t)(lba >> 32);
    fis[10] = (uint8_t)(lba >> 40);
    if (cmd == ATA_CMD_READ_FPDMA || cmd == ATA_CMD_WRITE_FPDMA) {
        fis[3] = (uint8_t)count;
        fis[11] = (uint8_t)(count >> 8);
        fis[12] = (uint8_t)(tag << 3);
    } else {
        fis[12] = (uint8_t)count;
        fis[13] = (uint8_t)(count >> 8);
    }
}

int ahci_fill_prdt(struct ahci_prd *prd, unsigned max, uint64_t phys, uint64_t len)
{
    if (len == 0 || (phys & 1) || (len & 1))
        return -EINVAL;
    unsigned n = 0;
    while (len) {
        if (n == max)
            return -EINVAL;
        uint32_t chunk = len > AHCI_PRD_MAX_BYTES ? AHCI_PRD_MAX_BYTES : (uint32_t)len;
        prd[n].dba = (uint32_t)phys;
        prd[n].dbau = (uint32_t)(phys >> 32);
        prd[n].reserved = 0;
        prd[n].dbc = chunk - 1;
        phys += chunk;
        len -= chunk;
        n++;
    }
    return (int)n;
}

int ahci_check_outcome(const struct ahci_outcome *o, const char **why)
{
    *why = NULL;
    if (o->is & PX_IS_FATAL) {
        *why = o->is & PX_IS_TFES ? "task-file error" : "interface or host bus error";
        return -EIO;
    }
    if (o->tfd & (ATA_STS_ERR | ATA_STS_DF)) {
        *why = "device reports an error";
        return -EIO;
    }
    if (o->rfis && o->rfis[AHCI_RFIS_D2H] == FIS_TYPE_D2H &&
        (o->rfis[AHCI_RFIS_D2H + 2] & (ATA_STS_ERR | ATA_STS_DF))) {
        *why = "register FIS reports an error";
        return -EIO;
    }
    if (!o->ncq && o->prdbc != o->expected) {
        *why = o->prdbc < o->expected ? "short transfer" : "byte count beyond the request";
        return -EIO;
    }
    return 0;
}
