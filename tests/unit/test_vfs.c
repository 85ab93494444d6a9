/* The VFS mutation API (unlink, rmdir, rename, link, truncate, chmod,
 * chown, utimes, fsync) over ramfs on the host: fixed cases for each of
 * Linux's rules, then a random sequence of operations run both through the
 * VFS and through the host's own system calls in a scratch directory, each
 * result (errno included) and the final trees compared. Seed: argv[1] or
 * the time, printed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "../../fs/ramfs.h"
#include "check.h"
#include "sync.h"
#include "vfs.h"
#include "vfs_model.h"

void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static uint64_t fake_ns = 1000000000ull * 1700000000ull;
static uint64_t fake_clock(void) { return fake_ns += 1000; }

static int put(const char *path, const char *data)
{
    int fd = vfs_open(path, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_TRUNC, 0644);
    if (fd < 0)
        return fd;
    long n = vfs_write(fd, data, strlen(data));
    vfs_close(fd);
    return n < 0 ? (int)n : 0;
}

static long get(const char *path, char *buf, size_t len)
{
    int fd = vfs_open(path, VFS_O_RDONLY, 0);
    if (fd < 0)
        return fd;
    long n = vfs_read(fd, buf, len);
    vfs_close(fd);
    if (n >= 0 && (size_t)n < len)
        buf[n] = 0;
    return n;
}

static void check_unlink_rmdir(void)
{
    struct vfs_stat st;
    CHECK_EQ(vfs_mkdir("/u", 0755), 0);
    CHECK_EQ(put("/u/f", "x"), 0);
    CHECK_EQ(vfs_unlink("/u"), -EISDIR);
    CHECK_EQ(vfs_unlink("/u/."), -EISDIR);
    CHECK_EQ(vfs_unlink("/"), -EISDIR);
    CHECK_EQ(vfs_unlink("/u/f/"), -ENOTDIR);
    CHECK_EQ(vfs_unlink("/u/none"), -ENOENT);
    CHECK_EQ(vfs_unlink("/u/f/x"), -ENOTDIR);
    CHECK_EQ(vfs_rmdir("/u"), -ENOTEMPTY);
    CHECK_EQ(vfs_rmdir("/u/f"), -ENOTDIR);
    CHECK_EQ(vfs_rmdir("/u/."), -EINVAL);
    CHECK_EQ(vfs_rmdir("/u/.."), -ENOTEMPTY);
    CHECK_EQ(vfs_rmdir("/"), -EBUSY);
    /* An open file outlives its name. */
    int fd = vfs_open("/u/f", VFS_O_RDWR, 0);
    CHECK(fd >= 0);
    CHECK_EQ(vfs_unlink("/u/f"), 0);
    CHECK_EQ(vfs_stat("/u/f", &st), -ENOENT);
    CHECK_EQ(vfs_fstat(fd, &st), 0);
    CHECK_EQ(st.nlink, 0);
    CHECK_EQ(vfs_pwrite(fd, "yz", 2, 1), 2);
    char b[8];
    CHECK_EQ(vfs_pread(fd, b, 8, 0), 3);
    CHECK(memcmp(b, "xyz", 3) == 0);
    CHECK_EQ(vfs_close(fd), 0);
    CHECK_EQ(vfs_stat("/", &st), 0);
    uint32_t root_links = st.nlink;
    CHECK_EQ(vfs_rmdir("/u/"), 0);
    CHECK_EQ(vfs_stat("/", &st), 0);
    CHECK_EQ(st.nlink, root_links - 1);
    CHECK_EQ(vfs_rmdir("/u"), -ENOENT);
    /* A mount point, and a mount's root, are busy. */
    CHECK_EQ(vfs_mkdir("/mnt", 0755), 0);
    CHECK_EQ(vfs_mount("ramfs", "none", "/mnt", NULL), 0);
    CHECK_EQ(vfs_rmdir("/mnt"), -EBUSY);
    CHECK_EQ(vfs_rename("/mnt", "/mnt2"), -EBUSY);
    CHECK_EQ(vfs_rmdir("/mnt/"), -EBUSY);
}

