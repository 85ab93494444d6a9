/* The Linux ABI's file, time and information calls checked from inside a
 * static program (tests/boot/test_linux_files.py builds it with musl-gcc
 * and gcc). Each check prints "FAIL ..." when the kernel's answer is not
 * Linux's; the last line counts them. Raw system calls, so that the C
 * library's own checks do not hide the kernel's errno. Expects the initrd
 * tree of the test: /data/a.txt = "hello\nworld\nabc\n", /data/link -> a.txt,
 * /data/sub/, a writable /tmp, /dev and /proc. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#ifndef AT_EMPTY_PATH
#define AT_EMPTY_PATH 0x1000
#endif
#define GRND_NONBLOCK_ 1

/* struct statx's start (the C libraries disagree on having it). */
struct statx_head {
    uint32_t mask, blksize;
    uint64_t attributes;
    uint32_t nlink, uid, gid;
    uint16_t mode, pad;
    uint64_t ino, size;
    char rest[256 - 48];
};

static int passed, failed;
static const char *tmpdir = "/tmp";

#define BAD ((void *)0x10)          /* below mmap_min_addr: never mapped */
#define KADDR ((void *)0xffffffff80100000ull) /* a kernel address */

static void check(int ok, const char *what, long got, int err)
{
    if (ok) {
        passed++;
        return;
    }
    failed++;
    printf("FAIL %s: got %ld errno %d\n", what, got, err);
}

