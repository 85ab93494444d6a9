/* Partition tables: MBR primary entries (and the logical partitions of an
 * extended one), or GPT when the MBR is protective (type 0xee), with both
 * CRCs checked and the backup header used when the primary is bad. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "log.h"
#include "part.h"

#define GPT_MAX_ENTRIES 256
#define MBR_MAX_LOGICAL 64

static uint32_t le32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

uint32_t part_crc32(const void *buf, uint64_t len)
{
    const uint8_t *p = buf;
    uint32_t c = 0xffffffffu;
    for (uint64_t i = 0; i < len; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1)));
    }
    return ~c;
}

static int add(const struct part_io *io, const char *disk, struct part_entry *out, unsigned max, unsigned *n,
               const struct part_entry *e)
{
    if (e->count == 0)
        return 0;
    if (e->start == 0 || e->start >= io->sectors || e->count > io->sectors - e->start) {
        pr_warn("part: %s: partition at sector %llu (%llu sectors) lies outside the disk, ignored\n", disk,
                (unsigned long long)e->start, (unsigned long long)e->count);
        return 0;
    }
    if (*n == max) {
        pr_warn("part: %s: more than %u partitions, the rest ignored\n", disk, max);
        return 0;
    }
    out[(*n)++] = *e;
    return 0;
}

static int is_extended(uint8_t t) { return t == 0x05 || t == 0x0f || t == 0x85; }

/* Logical partitions: a chain of EBRs, each relative to the extended
 * partition's start (links) or to itself (the partition). */
static int scan_logical(const struct part_io *io, const char *disk, uint64_t ext_start, uint64_t ext_count,
                        uint8_t *sec, struct part_entry *out, unsigned max, unsigned *n)
{
    uint64_t ebr = ext_start;
    for (int i = 0; i < MBR_MAX_LOGICAL; i++) {
        if (ebr >= io->sectors || io->read(io->ctx, ebr, 1, sec) < 0)
            return -EIO;
        if (sec[510] != 0x55 || sec[511] != 0xaa)
            return 0;
        const uint8_t *e = sec + 446;
        struct part_entry p = { .start = ebr + le32(e + 8), .count = le32(e + 12), .mbr_type = e[4] };
        if (p.mbr_type && !is_extended(p.mbr_type))
            add(io, disk, out, max, n, &p);
        const uint8_t *link = e + 16;
        if (!is_extended(link[4]))
            return 0;
        uint64_t next = ext_start + le32(link + 8);
        if (next <= ebr || next >= ext_start + ext_count) {
            pr_warn("part: %s: extended partition chain goes backwards, stopped\n", disk);
            return 0;
        }
        ebr = next;
    }
    pr_warn("part: %s: more than %d logical partitions, the rest ignored\n", disk, MBR_MAX_LOGICAL);
    return 0;
}

/* Checks a GPT header at lba and reads its entries into out. */
static int gpt_header(const struct part_io *io, const char *disk, uint64_t lba, uint8_t *sec, struct part_entry *out,
                      unsigned max, unsigned *n)
{
    if (io->read(io->ctx, lba, 1, sec) < 0)
        return -EIO;
    if (memcmp(sec, "EFI PART", 8) != 0)
        return -EINVAL;
    uint32_t hsize = le32(sec + 12);
    if (hsize < 92 || hsize > io->sector_size)
        return -EINVAL;
    uint32_t want = le32(sec + 16);
    memset(sec + 16, 0, 4);
    if (part_crc32(sec, hsize) != want) {
        pr_warn("part: %s: GPT header at sector %llu fails its CRC\n", disk, (unsigned long long)lba);
        return -EINVAL;
    }
    uint64_t first = le64(sec + 40), last = le64(sec + 48), entries = le64(sec + 72);
    uint32_t count = le32(sec + 80), esize = le32(sec + 84), ecrc = le32(sec + 88);
    if (count > GPT_MAX_ENTRIES || esize < 128 || esize > 1024 || esize % 8 || first > last ||
        last >= io->sectors)
        return -EINVAL;
    uint64_t bytes = (uint64_t)count * esize;
    uint64_t secs = (bytes + io->sector_size - 1) / io->sector_size;
    if (entries < 2 || entries >= io->sectors || secs > io->sectors - entries)
        return -EINVAL;
    uint8_t *tab = malloc(secs * io->sector_size + 1);
    if (!tab)
        return -ENOMEM;
    int rc = secs ? io->read(io->ctx, entries, (uint32_t)secs, tab) : 0;
    if (rc == 0 && part_crc32(tab, bytes) != ecrc) {
        pr_warn("part: %s: GPT entries at sector %llu fail their CRC\n", disk, (unsigned long long)entries);
        rc = -EINVAL;
    }
    static const uint8_t zero[16];
    for (uint32_t i = 0; rc == 0 && i < count; i++) {
        const uint8_t *e = tab + (uint64_t)i * esize;
        if (memcmp(e, zero, 16) == 0)
            continue;
        uint64_t s = le64(e + 32), l = le64(e + 40);
        if (s < first || l > last || l < s) {
            pr_warn("part: %s: GPT entry %u outside the usable sectors, ignored\n", disk, i);
            continue;
        }
        struct part_entry p = { .start = s, .count = l - s + 1 };
        memcpy(p.type_guid, e, 16);
        add(io, disk, out, max, n, &p);
    }
    free(tab);
    return rc;
}

int part_scan(const struct part_io *io, const char *disk, struct part_entry *out, unsigned max)
{
    if (io->sector_size < 512 || io->sector_size > 4096 || io->sectors < 2)
        return 0;
    uint8_t *sec = malloc(io->sector_size);
    if (!sec)
        return -ENOMEM;
    unsigned n = 0;
    int rc = io->read(io->ctx, 0, 1, sec) < 0 ? -EIO : 0;
    if (rc == 0 && (sec[510] != 0x55 || sec[511] != 0xaa)) {
        free(sec);
        return 0;
    }
    uint8_t mbr[64];
    if (rc == 0)
        memcpy(mbr, sec + 446, sizeof(mbr));
    int gpt = 0;
    for (int i = 0; rc == 0 && i < 4; i++)
        gpt |= mbr[i * 16 + 4] == 0xee;
    if (rc == 0 && gpt) {
        rc = gpt_header(io, disk, 1, sec, out, max, &n);
        if (rc == -EINVAL) {
            n = 0;
            rc = gpt_header(io, disk, io->sectors - 1, sec, out, max, &n);
            if (rc == 0)
                pr_warn("part: %s: primary GPT unusable, using the backup\n", disk);
        }
        if (rc == -EINVAL)
            pr_err("part: %s: protective MBR but no valid GPT\n", disk);
        free(sec);
        return rc < 0 ? -EIO : (int)n;
    }
    for (int i = 0; rc == 0 && i < 4; i++) {
        const uint8_t *e = mbr + i * 16;
        struct part_entry p = { .start = le32(e + 8), .count = le32(e + 12), .mbr_type = e[4] };
        if (!p.mbr_type)
            continue;
        if (is_extended(p.mbr_type))
            rc = scan_logical(io, disk, p.start, p.count, sec, out, max, &n);
        else
            add(io, disk, out, max, &n, &p);
    }
    free(sec);
    return rc < 0 ? -EIO : (int)n;
}
