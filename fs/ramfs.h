/* ramfs: an in-memory read-write file system, filled from a cpio newc
 * archive (an initrd). Pure apart from malloc, so host tests use it too. */
#ifndef KESTREL_FS_RAMFS_H
#define KESTREL_FS_RAMFS_H
#include <stddef.h>
#include <stdint.h>
#include "vfs.h"

struct ramfs_image {
    const uint8_t *buf; /* must stay valid: file data is used in place until written */
    size_t len;
};

/* A new, empty ramfs; returns its root directory. */
int ramfs_new(struct vnode **root);
/* Adds every entry of a cpio newc archive under root. Returns the number of
 * entries, or -EIO when the archive is malformed (entries before the fault
 * stay). */
long ramfs_load_cpio(struct vnode *root, const uint8_t *buf, size_t len);
/* Frees a ramfs that is not mounted (tests and fuzzers). */
void ramfs_free(struct vnode *root);

#endif
