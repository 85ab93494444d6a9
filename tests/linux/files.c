/* tests/linux/files.c: file, directory, descriptor and pipe calls on a tree
 * (argv[1], relative paths only), printed as a transcript without inode
 * numbers or times: the boot test compares the guest's transcript with the
 * same binary's on the host. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

static unsigned long fnv(const unsigned char *p, size_t n)
{
    unsigned long h = 1469598103934665603UL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 1099511628211UL;
    return h;
}

static const char *err(long rc)
{
    static char buf[64];
    if (rc >= 0) {
        snprintf(buf, sizeof(buf), "ok %ld", rc);
        return buf;
    }
    snprintf(buf, sizeof(buf), "errno %d", errno);
    return buf;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("opendir %s: %s\n", path, err(-1));
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256) {
        char type = e->d_type == DT_DIR ? 'd' : e->d_type == DT_LNK ? 'l' : e->d_type == DT_REG ? 'f' :
                    e->d_type == DT_FIFO ? 'p' : e->d_type == DT_SOCK ? 's' : '?';
        if (asprintf(&names[n], "%s(%c)", e->d_name, type) > 0)
            n++;
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    printf("dir %s:", path);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void show_stat(const char *path)
{
    struct stat st, lst;
    int rc = stat(path, &st), lrc = lstat(path, &lst);
    if (rc < 0 || lrc < 0) {
        printf("stat %s: %s\n", path, err(-1));
        return;
    }
    /* A directory's size is the file system's business. */
    long long size = S_ISDIR(st.st_mode) ? -1 : (long long)st.st_size;
    printf("stat %s: size=%lld reg=%d dir=%d lnk=%d perm=%o\n", path, size, S_ISREG(st.st_mode),
           S_ISDIR(st.st_mode), S_ISLNK(lst.st_mode), (unsigned)(st.st_mode & 0777));
}

static void read_whole(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) {
        printf("open %s: %s\n", path, err(-1));
        return;
    }
    static unsigned char buf[1 << 20];
    size_t n = 0;
    ssize_t r;
    while ((r = read(fd, buf + n, 4093 < sizeof(buf) - n ? 4093 : sizeof(buf) - n)) > 0)
        n += r;
    printf("read %s: %zu bytes fnv=%016lx last=%s\n", path, n, fnv(buf, n), err(r));
    close(fd);
}

static void scratch_file(void)
{
    printf("mkdir scratch: %s\n", err(mkdir("scratch", 0755)));
    printf("mkdir scratch again: %s\n", err(mkdir("scratch", 0755)));
    int fd = open("scratch/f", O_CREAT | O_TRUNC | O_RDWR, 0644);
    printf("create scratch/f: %s\n", err(fd < 0 ? -1 : 0));
    static char a[10000], b[10000];
    for (size_t i = 0; i < sizeof(a); i++)
        a[i] = (char)(i * 7 + i / 251);
    struct iovec iov[3] = { { a, 100 }, { a + 100, 4000 }, { a + 4100, 5900 } };
    printf("writev: %s\n", err(writev(fd, iov, 3)));
    printf("lseek cur: %s\n", err(lseek(fd, 0, SEEK_CUR)));
    printf("lseek end-10: %s\n", err(lseek(fd, -10, SEEK_END)));
    printf("lseek set 5000: %s\n", err(lseek(fd, 5000, SEEK_SET)));
    printf("read 6000 at 5000: %s\n", err(read(fd, b, 6000)));
    printf("pwrite 3 at 20000: %s\n", err(pwrite(fd, "xyz", 3, 20000)));
    memset(b, 1, sizeof(b));
    printf("pread 8 at 19996: %s\n", err(pread(fd, b, 8, 19996)));
    printf("hole bytes: %d %d %d %d then %.3s\n", b[0], b[1], b[2], b[3], b + 4);
    printf("pread all: %s\n", err(pread(fd, b, sizeof(b), 0)));
    printf("content same: %d\n", memcmp(a, b, sizeof(a)) == 0);
    struct stat st = { 0 };
    long rc = fstat(fd, &st);
    printf("fstat: %s size=%lld\n", err(rc), (long long)st.st_size);
    close(fd);
    printf("rename: %s\n", err(rename("scratch/f", "scratch/g")));
    printf("access old: %s\n", err(access("scratch/f", F_OK)));
    printf("access new: %s\n", err(access("scratch/g", R_OK)));
    list_dir("scratch");
    printf("unlink: %s\n", err(unlink("scratch/g")));
    printf("unlink again: %s\n", err(unlink("scratch/g")));
    list_dir("scratch");
}