/* r is a raw system call's result: -1 with errno set by syscall(). */
#define EXPECT_ERR(call, e)                                                     \
    do {                                                                        \
        errno = 0;                                                              \
        long r_ = (long)(call);                                                 \
        check(r_ == -1 && errno == (e), #call " == -" #e, r_, errno);           \
    } while (0)
#define EXPECT_EQ(call, v)                                                      \
    do {                                                                        \
        errno = 0;                                                              \
        long r_ = (long)(call);                                                 \
        check(r_ == (long)(v), #call " == " #v, r_, errno);                     \
    } while (0)

struct kdirent {
    uint64_t ino;
    int64_t off;
    unsigned short reclen;
    unsigned char type;
    char name[];
};

static void files(void)
{
    char buf[256];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/data/a.txt", O_RDONLY | O_CLOEXEC);
    check(fd >= 3, "openat a.txt", fd, errno);
    EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(syscall(SYS_read, fd, buf, 6), 6);
    check(memcmp(buf, "hello\n", 6) == 0, "read bytes", 0, 0);
    EXPECT_ERR(syscall(SYS_read, fd, BAD, 4), EFAULT);
    EXPECT_EQ(syscall(SYS_pread64, fd, BAD, 4, 100L), 0); /* at the end: nothing lands, no fault (Linux) */
    EXPECT_ERR(syscall(SYS_read, fd, KADDR, 4), EFAULT);
    EXPECT_ERR(syscall(SYS_write, fd, "x", 1), EBADF);
    EXPECT_EQ(syscall(SYS_pread64, fd, buf, 5, 12), 4);
    check(memcmp(buf, "abc\n", 4) == 0, "pread bytes", 0, 0);
    EXPECT_EQ(syscall(SYS_lseek, fd, 0, SEEK_CUR), 6);
    EXPECT_ERR(syscall(SYS_lseek, fd, -100L, SEEK_SET), EINVAL);
    EXPECT_EQ(syscall(SYS_lseek, fd, 0, SEEK_END), 16);
    EXPECT_EQ(syscall(SYS_read, fd, buf, 10), 0);

    /* dup2 shares the offset */
    int d = (int)syscall(SYS_dup2, fd, 40);
    EXPECT_EQ(d, 40);
    EXPECT_EQ(syscall(SYS_lseek, 40, 2, SEEK_SET), 2);
    EXPECT_EQ(syscall(SYS_lseek, fd, 0, SEEK_CUR), 2);
    EXPECT_EQ(syscall(SYS_fcntl, 40, F_GETFD), 0);
    EXPECT_ERR(syscall(SYS_dup3, fd, fd, 0), EINVAL);
    EXPECT_EQ(syscall(SYS_dup3, fd, 41, O_CLOEXEC), 41);
    EXPECT_EQ(syscall(SYS_fcntl, 41, F_GETFD), FD_CLOEXEC);
    EXPECT_EQ(syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 50), 50);
    EXPECT_EQ(syscall(SYS_close, 50), 0);
    EXPECT_ERR(syscall(SYS_close, 50), EBADF);
    EXPECT_ERR(syscall(SYS_dup2, 999, 3), EBADF);
    EXPECT_ERR(syscall(SYS_fcntl, 999, F_GETFL), EBADF);
    EXPECT_EQ(syscall(SYS_fcntl, fd, F_GETFL) & O_ACCMODE, O_RDONLY);

    /* readv / writev with bad vectors */
    struct iovec iov[2] = { { buf, 3 }, { buf + 3, 3 } };
    EXPECT_EQ(syscall(SYS_preadv, fd, iov, 2, 0L, 0L), 6);
    check(memcmp(buf, "hello\n", 6) == 0, "preadv bytes", 0, 0);
    EXPECT_ERR(syscall(SYS_readv, fd, iov, 1025), EINVAL);
    EXPECT_ERR(syscall(SYS_readv, fd, BAD, 1), EFAULT);
    struct iovec badv[2] = { { buf, 3 }, { KADDR, 3 } };
    EXPECT_ERR(syscall(SYS_readv, fd, badv, 2), EFAULT); /* no user address: refused before any read */
    struct iovec holev[2] = { { buf, 3 }, { BAD, 3 } };
    EXPECT_EQ(syscall(SYS_preadv, fd, holev, 2, 0L, 0L), 3); /* unmapped: the first piece was read */
    struct iovec negv[1] = { { buf, (size_t)-1 } };
    EXPECT_ERR(syscall(SYS_readv, fd, negv, 1), EINVAL);
    struct iovec outv[2] = { { "wr", 2 }, { "itev\n", 5 } };
    EXPECT_EQ(syscall(SYS_writev, 1, outv, 2), 7);

    /* fstat / stat / statx */
    struct stat st;
    EXPECT_EQ(syscall(SYS_fstat, fd, &st), 0);
    check(st.st_size == 16 && S_ISREG(st.st_mode), "fstat size/mode", (long)st.st_size, 0);
    EXPECT_ERR(syscall(SYS_fstat, fd, BAD), EFAULT);
    EXPECT_ERR(syscall(SYS_fstat, 999, &st), EBADF);
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, "/data/link", &st, AT_SYMLINK_NOFOLLOW), 0);
    check(S_ISLNK(st.st_mode) && st.st_size == 5, "lstat link", (long)st.st_size, 0);
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, "/data/link", &st, 0), 0);
    check(S_ISREG(st.st_mode) && st.st_size == 16, "stat through link", (long)st.st_size, 0);
    EXPECT_EQ(syscall(SYS_newfstatat, fd, "", &st, AT_EMPTY_PATH), 0);
    check(st.st_size == 16, "AT_EMPTY_PATH", (long)st.st_size, 0);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, "", &st, 0), ENOENT);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, "/nonexistent", &st, 0), ENOENT);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, "/data/a.txt/x", &st, 0), ENOTDIR);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, BAD, &st, 0), EFAULT);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, "/data", &st, 0x4000000), EINVAL);
    struct statx_head sx;
    EXPECT_EQ(syscall(SYS_statx, AT_FDCWD, "/data/a.txt", 0, 0x7ff, &sx), 0);
    check(sx.size == 16 && S_ISREG(sx.mode) && (sx.mask & 0x200), "statx", (long)sx.size, 0);
    EXPECT_ERR(syscall(SYS_statx, AT_FDCWD, "/data/a.txt", 0, 0x7ff, BAD), EFAULT);

    /* directories */
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "/data", O_RDONLY | O_DIRECTORY);
    check(dfd >= 0, "open dir", dfd, errno);
    EXPECT_ERR(syscall(SYS_read, dfd, buf, 10), EISDIR);
    EXPECT_ERR(syscall(SYS_getdents64, dfd, buf, 1), EINVAL);
    EXPECT_ERR(syscall(SYS_getdents64, fd, buf, sizeof(buf)), ENOTDIR);
    EXPECT_ERR(syscall(SYS_getdents64, 999, buf, sizeof(buf)), EBADF);
    EXPECT_ERR(syscall(SYS_getdents64, dfd, BAD, 4096), EFAULT);
    int names = 0;
    for (;;) {
        long n = syscall(SYS_getdents64, dfd, buf, 40); /* room for one record at a time */
        if (n <= 0) {
            check(n == 0, "getdents end", n, errno);
            break;
        }
        for (long off = 0; off < n;) {
            struct kdirent *e = (struct kdirent *)(buf + off);
            names += !strcmp(e->name, ".") + !strcmp(e->name, "..") + !strcmp(e->name, "a.txt") +
                     !strcmp(e->name, "link") + !strcmp(e->name, "sub");
            off += e->reclen;
        }
    }
    EXPECT_EQ(names, 5);
    EXPECT_EQ(syscall(SYS_newfstatat, dfd, "a.txt", &st, 0), 0);
    EXPECT_ERR(syscall(SYS_newfstatat, fd, "a.txt", &st, 0), ENOTDIR);
    EXPECT_ERR(syscall(SYS_openat, AT_FDCWD, "/data/a.txt", O_RDONLY | O_DIRECTORY), ENOTDIR);
    EXPECT_ERR(syscall(SYS_openat, AT_FDCWD, "/data", O_WRONLY), EISDIR);
    EXPECT_ERR(syscall(SYS_openat, AT_FDCWD, "/data/link", O_RDONLY | O_NOFOLLOW), ELOOP);
    int pfd = (int)syscall(SYS_openat, AT_FDCWD, "/data/link", O_PATH | O_NOFOLLOW);
    check(pfd >= 0, "O_PATH|O_NOFOLLOW", pfd, errno);
    EXPECT_ERR(syscall(SYS_read, pfd, buf, 1), EBADF);
    EXPECT_EQ(syscall(SYS_close, pfd), 0);
    EXPECT_ERR(syscall(SYS_openat, 999, "a.txt", O_RDONLY), EBADF);
    EXPECT_ERR(syscall(SYS_openat, AT_FDCWD, BAD, O_RDONLY), EFAULT);

    /* readlink, access, cwd */
    EXPECT_EQ(syscall(SYS_readlinkat, dfd, "link", buf, sizeof(buf)), 5);
    check(memcmp(buf, "a.txt", 5) == 0, "readlink text", 0, 0);
    EXPECT_EQ(syscall(SYS_readlinkat, dfd, "link", buf, 2), 2);
    EXPECT_ERR(syscall(SYS_readlinkat, dfd, "a.txt", buf, sizeof(buf)), EINVAL);
    EXPECT_ERR(syscall(SYS_readlinkat, dfd, "link", buf, 0), EINVAL);
    EXPECT_ERR(syscall(SYS_readlinkat, dfd, "link", BAD, 10), EFAULT);
    EXPECT_EQ(syscall(SYS_faccessat, AT_FDCWD, "/data/a.txt", R_OK), 0);
    EXPECT_ERR(syscall(SYS_faccessat, AT_FDCWD, "/data/a.txt", X_OK), EACCES);
    EXPECT_ERR(syscall(SYS_faccessat, AT_FDCWD, "/data/none", F_OK), ENOENT);
    EXPECT_ERR(syscall(SYS_faccessat, AT_FDCWD, "/data/a.txt", 8), EINVAL);
    EXPECT_EQ(syscall(SYS_fchdir, dfd), 0);
    EXPECT_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), 6);
    check(strcmp(buf, "/data") == 0, "getcwd /data", 0, 0);
    EXPECT_ERR(syscall(SYS_getcwd, buf, 3), ERANGE);
    EXPECT_ERR(syscall(SYS_getcwd, BAD, 100), EFAULT);
    EXPECT_EQ(syscall(SYS_chdir, "sub/.."), 0);
    EXPECT_EQ(syscall(SYS_chdir, "link/../sub"), -1); /* a.txt is not a directory */
    EXPECT_EQ(syscall(SYS_chdir, "sub"), 0);
    EXPECT_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), 10);
    check(strcmp(buf, "/data/sub") == 0, "getcwd /data/sub", 0, 0);
    EXPECT_ERR(syscall(SYS_chdir, "/data/a.txt"), ENOTDIR);
    EXPECT_EQ(syscall(SYS_chdir, "/"), 0);
    EXPECT_EQ(syscall(SYS_close, dfd), 0);
    EXPECT_EQ(syscall(SYS_close, fd), 0);
    EXPECT_EQ(syscall(SYS_close, 40), 0);
    EXPECT_EQ(syscall(SYS_close, 41), 0);

    /* close_range: closing and marking */
    EXPECT_EQ(syscall(SYS_dup2, 1, 60), 60);
    EXPECT_EQ(syscall(SYS_dup2, 1, 61), 61);
    EXPECT_EQ(syscall(SYS_dup2, 1, 62), 62);
    EXPECT_EQ(syscall(SYS_close_range, 60, 61, 0), 0);
    EXPECT_ERR(syscall(SYS_fcntl, 60, F_GETFD), EBADF);
    EXPECT_ERR(syscall(SYS_fcntl, 61, F_GETFD), EBADF);
    EXPECT_EQ(syscall(SYS_close_range, 62, ~0u, 4 /* CLOSE_RANGE_CLOEXEC */), 0);
    EXPECT_EQ(syscall(SYS_fcntl, 62, F_GETFD), FD_CLOEXEC);
    EXPECT_ERR(syscall(SYS_close_range, 5, 4, 0), EINVAL);
    EXPECT_EQ(syscall(SYS_close, 62), 0);

    /* ioctl on the console: no tty */
    EXPECT_ERR(syscall(SYS_ioctl, 1, TCGETS, buf), ENOTTY);
    EXPECT_ERR(syscall(SYS_ioctl, 1, TIOCGWINSZ, buf), ENOTTY);
    EXPECT_ERR(syscall(SYS_ioctl, 999, TCGETS, buf), EBADF);
}

