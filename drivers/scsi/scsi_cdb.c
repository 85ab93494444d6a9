/* drivers/scsi/: the SCSI disk logic shared by virtio-scsi and pvscsi.
 * This file builds CDBs and parses responses (pure logic, host-tested). */
#include <string.h>
#include "errno.h"
#include "scsi.h"

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

void scsi_cdb_rw(struct scsi_cmd *c, bool write, uint64_t lba, uint32_t blocks)
{
    memset(c->cdb, 0, sizeof(c->cdb));
    if (lba + blocks <= 0xffffffffull && blocks <= 0xffff) {
        c->cdb[0] = write ? 0x2a : 0x28; /* WRITE(10) / READ(10) */
        be32(c->cdb + 2, (uint32_t)lba);
        c->cdb[7] = (uint8_t)(blocks >> 8);
        c->cdb[8] = (uint8_t)blocks;
        c->cdb_len = 10;
        return;
    }
    c->cdb[0] = write ? 0x8a : 0x88; /* WRITE(16) / READ(16) */
    be32(c->cdb + 2, (uint32_t)(lba >> 32));
    be32(c->cdb + 6, (uint32_t)lba);
    be32(c->cdb + 10, blocks);
    c->cdb_len = 16;
}

static int valid_size(uint32_t bs) { return bs >= 512 && bs <= 65536 && !(bs & (bs - 1)); }

int scsi_parse_capacity16(const uint8_t *d, uint32_t len, uint64_t *blocks, uint32_t *block_size)
{
    if (len < 12)
        return -1;
    uint64_t last = (uint64_t)rd32(d) << 32 | rd32(d + 4);
    uint32_t bs = rd32(d + 8);
    if (!valid_size(bs) || last == ~0ull)
        return -1;
    *blocks = last + 1;
    *block_size = bs;
    return 0;
}

int scsi_parse_capacity10(const uint8_t *d, uint32_t len, uint64_t *blocks, uint32_t *block_size)
{
    if (len < 8)
        return -1;
    uint32_t last = rd32(d), bs = rd32(d + 4);
    if (!valid_size(bs))
        return -1;
    *blocks = (uint64_t)last + 1;
    *block_size = bs;
    return 0;
}

int scsi_sense_key(const uint8_t *s, uint32_t len, uint8_t *asc)
{
    if (len < 1)
        return -1;
    uint8_t code = s[0] & 0x7f;
    if ((code == 0x70 || code == 0x71) && len >= 13) {
        *asc = s[12];
        return s[2] & 0x0f;
    }
    if ((code == 0x72 || code == 0x73) && len >= 3) {
        *asc = s[2];
        return s[1] & 0x0f;
    }
    return -1;
}

enum scsi_outcome scsi_classify(const struct scsi_cmd *c)
{
    /* A controller reset ended it: it timed out, or only waited behind
     * one that did. */
    if (c->host_status == -ETIMEDOUT || c->host_status == -EAGAIN)
        return SCSI_RETRY;
    if (c->host_status < 0)
        return SCSI_FAILED;
    switch (c->status) {
    case 0x00: /* GOOD */
        return SCSI_DONE;
    case 0x08: /* BUSY */
    case 0x28: /* TASK SET FULL */
        return SCSI_RETRY;
    case 0x02: { /* CHECK CONDITION */
        uint8_t asc = 0;
        int key = scsi_sense_key(c->sense, c->sense_len, &asc);
        if (key == 0x6) /* UNIT ATTENTION: power on, reset, capacity or mode changed */
            return SCSI_RETRY;
        if (key == 0x2 && asc == 0x04) /* NOT READY: the unit is becoming ready */
            return SCSI_RETRY;
        return SCSI_FAILED;
    }
    default:
        return SCSI_FAILED;
    }
}

unsigned scsi_parse_report_luns(const uint8_t *d, uint32_t len, uint32_t *luns, unsigned max)
{
    if (len < 8)
        return 0;
    uint32_t list = rd32(d);
    if (list > len - 8)
        list = len - 8; /* only what we received */
    unsigned n = 0;
    for (uint32_t off = 8; off + 8 <= 8 + list && n < max; off += 8) {
        const uint8_t *l = d + off;
        unsigned method = l[0] >> 6;
        if (method == 0) /* peripheral device addressing: bus 0 */
            luns[n++] = l[1];
        else if (method == 1) /* flat space */
            luns[n++] = (uint32_t)(l[0] & 0x3f) << 8 | l[1];
    }
    return n;
}
