/* fstest: reads files through the POSIX and stdio calls for the boot tests.
 *   fstest tree DIR     every file's SHA-256 and size, every link's target
 *   fstest posix DIR    errno and offset semantics on the harness's layout
 *   fstest write DIR    create, write, append, truncate, read back (ramfs)
 *   fstest cat FILE     one file's SHA-256, size and read time
 *   fstest read DIR     read every file (no hashing, no listing), timed: bench/fs
 *   fstest rw DIR SEED STEPS SPAN   a random workload under DIR/z (create,
 *                       write, append, truncate, unlink, mkdir, rmdir,
 *                       rename, link, fsync); tests/boot/test_ext4_rw.py
 *                       replays it on the host and compares the hash of the
 *                       results and the trees
 *   fstest wbench DIR SEQ_MIB RAND_N SMALL_N  bench/fs's write workloads:
 *                       sequential 1 MiB writes then fsync; 4 KiB random
 *                       pwrites in that file, fsync every 32; small files
 *                       created, written (4 KiB) and fsynced; each timed
 *   fstest lazy DIR      writes DIR/lazy (no fsync), says so, then idles:
 *                       the commit interval must make it durable
 *   fstest crash DIR SEED SDIR  random work under DIR/z and files
 *                       SDIR/SEED-fN written and fsynced, one "synced" line
 *                       each, until killed
 * Status 0 only when everything read without error. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bcache.h"
#include "clock.h"
#include "insn_mark.h"
#include "sha256.h"
#include "vfs.h"

#define CHUNK (64 * 1024)
#define MAX_DEPTH 64

struct tree_stats {
    unsigned files, dirs, links, errors;
    unsigned long long bytes;
};

static char *buf;
static int quiet; /* fstest read: no per-file lines, no hashing */

static int hash_file(const char *path, char hex[65], unsigned long long *size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    struct sha256 s;
    sha256_init(&s);
    *size = 0;
    ssize_t n;
    while ((n = read(fd, buf, CHUNK)) > 0) {
        if (!quiet)
            sha256_update(&s, buf, (size_t)n);
        *size += (unsigned long long)n;
    }
    int err = errno;
    close(fd);
    if (n < 0) {
        errno = err;
        return -1;
    }
    uint8_t d[SHA256_DIGEST];
    sha256_final(&s, d);
    sha256_hex(d, hex);
    return 0;
}

static void walk(const char *path, const char *rel, int depth, struct tree_stats *st)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("fstest: error %s: %s\n", path, strerror(errno));
        st->errors++;
        return;
    }
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        size_t pl = strlen(path), rl = strlen(rel), nl = strlen(e->d_name);
        char *child = malloc(pl + nl + 2), *crel = malloc(rl + nl + 2);
        snprintf(child, pl + nl + 2, "%s%s%s", path, path[pl - 1] == '/' ? "" : "/", e->d_name);
        snprintf(crel, rl + nl + 2, "%s%s%s", rel, *rel ? "/" : "", e->d_name);
        struct stat sb;
        if (lstat(child, &sb) < 0) {
            printf("fstest: error %s: %s\n", child, strerror(errno));
            st->errors++;
        } else if (S_ISLNK(sb.st_mode)) {
            char *target = malloc(VFS_PATH_MAX + 1); /* the walk recurses on a 64 KiB stack */
            ssize_t n = readlink(child, target, VFS_PATH_MAX);
            if (n < 0) {
                printf("fstest: error %s: %s\n", child, strerror(errno));
                st->errors++;
            } else {
                target[n] = 0;
                if (!quiet)
                    printf("L %s -> %s\n", crel, target);
                st->links++;
            }
            free(target);
        } else if (S_ISDIR(sb.st_mode)) {
            if (!quiet)
                printf("D %s\n", crel);
            st->dirs++;
            if (depth < MAX_DEPTH)
                walk(child, crel, depth + 1, st);
        } else {
            char hex[65];
            unsigned long long size;
            if (hash_file(child, hex, &size) < 0) {
                printf("fstest: error %s: %s\n", child, strerror(errno));
                st->errors++;
            } else {
                if (size != (unsigned long long)sb.st_size) {
                    printf("fstest: error %s: read %llu bytes, stat says %lld\n", child, size,
                           (long long)sb.st_size);
                    st->errors++;
                }
                if (!quiet)
                    printf("F %s %llu %s\n", hex, size, crel);
                st->files++;
                st->bytes += size;
            }
        }
        free(child);
        free(crel);
        errno = 0;
    }
    if (errno) {
        printf("fstest: error reading directory %s: %s\n", path, strerror(errno));
        st->errors++;
    }
    closedir(d);
}

