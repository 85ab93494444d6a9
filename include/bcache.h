/* The block cache: page-sized (4 KiB) cache over block devices, shared by
 * every disk file system; writes go through. Long page-aligned reads
 * bypass it. */
#ifndef KESTREL_BCACHE_H
#define KESTREL_BCACHE_H
#include <stddef.h>
#include <stdint.h>
#include "block.h"

#define BCACHE_PAGE 4096

/* Reads len bytes at byte offset off of dev into buf (any memory, stacks
 * included). 0, or -EIO/-EINVAL (past the end, unsupported sector size). */
int bcache_read(struct block_dev *dev, uint64_t off, void *buf, size_t len);

/* Writes len bytes (sector-aligned offset and length) through to dev,
 * updating cached pages. 0, -EROFS, -EINVAL or -EIO. */
int bcache_write(struct block_dev *dev, uint64_t off, const void *buf, size_t len);
/* Makes completed writes durable (the device's FLUSH, when it has a
 * volatile cache). */
int bcache_flush(struct block_dev *dev);

/* Hits and misses so far, for tests and benches. */
void bcache_stats(uint64_t *hits, uint64_t *misses);

#endif
