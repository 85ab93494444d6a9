/* linux/layout.c and linux/proc_text.c: Linux's x86-64 stat and statx
 * layouts, getdents64 record packing with short buffers, iovec validation
 * as import_iovec does it, path joining, /proc and /sys texts. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "../../linux/layout.h"
#include "../../linux/proc_text.h"
#include "check.h"

static uint64_t u64_at(const void *p, size_t off)
{
    uint64_t v;
    memcpy(&v, (const uint8_t *)p + off, 8);
    return v;
}

static uint32_t u32_at(const void *p, size_t off)
{
    uint32_t v;
    memcpy(&v, (const uint8_t *)p + off, 4);
    return v;
}

static void test_stat(void)
{
    struct vfs_stat v = { .dev = 3, .ino = 77, .mode = 0100644, .nlink = 2, .uid = 5, .gid = 6, .size = 12345,
                          .blocks = 32, .blksize = 4096, .atime = 100, .mtime = 200, .ctime = 300,
                          .mtime_nsec = 999, .rdev = lx_makedev(1, 3) };
    struct lx_stat st;
    memset(&st, 0xaa, sizeof(st));
    lx_stat_from_vfs(&v, &st);
    /* offsets as glibc's struct stat on x86-64 */
    CHECK_EQ(u64_at(&st, 0), 3);
    CHECK_EQ(u64_at(&st, 8), 77);
    CHECK_EQ(u64_at(&st, 16), 2);
    CHECK_EQ(u32_at(&st, 24), 0100644);
    CHECK_EQ(u32_at(&st, 28), 5);
    CHECK_EQ(u32_at(&st, 32), 6);
    CHECK_EQ(u32_at(&st, 36), 0);
    CHECK_EQ(u64_at(&st, 40), 0x103);
    CHECK_EQ(u64_at(&st, 48), 12345);
    CHECK_EQ(u64_at(&st, 56), 4096);
    CHECK_EQ(u64_at(&st, 64), 32);
    CHECK_EQ(u64_at(&st, 72), 100);
    CHECK_EQ(u64_at(&st, 88), 200);
    CHECK_EQ(u64_at(&st, 96), 999);
    CHECK_EQ(u64_at(&st, 104), 300);
    CHECK_EQ(u64_at(&st, 120), 0);

    struct lx_statx sx;
    memset(&sx, 0xaa, sizeof(sx));
    lx_statx_from_vfs(&v, &sx);
    CHECK_EQ(u32_at(&sx, 0) & 0x7ff, 0x7ff);
    CHECK_EQ(u32_at(&sx, 4), 4096);
    CHECK_EQ(u32_at(&sx, 16), 2);
    CHECK_EQ(u32_at(&sx, 20), 5);
    CHECK_EQ(u32_at(&sx, 28) & 0xffff, 0100644);
    CHECK_EQ(u64_at(&sx, 32), 77);
    CHECK_EQ(u64_at(&sx, 40), 12345);
    CHECK_EQ(u64_at(&sx, 48), 32);
    CHECK_EQ(u64_at(&sx, 64), 100);  /* atime */
    CHECK_EQ(u64_at(&sx, 112), 200); /* mtime */
    CHECK_EQ(u32_at(&sx, 120), 999);
    CHECK_EQ(u32_at(&sx, 128), 1); /* rdev major */
    CHECK_EQ(u32_at(&sx, 132), 3);
    CHECK_EQ(u64_at(&sx, 200), 0); /* spare zeroed */
    CHECK_EQ(lx_major(lx_makedev(259, 70000)), 259);
    CHECK_EQ(lx_minor(lx_makedev(259, 70000)), 70000);
}

