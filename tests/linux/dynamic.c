/* tests/linux/dynamic.c: a dynamically linked program (built with gcc and
 * with musl-gcc, not -static) that checks what its dynamic linker and the
 * C library ask of the kernel: the auxiliary vector of an interpreted
 * program, private and shared file mappings (offsets, MAP_FIXED over them,
 * mprotect, munmap of a part), pread, statfs, locks, the process group
 * calls, fork's refusal and the /etc files of the user and host databases.
 * argv[1] is a data file of at least three pages, argv[2] a directory to
 * write in. Each line is "name: result"; the boot test knows the answers.
 * "dynamic --resolv" instead waits (10 s at most) for /etc/resolv.conf,
 * which the kernel writes once the network is configured, waits 2 s more
 * and prints its last line. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netdb.h>
#include <pwd.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <arpa/inet.h>

#define PAGE 4096

extern char _start[];
static sigjmp_buf jump;
static volatile int faults;

static void on_segv(int sig)
{
    (void)sig;
    faults++;
    siglongjmp(jump, 1);
}

/* 1 when writing (or reading) *p faults. */
static int faults_on(volatile char *p, int write)
{
    if (sigsetjmp(jump, 1))
        return 1;
    if (write)
        *p = 'x';
    else
        (void)*p;
    return 0;
}

static const char *ok(int good) { return good ? "ok" : "WRONG"; }

static void auxv(void)
{
    unsigned long base = getauxval(AT_BASE), entry = getauxval(AT_ENTRY), phdr = getauxval(AT_PHDR);
    printf("at_base: %s\n", ok(base != 0 && base % PAGE == 0));
    printf("at_entry: %s\n", ok(entry == (unsigned long)_start));
    /* The program's headers are in the program, not in its linker. */
    printf("at_phdr: %s\n", ok(phdr != 0 && (phdr < base || phdr > base + (64ul << 20))));
}

static void mappings(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || st.st_size < 3 * PAGE) {
        printf("data: cannot open %s (%d)\n", path, errno);
        return;
    }
    char *want = malloc(st.st_size);
    ssize_t n = pread(fd, want, st.st_size, 0);
    printf("pread: %s\n", ok(n == st.st_size));
    char *m = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("mmap private: %s\n", ok(m != MAP_FAILED && memcmp(m, want, 3 * PAGE) == 0));
    m[0] ^= 0xff; /* a private copy: the file keeps its byte */
    char b0;
    printf("private write stays private: %s\n", ok(pread(fd, &b0, 1, 0) == 1 && b0 == want[0] && m[0] != b0));
    char *o = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE);
    printf("mmap offset: %s\n", ok(o != MAP_FAILED && memcmp(o, want + PAGE, PAGE) == 0));
    /* MAP_FIXED over the middle page: the file's third page there. */
    char *f = mmap(m + PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 2 * PAGE);
    printf("map_fixed over a mapping: %s\n",
           ok(f == m + PAGE && memcmp(f, want + 2 * PAGE, PAGE) == 0 && memcmp(m + 2 * PAGE, want + 2 * PAGE, PAGE) == 0));
    printf("map_fixed page is read-only: %s\n", ok(faults_on(f, 1)));
    void *bad = mmap(m + 2 * PAGE, PAGE, PROT_READ, MAP_PRIVATE | MAP_FIXED, 1000, 0);
    printf("map_fixed with a bad descriptor keeps the mapping: %s\n",
           ok(bad == MAP_FAILED && errno == EBADF && memcmp(m + 2 * PAGE, want + 2 * PAGE, PAGE) == 0));
    printf("mprotect read-only: %s\n", ok(mprotect(m, PAGE, PROT_READ) == 0 && faults_on(m, 1) && !faults_on(m, 0)));
    printf("mprotect writable again: %s\n", ok(mprotect(m, PAGE, PROT_READ | PROT_WRITE) == 0 && !faults_on(m, 1)));
    printf("munmap a part: %s\n", ok(munmap(m + PAGE, PAGE) == 0 && faults_on(m + PAGE, 0) && !faults_on(m + 2 * PAGE, 0)));
    /* Past the end of the file: the last page's tail and the pages after
     * it (within the file's last page Linux zeroes; beyond, Linux would
     * raise SIGBUS: touch only the tail). */
    size_t span = ((size_t)st.st_size + PAGE - 1) / PAGE * PAGE;
    char *e = mmap(NULL, span, PROT_READ, MAP_PRIVATE, fd, 0);
    int tail_zero = e != MAP_FAILED && memcmp(e, want, st.st_size) == 0;
    for (size_t i = st.st_size; tail_zero && i < span; i++)
        tail_zero = e[i] == 0;
    printf("mapping up to the end of the file: %s\n", ok(tail_zero));
    char *s = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
    printf("mmap shared read-only: %s\n", ok(s != MAP_FAILED && memcmp(s, want, PAGE) == 0));
    printf("shared mapping stays read-only: %s\n",
           ok(s != MAP_FAILED && mprotect(s, PAGE, PROT_READ | PROT_WRITE) == -1 && errno == EACCES));
    printf("faults seen: %d\n", faults);
    close(fd);
    free(want);
}

