/* Turns the partitions on a disk into block devices of their own. */
#ifndef KESTREL_FS_PART_DEV_H
#define KESTREL_FS_PART_DEV_H
#include "block.h"

/* Registers one block device per partition; returns how many, or -errno. */
int part_dev_scan(struct block_dev *disk);

#endif