static void test_dirent(void)
{
    uint8_t buf[64];
    memset(buf, 0xee, sizeof(buf));
    size_t n = lx_dirent64_pack(buf, sizeof(buf), 42, 7, 8, "a.txt", 5);
    CHECK_EQ(n, 32); /* 19 + 5 + 1 = 25, aligned to 8 */
    CHECK_EQ(u64_at(buf, 0), 42);
    CHECK_EQ(u64_at(buf, 8), 7);
    CHECK_EQ(buf[16] | buf[17] << 8, 32);
    CHECK_EQ(buf[18], 8);
    CHECK(memcmp(buf + 19, "a.txt", 6) == 0);
    CHECK_EQ(buf[31], 0); /* padding zeroed */
    CHECK_EQ(buf[32], 0xee); /* nothing past the record */
    CHECK_EQ(lx_dirent64_pack(buf, 31, 42, 7, 8, "a.txt", 5), 0);
    CHECK_EQ(lx_dirent64_pack(buf, 1, 42, 7, 8, "a", 1), 0);
    CHECK_EQ(lx_dirent64_pack(buf, 24, 1, 1, 4, "abcd", 4), 24); /* 19 + 4 + 1 = 24 exactly */
    char name[256];
    memset(name, 'x', 255);
    uint8_t *big = malloc(300);
    CHECK_EQ(lx_dirent64_pack(big, 300, 1, 1, 8, name, 255), 280);
    CHECK_EQ(lx_dirent64_pack(big, 279, 1, 1, 8, name, 255), 0);
    free(big);
}

static bool below_1m(uintptr_t a, size_t len) { return a + len >= a && a + len <= (1u << 20); }

static void test_iov(void)
{
    struct lx_iovec in[3] = { { 0x1000, 10 }, { 0x2000, 0 }, { 0x3000, 20 } }, out[3];
    CHECK_EQ(lx_iov_check(in, 3, below_1m, out), 30);
    CHECK_EQ(out[2].len, 20);
    CHECK_EQ(lx_iov_check(in, 0, below_1m, out), 0);
    CHECK_EQ(lx_iov_check(in, 1025, below_1m, out), -EINVAL);
    in[1].len = (uint64_t)-1;
    CHECK_EQ(lx_iov_check(in, 3, below_1m, out), -EINVAL);
    in[1].len = 5;
    in[1].base = 0x100000;
    CHECK_EQ(lx_iov_check(in, 3, below_1m, out), -EFAULT);
    in[1].base = 0xffff0;
    CHECK_EQ(lx_iov_check(in, 3, below_1m, out), 35);
    /* the total is cut at MAX_RW_COUNT, later pieces to 0 */
    struct lx_iovec huge[3] = { { 0, 0x40000000 }, { 0, 0x40000000 }, { 0, 100 } };
    bool (*any)(uintptr_t, size_t) = NULL;
    (void)any;
    struct lx_iovec o2[3];
    CHECK_EQ(lx_iov_check(huge, 3, lx_iov_any_ok, o2), (long)LX_MAX_RW_COUNT);
    CHECK_EQ(o2[1].len, LX_MAX_RW_COUNT - 0x40000000);
    CHECK_EQ(o2[2].len, 0);
    /* in and out may be one array */
    CHECK_EQ(lx_iov_check(huge, 3, lx_iov_any_ok, huge), (long)LX_MAX_RW_COUNT);
}

static void test_path(void)
{
    char out[VFS_PATH_MAX + 1];
    CHECK_EQ(lx_path_join("/data", "a.txt", out), 0);
    CHECK(strcmp(out, "/data/a.txt") == 0);
    CHECK_EQ(lx_path_join("/", "a", out), 0);
    CHECK(strcmp(out, "/a") == 0);
    CHECK_EQ(lx_path_join("/data/", "../x", out), 0);
    CHECK(strcmp(out, "/data/../x") == 0);
    CHECK_EQ(lx_path_join("/data", "/etc/passwd", out), 0);
    CHECK(strcmp(out, "/etc/passwd") == 0);
    CHECK_EQ(lx_path_join("/data", "", out), -ENOENT);
    strcpy(out, "rel/name");
    CHECK_EQ(lx_path_join("/base", out, out), 0); /* rel inside out */
    CHECK(strcmp(out, "/base/rel/name") == 0);
    char *longp = malloc(VFS_PATH_MAX + 2);
    memset(longp, 'a', VFS_PATH_MAX - 5);
    longp[VFS_PATH_MAX - 5] = 0;
    CHECK_EQ(lx_path_join("/data", longp, out), -ENAMETOOLONG);
    CHECK_EQ(lx_path_join("/d", longp, out), 0);
    CHECK_EQ(strlen(out), VFS_PATH_MAX - 2);
    memset(longp, 'a', VFS_PATH_MAX + 1);
    longp[0] = '/';
    longp[VFS_PATH_MAX + 1] = 0;
    CHECK_EQ(lx_path_join("/", longp, out), -ENAMETOOLONG);
    free(longp);
}

