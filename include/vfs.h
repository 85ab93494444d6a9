/* The virtual file system: mounts, path lookup, open files. File systems
 * (fs/ramfs.c, fs/ext4_vfs.c) implement struct fs_ops over vnodes; apps use
 * the vfs_* calls (or the POSIX and stdio wrappers in lib/). Every call
 * returns a negative errno on failure (-ENOENT, -EIO, ...). */
#ifndef KESTREL_VFS_H
#define KESTREL_VFS_H
#include <stddef.h>
#include <stdint.h>

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_SYMLINK_MAX 40 /* symlinks followed in one lookup before ELOOP */
#define VFS_MAX_MOUNTS 16
/* File descriptors run from VFS_FD_FIRST (0-2 stay for stdin, stdout and
 * stderr) to below VFS_FD_END; the C library hands descriptors from
 * VFS_FD_END up to the socket layer (net/, whose first is 64). */
#define VFS_FD_FIRST 3
#define VFS_FD_END 64
#define VFS_MAX_FILES (VFS_FD_END - VFS_FD_FIRST)

/* File types in st_mode, POSIX's values. */
#define VFS_S_IFMT 0170000
#define VFS_S_IFDIR 0040000
#define VFS_S_IFREG 0100000
#define VFS_S_IFLNK 0120000
#define VFS_S_IFCHR 0020000
#define VFS_S_IFIFO 0010000
#define VFS_S_IFSOCK 0140000
#define VFS_S_ISUID 04000
#define VFS_S_ISGID 02000

/* open() flags, Linux's values. */
#define VFS_O_RDONLY 0
#define VFS_O_WRONLY 1
#define VFS_O_RDWR 2
#define VFS_O_ACCMODE 3
#define VFS_O_CREAT 0100
#define VFS_O_EXCL 0200
#define VFS_O_TRUNC 01000
#define VFS_O_APPEND 02000
#define VFS_O_DIRECTORY 0200000
#define VFS_O_NOFOLLOW 0400000
#define VFS_O_PATH 010000000 /* a handle on the name: no read or write */

#define VFS_SEEK_SET 0
#define VFS_SEEK_CUR 1
#define VFS_SEEK_END 2

/* d_type values, as in Linux's dirent. */
#define VFS_DT_UNKNOWN 0
#define VFS_DT_DIR 4
#define VFS_DT_REG 8
#define VFS_DT_LNK 10
#define VFS_DT_CHR 2
#define VFS_DT_FIFO 1
#define VFS_DT_SOCK 12

struct vfs_stat {
    uint64_t dev;
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint32_t uid, gid;
    uint64_t size;
    uint64_t blocks; /* 512-byte units */
    uint32_t blksize;
    int64_t atime, mtime, ctime; /* seconds */
    uint32_t atime_nsec, mtime_nsec, ctime_nsec;
    uint64_t rdev; /* character devices: Linux's encoding (major << 8 | minor) */
};

/* A time stamp; utimes' nsec may be VFS_UTIME_NOW or VFS_UTIME_OMIT
 * (Linux's values). */
struct vfs_timespec {
    int64_t sec;
    uint32_t nsec;
};
#define VFS_UTIME_NOW ((1u << 30) - 1)
#define VFS_UTIME_OMIT ((1u << 30) - 2)

/* setattr: which fields of struct vfs_attr to apply. */
#define VFS_ATTR_MODE 1u  /* permission bits only (07777); the type stays */
#define VFS_ATTR_UID 2u
#define VFS_ATTR_GID 4u
#define VFS_ATTR_ATIME 8u
#define VFS_ATTR_MTIME 16u
#define VFS_ATTR_CTIME 32u

struct vfs_attr {
    unsigned mask;
    uint32_t mode, uid, gid;
    struct vfs_timespec atime, mtime, ctime;
};

struct vfs_dirent {
    uint64_t ino;
    uint8_t type; /* VFS_DT_* */
    char name[VFS_NAME_MAX + 1];
};

struct vnode;
struct mount;