static void descriptors(void)
{
    int fd = open("data/hello.txt", O_RDONLY | O_CLOEXEC);
    printf("getfd: %s\n", err(fcntl(fd, F_GETFD)));
    printf("setfd 0: %s\n", err(fcntl(fd, F_SETFD, 0)));
    printf("getfd: %s\n", err(fcntl(fd, F_GETFD)));
    printf("getfl accmode: %d\n", fcntl(fd, F_GETFL) & O_ACCMODE);
    int d = dup(fd);
    printf("dup > fd: %d\n", d > fd);
    printf("dup2 to 50: %s\n", err(dup2(fd, 50)));
    printf("dup3 to 51 cloexec: %s\n", err(dup3(fd, 51, O_CLOEXEC)));
    printf("getfd 51: %s\n", err(fcntl(51, F_GETFD)));
    int c = fcntl(fd, F_DUPFD_CLOEXEC, 60);
    printf("dupfd_cloexec >= 60: %d getfd %s\n", c >= 60, err(fcntl(c, F_GETFD)));
    char x[6] = { 0 };
    printf("read via dup: %s '%s'\n", err(read(d, x, 5)), x);
    printf("shared offset: %s\n", err(lseek(fd, 0, SEEK_CUR)));
    close(d);
    close(50);
    close(51);
    close(c);
    printf("close twice: %s\n", err(close(d)));
    printf("read closed: %s\n", err(read(d, x, 1)));
    int p[2];
    printf("pipe2: %s\n", err(pipe2(p, O_CLOEXEC)));
    printf("pipe write: %s\n", err(write(p[1], "through the pipe", 16)));
    char buf[32] = { 0 };
    printf("pipe read: %s '%s'\n", err(read(p[0], buf, sizeof(buf) - 1)), buf);
    lseek(fd, 0, SEEK_SET);
    printf("sendfile to pipe: %s\n", err(sendfile(p[1], fd, NULL, 11)));
    memset(buf, 0, sizeof(buf));
    printf("pipe read: %s '%s'\n", err(read(p[0], buf, sizeof(buf) - 1)), buf);
    printf("lseek pipe: %s\n", err(lseek(p[0], 0, SEEK_SET)));
    close(p[1]);
    printf("pipe eof: %s\n", err(read(p[0], buf, 1)));
    close(p[0]);
    close(fd);
}

/* mknod's node types and a named FIFO's open rules (the blocking opens
 * need a second thread: Go's TestFifoEOF has them). Devices are left out:
 * root on the host may make them, Kestrel refuses (EPERM). */
static void nodes_and_fifos(void)
{
    umask(022);
    const char *fifo = "scratch/fifo";
    printf("mknod fifo: %s\n", err(mknod(fifo, S_IFIFO | 0666, 0)));
    printf("mknod fifo again: %s\n", err(mknod(fifo, S_IFIFO | 0666, 0)));
    printf("mknod in missing dir: %s\n", err(mknod("scratch/none/fifo", S_IFIFO | 0600, 0)));
    printf("mknod below a file: %s\n", err(mknod("data/hello.txt/fifo", S_IFIFO | 0600, 0)));
    printf("mknod bad type: %s\n", err(mknod("scratch/bad", 0170000 | 0600, 0)));
    printf("mknod regular: %s\n", err(mknod("scratch/reg", S_IFREG | 0600, 0)));
    printf("mknod type 0: %s\n", err(mknod("scratch/reg0", 0640, 0)));
    printf("mknodat socket: %s\n", err(mknodat(AT_FDCWD, "scratch/sock", S_IFSOCK | 0600, 0)));
    struct stat st = { 0 };
    long rc = stat(fifo, &st); /* before the fields are read: printf's arguments have no order */
    printf("stat fifo: %s fifo=%d perm=%o size=%lld\n", err(rc), S_ISFIFO(st.st_mode), (unsigned)(st.st_mode & 07777),
           (long long)st.st_size);
    rc = stat("scratch/reg0", &st);
    printf("stat reg0: %s reg=%d perm=%o\n", err(rc), S_ISREG(st.st_mode), (unsigned)(st.st_mode & 07777));
    rc = stat("scratch/sock", &st);
    printf("stat sock: %s sock=%d\n", err(rc), S_ISSOCK(st.st_mode));
    printf("open socket node: %s\n", err(open("scratch/sock", O_RDONLY)));
    list_dir("scratch");
    printf("open writer, no reader, nonblock: %s\n", err(open(fifo, O_WRONLY | O_NONBLOCK)));
    int r = open(fifo, O_RDONLY | O_NONBLOCK);
    char buf[32] = { 0 };
    printf("open reader nonblock: %s\n", err(r < 0 ? -1 : 0));
    printf("read, no writer: %s\n", err(read(r, buf, sizeof(buf))));
    int w = open(fifo, O_WRONLY);
    printf("open writer (a reader is there): %s\n", err(w < 0 ? -1 : 0));
    printf("read, empty: %s\n", err(read(r, buf, sizeof(buf))));
    printf("write: %s\n", err(write(w, "fifo bytes", 10)));
    rc = fstat(w, &st);
    printf("fstat writer: %s fifo=%d size=%lld\n", err(rc), S_ISFIFO(st.st_mode), (long long)st.st_size);
    printf("read: %s '%s'\n", err(read(r, buf, sizeof(buf) - 1)), buf);
    printf("lseek fifo: %s\n", err(lseek(r, 0, SEEK_SET)));
    printf("write to reader: %s\n", err(write(r, "x", 1)));
    close(w);
    printf("read, writer gone: %s\n", err(read(r, buf, sizeof(buf))));
    int rw = open(fifo, O_RDWR);
    printf("open rdwr: %s\n", err(rw < 0 ? -1 : 0));
    memset(buf, 0, sizeof(buf));
    printf("rdwr write: %s\n", err(write(rw, "both ways", 9)));
    printf("read from other open: %s '%s'\n", err(read(r, buf, 4)), buf);
    close(r);
    close(rw);
    r = open(fifo, O_RDONLY | O_NONBLOCK);
    printf("bytes gone with the last close: %s\n", err(read(r, buf, sizeof(buf))));
    close(r);
    const char *names[] = { fifo, "scratch/reg", "scratch/reg0", "scratch/sock" };
    for (unsigned i = 0; i < 4; i++)
        printf("unlink %s: %s\n", names[i], err(unlink(names[i])));
}