static void writes(void)
{
    char path[64], buf[64];
    snprintf(path, sizeof(path), "%s/new.txt", tmpdir);
    EXPECT_EQ(syscall(SYS_umask, 022), 022);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL | O_TRUNC, 0666);
    check(fd >= 0, "create", fd, errno);
    EXPECT_ERR(syscall(SYS_openat, AT_FDCWD, path, O_RDWR | O_CREAT | O_EXCL, 0666), EEXIST);
    EXPECT_EQ(syscall(SYS_write, fd, "0123456789", 10), 10);
    EXPECT_ERR(syscall(SYS_write, fd, BAD, 10), EFAULT);
    EXPECT_EQ(syscall(SYS_pwrite64, fd, "AB", 2, 4), 2);
    EXPECT_EQ(syscall(SYS_pread64, fd, buf, 10, 0), 10);
    check(memcmp(buf, "0123AB6789", 10) == 0, "pwrite bytes", 0, 0);
    EXPECT_ERR(syscall(SYS_pread64, fd, buf, 1, -1L), EINVAL);
    EXPECT_EQ(syscall(SYS_ftruncate, fd, 4), 0);
    struct stat st;
    EXPECT_EQ(syscall(SYS_fstat, fd, &st), 0);
    check(st.st_size == 4 && (st.st_mode & 0777) == 0644, "truncated, umask applied", (long)st.st_size, 0);
    EXPECT_ERR(syscall(SYS_ftruncate, fd, -1L), EINVAL);
    EXPECT_EQ(syscall(SYS_fsync, fd), 0);
    EXPECT_EQ(syscall(SYS_fcntl, fd, F_SETFL, O_APPEND), 0);
    EXPECT_EQ(syscall(SYS_write, fd, "Z", 1), 1);
    EXPECT_EQ(syscall(SYS_lseek, fd, 0, SEEK_CUR), 5);
    EXPECT_EQ(syscall(SYS_close, fd), 0);
    snprintf(path, sizeof(path), "%s/dir", tmpdir);
    EXPECT_EQ(syscall(SYS_mkdirat, AT_FDCWD, path, 0755), 0);
    EXPECT_ERR(syscall(SYS_mkdirat, AT_FDCWD, path, 0755), EEXIST);
    snprintf(path, sizeof(path), "%s/sym", tmpdir);
    EXPECT_EQ(syscall(SYS_symlinkat, "new.txt", AT_FDCWD, path), 0);
    EXPECT_EQ(syscall(SYS_readlinkat, AT_FDCWD, path, buf, sizeof(buf)), 7);

    /* names: link, rename, unlink, rmdir */
    char a[64], b[64];
    snprintf(a, sizeof(a), "%s/new.txt", tmpdir);
    snprintf(b, sizeof(b), "%s/hard", tmpdir);
    EXPECT_EQ(syscall(SYS_linkat, AT_FDCWD, a, AT_FDCWD, b, 0), 0);
    struct stat st2;
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, a, &st2, 0), 0);
    check(st2.st_nlink == 2, "two links", (long)st2.st_nlink, 0);
    snprintf(b, sizeof(b), "%s/renamed", tmpdir);
    EXPECT_EQ(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 0), 0);
    EXPECT_ERR(syscall(SYS_newfstatat, AT_FDCWD, a, &st2, 0), ENOENT);
    snprintf(a, sizeof(a), "%s/hard", tmpdir);
    EXPECT_ERR(syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, 1 /* RENAME_NOREPLACE */), EEXIST);
    EXPECT_EQ(syscall(SYS_unlinkat, AT_FDCWD, a, 0), 0);
    EXPECT_ERR(syscall(SYS_unlinkat, AT_FDCWD, a, 0), ENOENT);
    EXPECT_ERR(syscall(SYS_unlinkat, AT_FDCWD, path, 0x1), EINVAL);
    EXPECT_EQ(syscall(SYS_fchmodat, AT_FDCWD, b, 0600), 0);
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, b, &st2, 0), 0);
    check((st2.st_mode & 07777) == 0600, "chmod 0600", (long)st2.st_mode, 0);
    struct timespec ts[2] = { { 1000000000, 5 }, { 1200000000, 7 } };
    EXPECT_EQ(syscall(SYS_utimensat, AT_FDCWD, b, ts, 0), 0);
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, b, &st2, 0), 0);
    check(st2.st_mtime == 1200000000, "utimensat mtime", (long)st2.st_mtime, 0);
    EXPECT_EQ(syscall(SYS_fchownat, AT_FDCWD, b, 1000, -1, 0), 0);
    EXPECT_EQ(syscall(SYS_newfstatat, AT_FDCWD, b, &st2, 0), 0);
    check(st2.st_uid == 1000 && st2.st_gid == 0, "fchownat uid only", (long)st2.st_uid, 0);
    EXPECT_ERR(syscall(SYS_fchownat, AT_FDCWD, b, 0, 0, 0x8000), EINVAL);
    EXPECT_EQ(syscall(SYS_sync), 0);
    snprintf(a, sizeof(a), "%s/dir", tmpdir);
    EXPECT_ERR(syscall(SYS_unlinkat, AT_FDCWD, a, 0), EISDIR);
    EXPECT_ERR(syscall(SYS_unlinkat, AT_FDCWD, b, AT_REMOVEDIR), ENOTDIR);
    EXPECT_EQ(syscall(SYS_unlinkat, AT_FDCWD, a, AT_REMOVEDIR), 0);
    EXPECT_ERR(syscall(SYS_unlinkat, AT_FDCWD, "/data", AT_REMOVEDIR), ENOTEMPTY);
}

