/* SCSI CDBs and responses: READ/WRITE(10) vs (16), capacity, sense, LUNs. */
#include <string.h>
#include "check.h"
#include "scsi.h"

int main(void)
{
    struct scsi_cmd c;
    scsi_cdb_rw(&c, false, 0x12345678, 8);
    CHECK_EQ(c.cdb_len, 10);
    CHECK_EQ(c.cdb[0], 0x28);
    CHECK(c.cdb[2] == 0x12 && c.cdb[5] == 0x78 && c.cdb[8] == 8);
    scsi_cdb_rw(&c, true, 0x1ffffffffull, 8); /* beyond 32-bit LBAs */
    CHECK_EQ(c.cdb_len, 16);
    CHECK_EQ(c.cdb[0], 0x8a);
    CHECK(c.cdb[5] == 0x01 && c.cdb[9] == 0xff && c.cdb[13] == 8);
    scsi_cdb_rw(&c, false, 0, 0x10000); /* too many blocks for (10) */
    CHECK_EQ(c.cdb[0], 0x88);

    uint64_t blocks;
    uint32_t bs;
    uint8_t cap16[32] = { 0, 0, 0, 1, 0, 0, 0, 0xff, 0, 0, 0x10, 0 };
    CHECK_EQ(scsi_parse_capacity16(cap16, 32, &blocks, &bs), 0);
    CHECK_EQ(blocks, 0x100000100ull);
    CHECK_EQ(bs, 4096);
    cap16[10] = 0x03; /* 768-byte blocks: not a power of two */
    CHECK_EQ(scsi_parse_capacity16(cap16, 32, &blocks, &bs), -1);
    CHECK_EQ(scsi_parse_capacity16(cap16, 8, &blocks, &bs), -1); /* short */
    uint8_t cap10[8] = { 0, 0, 0, 0xbf, 0, 0, 2, 0 };
    CHECK_EQ(scsi_parse_capacity10(cap10, 8, &blocks, &bs), 0);
    CHECK_EQ(blocks, 192);
    CHECK_EQ(bs, 512);

    uint8_t asc = 0;
    uint8_t fixed[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29 };
    CHECK_EQ(scsi_sense_key(fixed, 18, &asc), 6); /* UNIT ATTENTION, power on */
    CHECK_EQ(asc, 0x29);
    uint8_t desc[8] = { 0x72, 0x05, 0x24 };
    CHECK_EQ(scsi_sense_key(desc, 8, &asc), 5);
    CHECK_EQ(asc, 0x24);
    CHECK_EQ(scsi_sense_key(fixed, 5, &asc), -1);
    CHECK_EQ(scsi_sense_key(fixed, 0, &asc), -1);

    uint8_t rl[8 + 24] = { 0, 0, 0, 24 };
    rl[8 + 1] = 0;                        /* LUN 0, peripheral */
    rl[16] = 0x40, rl[17] = 0x05;         /* LUN 5, flat */
    rl[24] = 0x80;                        /* logical-unit addressing: skipped */
    uint32_t luns[4];
    CHECK_EQ(scsi_parse_report_luns(rl, sizeof(rl), luns, 4), 2);
    CHECK(luns[0] == 0 && luns[1] == 5);
    rl[3] = 0xff; /* list length beyond what arrived: bounded by len */
    CHECK_EQ(scsi_parse_report_luns(rl, sizeof(rl), luns, 4), 2);
    CHECK_EQ(scsi_parse_report_luns(rl, 4, luns, 4), 0);
    return check_report("test_scsi");
}