static void test_proc_text(void)
{
    char buf[8192];
    long n = proc_meminfo(buf, sizeof(buf), 128ull << 20, 100ull << 20);
    CHECK(n > 0 && (size_t)n < sizeof(buf));
    CHECK(strncmp(buf, "MemTotal:         131072 kB\nMemFree:          102400 kB\n", 56) == 0);
    CHECK(strstr(buf, "\nSwapTotal:             0 kB\n") != NULL);
    buf[12] = 'Z';
    CHECK_EQ(proc_meminfo(buf, 10, 1, 1), n); /* the whole length (fixed widths), not what fit */
    CHECK_EQ(buf[9], 0);
    CHECK_EQ(buf[12], 'Z');
    CHECK_EQ(sys_cpu_list(buf, sizeof(buf), 1), 2);
    CHECK(strcmp(buf, "0\n") == 0);
    sys_cpu_list(buf, sizeof(buf), 4);
    CHECK(strcmp(buf, "0-3\n") == 0);
    n = proc_maps_line(buf, sizeof(buf), 0x400000, 0x401000, "r--p", 0, 0, NULL);
    CHECK(strcmp(buf, "00400000-00401000 r--p 00000000 00:00 0 \n") == 0);
    CHECK_EQ(n, (long)strlen(buf));
    proc_maps_line(buf, sizeof(buf), 0x7fffff7ff000ull, 0x7ffffffff000ull, "rw-p", 0, 0, "[stack]");
    CHECK(strncmp(buf, "7fffff7ff000-7ffffffff000 rw-p 00000000 00:00 0 ", 48) == 0);
    CHECK(strcmp(buf + 73, "[stack]\n") == 0);
    CHECK_EQ(buf[72], ' ');

    /* A CPU as QEMU's TCG model describes itself. */
    uint32_t l0[4] = { 0xd, 0x68747541, 0x444d4163, 0x69746e65 }; /* AuthenticAMD in ebx, edx, ecx */
    uint32_t l1[4] = { 0x050663, 0, (1u << 0) | (1u << 31), (1u << 0) | (1u << 25) | (1u << 26) };
    uint32_t l7[4] = { 0 }, e1[4] = { 0, 0, 1, 1u << 29 };
    uint32_t brand[12];
    char name[49] = "  QEMU Virtual CPU version 2.5+";
    memset(name + strlen(name), 0, sizeof(name) - strlen(name));
    memcpy(brand, name, 48);
    struct cpu_desc d;
    cpu_desc_from_cpuid(&d, l0, l1, l7, e1, brand, 0x80000008u);
    CHECK(strcmp(d.vendor, "AuthenticAMD") == 0);
    CHECK(strcmp(d.model_name, "QEMU Virtual CPU version 2.5+") == 0);
    CHECK_EQ(d.family, 6);
    CHECK_EQ(d.model, 0x56); /* extended model 5 above model 6 */
    CHECK_EQ(d.stepping, 3);
    n = proc_cpuinfo(buf, sizeof(buf), &d, 2);
    CHECK(strstr(buf, "processor\t: 1\nvendor_id\t: AuthenticAMD\n") != NULL);
    CHECK(strstr(buf, "flags\t\t: fpu sse sse2 lm pni hypervisor lahf_lm\n") != NULL);

    struct proc_figures f = { .pid = 2, .ppid = 1, .comm = "busybox", .threads = 3, .vsize = 8192, .rss_pages = 2,
                              .umask = 022, .fd_slots = 1024 };
    n = proc_pid_stat(buf, sizeof(buf), &f);
    CHECK(strncmp(buf, "2 (busybox) R 1 2 2 ", 20) == 0);
    int fields = 0;
    for (char *p = strtok(buf, " \n"); p; p = strtok(NULL, " \n"))
        fields++;
    CHECK_EQ(fields, 52);
    proc_pid_status(buf, sizeof(buf), &f);
    CHECK(strstr(buf, "Name:\tbusybox\nUmask:\t0022\n") != NULL);
    CHECK(strstr(buf, "\nThreads:\t3\n") != NULL);
    proc_pid_statm(buf, sizeof(buf), &f);
    CHECK(strcmp(buf, "2 2 0 0 0 0 0\n") == 0);
}

int main(void)
{
    test_stat();
    test_dirent();
    test_iov();
    test_path();
    test_proc_text();
    return check_report("test_linux_layout");
}