static void check_rename(void)
{
    char b[32];
    struct vfs_stat st, st2;
    CHECK_EQ(vfs_mkdir("/r", 0755), 0);
    CHECK_EQ(vfs_mkdir("/r/a", 0755), 0);
    CHECK_EQ(vfs_mkdir("/r/b", 0755), 0);
    CHECK_EQ(put("/r/a/f", "one"), 0);
    CHECK_EQ(put("/r/b/g", "two"), 0);
    /* A file over a file, across directories: the target's inode goes. */
    CHECK_EQ(vfs_stat("/r/a/f", &st), 0);
    CHECK_EQ(vfs_rename("/r/a/f", "/r/b/g"), 0);
    CHECK_EQ(get("/r/b/g", b, sizeof(b)), 3);
    CHECK(strcmp(b, "one") == 0);
    CHECK_EQ(vfs_stat("/r/b/g", &st2), 0);
    CHECK_EQ(st2.ino, st.ino);
    CHECK_EQ(vfs_stat("/r/a/f", &st), -ENOENT);
    /* Type rules. */
    CHECK_EQ(vfs_rename("/r/b/g", "/r/a"), -EISDIR);
    CHECK_EQ(vfs_rename("/r/a", "/r/b/g"), -ENOTDIR);
    CHECK_EQ(vfs_rename("/r/b/g/", "/r/b/h"), -ENOTDIR);
    CHECK_EQ(vfs_rename("/r/b/g", "/r/b/h/"), -ENOTDIR);
    CHECK_EQ(vfs_rename("/r/none", "/r/x"), -ENOENT);
    CHECK_EQ(vfs_rename("/r/b/g", "/r/none/x"), -ENOENT);
    CHECK_EQ(vfs_rename("/r/.", "/r/x"), -EBUSY);
    CHECK_EQ(vfs_rename("/r/a", "/r/.."), -EBUSY);
    CHECK_EQ(vfs_rename("/", "/r/x"), -EBUSY);
    /* Directories: into itself, over a non-empty one, over an empty one. */
    CHECK_EQ(vfs_rename("/r/a", "/r/a/sub"), -EINVAL);
    CHECK_EQ(vfs_rename("/r", "/r/a/sub"), -EINVAL);
    CHECK_EQ(vfs_rename("/r/a", "/r/b"), -ENOTEMPTY);
    CHECK_EQ(vfs_rename("/r/b", "/r/a"), 0); /* a is empty */
    CHECK_EQ(get("/r/a/g", b, sizeof(b)), 3);
    CHECK_EQ(vfs_stat("/r/b", &st), -ENOENT);
    CHECK_EQ(vfs_mkdir("/r/a/d", 0755), 0);
    CHECK_EQ(vfs_rename("/r/a/d", "/r"), -ENOTEMPTY); /* the target holds the source */
    CHECK_EQ(vfs_stat("/r", &st), 0);
    uint32_t r_links = st.nlink;
    CHECK_EQ(vfs_rename("/r/a/d", "/r/d"), 0); /* ".." moves: link counts follow */
    CHECK_EQ(vfs_stat("/r", &st), 0);
    CHECK_EQ(st.nlink, r_links + 1);
    CHECK_EQ(vfs_stat("/r/a", &st), 0);
    CHECK_EQ(st.nlink, 2);
    CHECK_EQ(vfs_rename("/r/d/", "/r/e/"), 0);
    /* The same inode under two names: nothing happens. */
    CHECK_EQ(vfs_link("/r/a/g", "/r/a/g2"), 0);
    CHECK_EQ(vfs_rename("/r/a/g", "/r/a/g2"), 0);
    CHECK_EQ(vfs_stat("/r/a/g", &st), 0);
    CHECK_EQ(st.nlink, 2);
    CHECK_EQ(vfs_rename("/r/a/g", "/r/a/g"), 0);
    /* A symlink is renamed, not followed. */
    CHECK_EQ(vfs_symlink("a/g", "/r/sl"), 0);
    CHECK_EQ(vfs_rename("/r/sl", "/r/sl2"), 0);
    CHECK_EQ(vfs_lstat("/r/sl2", &st), 0);
    CHECK_EQ(st.mode & VFS_S_IFMT, VFS_S_IFLNK);
    CHECK_EQ(get("/r/sl2", b, sizeof(b)), 3);
    /* Across mounts. */
    CHECK_EQ(vfs_rename("/r/a/g", "/mnt/g"), -EXDEV);
    CHECK_EQ(vfs_link("/r/a/g", "/mnt/g"), -EXDEV);
    CHECK_EQ(put("/mnt/m", "m"), 0);
    CHECK_EQ(vfs_rename("/mnt/m", "/mnt/n"), 0);
    CHECK_EQ(vfs_rename("/mnt/n", "/r/n"), -EXDEV);
}