static volatile int sigpipes;
static void on_sigpipe(int sig) { sigpipes += sig == SIGPIPE; }

static void pipes(void)
{
    int p[2];
    char buf[16];
    EXPECT_EQ(syscall(SYS_pipe2, p, O_CLOEXEC), 0);
    EXPECT_EQ(syscall(SYS_write, p[1], "ping", 4), 4);
    EXPECT_EQ(syscall(SYS_read, p[0], buf, sizeof(buf)), 4);
    check(memcmp(buf, "ping", 4) == 0, "pipe bytes", 0, 0);
    EXPECT_ERR(syscall(SYS_lseek, p[0], 0, SEEK_SET), ESPIPE);
    EXPECT_ERR(syscall(SYS_pread64, p[0], buf, 1, 0), ESPIPE);
    EXPECT_EQ(syscall(SYS_fcntl, p[0], F_SETFL, O_NONBLOCK), 0);
    EXPECT_ERR(syscall(SYS_read, p[0], buf, 1), EAGAIN);
    EXPECT_ERR(syscall(SYS_write, p[0], "x", 1), EBADF);
    EXPECT_ERR(syscall(SYS_pipe2, BAD, 0), EFAULT);
    EXPECT_ERR(syscall(SYS_pipe2, p, 0x1), EINVAL);
    EXPECT_EQ(syscall(SYS_close, p[1]), 0);
    EXPECT_EQ(syscall(SYS_read, p[0], buf, 1), 0); /* no writer: end of file */
    EXPECT_EQ(syscall(SYS_close, p[0]), 0);
    EXPECT_EQ(syscall(SYS_pipe2, p, 0), 0);
    EXPECT_EQ(syscall(SYS_close, p[0]), 0);
    signal(SIGPIPE, on_sigpipe);
    EXPECT_ERR(syscall(SYS_write, p[1], "x", 1), EPIPE);
    EXPECT_EQ(sigpipes, 1); /* the handler ran before write returned */
    signal(SIGPIPE, SIG_IGN);
    EXPECT_ERR(syscall(SYS_write, p[1], "x", 1), EPIPE);
    EXPECT_EQ(sigpipes, 1);
    EXPECT_EQ(syscall(SYS_close, p[1]), 0);
}

