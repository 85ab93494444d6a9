/* tests/linux/hostile.c: a program that misbehaves on purpose, one way per
 * mode (argv[1]); the boot test checks each ends as Linux ends it: killed
 * by a signal (status 128+N) or refused with an error, the kernel intact.
 *   kwrite ADDR | kread ADDR | jump ADDR  touch memory that is not the program's
 *   badptr       every pointer-taking call with bad pointers (errno printed)
 *   enosys       system-call numbers Linux does not have
 *   threads N    N threads alive at once (64 KiB stacks), then all joined
 *   alloc        touch 1 MiB blocks until the kernel refuses or kills
 *   overcommit   map 1 GiB first, then touch it: killed when memory runs out
 *   abort        abort(): SIGABRT */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void report(const char *name, long rc)
{
    /* Raw syscall(): -1 and errno, as libc reports. */
    if (rc == -1)
        printf("%s: errno %d\n", name, errno);
    else
        printf("%s: returned %ld\n", name, rc);
}

/* Addresses no program may touch: unmapped, non-canonical, the kernel's own
 * text where Kestrel links it, and Linux's kernel half. */
static const unsigned long bad[] = { 1, 0xfff, 0x100000, 0x0000800000000000UL, 0xffff800000000000UL,
                                     0xffffffff81000000UL };
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void badptr(void)
{
    int fd = open("/proc/self/exe", O_RDONLY);
    int p[2];
    if (pipe(p) < 0)
        p[0] = p[1] = -1;
    for (unsigned i = 0; i < NBAD; i++) {
        void *b = (void *)bad[i];
        char name[64];
#define TRY(label, call)                                     \
    do {                                                     \
        snprintf(name, sizeof(name), "%s %#lx", label, bad[i]); \
        errno = 0;                                           \
        report(name, (long)(call));                          \
    } while (0)
        TRY("read", syscall(SYS_read, fd, b, 16));
        TRY("write", syscall(SYS_write, p[1], b, 16));
        TRY("pread64", syscall(SYS_pread64, fd, b, 16, 0));
        TRY("pwrite64", syscall(SYS_pwrite64, p[1], b, 16, 0));
        TRY("readv", syscall(SYS_readv, fd, b, 1));
        TRY("writev", syscall(SYS_writev, p[1], b, 1));
        TRY("openat", syscall(SYS_openat, AT_FDCWD, b, O_RDONLY));
        TRY("open", syscall(SYS_open, b, O_RDONLY));
        TRY("newfstatat", syscall(SYS_newfstatat, AT_FDCWD, "/", b, 0));
        TRY("fstat", syscall(SYS_fstat, fd, b));
        TRY("stat", syscall(SYS_stat, "/", b));
        TRY("lstat", syscall(SYS_lstat, "/", b));
        TRY("statx", syscall(SYS_statx, AT_FDCWD, "/", 0, 0x7ff, b));
        TRY("getdents64", syscall(SYS_getdents64, open("/", O_RDONLY | O_DIRECTORY), b, 4096));
        TRY("readlink", syscall(SYS_readlink, "/proc/self/exe", b, 64));
        TRY("readlinkat", syscall(SYS_readlinkat, AT_FDCWD, b, name, sizeof(name)));
        TRY("access", syscall(SYS_access, b, F_OK));
        TRY("faccessat", syscall(SYS_faccessat, AT_FDCWD, b, F_OK));
        TRY("getcwd", syscall(SYS_getcwd, b, 256));
        TRY("chdir", syscall(SYS_chdir, b));
        TRY("pipe2", syscall(SYS_pipe2, b, 0));
        TRY("mkdir", syscall(SYS_mkdir, b, 0755));
        TRY("unlink", syscall(SYS_unlink, b));
        TRY("rename", syscall(SYS_rename, b, "/tmp-hostile"));
        TRY("sendfile", syscall(SYS_sendfile, p[1], fd, b, 16));
        TRY("ioctl TCGETS", syscall(SYS_ioctl, 1, 0x5401, b));
        TRY("clock_gettime", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, b));
        TRY("clock_getres", syscall(SYS_clock_getres, CLOCK_MONOTONIC, b));
        TRY("gettimeofday", syscall(SYS_gettimeofday, b, NULL));
        TRY("nanosleep", syscall(SYS_nanosleep, b, NULL));
        TRY("clock_nanosleep", syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, b, NULL));
        TRY("uname", syscall(SYS_uname, b));
        TRY("sethostname", syscall(SYS_sethostname, b, 8));
        TRY("setdomainname", syscall(SYS_setdomainname, b, 8));
        TRY("sysinfo", syscall(SYS_sysinfo, b));
        TRY("getrlimit", syscall(SYS_getrlimit, RLIMIT_STACK, b));
        TRY("prlimit64", syscall(SYS_prlimit64, 0, RLIMIT_STACK, NULL, b));
        TRY("getrandom", syscall(SYS_getrandom, b, 16, 0));
        TRY("sched_getaffinity", syscall(SYS_sched_getaffinity, 0, 128, b));
        TRY("rt_sigaction", syscall(SYS_rt_sigaction, SIGUSR1, b, NULL, 8));
        TRY("rt_sigprocmask", syscall(SYS_rt_sigprocmask, SIG_BLOCK, b, NULL, 8));
        TRY("sigaltstack", syscall(SYS_sigaltstack, b, NULL));
        TRY("futex", syscall(SYS_futex, b, 0 /* FUTEX_WAIT */, 0, NULL));
        TRY("prctl PR_SET_NAME", syscall(SYS_prctl, 15, b));
        TRY("arch_prctl GET_FS", syscall(SYS_arch_prctl, 0x1003, b));
        TRY("getgroups", syscall(SYS_getgroups, 1, b));
        TRY("getgroups count", syscall(SYS_getgroups, 0, b)); /* only counts: no fault */
        TRY("getgroups negative", syscall(SYS_getgroups, -1, b));
        TRY("mknod", syscall(SYS_mknod, b, S_IFIFO | 0600, 0));
        TRY("mknodat", syscall(SYS_mknodat, AT_FDCWD, b, S_IFIFO | 0600, 0));
        TRY("mknodat bad type", syscall(SYS_mknodat, AT_FDCWD, b, 0170000 | 0600, 0));
        TRY("mknodat device", syscall(SYS_mknodat, AT_FDCWD, b, S_IFCHR | 0600, 0));
        TRY("copy_file_range off_in", syscall(SYS_copy_file_range, fd, b, fd, NULL, 16, 0));
        TRY("copy_file_range off_out", syscall(SYS_copy_file_range, fd, NULL, fd, b, 16, 0));
