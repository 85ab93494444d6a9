/* Pure conversions between the VFS's records and Linux's x86-64 layouts
 * (see layout.h); host-tested in tests/unit/test_linux_layout.c. */
#include <errno.h>
#include <string.h>
#include "layout.h"

void lx_stat_from_vfs(const struct vfs_stat *v, struct lx_stat *out)
{
    memset(out, 0, sizeof(*out));
    out->st_dev = v->dev;
    out->st_ino = v->ino;
    out->st_nlink = v->nlink;
    out->st_mode = v->mode;
    out->st_uid = v->uid;
    out->st_gid = v->gid;
    out->st_rdev = v->rdev;
    out->st_size = (int64_t)v->size;
    out->st_blksize = v->blksize;
    out->st_blocks = (int64_t)v->blocks;
    out->st_atime_sec = v->atime;
    out->st_mtime_sec = v->mtime;
    out->st_ctime_sec = v->ctime;
}

void lx_statx_from_vfs(const struct vfs_stat *v, struct lx_statx *out)
{
    memset(out, 0, sizeof(*out));
    out->stx_mask = LX_STATX_BASIC_STATS | LX_STATX_MNT_ID;
    out->stx_blksize = v->blksize;
    out->stx_nlink = v->nlink;
    out->stx_uid = v->uid;
    out->stx_gid = v->gid;
    out->stx_mode = (uint16_t)v->mode;
    out->stx_ino = v->ino;
    out->stx_size = v->size;
    out->stx_blocks = v->blocks;
    out->stx_atime.tv_sec = v->atime;
    out->stx_mtime.tv_sec = v->mtime;
    out->stx_ctime.tv_sec = v->ctime;
    out->stx_rdev_major = lx_major(v->rdev);
    out->stx_rdev_minor = lx_minor(v->rdev);
    out->stx_dev_major = 0;
    out->stx_dev_minor = (uint32_t)v->dev;
    out->stx_mnt_id = v->dev;
}

size_t lx_dirent64_pack(void *buf, size_t cap, uint64_t ino, int64_t off, uint8_t type, const char *name,
                        size_t name_len)
{
    size_t reclen = (LX_DIRENT64_NAME_OFF + name_len + 1 + 7) & ~(size_t)7;
    if (reclen > cap)
        return 0;
    uint8_t *p = buf;
    uint16_t rl = (uint16_t)reclen;
    memcpy(p, &ino, 8);
    memcpy(p + 8, &off, 8);
    memcpy(p + 16, &rl, 2);
    p[18] = type;
    memcpy(p + LX_DIRENT64_NAME_OFF, name, name_len);
    memset(p + LX_DIRENT64_NAME_OFF + name_len, 0, reclen - LX_DIRENT64_NAME_OFF - name_len);
    return reclen;
}

long lx_iov_check(const struct lx_iovec *iov, unsigned long n, bool (*range_ok)(uintptr_t, size_t),
                  struct lx_iovec *out)
{
    if (n > LX_IOV_MAX)
        return -EINVAL;
    uint64_t total = 0;
    for (unsigned long i = 0; i < n; i++) {
        uint64_t len = iov[i].len;
        if ((int64_t)len < 0)
            return -EINVAL;
        if (!range_ok((uintptr_t)iov[i].base, (size_t)len))
            return -EFAULT;
        if (len > LX_MAX_RW_COUNT - total)
            len = LX_MAX_RW_COUNT - total;
        out[i].base = iov[i].base;
        out[i].len = len;
        total += len;
    }
    return (long)total;
}

int lx_path_join(const char *base, const char *rel, char *out)
{
    size_t rlen = strnlen(rel, VFS_PATH_MAX + 1);
    if (rlen == 0)
        return -ENOENT;
    if (rel[0] == '/') {
        if (rlen > VFS_PATH_MAX)
            return -ENAMETOOLONG;
        memcpy(out, rel, rlen + 1);
        return 0;
    }
    size_t blen = strlen(base);
    while (blen > 1 && base[blen - 1] == '/')
        blen--;
    int slash = !(blen == 1 && base[0] == '/');
    if (blen + (size_t)slash + rlen > VFS_PATH_MAX)
        return -ENAMETOOLONG;
    memmove(out + blen + slash, rel, rlen + 1); /* rel may live in out */
    memmove(out, base, blen);
    if (slash)
        out[blen] = '/';
    return 0;
}
