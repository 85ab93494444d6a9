/* The file-system stage of the boot line: partitions become block devices,
 * then the root (the initrd, else the first ext4 found, or what --rootfs
 * says) and every --mount=DEVICE:PATH are mounted, each logged. */
#include <errno.h>
#include <string.h>
#include "bcache.h"
#include "block.h"
#include "bootchart.h"
#include "boot_info.h"
#include "clock.h"
#include "cmdline.h"
#include "ext4.h"
#include "log.h"
#include "part_dev.h"
#include "ramfs.h"
#include "vfs.h"

static struct ramfs_image initrd;

static int has_ext4_magic(struct block_dev *b)
{
    uint8_t sb[1024];
    if (b->sectors * b->sector_size < 4096 || bcache_read(b, 1024, sb, sizeof(sb)) < 0)
        return 0;
    return ext4_probe_superblock(sb);
}

/* asked: --rootfs=ext4 was given, so finding none is an error, not news. */
static int mount_ext4_root(int asked)
{
    for (unsigned i = 0; i < block_count(); i++) {
        struct block_dev *b = block_get(i);
        if (!has_ext4_magic(b))
            continue;
        int rc = vfs_mount("ext4", b->name, "/", NULL);
        if (rc == 0)
            return 0;
        pr_err("fs: ext4 on %s cannot be mounted (%d)\n", b->name, rc);
    }
    klog(asked ? LOG_ERR : LOG_INFO, "fs: no usable ext4 file system on any disk\n");
    return -ENOENT;
}

static int mount_root(const struct boot_info *bi, const char *want)
{
    int asked = *want != 0;
    if (!asked)
        want = bi->n_modules ? "ramfs" : "ext4";
    if (strcmp(want, "ext4") == 0 && block_count() && mount_ext4_root(asked) == 0)
        return 0;
    if (strcmp(want, "ext4") == 0 && !block_count())
        klog(asked ? LOG_ERR : LOG_INFO, "fs: no disks for an ext4 root\n");
    void *data = NULL;
    if (strcmp(want, "ramfs") == 0 && bi->n_modules) {
        initrd.buf = (const uint8_t *)(uintptr_t)bi->modules[0].base;
        initrd.len = (size_t)bi->modules[0].size;
        data = &initrd;
    }
    int rc = vfs_mount("ramfs", data ? "initrd" : "none", "/", data);
    if (rc < 0)
        pr_err("fs: cannot mount a ramfs root (%d)\n", rc);
    return rc;
}

/* mkdir -p, for mount points on a ramfs root. */
static void make_dirs(const char *path)
{
    char buf[CMDLINE_MOUNT_MAX];
    strlcpy(buf, path, sizeof(buf));
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        vfs_mkdir(buf, 0755);
        *p = '/';
    }
    vfs_mkdir(buf, 0755);
}

static void mount_option(const char *spec)
{
    char dev[CMDLINE_MOUNT_MAX];
    strlcpy(dev, spec, sizeof(dev));
    char *colon = strchr(dev, ':');
    *colon = 0;
    char *path = colon + 1;
    static const int read_only = 1;
    const void *opts = NULL;
    size_t plen = strlen(path);
    if (plen > 3 && (strcmp(path + plen - 3, ":ro") == 0 || strcmp(path + plen - 3, ":rw") == 0)) {
        opts = path[plen - 1] == 'o' ? &read_only : NULL;
        path[plen - 3] = 0;
    }
    make_dirs(path);
    int rc = vfs_mount("ext4", dev, path, (void *)opts);
    if (rc < 0)
        pr_err("fs: --mount=%s failed (%d%s)\n", spec, rc, rc == -ENODEV ? ": no such block device" : "");
}

void fs_boot(const struct boot_info *bi)
{
    const struct kernel_options *o = kernel_options();
    unsigned disks = block_count();
    vfs_clock_ns = clock_realtime_ns;
    for (unsigned i = 0; i < disks; i++)
        part_dev_scan(block_get(i));
    if (mount_root(bi, o->rootfs) == 0) {
        for (unsigned i = 0; i < o->n_mounts; i++)
            mount_option(o->mounts[i]);
    }
    const char *type, *source, *path;
    for (unsigned i = 0; (path = vfs_mount_info(i, &type, &source)); i++)
        pr_info("fs: %s is %s on %s\n", path, type, source);
    bootchart_mark("fs");
}
