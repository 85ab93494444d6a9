/* fs/vfs.c's vnode-level calls for the Linux ABI: resolved (canonical)
 * paths through ".", ".." and symlinks, open(2)'s checks and creation,
 * a trailing slash following a symlink, reads and stat on vnodes. */
#include <errno.h>
#include <string.h>
#include "check.h"
#include "sync.h"
#include "vfs.h"

void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static char canon[VFS_PATH_MAX + 1];

static int resolve(const char *path, int how)
{
    struct vnode *vn;
    canon[0] = 0;
    int rc = vfs_resolve(path, how, &vn, canon);
    if (rc == 0)
        vfs_vn_put(vn);
    return rc;
}

int main(void)
{
    CHECK_EQ(vfs_mount("ramfs", "none", "/", NULL), 0);
    CHECK_EQ(vfs_mkdir("/a", 0755), 0);
    CHECK_EQ(vfs_mkdir("/a/b", 0755), 0);
    CHECK_EQ(vfs_symlink("a/b", "/l"), 0);
    CHECK_EQ(vfs_symlink("/a", "/a/b/up"), 0);

    CHECK_EQ(resolve("/l/../b/.", 0), 0);
    CHECK(strcmp(canon, "/a/b") == 0);
    CHECK_EQ(resolve("/a/b/up/b/up", 0), 0);
    CHECK(strcmp(canon, "/a") == 0);
    CHECK_EQ(resolve("/..", 0), 0);
    CHECK(strcmp(canon, "/") == 0);
    CHECK_EQ(resolve("/l", VFS_RESOLVE_NOFOLLOW), 0);
    CHECK(strcmp(canon, "/l") == 0);
    CHECK_EQ(resolve("/l/", VFS_RESOLVE_NOFOLLOW), 0); /* "link/" is the target */
    CHECK(strcmp(canon, "/a/b") == 0);
    CHECK_EQ(resolve("/nope", 0), -ENOENT);

    struct vnode *vn;
    CHECK_EQ(vfs_open_vn("/l/new", VFS_O_CREAT | VFS_O_RDWR, 0644, &vn, canon), 0);
    CHECK(strcmp(canon, "/a/b/new") == 0);
    CHECK_EQ(vfs_vn_write(vn, "hello", 5, 0), 5);
    char buf[16];
    CHECK_EQ(vfs_vn_read(vn, buf, sizeof(buf), 1), 4);
    CHECK(memcmp(buf, "ello", 4) == 0);
    CHECK_EQ(vfs_vn_read(vn, buf, sizeof(buf), 5), 0);
    struct vfs_stat st;
    vfs_vn_stat(vn, &st);
    CHECK_EQ(st.size, 5);
    CHECK_EQ(st.mode, VFS_S_IFREG | 0644);
    CHECK_EQ(vfs_vn_truncate(vn, 2), 0);
    vfs_vn_stat(vn, &st);
    CHECK_EQ(st.size, 2);
    vfs_vn_put(vn);

    CHECK_EQ(vfs_open_vn("/a/b/new", VFS_O_CREAT | VFS_O_EXCL | VFS_O_RDWR, 0644, &vn, NULL), -EEXIST);
    CHECK_EQ(vfs_open_vn("/a/b/new", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &vn, NULL), -ENOTDIR);
    CHECK_EQ(vfs_open_vn("/a", VFS_O_WRONLY, 0, &vn, NULL), -EISDIR);
    CHECK_EQ(vfs_open_vn("/a", VFS_O_CREAT | VFS_O_RDONLY, 0, &vn, NULL), -EISDIR);
    CHECK_EQ(vfs_open_vn("/l", VFS_O_RDONLY | VFS_O_NOFOLLOW, 0, &vn, NULL), -ELOOP);
    CHECK_EQ(vfs_open_vn("/a", 3, 0, &vn, NULL), -EINVAL);
    CHECK_EQ(vfs_open_vn("/l", VFS_O_PATH | VFS_O_NOFOLLOW, 0, &vn, canon), 0); /* the link itself */
    CHECK_EQ(vn->mode & VFS_S_IFMT, VFS_S_IFLNK);
    CHECK_EQ(vfs_vn_readlink(vn, buf, sizeof(buf)), 3);
    vfs_vn_put(vn);
    CHECK_EQ(vfs_open_vn("/a/b/new", VFS_O_WRONLY | VFS_O_TRUNC, 0, &vn, NULL), 0);
    vfs_vn_stat(vn, &st);
    CHECK_EQ(st.size, 0);
    vfs_vn_put(vn);

    CHECK_EQ(vfs_open_vn("/a", VFS_O_RDONLY | VFS_O_DIRECTORY, 0, &vn, NULL), 0);
    uint64_t cookie = 0;
    struct vfs_dirent d;
    int n = 0;
    while (vfs_vn_readdir(vn, &cookie, &d) == 1)
        n += strcmp(d.name, "b") == 0;
    CHECK_EQ(n, 1);
    vfs_vn_put(vn);
    return check_report("test_vfs_vn");
}