static int cmd_tree(const char *dir)
{
    struct tree_stats st = { 0 };
    uint64_t t0 = clock_monotonic_ns();
    walk(dir, "", 0, &st);
    uint64_t ms = (clock_monotonic_ns() - t0) / 1000000;
    printf("fstest: tree files=%u dirs=%u links=%u bytes=%llu errors=%u ms=%llu\n", st.files, st.dirs, st.links,
           st.bytes, st.errors, (unsigned long long)ms);
    return st.errors ? 1 : 0;
}

static int cmd_read(const char *dir)
{
    struct tree_stats st = { 0 };
    quiet = 1;
    uint64_t t0 = clock_monotonic_ns();
    insn_mark(INSN_MARK_START);
    walk(dir, "", 0, &st);
    insn_mark(INSN_MARK_END);
    uint64_t us = (clock_monotonic_ns() - t0) / 1000;
    uint64_t hits, misses;
    bcache_stats(&hits, &misses);
    printf("fstest: read files=%u bytes=%llu errors=%u us=%llu cache_hits=%llu cache_misses=%llu\n", st.files,
           st.bytes, st.errors, (unsigned long long)us, (unsigned long long)hits, (unsigned long long)misses);
    return st.errors ? 1 : 0;
}

static int cmd_cat(const char *path)
{
    char hex[65];
    unsigned long long size;
    uint64_t t0 = clock_monotonic_ns();
    if (hash_file(path, hex, &size) < 0) {
        printf("fstest: error %s: %s\n", path, strerror(errno));
        return 1;
    }
    printf("fstest: cat %s %llu us=%llu\n", hex, size, (unsigned long long)((clock_monotonic_ns() - t0) / 1000));
    return 0;
}

/* ---- semantics checks ---- */

static unsigned checks, failures;

static void expect(const char *name, int ok, long got)
{
    checks++;
    if (!ok)
        failures++;
    printf("posix: %s %s", name, ok ? "ok" : "FAIL");
    if (!ok)
        printf(" (got %ld, errno %d %s)", got, errno, strerror(errno));
    printf("\n");
}

static int fails_with(long rc, int err) { return rc < 0 && errno == err; }

static char *join(const char *dir, const char *rel)
{
    static char paths[8][VFS_PATH_MAX * 2];
    static unsigned next;
    char *p = paths[next++ % 8];
    snprintf(p, VFS_PATH_MAX * 2, "%s/%s", dir, rel);
    return p;
}

static void check_reads(const char *d)
{
    /* posix/file holds "hello\nworld\n" */
    int fd = open(join(d, "posix/file"), O_RDONLY);
    expect("open", fd >= 0, fd);
    char b[32] = { 0 };
    ssize_t n = read(fd, b, 5);
    expect("read", n == 5 && memcmp(b, "hello", 5) == 0, n);
    expect("lseek-cur", lseek(fd, 0, SEEK_CUR) == 5, 0);
    n = pread(fd, b, 5, 6);
    expect("pread", n == 5 && memcmp(b, "world", 5) == 0, n);
    expect("pread-keeps-offset", lseek(fd, 0, SEEK_CUR) == 5, 0);
    expect("lseek-end", lseek(fd, 0, SEEK_END) == 12, 0);
    expect("read-at-eof", read(fd, b, 4) == 0, 0);
    expect("lseek-negative", fails_with(lseek(fd, -100, SEEK_SET), EINVAL), 0);
    expect("lseek-past-end", lseek(fd, 100, SEEK_SET) == 100 && read(fd, b, 4) == 0, 0);
    struct stat sb;
    expect("fstat", fstat(fd, &sb) == 0 && sb.st_size == 12 && S_ISREG(sb.st_mode), 0);
    expect("close", close(fd) == 0, 0);
    expect("close-twice", fails_with(close(fd), EBADF), 0);
    expect("read-closed", fails_with(read(fd, b, 1), EBADF), 0);
}

