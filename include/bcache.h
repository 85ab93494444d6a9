/* The block cache: page-sized (4 KiB) read cache over block devices, shared
 * by every disk file system. Long page-aligned reads bypass it. */
#ifndef KESTREL_BCACHE_H
#define KESTREL_BCACHE_H
#include <stddef.h>
#include <stdint.h>
#include "block.h"

#define BCACHE_PAGE 4096

/* Reads len bytes at byte offset off of dev into buf (any memory, stacks
 * included). 0, or -EIO/-EINVAL (past the end, unsupported sector size). */
int bcache_read(struct block_dev *dev, uint64_t off, void *buf, size_t len);

/* Hits and misses so far, for tests and benches. */
void bcache_stats(uint64_t *hits, uint64_t *misses);

#endif
