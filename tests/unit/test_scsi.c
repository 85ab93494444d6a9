/* SCSI CDBs and responses: READ/WRITE(10) vs (16), capacity, sense, LUNs. */
#include <string.h>
#include "check.h"
#include "scsi.h"

static void test_classify(void)
{
    struct scsi_cmd c;
    memset(&c, 0, sizeof(c));
    CHECK_EQ(scsi_classify(&c), SCSI_DONE);
    c.host_status = -5; /* EIO */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
    c.host_status = -110; /* ETIMEDOUT: ended by a reset, sent again */
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.host_status = -11; /* EAGAIN: waited behind a reset */
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.host_status = 0;
    c.status = 0x08; /* BUSY */
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.status = 0x28; /* TASK SET FULL */
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.status = 0x18; /* RESERVATION CONFLICT */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
    c.status = 0x02; /* CHECK CONDITION, no sense */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
    uint8_t fixed[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29 }; /* UA: power on or reset */
    memcpy(c.sense, fixed, sizeof(fixed));
    c.sense_len = sizeof(fixed);
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.sense[12] = 0x2a; /* UA: capacity data changed */
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.sense[2] = 0x03; /* MEDIUM ERROR */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
    c.sense[2] = 0x02; /* NOT READY, becoming ready */
    c.sense[12] = 0x04;
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.sense[12] = 0x3a; /* NOT READY, medium not present */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
    uint8_t desc[8] = { 0x72, 0x06, 0x29, 0 }; /* descriptor format UA */
    memset(c.sense, 0, sizeof(c.sense));
    memcpy(c.sense, desc, sizeof(desc));
    c.sense_len = sizeof(desc);
    CHECK_EQ(scsi_classify(&c), SCSI_RETRY);
    c.sense_len = 2; /* truncated sense: not enough to retry on */
    CHECK_EQ(scsi_classify(&c), SCSI_FAILED);
}

int main(void)
{
    test_classify();
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
