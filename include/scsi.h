/* The SCSI disk layer shared by virtio-scsi and pvscsi: host adapters
 * provide queuecommand(); this layer finds disks (REPORT LUNS, INQUIRY,
 * TEST UNIT READY, READ CAPACITY) and turns block requests into READ/WRITE
 * (10 or 16) and SYNCHRONIZE CACHE. */
#ifndef KESTREL_SCSI_H
#define KESTREL_SCSI_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCSI_SENSE_MAX 96

enum scsi_dir { SCSI_NONE, SCSI_FROM_DEVICE, SCSI_TO_DEVICE };

struct scsi_cmd {
    uint16_t target;
    uint32_t lun;
    uint8_t cdb[16];
    uint8_t cdb_len;
    void *data; /* identity-mapped */
    uint32_t data_len;
    enum scsi_dir dir;
    /* filled by the host adapter */
    int host_status;  /* 0 ok, <0 transport failure */
    uint8_t status;   /* SCSI status (0 GOOD, 2 CHECK CONDITION) */
    uint32_t resid;   /* bytes not transferred */
    uint8_t sense[SCSI_SENSE_MAX];
    uint32_t sense_len;
    void (*done)(struct scsi_cmd *c);
    void *arg;
};

struct scsi_host {
    const char *name;
    uint16_t max_target;
    uint32_t max_lun;
    int (*queuecommand)(struct scsi_host *h, struct scsi_cmd *c); /* 0 queued */
    uint32_t max_transfer; /* bytes one command may move (0: no limit below 1 MiB) */
    void *priv;
};

/* Scans h and registers a block device per disk found. Returns the count. */
int scsi_scan(struct scsi_host *h);

/* Pure helpers (host-tested). */
void scsi_cdb_rw(struct scsi_cmd *c, bool write, uint64_t lba, uint32_t blocks);
int scsi_parse_capacity16(const uint8_t *d, uint32_t len, uint64_t *blocks, uint32_t *block_size);
int scsi_parse_capacity10(const uint8_t *d, uint32_t len, uint64_t *blocks, uint32_t *block_size);
/* Sense key and ASC from fixed or descriptor sense data; -1 if none. */
int scsi_sense_key(const uint8_t *sense, uint32_t len, uint8_t *asc);
/* What to do with a finished command: it ended well, it is worth sending
 * again (UNIT ATTENTION after a reset or a capacity change, BUSY, TASK SET
 * FULL, a unit becoming ready), or it failed. */
enum scsi_outcome { SCSI_DONE, SCSI_RETRY, SCSI_FAILED };
enum scsi_outcome scsi_classify(const struct scsi_cmd *c);
#define SCSI_RETRIES 5
/* LUN numbers from REPORT LUNS data (flat and peripheral addressing). */
unsigned scsi_parse_report_luns(const uint8_t *d, uint32_t len, uint32_t *luns, unsigned max);

#endif
