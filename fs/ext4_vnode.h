/* ext4 vnodes (fs/ext4_vnode.c): mounts an ext4 file system found through
 * io and returns its root vnode; io->write NULL mounts it read-only. *fs
 * is set before the mount starts (io callbacks read its block size). */
#ifndef KESTREL_FS_EXT4_VNODE_H
#define KESTREL_FS_EXT4_VNODE_H
#include <stdint.h>
#include "ext4.h"
#include "vfs.h"

int ext4_vnode_mount(const struct ext4_io *io, uint64_t dev_bytes, const char *name, struct vnode **root,
                     struct ext4_fs **fs);

#endif