static void check_errors(const char *d)
{
    expect("enoent", fails_with(open(join(d, "posix/missing"), O_RDONLY), ENOENT), 0);
    expect("enotdir", fails_with(open(join(d, "posix/file/x"), O_RDONLY), ENOTDIR), 0);
    expect("eisdir-write", fails_with(open(join(d, "posix/dir"), O_WRONLY), EISDIR), 0);
    int fd = open(join(d, "posix/dir"), O_RDONLY);
    char b[4];
    expect("eisdir-read", fd >= 0 && fails_with(read(fd, b, 1), EISDIR), fd);
    close(fd);
    expect("opendir-file", opendir(join(d, "posix/file")) == NULL && errno == ENOTDIR, 0);
    char longname[300];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = 0;
    expect("enametoolong", fails_with(open(join(d, longname), O_RDONLY), ENAMETOOLONG), 0);
    char *longpath = malloc(VFS_PATH_MAX + 16);
    memset(longpath, '/', VFS_PATH_MAX + 8);
    longpath[VFS_PATH_MAX + 8] = 0;
    expect("enametoolong-path", fails_with(open(longpath, O_RDONLY), ENAMETOOLONG), 0);
    free(longpath);
    expect("eloop", fails_with(open(join(d, "posix/loop1"), O_RDONLY), ELOOP), 0);
    expect("nofollow", fails_with(open(join(d, "posix/rel"), O_RDONLY | O_NOFOLLOW), ELOOP), 0);
    expect("relative-path", fails_with(open("posix/file", O_RDONLY), ENOENT), 0);
}

static void check_paths(const char *d)
{
    struct stat a, b;
    expect("stat", stat(join(d, "posix/file"), &a) == 0 && a.st_size == 12, 0);
    expect("dot-dotdot", stat(join(d, "posix/dir/../././file"), &b) == 0 && b.st_ino == a.st_ino, 0);
    expect("dotdot-at-root", stat("/../../.", &b) == 0 && S_ISDIR(b.st_mode), 0);
    expect("symlink-relative", stat(join(d, "posix/rel"), &b) == 0 && b.st_ino == a.st_ino, 0);
    expect("symlink-chain", stat(join(d, "posix/chain"), &b) == 0 && b.st_ino == a.st_ino, 0);
    expect("symlink-dir", stat(join(d, "posix/dirlink/../file"), &b) == 0 && b.st_ino == a.st_ino, 0);
    expect("lstat-link", lstat(join(d, "posix/rel"), &b) == 0 && S_ISLNK(b.st_mode), 0);
    char t[64];
    ssize_t n = readlink(join(d, "posix/rel"), t, sizeof(t));
    expect("readlink", n == 13 && memcmp(t, "../posix/file", 13) == 0, n);
    expect("readlink-file", fails_with(readlink(join(d, "posix/file"), t, sizeof(t)), EINVAL), 0);
    FILE *f = fopen(join(d, "posix/file"), "r");
    char line[16];
    expect("fopen", f != NULL, 0);
    expect("fgets", f && fgets(line, sizeof(line), f) && strcmp(line, "hello\n") == 0, 0);
    expect("ftell", f && ftell(f) == 6, f ? ftell(f) : -1);
    expect("fgetc", f && fgetc(f) == 'w', 0);
    expect("fseek", f && fseek(f, 0, SEEK_SET) == 0 && fgetc(f) == 'h', 0);
    expect("fread-eof", f && fseek(f, 0, SEEK_SET) == 0 && fread(line, 1, 16, f) == 12 && feof(f), 0);
    if (f)
        fclose(f);
}

