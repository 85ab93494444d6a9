/* The block-device interface: one shape for virtio-blk, virtio-scsi, pvscsi,
 * AHCI and blkfront. Requests are asynchronous; done() may run in
 * interrupt context. */
#ifndef KESTREL_BLOCK_H
#define KESTREL_BLOCK_H
#include <stdbool.h>
#include <stdint.h>

enum block_op { BLOCK_READ, BLOCK_WRITE, BLOCK_FLUSH };

struct block_request {
    enum block_op op;
    uint64_t sector; /* in units of the device's sector size */
    uint32_t count;  /* sectors */
    void *buf;       /* identity-mapped memory (heap or pages) */
    void (*done)(struct block_request *r);
    void *arg;
    int status;      /* 0, or negative on error */
};

struct block_dev {
    char name[16];
    uint32_t sector_size;
    uint64_t sectors;
    bool read_only;
    bool can_flush;
    unsigned queue_depth;
    int (*submit)(struct block_dev *b, struct block_request *r); /* 0 queued, <0 refused */
    void *priv;
};

int block_register(struct block_dev *b);
unsigned block_count(void);
struct block_dev *block_get(unsigned index);
/* Submits r and sleeps until it completes; returns r->status. */
int block_sync(struct block_dev *b, struct block_request *r);

#endif