/* A writer thread pushes 1 MiB through a pipe (16 times its capacity), so
 * both ends block in turn; the reader checks every byte. */
static int bulk_fd;
static void *bulk_writer(void *arg)
{
    static unsigned char chunk[10000];
    for (unsigned i = 0; i < sizeof(chunk); i++)
        chunk[i] = (unsigned char)(i * 7);
    size_t left = 1 << 20;
    while (left) {
        size_t n = left < sizeof(chunk) ? left : sizeof(chunk);
        long w = syscall(SYS_write, bulk_fd, chunk, n);
        if (w <= 0)
            return (void *)1;
        left -= (size_t)w;
    }
    syscall(SYS_close, bulk_fd);
    return NULL;
}

static void pipe_bulk(void)
{
    int p[2];
    EXPECT_EQ(syscall(SYS_pipe2, p, 0), 0);
    bulk_fd = p[1];
    pthread_t t;
    EXPECT_EQ(pthread_create(&t, NULL, bulk_writer, NULL), 0);
    static unsigned char buf[4096];
    size_t total = 0, bad = 0;
    for (;;) {
        long n = syscall(SYS_read, p[0], buf, sizeof(buf));
        if (n <= 0)
            break;
        for (long i = 0; i < n; i++)
            bad += buf[i] != (unsigned char)(((total + (size_t)i) % 10000) * 7);
        total += (size_t)n;
    }
    void *ret;
    EXPECT_EQ(pthread_join(t, &ret), 0);
    EXPECT_EQ((long)ret, 0);
    EXPECT_EQ(total, 1 << 20);
    EXPECT_EQ(bad, 0);
    EXPECT_EQ(syscall(SYS_close, p[0]), 0);
}

