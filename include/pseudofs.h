/* Synthetic file systems (/proc, /sys, /dev): a tree of node descriptions
 * whose file contents are made when a name is looked up. The Linux ABI
 * (linux/proc_files.c) describes the trees; fs/pseudofs.c serves them. */
#ifndef KESTREL_PSEUDOFS_H
#define KESTREL_PSEUDOFS_H
#include <stddef.h>
#include <stdint.h>

struct pseudo_node {
    const char *name;
    uint32_t mode; /* VFS_S_IF* | permission bits */
    uint64_t rdev; /* character devices */
    /* Regular files and symlinks: writes the contents (the target) for
     * arg into buf and returns their length (snprintf-like: a length >=
     * cap asks for a bigger buffer), or a negative errno. */
    long (*text)(char *buf, size_t cap, long arg);
    /* Directories: fixed entries (ended by a NULL name), which get the
     * directory's own arg ... */
    const struct pseudo_node *children;
    /* ... and changing ones: the idx-th entry's name and arg, 1, or 0 past
     * the last; each is a copy of *listed under that name. */
    int (*list)(unsigned idx, char *name, size_t cap, long *arg);
    const struct pseudo_node *listed;
};

/* A regular file of these file systems gets its text (once, at open;
 * without the VFS lock held, the vnode not yet shared): 0 or an errno.
 * Any other vnode: 0, nothing done. */
struct vnode;
int pseudofs_fill(struct vnode *vn);

/* Mounts the tree under root at path ("pseudofs" file system, source is
 * the name shown in mount lists). */
int pseudofs_mount(const char *source, const char *path, const struct pseudo_node *root);

#endif