static int cmd_posix(const char *d)
{
    check_reads(d);
    check_errors(d);
    check_paths(d);
    int fd = open(join(d, "posix/new"), O_WRONLY | O_CREAT, 0644);
    struct stat sb;
    int ro = stat(d, &sb) == 0 && fd < 0 && errno == EROFS;
    if (fd >= 0)
        close(fd);
    printf("posix: create %s\n", ro ? "erofs" : fd >= 0 ? "created" : strerror(errno));
    printf("fstest: posix checks=%u failed=%u\n", checks, failures);
    return failures ? 1 : 0;
}

static int cmd_write(const char *d)
{
    char *p = join(d, "w/sub");
    expect("mkdir", mkdir(join(d, "w"), 0755) == 0 && mkdir(p, 0755) == 0, 0);
    expect("mkdir-exists", fails_with(mkdir(p, 0755), EEXIST), 0);
    int fd = open(join(d, "w/sub/f"), O_RDWR | O_CREAT | O_EXCL, 0644);
    expect("create", fd >= 0, fd);
    expect("excl", fails_with(open(join(d, "w/sub/f"), O_RDWR | O_CREAT | O_EXCL, 0644), EEXIST), 0);
    for (int i = 0; i < 100; i++)
        memset(buf + i * 1000, 'a' + i % 26, 1000);
    expect("write", write(fd, buf, 100000) == 100000, 0);
    expect("pwrite-hole", pwrite(fd, "xyz", 3, 200000) == 3, 0);
    char b[8];
    expect("read-hole", pread(fd, b, 4, 150000) == 4 && memcmp(b, "\0\0\0\0", 4) == 0, 0);
    expect("read-back", pread(fd, b, 3, 200000) == 3 && memcmp(b, "xyz", 3) == 0, 0);
    close(fd);
    FILE *f = fopen(join(d, "w/sub/f"), "a");
    expect("append", f && fputs("END", f) == 0, 0);
    if (f)
        fclose(f);
    struct stat sb;
    expect("size", stat(join(d, "w/sub/f"), &sb) == 0 && sb.st_size == 200006, sb.st_size);
    fd = open(join(d, "w/sub/f"), O_RDWR | O_TRUNC);
    expect("truncate", fd >= 0 && fstat(fd, &sb) == 0 && sb.st_size == 0, 0);
    close(fd);
    expect("symlink", symlink("sub/f", join(d, "w/l")) == 0 && stat(join(d, "w/l"), &sb) == 0, 0);
    f = fopen(join(d, "w/text"), "w");
    expect("fprintf", f && fprintf(f, "n=%d\n", 42) == 5, 0);
    if (f)
        fclose(f);
    f = fopen(join(d, "w/text"), "r");
    char line[16];
    expect("fgets-back", f && fgets(line, sizeof(line), f) && strcmp(line, "n=42\n") == 0, 0);
    if (f)
        fclose(f);
    printf("fstest: write checks=%u failed=%u\n", checks, failures);
    return failures ? 1 : 0;
}

/* ---- the random workload (tests/boot/test_ext4_rw.py mirrors it) ---- */

static uint64_t rs;
static char pattern[1 << 17];

static uint32_t rnd(uint32_t n)
{
    rs ^= rs << 13;
    rs ^= rs >> 7;
    rs ^= rs << 17;
    return (uint32_t)(rs % n);
}

static void rnd_path(const char *dir, char *out, size_t len)
{
    static const char *const names[] = { "a", "b", "c", "d" };
    unsigned depth = 1 + rnd(3);
    size_t n = (size_t)snprintf(out, len, "%s/z", dir);
    for (unsigned i = 0; i < depth; i++)
        n += (size_t)snprintf(out + n, len - n, "/%s", names[rnd(4)]);
    if (rnd(16) == 0)
        snprintf(out + n, len - n, "/");
}

static long res(long rc) { return rc < 0 ? -errno : rc; }

