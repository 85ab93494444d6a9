/* MBR and GPT partition tables: a pure scanner over a sector-read callback,
 * shared with host tests and the fuzzer. */
#ifndef KESTREL_FS_PART_H
#define KESTREL_FS_PART_H
#include <stdint.h>

#define PART_MAX 16

struct part_entry {
    uint64_t start; /* in sectors */
    uint64_t count;
    uint8_t mbr_type; /* 0 for GPT */
    uint8_t type_guid[16];
};

struct part_io {
    int (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf); /* 0 or -errno */
    void *ctx;
    uint32_t sector_size; /* 512 or 4096 */
    uint64_t sectors;
};

/* Fills out[] with the partitions found; returns their number (0 when the
 * disk has no table), or -EIO when a table is present but unreadable.
 * Entries past the disk or overlapping the table are dropped with a log line. */
int part_scan(const struct part_io *io, const char *disk, struct part_entry *out, unsigned max);

/* The IEEE 802.3 CRC-32 GPT uses. */
uint32_t part_crc32(const void *buf, uint64_t len);

#endif