/* A read blocked on an empty pipe and a signal: EINTR without SA_RESTART,
 * the read goes on (and gets the byte written later) with it. */
static volatile int blocked_tid, usr1s;
static volatile long blocked_ret, blocked_err;
static int intr_fd;
static void on_usr1(int sig) { usr1s += sig == SIGUSR1; }

static void *blocked_reader(void *arg)
{
    char c;
    blocked_tid = (int)syscall(SYS_gettid);
    errno = 0;
    blocked_ret = syscall(SYS_read, intr_fd, &c, 1);
    blocked_err = errno;
    return NULL;
}

/* The Threads: line of /proc/self/status. */
static long threads_now(void)
{
    char buf[2048];
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "/proc/self/status", O_RDONLY);
    long n = fd < 0 ? -1 : syscall(SYS_read, fd, buf, sizeof(buf) - 1);
    syscall(SYS_close, fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *t = strstr(buf, "\nThreads:\t");
    return t ? atol(t + 10) : -1;
}

static void interrupt_reader(int p[2], bool restart)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigaction(SIGUSR1, &sa, NULL);
    intr_fd = p[0];
    blocked_tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, blocked_reader, NULL);
    while (!blocked_tid)
        sched_yield();
    struct timespec pause = { 0, 50 * 1000 * 1000 };
    nanosleep(&pause, NULL); /* the reader is asleep in the pipe by now */
    EXPECT_EQ(threads_now(), 2);
    syscall(SYS_tgkill, getpid(), blocked_tid, SIGUSR1);
    nanosleep(&pause, NULL);
    if (restart)
        syscall(SYS_write, p[1], "x", 1);
    pthread_join(t, NULL);
}

