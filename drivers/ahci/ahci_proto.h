/* AHCI 1.x and ATA command-set logic with no hardware access of its own:
 * register sequences go through struct ahci_io, so host tests drive them
 * against a model HBA, and everything the HBA or disk writes (IDENTIFY data,
 * received FISes, PRD byte counts) is checked here. */
#ifndef KESTREL_AHCI_PROTO_H
#define KESTREL_AHCI_PROTO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "errno.h"

/* HBA registers (offsets from ABAR). */
#define AHCI_CAP 0x00
#define AHCI_GHC 0x04
#define AHCI_IS 0x08
#define AHCI_PI 0x0c
#define AHCI_VS 0x10
#define AHCI_CAP2 0x24
#define AHCI_BOHC 0x28
#define AHCI_CAP_S64A (1u << 31)
#define AHCI_CAP_SNCQ (1u << 30)
#define AHCI_CAP_SSS (1u << 27)
#define AHCI_GHC_HR (1u << 0)
#define AHCI_GHC_IE (1u << 1)
#define AHCI_GHC_AE (1u << 31)
#define AHCI_CAP2_BOH (1u << 0)
#define AHCI_BOHC_BOS (1u << 0)
#define AHCI_BOHC_OOS (1u << 1)
#define AHCI_BOHC_BB (1u << 4)
#define AHCI_MAX_PORTS 32
#define AHCI_MAX_SLOTS 32

/* Port registers (offsets from the port's 0x80-byte block). */
#define AHCI_PORT(p) (0x100u + (unsigned)(p) * 0x80u)
#define PX_CLB 0x00
#define PX_CLBU 0x04
#define PX_FB 0x08
#define PX_FBU 0x0c
#define PX_IS 0x10
#define PX_IE 0x14
#define PX_CMD 0x18
#define PX_TFD 0x20
#define PX_SIG 0x24
#define PX_SSTS 0x28
#define PX_SCTL 0x2c
#define PX_SERR 0x30
#define PX_SACT 0x34
#define PX_CI 0x38
#define PX_CMD_ST (1u << 0)
#define PX_CMD_SUD (1u << 1)
#define PX_CMD_POD (1u << 2)
#define PX_CMD_FRE (1u << 4)
#define PX_CMD_FR (1u << 14)
#define PX_CMD_CR (1u << 15)
#define PX_IS_DHRS (1u << 0)
#define PX_IS_PSS (1u << 1)
#define PX_IS_SDBS (1u << 3)
#define PX_IS_UFS (1u << 4)
#define PX_IS_DPS (1u << 5)
#define PX_IS_PCS (1u << 6)
#define PX_IS_OFS (1u << 24)
#define PX_IS_INFS (1u << 26)
#define PX_IS_IFS (1u << 27)
#define PX_IS_HBDS (1u << 28)
#define PX_IS_HBFS (1u << 29)
#define PX_IS_TFES (1u << 30)
#define PX_IS_FATAL (PX_IS_TFES | PX_IS_HBFS | PX_IS_HBDS | PX_IS_IFS | PX_IS_OFS)
#define PX_IE_USED (PX_IS_DHRS | PX_IS_PSS | PX_IS_SDBS | PX_IS_DPS | PX_IS_FATAL | PX_IS_INFS | PX_IS_UFS)
#define ATA_STS_ERR 0x01
#define ATA_STS_DRQ 0x08
#define ATA_STS_DF 0x20
#define ATA_STS_BSY 0x80

/* Device signatures (PxSIG) after the device's first register FIS. */
#define AHCI_SIG_ATA 0x00000101u
#define AHCI_SIG_ATAPI 0xeb140101u
#define AHCI_SIG_SEMB 0xc33c0101u
#define AHCI_SIG_PM 0x96690101u

enum ahci_dev_kind { AHCI_DEV_NONE, AHCI_DEV_ATA, AHCI_DEV_ATAPI, AHCI_DEV_PM, AHCI_DEV_SEMB, AHCI_DEV_UNKNOWN };

/* ATA commands. */
#define ATA_CMD_IDENTIFY 0xec
#define ATA_CMD_READ_DMA_EXT 0x25
#define ATA_CMD_WRITE_DMA_EXT 0x35
#define ATA_CMD_FLUSH_EXT 0xea
#define ATA_CMD_READ_FPDMA 0x60
#define ATA_CMD_WRITE_FPDMA 0x61

