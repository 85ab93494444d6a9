/* MBR and GPT scanning over disks built in memory: primary, logical and GPT
 * partitions found; bad CRCs, a broken primary GPT (backup used), entries
 * past the disk, EBR chains that loop, oversized tables refused cleanly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "../../fs/part.h"
#include "check.h"

#define SECTORS 20000
static uint8_t disk[SECTORS * 512];
static unsigned reads;

static int rd(void *ctx, uint64_t s, uint32_t n, void *buf)
{
    (void)ctx;
    reads++;
    if (s + n > SECTORS)
        return -EIO;
    memcpy(buf, disk + s * 512, (size_t)n * 512);
    return 0;
}

static const struct part_io io = { rd, NULL, 512, SECTORS };

static void put32(uint8_t *p, uint32_t v) { for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i)); }
static void put64(uint8_t *p, uint64_t v) { put32(p, (uint32_t)v), put32(p + 4, (uint32_t)(v >> 32)); }

static void mbr_entry(uint64_t sector, int i, uint8_t type, uint32_t start, uint32_t count)
{
    uint8_t *e = disk + sector * 512 + 446 + i * 16;
    memset(e, 0, 16);
    e[4] = type;
    put32(e + 8, start);
    put32(e + 12, count);
    disk[sector * 512 + 510] = 0x55;
    disk[sector * 512 + 511] = 0xaa;
}

static void check_mbr(void)
{
    struct part_entry p[PART_MAX];
    memset(disk, 0, sizeof(disk));
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 0); /* no signature */
    mbr_entry(0, 0, 0x83, 2048, 4000);
    mbr_entry(0, 1, 0x0c, 8000, 100000); /* past the disk: dropped */
    mbr_entry(0, 2, 0x05, 10000, 9000);  /* extended */
    mbr_entry(10000, 0, 0x83, 63, 1000); /* logical 1 at 10063 */
    mbr_entry(10000, 1, 0x05, 2000, 3000);
    mbr_entry(12000, 0, 0x83, 63, 500); /* logical 2 at 12063 */
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 3);
    CHECK_EQ(p[0].start, 2048);
    CHECK_EQ(p[0].count, 4000);
    CHECK_EQ(p[0].mbr_type, 0x83);
    CHECK_EQ(p[1].start, 10063);
    CHECK_EQ(p[2].start, 12063);
    CHECK_EQ(p[2].count, 500);
    /* A chain pointing back at itself stops. */
    mbr_entry(12000, 1, 0x05, 0, 100);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 3);
    CHECK_EQ(part_scan(&io, "t", p, 1), 1); /* the caller's limit holds */
}

static void gpt(uint64_t lba, uint64_t entries_lba, uint32_t count, uint32_t esize)
{
    uint8_t *h = disk + lba * 512;
    memset(h, 0, 512);
    memcpy(h, "EFI PART", 8);
    put32(h + 8, 0x10000);
    put32(h + 12, 92);
    put64(h + 24, lba);
    put64(h + 40, 34);
    put64(h + 48, SECTORS - 34);
    put64(h + 72, entries_lba);
    put32(h + 80, count);
    put32(h + 84, esize);
    uint64_t bytes = (uint64_t)count * esize;
    if (entries_lba * 512 + bytes <= sizeof(disk)) /* hostile sizes get no CRC */
        put32(h + 88, part_crc32(disk + entries_lba * 512, bytes));
    put32(h + 16, part_crc32(h, 92));
}

static void gpt_part(uint64_t entries_lba, int i, uint64_t first, uint64_t last)
{
    uint8_t *e = disk + entries_lba * 512 + i * 128;
    memset(e, 0, 128);
    e[0] = 0xaf; /* any non-zero type GUID */
    put64(e + 32, first);
    put64(e + 40, last);
}

static void check_gpt(void)
{
    struct part_entry p[PART_MAX];
    memset(disk, 0, sizeof(disk));
    mbr_entry(0, 0, 0xee, 1, SECTORS - 1);
    gpt_part(2, 0, 2048, 4095);
    gpt_part(2, 1, 4096, 9999);
    gpt_part(2, 2, 100, 50000); /* past the usable area: dropped */
    gpt(1, 2, 128, 128);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 2);
    CHECK_EQ(p[0].start, 2048);
    CHECK_EQ(p[0].count, 2048);
    CHECK_EQ(p[1].start, 4096);
    CHECK_EQ(p[1].mbr_type, 0);
    CHECK_EQ(p[1].type_guid[0], 0xaf);
    /* A backup at the last sector with its own copy of the entries. */
    memcpy(disk + (SECTORS - 33) * 512, disk + 2 * 512, 32 * 512);
    gpt(SECTORS - 1, SECTORS - 33, 128, 128);
    disk[512 + 100] ^= 1; /* harmless, outside the 92 header bytes */
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 2);
    disk[512 + 30] ^= 1; /* the primary header's CRC now fails */
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 2);
    disk[SECTORS * 512 - 512 + 30] ^= 1; /* and the backup's */
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), -EIO);
    /* Entry array CRC, oversized tables, tables past the disk. */
    memset(disk + 512, 0, 512);
    gpt(1, 2, 128, 128);
    disk[2 * 512 + 200] ^= 1;
    memset(disk + (SECTORS - 1) * 512, 0, 512);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), -EIO);
    disk[2 * 512 + 200] ^= 1;
    gpt(1, 2, 100000, 128);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), -EIO);
    gpt(1, 2, 128, 4);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), -EIO);
    gpt(1, SECTORS - 2, 128, 128);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), -EIO);
    gpt(1, 2, 128, 128);
    CHECK_EQ(part_scan(&io, "t", p, PART_MAX), 2);
    /* Random damage to the first sectors never faults. */
    srand(7);
    for (int r = 0; r < 20000; r++) {
        size_t off = (size_t)rand() % (64 * 512);
        uint8_t old = disk[off];
        disk[off] = (uint8_t)rand();
        part_scan(&io, "t", p, PART_MAX);
        disk[off] = old;
    }
    /* The CRC-32 check value. */
    CHECK_EQ(part_crc32("123456789", 9), 0xcbf43926);
}

int main(void)
{
    check_mbr();
    check_gpt();
    return check_report("test_part");
}
