/* Private to the file side of linux/ (fd.c, pipe.c, file_calls.c,
 * proc_files.c): directory reading, kinds of open files, pipes. */
#ifndef KESTREL_LINUX_FILES_H
#define KESTREL_LINUX_FILES_H
#include "abi.h"

bool lfile_is_dir(const struct lfile *f);
bool lfile_is_path_only(const struct lfile *f);
/* The directory's next entry ("." and ".." first): 1, 0 at the end, or a
 * negative errno. One entry can be pushed back when it did not fit. */
int lfile_dir_next(struct lfile *f, struct vfs_dirent *e);
void lfile_dir_unread(struct lfile *f, const struct vfs_dirent *e);

/* pipe.c: a pipe's two ends (flags: O_NONBLOCK). */
int pipe_create(unsigned flags, struct lfile **rd, struct lfile **wr);
bool lfile_is_pipe(const struct lfile *f);
/* Opens the named FIFO vn (flags: the file's status flags): waits for the
 * other side as Linux does; -ENXIO for O_WRONLY|O_NONBLOCK with no reader,
 * -ERESTARTSYS when a signal cuts the wait. *out does not hold vn yet. */
long fifo_open(struct vnode *vn, unsigned flags, struct lfile **out);
/* "pipe:[N]" for /proc/self/fd. */
int pipe_name(const struct lfile *f, char *buf, size_t cap);

/* socket_calls.c: "socket:[N]" (the inode fstat gives) for /proc/self/fd,
 * or -1 when f is not a socket. */
int socket_fd_name(struct lfile *f, char *buf, size_t cap);

/* The working directory, copied out under its lock (VFS_PATH_MAX + 1). */
void lproc_cwd(char *out);

/* proc_files.c: /proc, /sys and /dev mounted where the root has (or can
 * make) the directories; each failure logged, none fatal. */
void pseudo_fs_mount_all(void);

#define LINUX_RELEASE "6.1.0-kestrel"
#define LINUX_VERSION "#1 SMP PREEMPT_DYNAMIC Kestrel"
/* The node name: the hostname=NAME kernel parameter, else "kestrel". */
const char *linux_hostname(void);
const char *linux_domainname(void);
/* sethostname/setdomainname: len <= 64 bytes (not NUL-terminated). */
void linux_set_hostname(const char *name, size_t len);
void linux_set_domainname(const char *name, size_t len);
#endif