static void check_link(void)
{
    struct vfs_stat st;
    char b[16];
    CHECK_EQ(vfs_mkdir("/l", 0755), 0);
    CHECK_EQ(put("/l/f", "data"), 0);
    CHECK_EQ(vfs_link("/l/f", "/l/h"), 0);
    CHECK_EQ(vfs_link("/l/f", "/l/h"), -EEXIST);
    CHECK_EQ(vfs_link("/l", "/l2"), -EPERM);
    CHECK_EQ(vfs_link("/l/none", "/l/x"), -ENOENT);
    CHECK_EQ(vfs_link("/l/f", "/l/."), -EEXIST);
    CHECK_EQ(vfs_stat("/l/h", &st), 0);
    CHECK_EQ(st.nlink, 2);
    CHECK_EQ(vfs_unlink("/l/f"), 0);
    CHECK_EQ(get("/l/h", b, sizeof(b)), 4);
    CHECK_EQ(vfs_stat("/l/h", &st), 0);
    CHECK_EQ(st.nlink, 1);
    /* link(2) does not follow a symlink: the new name is the link itself. */
    CHECK_EQ(vfs_symlink("h", "/l/s"), 0);
    CHECK_EQ(vfs_link("/l/s", "/l/s2"), 0);
    CHECK_EQ(vfs_lstat("/l/s2", &st), 0);
    CHECK_EQ(st.mode & VFS_S_IFMT, VFS_S_IFLNK);
    CHECK_EQ(st.nlink, 2);
}