static volatile long sleep_rem_sec;
static void *blocked_sleeper(void *arg)
{
    struct timespec req = { 5, 0 }, rem = { -1, -1 };
    blocked_tid = (int)syscall(SYS_gettid);
    errno = 0;
    blocked_ret = syscall(SYS_nanosleep, &req, &rem);
    blocked_err = errno;
    sleep_rem_sec = rem.tv_sec;
    return NULL;
}

/* nanosleep cut short by a handled signal: EINTR, the rest in rem. */
static void sleep_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART; /* nanosleep is never restarted by it, as Linux */
    sigaction(SIGUSR1, &sa, NULL);
    blocked_tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, blocked_sleeper, NULL);
    while (!blocked_tid)
        sched_yield();
    struct timespec pause = { 0, 50 * 1000 * 1000 };
    nanosleep(&pause, NULL);
    syscall(SYS_tgkill, getpid(), blocked_tid, SIGUSR1);
    pthread_join(t, NULL);
    check(blocked_ret == -1 && blocked_err == EINTR, "nanosleep interrupted: EINTR", blocked_ret, (int)blocked_err);
    check(sleep_rem_sec >= 3 && sleep_rem_sec <= 4, "nanosleep rem holds the rest", sleep_rem_sec, 0);
}

static void pipe_signals(void)
{
    int p[2];
    EXPECT_EQ(syscall(SYS_pipe2, p, 0), 0);
    interrupt_reader(p, false);
    EXPECT_EQ(usr1s, 1);
    check(blocked_ret == -1 && blocked_err == EINTR, "pipe read interrupted: EINTR", blocked_ret, (int)blocked_err);
    interrupt_reader(p, true);
    EXPECT_EQ(usr1s, 2);
    check(blocked_ret == 1, "pipe read restarted after SA_RESTART handler", blocked_ret, (int)blocked_err);
    syscall(SYS_close, p[0]);
    syscall(SYS_close, p[1]);
    sleep_signal();
    EXPECT_EQ(usr1s, 3);
}

static void devices(void)
{
    char buf[32];
    int z = (int)syscall(SYS_openat, AT_FDCWD, "/dev/zero", O_RDONLY);
    memset(buf, 1, sizeof(buf));
    EXPECT_EQ(syscall(SYS_read, z, buf, sizeof(buf)), sizeof(buf));
    int zeros = 0;
    for (size_t i = 0; i < sizeof(buf); i++)
        zeros += buf[i] == 0;
    EXPECT_EQ(zeros, sizeof(buf));
    syscall(SYS_close, z);
    int n = (int)syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDWR);
    EXPECT_EQ(syscall(SYS_read, n, buf, sizeof(buf)), 0);
    EXPECT_EQ(syscall(SYS_write, n, buf, sizeof(buf)), sizeof(buf));
    struct stat st;
    EXPECT_EQ(syscall(SYS_fstat, n, &st), 0);
    check(S_ISCHR(st.st_mode) && st.st_rdev == 0x103, "/dev/null is 1:3", (long)st.st_rdev, 0);
    syscall(SYS_close, n);
    int u = (int)syscall(SYS_openat, AT_FDCWD, "/dev/urandom", O_RDONLY);
    char a[16], b[16];
    EXPECT_EQ(syscall(SYS_read, u, a, 16), 16);
    EXPECT_EQ(syscall(SYS_read, u, b, 16), 16);
    check(memcmp(a, b, 16) != 0, "urandom differs", 0, 0);
    syscall(SYS_close, u);
    EXPECT_EQ(syscall(SYS_getrandom, a, 16, GRND_NONBLOCK_), 16);
    EXPECT_ERR(syscall(SYS_getrandom, BAD, 16, 0), EFAULT);
    EXPECT_ERR(syscall(SYS_getrandom, a, 16, 0x100), EINVAL);
    char exe[64] = { 0 };
    long len = syscall(SYS_readlink, "/proc/self/exe", exe, sizeof(exe) - 1);
    check(len > 0 && exe[0] == '/', "/proc/self/exe", len, errno);
    printf("exe %s\n", exe);
}