/* One operation; every random draw happens whatever the operation, so the
 * host's replay stays in step. */
static long one_op(const char *dir, uint32_t span)
{
    char p[300], q[300];
    rnd_path(dir, p, sizeof(p));
    rnd_path(dir, q, sizeof(q));
    uint32_t op = rnd(11);
    long size = rnd(3) ? (long)rnd(span * 3 / 2) : -1;
    uint32_t off = rnd(span), n = 1 + rnd(span >= 100000 ? 65536 : 256);
    const char *data = pattern + rnd(65536);
    int fd;
    long r;
    switch (op) {
    case 0:
        fd = open(p, O_WRONLY | O_CREAT, 0644);
        if (fd < 0)
            return -errno;
        r = res(pwrite(fd, data, n, off));
        close(fd);
        return r;
    case 1:
        return res(truncate(p, size));
    case 2:
        return res(unlink(p));
    case 3:
        return res(rmdir(p));
    case 4:
    case 5:
        return res(mkdir(p, 0755));
    case 6:
    case 7:
        return res(rename(p, q));
    case 8:
        return res(link(p, q));
    case 9:
        fd = open(p, O_WRONLY | O_APPEND);
        if (fd < 0)
            return -errno;
        r = res(write(fd, data, n));
        close(fd);
        return r;
    default:
        fd = open(p, O_RDONLY);
        if (fd < 0)
            return -errno;
        r = res(fsync(fd));
        close(fd);
        return r;
    }
}

static void workload_init(const char *dir, uint64_t seed)
{
    rs = seed | 1;
    for (size_t i = 0; i < sizeof(pattern); i++)
        pattern[i] = (char)('a' + rnd(26));
    mkdir(dir, 0755);
    mkdir(join(dir, "z"), 0755);
}

static int cmd_rw(const char *dir, uint64_t seed, unsigned steps, uint32_t span)
{
    workload_init(dir, seed);
    uint64_t hash = 0, t0 = clock_monotonic_ns();
    unsigned errors = 0;
    for (unsigned i = 0; i < steps; i++) {
        long r = one_op(dir, span);
        hash = hash * 1000003u + (uint64_t)r;
        errors += r < 0 && r != -ENOENT && r != -EEXIST && r != -ENOTDIR && r != -EISDIR && r != -ENOTEMPTY &&
                  r != -EINVAL && r != -EPERM;
    }
    sync();
    printf("fstest: rw seed=%llu steps=%u hash=%016llx odd-errors=%u ms=%llu\n", (unsigned long long)seed, steps,
           (unsigned long long)hash, errors, (unsigned long long)((clock_monotonic_ns() - t0) / 1000000));
    return errors ? 1 : 0;
}