struct fs_ops {
    /* Finds name (len bytes, no '/') in dir; *out holds a reference. */
    int (*lookup)(struct vnode *dir, const char *name, size_t len, struct vnode **out);
    /* Returns bytes read (0 at end of file). */
    long (*read)(struct vnode *vn, uint64_t off, void *buf, size_t len);
    /* NULL on a read-only file system. Returns bytes written. */
    long (*write)(struct vnode *vn, uint64_t off, const void *buf, size_t len);
    int (*truncate)(struct vnode *vn, uint64_t size);
    /* Copies the target (no NUL) and returns its length. */
    long (*readlink)(struct vnode *vn, char *buf, size_t len);
    /* Next entry from *cookie (0 at first): 1 with *d filled, 0 at end. */
    int (*readdir)(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d);
    /* NULL on a read-only file system. mode includes the type bits. */
    int (*create)(struct vnode *dir, const char *name, size_t len, uint32_t mode, const char *link_target,
                  struct vnode **out);
    /* The mutations below are NULL on a read-only file system (-EROFS). The
     * VFS has checked what POSIX asks before calling them: names are not "."
     * or "..", vn is what name holds in dir, nothing is a mount point, a
     * directory to remove or replace is empty, a hard link's source is not a
     * directory, a renamed directory does not move below itself, all vnodes
     * are on this file system. */
    /* Removes the entry name -> vn (a file, a link or an empty directory);
     * vn lives on while referenced. */
    int (*unlink)(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
    /* Moves odir/oname (vn) to ndir/nname, replacing target (what nname
     * held, NULL if nothing; never vn itself). */
    int (*rename)(struct vnode *odir, const char *oname, size_t olen, struct vnode *vn, struct vnode *ndir,
                  const char *nname, size_t nlen, struct vnode *target);
    /* Adds the entry name -> vn (a hard link; name is new). */
    int (*link)(struct vnode *dir, const char *name, size_t len, struct vnode *vn);
    /* Applies the fields a->mask names. */
    int (*setattr)(struct vnode *vn, const struct vfs_attr *a);
    /* Makes vn's data (and, unless datasync, its metadata) durable; NULL:
     * nothing to do (memory file systems). */
    int (*fsync)(struct vnode *vn, int datasync);
    /* The last reference went away. */
    void (*release)(struct vnode *vn);
    /* For read-only mappings that share the file's memory: the address
     * (kernel addresses are physical ones: the identity map) of a page
     * holding the file's bytes [off, off + 4096) (off page aligned), bytes
     * past the file's end zero, which stays unchanged for good (later writes
     * to the file go elsewhere); 0 when there is none. NULL: never. */
    uint64_t (*page)(struct vnode *vn, uint64_t off);
};

struct vnode {
    const struct fs_ops *ops;
    struct mount *mnt;
    uint64_t ino;
    uint32_t mode;
    uint32_t nlink;
    uint64_t size;
    uint64_t blocks;
    uint32_t uid, gid;
    int64_t atime, mtime, ctime; /* seconds */
    uint32_t atime_nsec, mtime_nsec, ctime_nsec;
    uint64_t rdev; /* character devices (fs/pseudofs.c's /dev) */
    unsigned refs;
    void *priv;
};

/* A file system type, registered with FS_TYPE(); mount() gets the source
 * (a block device name, or NULL) and returns the root vnode. */
struct fs_type {
    const char *name;
    int (*mount)(const char *source, void *data, struct vnode **root);
};

/* The section name is a C identifier so that host linkers (unit tests)
 * provide __start_/__stop_ symbols too; the kernel's linker script does. */
#define FS_TYPE(var)                                                                                \
    static const struct fs_type var;                                                                \
    static const struct fs_type *const var##_entry __attribute__((used, section("kestrel_fstypes"))) = &var; \
    static const struct fs_type var

const struct fs_type *fs_type_find(const char *name);

/* Mounts fstype at path (which must be a directory, or "/" for the first
 * mount). data is handed to the file system (ramfs: an initrd image). */
int vfs_mount(const char *fstype, const char *source, const char *path, void *data);
/* Mount i's path, type and source; NULL past the last. */
const char *vfs_mount_info(unsigned i, const char **fstype, const char **source);

int vfs_open(const char *path, int flags, uint32_t mode);
int vfs_close(int fd);
long vfs_read(int fd, void *buf, size_t len);
long vfs_pread(int fd, void *buf, size_t len, uint64_t off);
long vfs_write(int fd, const void *buf, size_t len);
long vfs_pwrite(int fd, const void *buf, size_t len, uint64_t off);
int64_t vfs_lseek(int fd, int64_t off, int whence);
int vfs_fstat(int fd, struct vfs_stat *st);
int vfs_stat(const char *path, struct vfs_stat *st);
int vfs_lstat(const char *path, struct vfs_stat *st);
long vfs_readlink(const char *path, char *buf, size_t len);
int vfs_mkdir(const char *path, uint32_t mode);
int vfs_symlink(const char *target, const char *path);
/* Mutations, with Linux's rules and error codes: unlink refuses
 * directories (-EISDIR), rmdir non-directories (-ENOTDIR) and non-empty ones
 * (-ENOTEMPTY); mount points and mount roots are -EBUSY; across mounts
 * rename and link are -EXDEV. rename replaces an existing target (a file by
 * a file, an empty directory by a directory), is a no-op when both names
 * hold the same inode, and refuses to move a directory below itself
 * (-EINVAL). */
int vfs_unlink(const char *path);
int vfs_rmdir(const char *path);
int vfs_rename(const char *oldpath, const char *newpath);
int vfs_link(const char *oldpath, const char *newpath);
/* size < 0 is -EINVAL; directories -EISDIR; ftruncate needs an fd open
 * for writing (-EINVAL otherwise, as Linux). */
int vfs_truncate(const char *path, int64_t size);
int vfs_ftruncate(int fd, int64_t size);
int vfs_fsync(int fd);
int vfs_fdatasync(int fd);
/* Commits every mounted file system (sync(2)). */
void vfs_sync(void);
/* Permission bits (07777) only; ctime is set to now. */
int vfs_chmod(const char *path, uint32_t mode);
int vfs_fchmod(int fd, uint32_t mode);
/* uid or gid (uint32_t)-1 stay; a non-directory loses set-user-ID (and
 * set-group-ID when group-executable), as Linux does. lchown does not
 * follow a final symlink. */
int vfs_chown(const char *path, uint32_t uid, uint32_t gid);
int vfs_lchown(const char *path, uint32_t uid, uint32_t gid);
int vfs_fchown(int fd, uint32_t uid, uint32_t gid);
/* ts[0] atime, ts[1] mtime; ts NULL sets both to now; nsec may be
 * VFS_UTIME_NOW or VFS_UTIME_OMIT (nsec >= 1e9 otherwise is -EINVAL).
 * nofollow: change a symlink itself. */
int vfs_utimes(const char *path, const struct vfs_timespec ts[2], int nofollow);
int vfs_futimes(int fd, const struct vfs_timespec ts[2]);

/* Time stamps for file systems: the realtime clock once fs_boot set it
 * (host tests may set their own), else 0. */
extern uint64_t (*vfs_clock_ns)(void);
struct vfs_timespec vfs_now(void);

/* Directories: open with VFS_O_DIRECTORY, then read entries one by one
 * (1 = an entry, 0 = the end). */
int vfs_readdir(int fd, struct vfs_dirent *d);

/* ---- vnode-level access (the Linux ABI's per-process descriptors) ----
 * Paths are absolute (the caller joins its working directory in). canon,
 * when not NULL, gets the path with ".", "..", and symlinks resolved
 * (VFS_PATH_MAX + 1 bytes). Every *out holds a reference: vfs_vn_put(). */
#define VFS_RESOLVE_NOFOLLOW 1 /* the last component may be a symlink */
int vfs_resolve(const char *path, int how, struct vnode **out, char *canon);
/* open(2)'s checks and effects (VFS_O_CREAT/EXCL/TRUNC/DIRECTORY/NOFOLLOW/
 * PATH, access mode against a read-only file system) on a vnode. */
int vfs_open_vn(const char *path, int flags, uint32_t mode, struct vnode **out, char *canon);
long vfs_vn_read(struct vnode *vn, void *buf, size_t len, uint64_t off);
long vfs_vn_write(struct vnode *vn, const void *buf, size_t len, uint64_t off);
/* fs_ops.page for a regular file (0: none); vfs_page for descriptor fd
 * (open for reading). */
uint64_t vfs_vn_page(struct vnode *vn, uint64_t off);
uint64_t vfs_page(int fd, uint64_t off);
int vfs_vn_truncate(struct vnode *vn, uint64_t size);
void vfs_vn_stat(struct vnode *vn, struct vfs_stat *st);
long vfs_vn_readlink(struct vnode *vn, char *buf, size_t len);
int vfs_vn_readdir(struct vnode *dir, uint64_t *cookie, struct vfs_dirent *d);
int vfs_vn_fsync(struct vnode *vn, int datasync);
int vfs_vn_chmod(struct vnode *vn, uint32_t mode);
int vfs_vn_chown(struct vnode *vn, uint32_t uid, uint32_t gid); /* -1: unchanged */
int vfs_vn_utimes(struct vnode *vn, const struct vfs_timespec ts[2]);
void vfs_vn_put(struct vnode *vn);
void vfs_vn_get(struct vnode *vn);
/* Creates a directory (VFS_S_IFDIR in mode), a symlink (target), or an
 * empty node of another type (regular file, FIFO, socket) at path. */
int vfs_make_node(const char *path, uint32_t mode, const char *target);

/* Vnode references, for file systems. */
void vnode_ref(struct vnode *vn);
void vnode_put(struct vnode *vn);

/* Called once by core/main.c after devices are bound: scans partition
 * tables, mounts the root and the --mount= file systems. */
struct boot_info;
void fs_boot(const struct boot_info *bi);

#endif
