/* Linux's x86-64 structures the file calls exchange with a program (struct
 * stat, struct statx, linux_dirent64, iovec, timespec) and the pure logic
 * over them: layout conversion, getdents64 record packing, iovec array
 * validation, path joining. No kernel services here: host-tested. */
#ifndef KESTREL_LINUX_LAYOUT_H
#define KESTREL_LINUX_LAYOUT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vfs.h"

struct lx_stat { /* x86-64 struct stat, 144 bytes */
    uint64_t st_dev;
    uint64_t st_ino;
    uint64_t st_nlink;
    uint32_t st_mode;
    uint32_t st_uid;
    uint32_t st_gid;
    uint32_t pad0;
    uint64_t st_rdev;
    int64_t st_size;
    int64_t st_blksize;
    int64_t st_blocks;
    int64_t st_atime_sec, st_atime_nsec;
    int64_t st_mtime_sec, st_mtime_nsec;
    int64_t st_ctime_sec, st_ctime_nsec;
    int64_t unused[3];
};
_Static_assert(sizeof(struct lx_stat) == 144, "x86-64 struct stat");
_Static_assert(offsetof(struct lx_stat, st_rdev) == 40, "x86-64 struct stat");
_Static_assert(offsetof(struct lx_stat, st_atime_sec) == 72, "x86-64 struct stat");

struct lx_statx_timestamp {
    int64_t tv_sec;
    uint32_t tv_nsec;
    int32_t reserved;
};
struct lx_statx { /* 256 bytes */
    uint32_t stx_mask;
    uint32_t stx_blksize;
    uint64_t stx_attributes;
    uint32_t stx_nlink;
    uint32_t stx_uid;
    uint32_t stx_gid;
    uint16_t stx_mode;
    uint16_t pad1;
    uint64_t stx_ino;
    uint64_t stx_size;
    uint64_t stx_blocks;
    uint64_t stx_attributes_mask;
    struct lx_statx_timestamp stx_atime, stx_btime, stx_ctime, stx_mtime;
    uint32_t stx_rdev_major, stx_rdev_minor;
    uint32_t stx_dev_major, stx_dev_minor;
    uint64_t stx_mnt_id;
    uint32_t stx_dio_mem_align, stx_dio_offset_align;
    uint64_t spare[12];
};
_Static_assert(sizeof(struct lx_statx) == 256, "struct statx");
_Static_assert(offsetof(struct lx_statx, stx_rdev_major) == 128, "struct statx");
#define LX_STATX_BASIC_STATS 0x7ffu
#define LX_STATX_MNT_ID 0x1000u

struct lx_iovec {
    uint64_t base;
    uint64_t len;
};
#define LX_IOV_MAX 1024
/* Linux's cap on one read or write: INT_MAX rounded down to a page. */
#define LX_MAX_RW_COUNT 0x7ffff000ull

struct lx_timespec {
    int64_t tv_sec;
    int64_t tv_nsec;
};

/* linux_dirent64's fixed part: ino 8, off 8, reclen 2, type 1, then name. */
#define LX_DIRENT64_NAME_OFF 19

void lx_stat_from_vfs(const struct vfs_stat *v, struct lx_stat *out);
void lx_statx_from_vfs(const struct vfs_stat *v, struct lx_statx *out);

/* Packs one linux_dirent64 record at buf (cap bytes free): returns its
 * length (8-aligned), or 0 when it does not fit. */
size_t lx_dirent64_pack(void *buf, size_t cap, uint64_t ino, int64_t off, uint8_t type, const char *name,
                        size_t name_len);

/* Validates n iovecs as Linux's import_iovec does: n > LX_IOV_MAX or a
 * length that is negative as ssize_t: -EINVAL; a range the program may not
 * name (range_ok false): -EFAULT. out gets the iovecs with lengths cut so
 * that the total stays within LX_MAX_RW_COUNT; returns that total. */
long lx_iov_check(const struct lx_iovec *iov, unsigned long n, bool (*range_ok)(uintptr_t, size_t),
                  struct lx_iovec *out);

/* A range_ok that accepts every range (tests, kernel-built vectors). */
static inline bool lx_iov_any_ok(uintptr_t addr, size_t len)
{
    (void)addr;
    (void)len;
    return true;
}

/* out = rel when absolute, else base + "/" + rel (base absolute). 0, or
 * -ENOENT for an empty rel, -ENAMETOOLONG when out (VFS_PATH_MAX + 1
 * bytes) cannot hold the result. */
int lx_path_join(const char *base, const char *rel, char *out);

/* Linux's dev_t encoding (new_encode_dev). */
static inline uint64_t lx_makedev(uint32_t major, uint32_t minor)
{
    return (minor & 0xffu) | ((uint64_t)(major & 0xfffu) << 8) | ((uint64_t)(minor & ~0xffu) << 12);
}
static inline uint32_t lx_major(uint64_t dev) { return (uint32_t)((dev & 0xfff00) >> 8); }
static inline uint32_t lx_minor(uint64_t dev) { return (uint32_t)((dev & 0xff) | ((dev >> 12) & 0xfff00)); }

#endif