/* NAME_MAX: a 255-byte name works for every kind of node, 256 bytes is
 * ENAMETOOLONG; a 100-byte component deep in a path is fine. */
static void long_names(void)
{
    char name[300], path[400];
    memset(name, 'n', sizeof(name));
    name[255] = 0;
    snprintf(path, sizeof(path), "scratch/%s", name);
    printf("mkdir 255: %s\n", err(mkdir(path, 0755)));
    struct stat st;
    printf("stat 255: %s\n", err(stat(path, &st)));
    printf("rmdir 255: %s\n", err(rmdir(path)));
    int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0644);
    printf("create 255: %s\n", err(fd < 0 ? -1 : 0));
    close(fd);
    list_dir("scratch");
    printf("unlink 255: %s\n", err(unlink(path)));
    printf("mknod fifo 255: %s\n", err(mknod(path, S_IFIFO | 0600, 0)));
    printf("symlink 255: %s\n", err(symlink("target", "scratch/l") == 0 ? rename("scratch/l", path) : -1));
    printf("unlink 255: %s\n", err(unlink(path)));
    name[255] = 'n';
    name[256] = 0;
    snprintf(path, sizeof(path), "scratch/%s", name);
    printf("mkdir 256: %s\n", err(mkdir(path, 0755)));
    printf("create 256: %s\n", err(open(path, O_CREAT | O_WRONLY, 0644)));
    printf("stat 256: %s\n", err(stat(path, &st)));
    printf("mknod 256: %s\n", err(mknod(path, S_IFIFO | 0600, 0)));
    printf("rename to 256: %s\n", err(rename("scratch", path)));
    char deep[700] = "scratch";
    memset(name, 'd', 100);
    name[100] = 0;
    int ok = 0;
    for (int i = 0; i < 5; i++) {
        strcat(deep, "/");
        strcat(deep, name);
        ok += mkdir(deep, 0755) == 0;
    }
    printf("5 levels of 100-byte names: %d made\n", ok);
    for (int i = 0; i < 5; i++) {
        ok -= rmdir(deep) == 0;
        *strrchr(deep, '/') = 0;
    }
    printf("and removed: %d left\n", ok);
}

static long cfr(int in, long long *oin, int out, long long *oout, size_t len, unsigned flags)
{
    return syscall(SYS_copy_file_range, in, oin, out, oout, len, flags);
}

/* copy_file_range between files of the tree: with and without offsets,
 * past the end, within one file, and every refusal. */