static int cmd_crash(const char *dir, uint64_t seed, const char *sdir)
{
    workload_init(dir, seed);
    mkdir(sdir, 0755);
    for (unsigned i = 0;; i++) {
        for (int k = 0; k < 8; k++)
            one_op(dir, 50000);
        if (i >= 300) { /* enough kept files: random work only, so many runs fit the disk */
            sync();
            continue;
        }
        char name[64];
        snprintf(name, sizeof(name), "%llu-f%u", (unsigned long long)seed, i);
        size_t len = rnd(30000);
        const char *data = pattern + rnd(65536);
        int fd = open(join(sdir, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        ssize_t w = fd < 0 ? -1 : write(fd, data, len);
        if (fd < 0 || w != (ssize_t)len || fsync(fd) != 0) {
            printf("fstest: crash: %s failed: %s\n", name, w >= 0 ? "short write" : strerror(errno));
            return 1;
        }
        close(fd);
        struct sha256 s;
        uint8_t d[SHA256_DIGEST];
        char hex[65];
        sha256_init(&s);
        sha256_update(&s, data, len);
        sha256_final(&s, d);
        sha256_hex(d, hex);
        printf("fstest: synced %s %zu %s\n", name, len, hex);
    }
}

static int cmd_wbench(const char *dir, int seq_mib, int rand_n, int small_n)
{
    char *wb = malloc(1 << 20);
    unsigned errors = 0;
    if (!wb)
        return 1;
    memset(wb, 'w', 1 << 20);
    uint64_t t0 = clock_monotonic_ns();
    int fd = open(join(dir, "seq"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 0; i < seq_mib; i++)
        errors += write(fd, wb, 1 << 20) != 1 << 20;
    errors += fsync(fd) != 0;
    uint64_t t1 = clock_monotonic_ns();
    uint64_t blocks = (uint64_t)seq_mib * 256;
    rs = 12345;
    for (int i = 0; i < rand_n; i++) {
        rs ^= rs << 13;
        rs ^= rs >> 7;
        rs ^= rs << 17;
        errors += pwrite(fd, wb, 4096, (off_t)(rs % blocks) * 4096) != 4096;
        if (i % 32 == 31)
            errors += fsync(fd) != 0;
    }
    errors += fsync(fd) != 0;
    close(fd);
    uint64_t t2 = clock_monotonic_ns();
    mkdir(join(dir, "small"), 0755);
    for (int i = 0; i < small_n; i++) {
        char name[32];
        snprintf(name, sizeof(name), "small/f%d", i);
        fd = open(join(dir, name), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        errors += fd < 0 || write(fd, wb, 4096) != 4096 || fsync(fd) != 0;
        close(fd);
    }
    uint64_t t3 = clock_monotonic_ns();
    printf("fstest: wbench seq_us=%llu seq_mib=%d rand_us=%llu rand_n=%d small_us=%llu small_n=%d errors=%u\n",
           (unsigned long long)((t1 - t0) / 1000), seq_mib, (unsigned long long)((t2 - t1) / 1000), rand_n,
           (unsigned long long)((t3 - t2) / 1000), small_n, errors);
    free(wb);
    return errors ? 1 : 0;
}

static int cmd_lazy(const char *dir)
{
    workload_init(dir, 77);
    int fd = open(join(dir, "lazy"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, pattern, 10000) != 10000)
        return 1;
    close(fd);
    struct sha256 s;
    uint8_t d[SHA256_DIGEST];
    char hex[65];
    sha256_init(&s);
    sha256_update(&s, pattern, 10000);
    sha256_final(&s, d);
    sha256_hex(d, hex);
    printf("fstest: lazy written 10000 %s\n", hex);
    for (;;)
        nanosleep_ns(1000000000ull);
}

int main(int argc, char **argv)
{
    buf = malloc(CHUNK > 100000 ? CHUNK : 100000);
    const char *type, *source, *path;
    for (unsigned i = 0; (path = vfs_mount_info(i, &type, &source)); i++)
        printf("fstest: mount %s %s %s\n", path, type, source);
    if (argc < 3 || !buf) {
        printf("fstest: usage: fstest tree|posix|write|cat PATH\n");
        return 2;
    }
    if (strcmp(argv[1], "tree") == 0)
        return cmd_tree(argv[2]);
    if (strcmp(argv[1], "posix") == 0)
        return cmd_posix(argv[2]);
    if (strcmp(argv[1], "write") == 0)
        return cmd_write(argv[2]);
    if (strcmp(argv[1], "read") == 0)
        return cmd_read(argv[2]);
    if (strcmp(argv[1], "cat") == 0)
        return cmd_cat(argv[2]);
    if (strcmp(argv[1], "rw") == 0 && argc >= 6)
        return cmd_rw(argv[2], strtoul(argv[3], NULL, 0), (unsigned)atoi(argv[4]), (uint32_t)atoi(argv[5]));
    if (strcmp(argv[1], "lazy") == 0)
        return cmd_lazy(argv[2]);
    if (strcmp(argv[1], "wbench") == 0 && argc >= 6)
        return cmd_wbench(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]));
    if (strcmp(argv[1], "crash") == 0 && argc >= 5)
        return cmd_crash(argv[2], strtoul(argv[3], NULL, 0), argv[4]);
    printf("fstest: unknown command '%s'\n", argv[1]);
    return 2;
}