static long memfree_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long kib = -1;
    while (f && fgets(line, sizeof(line), f)) {
        if (sscanf(line, "MemFree: %ld kB", &kib) == 1)
            break;
    }
    if (f)
        fclose(f);
    return kib;
}

/* Mappings of a file the kernel may map from the initrd's own frames: every
 * page of a read-only one reads the file's bytes, and touching all of it
 * costs next to no memory ("memfree drop", checked by the boot test for an
 * initrd); a write to a private writable mapping, or to a read-only one made
 * writable, changes neither the file nor another mapping of it. */
static void shared_frames(const char *path)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        printf("shared frames: cannot open %s (%d)\n", path, errno);
        return;
    }
    size_t size = (size_t)st.st_size, span = (size + PAGE - 1) / PAGE * PAGE;
    char *want = malloc(size);
    memset(want, 0, size); /* its pages taken now, not while MemFree is measured */
    int same = want && pread(fd, want, size, 0) == (ssize_t)size;
    long before = memfree_kib();
    char *r = mmap(NULL, span, PROT_READ, MAP_PRIVATE, fd, 0);
    volatile char sum = 0;
    for (size_t i = 0; r != MAP_FAILED && i < span; i += PAGE)
        sum += r[i];
    long after = memfree_kib();
    same = same && r != MAP_FAILED && memcmp(r, want, size) == 0;
    for (size_t i = size; same && i < span; i++)
        same = r[i] == 0;
    printf("shared read-only mapping: %s\n", ok(same));
    printf("memfree drop for %zu KiB mapped: %ld\n", span / 1024, before - after);
    char *w = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    int kept = w != MAP_FAILED;
    for (size_t i = 0; kept && i < span; i += PAGE)
        w[i] ^= 0x5a;
    char b0 = 0, bl = 0;
    kept = kept && (unsigned char)w[PAGE] == ((unsigned char)want[PAGE] ^ 0x5a) && memcmp(r, want, size) == 0 &&
           pread(fd, &b0, 1, 0) == 1 && b0 == want[0] && pread(fd, &bl, 1, (off_t)(span - 2 * PAGE)) == 1 &&
           bl == want[span - 2 * PAGE];
    printf("private write leaves the file and other mappings: %s\n", ok(kept));
    int again = r != MAP_FAILED && mprotect(r, span, PROT_READ | PROT_WRITE) == 0;
    if (again)
        r[3 * PAGE + 1] ^= 0x77;
    char b3 = 0;
    again = again && (unsigned char)r[3 * PAGE + 1] == ((unsigned char)want[3 * PAGE + 1] ^ 0x77) &&
            pread(fd, &b3, 1, 3 * PAGE + 1) == 1 && b3 == want[3 * PAGE + 1] && kept &&
            (unsigned char)w[3 * PAGE + 1] == (unsigned char)want[3 * PAGE + 1];
    printf("mprotect writable then written: %s\n", ok(again));
    munmap(r, span);
    munmap(w, span);
    int reread = 1;
    char *z = mmap(NULL, span, PROT_READ, MAP_PRIVATE, fd, 0);
    reread = z != MAP_FAILED && memcmp(z, want, size) == 0;
    printf("mapping after munmap: %s\n", ok(reread));
    if (z != MAP_FAILED)
        munmap(z, span);
    (void)sum;
    close(fd);
    free(want);
}

static void files(const char *dir)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/out.txt", dir);
    FILE *w = fopen(path, "w");
    int wrote = w && fprintf(w, "written by a dynamic program\n") > 0 && fclose(w) == 0;
    char line[128] = "";
    FILE *r = fopen(path, "r");
    int read_back = r && fgets(line, sizeof(line), r) && strcmp(line, "written by a dynamic program\n") == 0;
    if (r)
        fclose(r);
    printf("file write and read: %s\n", ok(wrote && read_back));
    int fd = open(path, O_RDWR);
    struct statfs sf;
    printf("statfs: %s\n", ok(statfs(dir, &sf) == 0 && fstatfs(fd, &sf) == 0 && sf.f_bsize > 0));
    printf("flock: %s\n", ok(flock(fd, LOCK_EX | LOCK_NB) == 0 && flock(fd, LOCK_UN) == 0));
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    int set = fcntl(fd, F_SETLK, &fl);
    fl.l_type = F_WRLCK;
    int get = fcntl(fd, F_GETLK, &fl);
    printf("fcntl locks: %s\n", ok(set == 0 && get == 0 && fl.l_type == F_UNLCK));
    close(fd);
}