static void times(void)
{
    struct timespec a, b, res;
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
    struct timespec req = { 0, 20 * 1000 * 1000 };
    EXPECT_EQ(syscall(SYS_nanosleep, &req, NULL), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b), 0);
    long long ns = (b.tv_sec - a.tv_sec) * 1000000000ll + (b.tv_nsec - a.tv_nsec);
    check(ns >= 20000000, "nanosleep slept 20 ms", (long)ns, 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a), 0);
    check(a.tv_sec > 1500000000, "realtime after 2017", (long)a.tv_sec, 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_BOOTTIME, &a), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC_RAW, &a), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC_COARSE, &a), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_PROCESS_CPUTIME_ID, &a), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_THREAD_CPUTIME_ID, &a), 0);
    check(a.tv_sec > 0 || a.tv_nsec > 0, "thread cpu time counts", a.tv_nsec, 0);
    EXPECT_ERR(syscall(SYS_clock_gettime, 99, &a), EINVAL);
    EXPECT_ERR(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD), EFAULT);
    EXPECT_EQ(syscall(SYS_clock_getres, CLOCK_MONOTONIC, &res), 0);
    check(res.tv_sec == 0 && res.tv_nsec == 1, "getres 1 ns", res.tv_nsec, 0);
    req.tv_nsec = 1000000000;
    EXPECT_ERR(syscall(SYS_nanosleep, &req, NULL), EINVAL);
    EXPECT_ERR(syscall(SYS_nanosleep, BAD, NULL), EFAULT);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a), 0);
    a.tv_nsec += 10000000;
    if (a.tv_nsec >= 1000000000) {
        a.tv_sec++;
        a.tv_nsec -= 1000000000;
    }
    EXPECT_EQ(syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, &a, NULL), 0);
    EXPECT_EQ(syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b), 0);
    check(b.tv_sec > a.tv_sec || (b.tv_sec == a.tv_sec && b.tv_nsec >= a.tv_nsec), "abstime reached", 0, 0);
    struct timeval tv;
    EXPECT_EQ(syscall(SYS_gettimeofday, &tv, NULL), 0);
    EXPECT_ERR(syscall(SYS_gettimeofday, BAD, NULL), EFAULT);
    long t = syscall(SYS_time, NULL);
    check(t >= tv.tv_sec, "time()", t, 0);
}

static void info(void)
{
    struct {
        int64_t type, bsize;
        uint64_t blocks, bfree, bavail, files, ffree;
        int32_t fsid[2];
        int64_t namelen, frsize, flags, spare[4];
    } sf;
    EXPECT_EQ(syscall(SYS_statfs, "/proc/self", &sf), 0);
    check(sf.type == 0x9fa0, "statfs /proc is proc", (long)sf.type, 0);
    EXPECT_EQ(syscall(SYS_statfs, "/dev/null", &sf), 0);
    check(sf.type == 0x01021994 && sf.namelen == 255, "statfs /dev is devtmpfs", (long)sf.type, 0);
    EXPECT_ERR(syscall(SYS_statfs, "/data", BAD), EFAULT);
    EXPECT_ERR(syscall(SYS_fstatfs, 999, &sf), EBADF);
    struct utsname {
        char s[6][65];
    } u;
    EXPECT_EQ(syscall(SYS_uname, &u), 0);
    EXPECT_ERR(syscall(SYS_uname, BAD), EFAULT);
    printf("uname %s %s\n", u.s[0], u.s[4]);
    char si[112];
    EXPECT_EQ(syscall(SYS_sysinfo, si), 0);
    EXPECT_ERR(syscall(SYS_sysinfo, BAD), EFAULT);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        tmpdir = argv[1];
    files();
    writes();
    pipes();
    pipe_bulk();
    pipe_signals();
    devices();
    times();
    info();
    printf("files_check: %d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