static void check_truncate_attrs(void)
{
    struct vfs_stat st;
    char b[16];
    CHECK_EQ(put("/t", "abcdef"), 0);
    CHECK_EQ(vfs_truncate("/t", 2), 0);
    CHECK_EQ(vfs_truncate("/t", 5), 0);
    CHECK_EQ(get("/t", b, sizeof(b)), 5);
    CHECK(memcmp(b, "ab\0\0\0", 5) == 0); /* shrunk data does not come back */
    CHECK_EQ(vfs_truncate("/t", -1), -EINVAL);
    CHECK_EQ(vfs_truncate("/", 0), -EISDIR);
    CHECK_EQ(vfs_truncate("/none", 0), -ENOENT);
    int fd = vfs_open("/t", VFS_O_RDONLY, 0);
    CHECK_EQ(vfs_ftruncate(fd, 0), -EINVAL);
    CHECK_EQ(vfs_fsync(fd), 0);
    CHECK_EQ(vfs_fdatasync(fd), 0);
    vfs_close(fd);
    CHECK_EQ(vfs_ftruncate(fd, 0), -EBADF);
    CHECK_EQ(vfs_fsync(fd), -EBADF);
    fd = vfs_open("/t", VFS_O_WRONLY, 0);
    CHECK_EQ(vfs_ftruncate(fd, 1), 0);
    CHECK_EQ(vfs_fstat(fd, &st), 0);
    CHECK_EQ(st.size, 1);
    /* Mode, owner, times. */
    CHECK_EQ(vfs_fchmod(fd, 0100640), 0);
    CHECK_EQ(vfs_fstat(fd, &st), 0);
    CHECK_EQ(st.mode, VFS_S_IFREG | 0640);
    int64_t c0 = st.ctime * 1000000000ll + st.ctime_nsec;
    CHECK_EQ(vfs_chmod("/t", 06755), 0);
    CHECK_EQ(vfs_chown("/t", 1000, (uint32_t)-1), 0);
    CHECK_EQ(vfs_stat("/t", &st), 0);
    CHECK_EQ(st.uid, 1000);
    CHECK_EQ(st.gid, 0);
    CHECK_EQ(st.mode, VFS_S_IFREG | 0755); /* set-ID bits dropped */
    CHECK(st.ctime * 1000000000ll + st.ctime_nsec > c0);
    CHECK_EQ(vfs_chmod("/t", 02745), 0); /* set-group-ID without group-exec stays */
    CHECK_EQ(vfs_fchown(fd, (uint32_t)-1, 7), 0);
    CHECK_EQ(vfs_fstat(fd, &st), 0);
    CHECK_EQ(st.mode, VFS_S_IFREG | 02745);
    CHECK_EQ(st.gid, 7);
    vfs_close(fd);
    struct vfs_timespec ts[2] = { { 100, 5 }, { 200, 6 } };
    CHECK_EQ(vfs_utimes("/t", ts, 0), 0);
    CHECK_EQ(vfs_stat("/t", &st), 0);
    CHECK_EQ(st.atime, 100);
    CHECK_EQ(st.atime_nsec, 5);
    CHECK_EQ(st.mtime, 200);
    CHECK_EQ(st.mtime_nsec, 6);
    ts[0].nsec = VFS_UTIME_OMIT;
    ts[1].nsec = VFS_UTIME_NOW;
    CHECK_EQ(vfs_utimes("/t", ts, 0), 0);
    CHECK_EQ(vfs_stat("/t", &st), 0);
    CHECK_EQ(st.atime, 100);
    CHECK(st.mtime >= 1700000000);
    ts[0].nsec = 1000000000;
    CHECK_EQ(vfs_utimes("/t", ts, 0), -EINVAL);
    CHECK_EQ(vfs_utimes("/t", NULL, 0), 0);
    CHECK_EQ(vfs_stat("/t", &st), 0);
    CHECK(st.atime >= 1700000000);
    /* A symlink's own times with nofollow; lchown changes the link. */
    CHECK_EQ(vfs_symlink("t", "/tl"), 0);
    ts[0] = (struct vfs_timespec){ 1, 0 };
    ts[1] = (struct vfs_timespec){ 2, 0 };
    CHECK_EQ(vfs_utimes("/tl", ts, 1), 0);
    CHECK_EQ(vfs_lstat("/tl", &st), 0);
    CHECK_EQ(st.mtime, 2);
    CHECK_EQ(vfs_stat("/tl", &st), 0);
    CHECK(st.mtime != 2);
    CHECK_EQ(vfs_lchown("/tl", 5, 5), 0);
    CHECK_EQ(vfs_lstat("/tl", &st), 0);
    CHECK_EQ(st.uid, 5);
    CHECK_EQ(vfs_stat("/tl", &st), 0);
    CHECK_EQ(st.uid, 1000);
    /* Writes move mtime. */
    int64_t m0 = st.mtime * 1000000000ll + st.mtime_nsec;
    CHECK_EQ(put("/t", "zz"), 0);
    CHECK_EQ(vfs_stat("/t", &st), 0);
    CHECK(st.mtime * 1000000000ll + st.mtime_nsec > m0);
    vfs_sync();
}

int main(int argc, char **argv)
{
    vfs_clock_ns = fake_clock;
    struct vnode *root;
    CHECK_EQ(vfs_mount("ramfs", "none", "/", NULL), 0);
    (void)root;
    check_unlink_rmdir();
    check_rename();
    check_link();
    check_truncate_attrs();
    uint64_t seed = argc > 1 ? strtoull(argv[1], NULL, 0) : (uint64_t)time(NULL);
    model_run("test_vfs", "", "build/host/vfs-model", seed, 3000);
    return check_report("test_vfs");
}