static void process(void)
{
    pid_t pid = getpid();
    printf("getpgid: %d getpgrp: %d getsid: %d\n", (int)getpgid(0), (int)getpgrp(), (int)getsid(0));
    pid_t s = setsid();
    printf("setsid: %s\n", ok(s == pid && getsid(0) == pid && getpgid(0) == pid));
    printf("setsid again: %s\n", s < 0 ? "WRONG" : setsid() < 0 && errno == EPERM ? "EPERM" : "WRONG");
    printf("setpgid self: %s\n", ok(setpgid(0, 0) == -1 && errno == EPERM)); /* a session leader */
    printf("getpgid other: %s\n", ok(getpgid(12345) == -1 && errno == ESRCH));
    /* The C library's fork (glibc: clone without CLONE_VM; musl: fork)
     * twice, and the system call itself: each refused, each reason logged once. */
    int refused = 0;
    for (int i = 0; i < 3; i++) {
        long f = i < 2 ? (long)fork() : syscall(SYS_fork);
        if (f == 0)
            _exit(0); /* on a host that has fork */
        refused += f == -1 && errno == ENOSYS;
    }
    printf("fork: %s\n", refused == 3 ? "ENOSYS" : "WRONG");
    /* No child ever exists: a wait says ECHILD, bad options EINVAL first. */
    int status;
    siginfo_t si;
    int no_child = waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD && wait(&status) == -1 && errno == ECHILD &&
                    waitid(P_ALL, 0, &si, WEXITED | WNOHANG) == -1 && errno == ECHILD;
    int bad = waitpid(-1, &status, 0x100) == -1 && errno == EINVAL && waitid(P_ALL, 0, &si, WNOHANG) == -1 &&
               errno == EINVAL;
    printf("wait: %s\n", no_child && bad ? "ECHILD" : "WRONG");
    /* membarrier as musl's dynamic linker and liburcu use it (commands 0, 8, 16, 1). */
    long q = syscall(SYS_membarrier, 0, 0);
    long early = syscall(SYS_membarrier, 8, 0);
    int early_errno = errno;
    printf("membarrier: %s\n",
           ok(q > 0 && (q & 25) == 25 && early == -1 && early_errno == EPERM && syscall(SYS_membarrier, 16, 0) == 0 &&
              syscall(SYS_membarrier, 8, 0) == 0 && syscall(SYS_membarrier, 1, 0) == 0 &&
              syscall(SYS_membarrier, 0, 1) == -1 && errno == EINVAL));
}

static void databases(void)
{
    struct passwd *pw = getpwuid(0);
    printf("getpwuid(0): %s\n", pw ? pw->pw_name : "none");
    struct group *gr = getgrgid(0);
    printf("getgrgid(0): %s\n", gr ? gr->gr_name : "none");
    struct hostent *h = gethostbyname("localhost");
    char a[INET_ADDRSTRLEN] = "none";
    if (h && h->h_addrtype == AF_INET)
        inet_ntop(AF_INET, h->h_addr_list[0], a, sizeof(a));
    printf("localhost: %s\n", a);
}

static int resolv(void)
{
    for (int i = 0; i < 200 && access("/etc/resolv.conf", R_OK) != 0; i++)
        usleep(50000);
    sleep(2); /* a later write would show */
    FILE *f = fopen("/etc/resolv.conf", "r");
    char line[256], last[256] = "";
    while (f && fgets(line, sizeof(line), f))
        strcpy(last, line);
    printf("resolv.conf: %s", f ? last : "missing\n");
    return f ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--resolv") == 0)
        return resolv();
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_segv;
    sigaction(SIGSEGV, &sa, NULL);
    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]: %s\n", i, argv[i]);
    const char *v = getenv("DYN_VAR");
    printf("DYN_VAR: %s\n", v ? v : "(unset)");
    if (argc < 3)
        return 2;
    auxv();
    mappings(argv[1]);
    shared_frames(argv[1]);
    files(argv[2]);
    process();
    databases();
    printf("done\n");
    return 0;
}