static void copy_ranges(void)
{
    int in = open("data/big", O_RDONLY);
    int out = open("scratch/copy", O_CREAT | O_TRUNC | O_RDWR, 0644);
    long long oin = 1000, oout = 0;
    printf("cfr offsets: %s", err(cfr(in, &oin, out, &oout, 5000, 0)));
    printf(" now %lld %lld, in's own %s\n", oin, oout, err(lseek(in, 0, SEEK_CUR)));
    lseek(out, 5000, SEEK_SET);
    printf("cfr own offsets: %s", err(cfr(in, NULL, out, NULL, 70000, 0)));
    printf(" in at %s", err(lseek(in, 0, SEEK_CUR)));
    printf(" out at %s\n", err(lseek(out, 0, SEEK_CUR)));
    printf("cfr more than is left: %s\n", err(cfr(in, NULL, out, NULL, 70000, 0)));
    oin = 200000;
    printf("cfr past the end: %s\n", err(cfr(in, &oin, out, NULL, 10, 0)));
    printf("cfr zero: %s\n", err(cfr(in, NULL, out, NULL, 0, 0)));
    struct stat st;
    long rc = fstat(out, &st);
    static unsigned char a[100000], b[110000];
    long ra = pread(in, a, sizeof(a), 0), rb = pread(out, b, sizeof(b), 0);
    printf("copy: %s size %lld, same bytes %d\n", err(rc), (long long)st.st_size,
           ra == 100000 && rb == 105000 && memcmp(a + 1000, b, 5000) == 0 && memcmp(a, b + 5000, 100000) == 0);
    oin = 0, oout = 10;
    printf("cfr overlap: %s\n", err(cfr(out, &oin, out, &oout, 100, 0)));
    oin = 0, oout = 80000;
    printf("cfr same file apart: %s\n", err(cfr(out, &oin, out, &oout, 100, 0)));
    oin = -1, oout = 0;
    printf("cfr negative offset: %s\n", err(cfr(in, &oin, out, &oout, 10, 0)));
    oin = 0x7fffffffffffff00LL;
    printf("cfr offset wraps: %s\n", err(cfr(in, &oin, out, &oout, 0x1000, 0)));
    printf("cfr flags: %s\n", err(cfr(in, NULL, out, NULL, 10, 1)));
    printf("cfr to itself read-only: %s\n", err(cfr(in, NULL, in, NULL, 10, 0)));
    int ap = open("scratch/copy", O_WRONLY | O_APPEND);
    printf("cfr to O_APPEND: %s\n", err(cfr(in, NULL, ap, NULL, 10, 0)));
    int wo = open("scratch/copy", O_WRONLY);
    printf("cfr from write-only: %s\n", err(cfr(wo, NULL, out, NULL, 10, 0)));
    int dir = open("data", O_RDONLY | O_DIRECTORY);
    printf("cfr from a directory: %s\n", err(cfr(dir, NULL, out, NULL, 10, 0)));
    int p[2];
    if (pipe(p) == 0) {
        printf("cfr to a pipe: %s\n", err(cfr(in, NULL, p[1], NULL, 10, 0)));
        close(p[0]);
        close(p[1]);
    }
    printf("cfr bad fd: %s\n", err(cfr(999, NULL, out, NULL, 10, 0)));
    close(dir);
    close(wo);
    close(ap);
    close(in);
    close(out);
    printf("unlink copy: %s\n", err(unlink("scratch/copy")));
}

static void devices_and_errors(void)
{
    int n = open("/dev/null", O_WRONLY);
    printf("dev/null write: %s\n", err(write(n, "abc", 3)));
    close(n);
    int z = open("/dev/zero", O_RDONLY);
    char buf[64];
    memset(buf, 7, sizeof(buf));
    ssize_t r = read(z, buf, sizeof(buf));
    printf("dev/zero read: %s zero=%d\n", err(r), buf[0] == 0 && buf[63] == 0);
    close(z);
    printf("open missing: %s\n", err(open("data/missing", O_RDONLY)));
    printf("open dir for write: %s\n", err(open("data", O_WRONLY)));
    printf("open below a file: %s\n", err(open("data/hello.txt/x", O_RDONLY)));
    printf("mkdir existing: %s\n", err(mkdir("data", 0755)));
    printf("readlink: ");
    char t[256];
    ssize_t l = readlink("data/link", t, sizeof(t) - 1);
    if (l >= 0)
        t[l] = 0;
    printf("%s '%s'\n", err(l), l >= 0 ? t : "");
    printf("readlink regular: %s\n", err(readlink("data/hello.txt", t, sizeof(t))));
    int tty = isatty(1);
    printf("isatty stdout: %d (%s)\n", tty, err(-1));
    umask(022);
    printf("umask: %o\n", (unsigned)umask(077));
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]) < 0) {
        printf("usage: files DIR\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    list_dir("data");
    list_dir("data/sub");
    show_stat("data/hello.txt");
    show_stat("data/link");
    show_stat("data/sub");
    read_whole("data/hello.txt");
    read_whole("data/big");
    scratch_file();
    descriptors();
    nodes_and_fifos();
    long_names();
    copy_ranges();
    devices_and_errors();
    char cwd[4096];
    printf("chdir data: %s\n", err(chdir("data")));
    printf("cwd ends in /data: %d\n", getcwd(cwd, sizeof(cwd)) && strlen(cwd) >= 5 &&
                                          strcmp(cwd + strlen(cwd) - 5, "/data") == 0);
    read_whole("hello.txt");
    printf("done\n");
    return 0;
}