/* In-memory structures the HBA reads and writes. */
struct ahci_cmd_header {
    uint16_t flags; /* CFL in dwords (bits 4:0), W (bit 6), C (bit 10) */
    uint16_t prdtl;
    volatile uint32_t prdbc; /* bytes transferred, written by the HBA */
    uint32_t ctba, ctbau;
    uint32_t reserved[4];
};
#define AHCI_HDR_WRITE (1u << 6)
#define AHCI_HDR_CLEAR_BUSY (1u << 10)

struct ahci_prd {
    uint32_t dba, dbau, reserved, dbc; /* dbc: byte count - 1 (bit 0 set), bit 31: interrupt */
};
#define AHCI_PRD_MAX_BYTES (4u << 20)
#define AHCI_PRDS 8

struct ahci_cmd_table {
    uint8_t cfis[64];
    uint8_t acmd[16];
    uint8_t reserved[48];
    struct ahci_prd prd[AHCI_PRDS];
};

/* The received-FIS area (256 bytes); the register FIS sits at 0x40. */
#define AHCI_RFIS_SIZE 256
#define AHCI_RFIS_D2H 0x40
#define FIS_TYPE_H2D 0x27
#define FIS_TYPE_D2H 0x34

/* Register access and time for the sequences below. */
struct ahci_io {
    uint32_t (*read)(void *ctx, unsigned off);
    void (*write)(void *ctx, unsigned off, uint32_t v);
    uint64_t (*now_ns)(void *ctx);
    void *ctx;
};

/* Polls register off until (value & mask) == want, up to timeout_ns; on
 * time-out logs what was waited for and returns -ETIMEDOUT. */
int ahci_wait(const struct ahci_io *io, unsigned off, uint32_t mask, uint32_t want, uint64_t timeout_ns,
              const char *what);
/* BIOS/OS hand-off where CAP2.BOH offers it, HBA reset, AHCI mode on. */
int ahci_hba_reset(const struct ahci_io *io);
/* Stops command processing and FIS receive on a port. */
int ahci_port_stop(const struct ahci_io *io, unsigned port);
/* Points the port at its command list and received-FIS area, turns FIS
 * receive on and tells what is attached, waiting (bounded) only while the
 * device is present but has not yet sent its signature. */
int ahci_port_probe(const struct ahci_io *io, unsigned port, uint64_t clb, uint64_t fb, enum ahci_dev_kind *kind);
/* Starts command processing once the device is not busy. */
int ahci_port_start(const struct ahci_io *io, unsigned port);
/* Recovery after a task-file or interface error: stop, COMRESET if the
 * device stays busy, clear errors, start again. */
int ahci_port_recover(const struct ahci_io *io, unsigned port);
enum ahci_dev_kind ahci_classify(uint32_t sig);
const char *ahci_kind_name(enum ahci_dev_kind k);

/* IDENTIFY DEVICE, checked. */
struct ata_identity {
    char model[41], serial[21];
    uint64_t sectors;     /* logical sectors */
    uint32_t sector_size; /* logical sector bytes */
    bool lba48, flush_ext, ncq;
    unsigned ncq_depth;
};
/* 0, or -EIO (with *why set) when the data is unusable. */
int ata_identify_parse(const uint8_t data[512], struct ata_identity *id, const char **why);

/* A host-to-device register FIS for cmd at lba, count sectors. NCQ
 * commands carry the count in the features field and the tag in count. */
void ahci_build_h2d(uint8_t fis[20], uint8_t cmd, uint64_t lba, uint32_t count, unsigned tag);
/* Fills up to max PRDs for len bytes at phys; returns the count, or
 * -EINVAL (odd address or length, zero length, too many entries). */
int ahci_fill_prdt(struct ahci_prd *prd, unsigned max, uint64_t phys, uint64_t len);

/* What the HBA left behind for one finished command. */
struct ahci_outcome {
    uint32_t tfd;      /* PxTFD */
    uint32_t is;       /* PxIS at the completion */
    uint32_t prdbc;    /* header's byte count (meaningful for non-queued commands) */
    uint32_t expected; /* bytes asked for */
    bool ncq;
    const uint8_t *rfis; /* the received-FIS area (AHCI_RFIS_SIZE bytes), or NULL */
};
/* 0, or -EIO with *why naming the reason (error bits, short or long byte
 * count, a register FIS reporting an error). */
int ahci_check_outcome(const struct ahci_outcome *o, const char **why);

#endif