#undef TRY
    }
    printf("badptr done\n");
}

static void enosys(void)
{
    static const long nrs[] = { 400, 511, 1000, 100000, -1, 0x40000000L | 39 };
    for (unsigned i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++) {
        errno = 0;
        long rc = syscall(nrs[i], 1, 2, 3);
        printf("syscall %ld: rc %ld errno %d\n", nrs[i], rc, errno);
    }
    printf("still alive: pid>0 %d\n", getpid() > 0);
}

static pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;

static void *parked(void *arg)
{
    pthread_mutex_lock(&gate); /* held by main until every thread exists */
    pthread_mutex_unlock(&gate);
    return arg;
}

static int many_threads(int want)
{
    pthread_t *t = calloc((size_t)want, sizeof(*t));
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 64 << 10);
    pthread_mutex_lock(&gate);
    int made = 0, rc = 0;
    for (; made < want; made++) {
        rc = pthread_create(&t[made], &attr, parked, (void *)(long)made);
        if (rc)
            break;
    }
    pthread_mutex_unlock(&gate);
    long joined = 0;
    for (int i = 0; i < made; i++) {
        void *r;
        if (pthread_join(t[i], &r) == 0 && (long)r == i)
            joined++;
    }
    printf("threads: created %d of %d, joined %ld, create error %d\n", made, want, joined, rc);
    return joined == made ? 0 : 1;
}

static void alloc(void)
{
    size_t mib = 0;
    for (;;) {
        char *p = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            printf("alloc: refused after %zu MiB: errno %d\n", mib, errno);
            return;
        }
        for (size_t i = 0; i < (1 << 20); i += 4096)
            p[i] = 1;
        mib++;
        if (mib % 64 == 0)
            printf("alloc: %zu MiB\n", mib);
    }
}

/* Maps 1 GiB in 16 MiB pieces (each one fits what is free, so none is
 * refused) and only then touches them: the memory runs out on a touch,
 * where Linux's OOM killer ends the program with SIGKILL. */
static void overcommit(void)
{
    enum { PIECE = 16 << 20, PIECES = 64 };
    char *piece[PIECES];
    int n = 0;
    for (; n < PIECES; n++) {
        piece[n] = mmap(NULL, PIECE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (piece[n] == MAP_FAILED)
            break;
    }
    printf("overcommit: mapped %d MiB\n", n * 16);
    for (int i = 0; i < n; i++) {
        for (size_t o = 0; o < PIECE; o += 4096)
            piece[i][o] = 1;
        printf("overcommit: touched %d MiB\n", (i + 1) * 16);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *mode = argc > 1 ? argv[1] : "";
    unsigned long addr = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    if (strcmp(mode, "kwrite") == 0) {
        printf("writing to %#lx\n", addr);
        *(volatile unsigned long *)addr = 0xdeadbeef;
    } else if (strcmp(mode, "kread") == 0) {
        printf("reading %#lx\n", addr);
        printf("read %lx\n", *(volatile unsigned long *)addr);
    } else if (strcmp(mode, "jump") == 0) {
        printf("jumping to %#lx\n", addr);
        ((void (*)(void))addr)();
    } else if (strcmp(mode, "badptr") == 0) {
        badptr();
        return 0;
    } else if (strcmp(mode, "enosys") == 0) {
        enosys();
        return 0;
    } else if (strcmp(mode, "threads") == 0) {
        return many_threads((int)addr);
    } else if (strcmp(mode, "alloc") == 0) {
        alloc();
        return 0;
    } else if (strcmp(mode, "overcommit") == 0) {
        overcommit();
        return 0;
    } else if (strcmp(mode, "abort") == 0) {
        abort();
    }
    printf("hostile: unknown mode '%s'\n", mode);
    return 2;
}
