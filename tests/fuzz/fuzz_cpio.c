/* An initrd of arbitrary bytes: the cpio walker, and ramfs filled from it
 * (reads, fs_ops.page, a first write). */
#include <stdint.h>
#include <string.h>
#include "../../fs/cpio.h"
#include "../../fs/ramfs.h"
#include "sync.h"

void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static int count(void *ctx, const struct cpio_entry *e)
{
    (*(unsigned *)ctx)++;
    (void)e->name[e->name_len]; /* the NUL is inside the buffer */
    if (e->size)
        (void)e->data[e->size - 1];
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    unsigned n = 0;
    cpio_walk(data, len, count, &n);
    struct vnode *root;
    if (ramfs_new(&root) < 0)
        return 0;
    ramfs_load_cpio(root, data, len);
    struct vfs_dirent d;
    uint64_t cookie = 0;
    while (root->ops->readdir(root, &cookie, &d) == 1) {
        struct vnode *v;
        if (root->ops->lookup(root, d.name, strlen(d.name), &v) == 0) {
            char b[64];
            if ((v->mode & VFS_S_IFMT) == VFS_S_IFREG) {
                v->ops->read(v, 0, b, v->size < sizeof(b) ? (size_t)v->size : sizeof(b));
                /* A page handed to mappings lies wholly in the archive. */
                for (uint64_t off = 0; off < v->size && off < 8 * 4096; off += 4096) {
                    uint64_t pa = v->ops->page(v, off);
                    if (pa && (pa < (uintptr_t)data || pa + 4096 > (uintptr_t)data + len))
                        __builtin_trap();
                    if (pa)
                        (void)((volatile const uint8_t *)(uintptr_t)pa)[4095];
                }
                v->ops->write(v, 0, "x", 1); /* the file's data moves to memory of its own, whole */
                if (v->ops->page(v, 0))
                    __builtin_trap();
            }
            vnode_put(v);
        }
    }
    ramfs_free(root);
    return 0;
}
