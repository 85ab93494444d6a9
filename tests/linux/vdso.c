/* The vDSO seen from a program: finds it by AT_SYSINFO_EHDR, looks up
 * __vdso_clock_gettime etc. with their LINUX_2.6 version as Go's runtime
 * does (our own small ELF walk), and compares them with the system calls:
 * monotonic readings (vDSO and system call mixed) never go back across 4
 * threads serialized by a mutex, realtime agrees within 1 ms, gettimeofday
 * and time agree. Prints "vdso: ok ..." or "vdso: FAIL ..." (status 1). */
#include <elf.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);

static const Elf64_Sym *syms;
static const char *strs;
static const Elf64_Half *versym;
static const Elf64_Verdef *verdef;
static uint32_t nsyms;
static uintptr_t base;

static int fail(const char *what)
{
    printf("vdso: FAIL %s\n", what);
    return 1;
}

static const char *sym_version(unsigned i)
{
    if (!versym || !verdef)
        return NULL;
    unsigned want = versym[i] & 0x7fff;
    for (const Elf64_Verdef *d = verdef;; d = (const void *)((const char *)d + d->vd_next)) {
        if (d->vd_ndx == want) {
            const Elf64_Verdaux *a = (const void *)((const char *)d + d->vd_aux);
            return strs + a->vda_name;
        }
        if (!d->vd_next)
            return NULL;
    }
}

static void *lookup(const char *name)
{
    for (uint32_t i = 1; i < nsyms; i++) {
        if (strcmp(strs + syms[i].st_name, name) || syms[i].st_shndx == SHN_UNDEF)
            continue;
        const char *v = sym_version(i);
        if (!v || strcmp(v, "LINUX_2.6"))
            continue;
        return (void *)(base + syms[i].st_value);
    }
    return NULL;
}

static int parse(uintptr_t ehdr)
{
    const Elf64_Ehdr *e = (const void *)ehdr;
    if (memcmp(e->e_ident, ELFMAG, SELFMAG) || e->e_type != ET_DYN)
        return -1;
    const Elf64_Phdr *ph = (const void *)(ehdr + e->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    base = 0;
    int loads = 0;
    for (int i = 0; i < e->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && loads++ == 0)
            base = ehdr + ph[i].p_offset - ph[i].p_vaddr;
        if (ph[i].p_type == PT_DYNAMIC)
            dyn = (const void *)(ehdr + ph[i].p_offset);
    }
    if (!dyn || loads != 1)
        return -1;
    const uint32_t *hash = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t p = base + dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: syms = (const void *)p; break;
        case DT_STRTAB: strs = (const void *)p; break;
        case DT_HASH: hash = (const void *)p; break;
        case DT_VERSYM: versym = (const void *)p; break;
        case DT_VERDEF: verdef = (const void *)p; break;
        }
    }
    if (!syms || !strs || !hash || !versym || !verdef)
        return -1;
    nsyms = hash[1]; /* nchain: the number of symbols */
    return 0;
}

static int64_t ns_of(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

static cgt_fn vcgt;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int64_t last_mono;
static int backwards;

static void *worker(void *arg)
{
    long id = (long)arg;
    for (int i = 0; i < 2000; i++) {
        struct timespec t;
        pthread_mutex_lock(&lock);
        if ((i + id) & 1)
            vcgt(CLOCK_MONOTONIC, &t);
        else
            syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &t);
        int64_t n = ns_of(&t);
        if (n < last_mono)
            backwards++;
        last_mono = n;
        pthread_mutex_unlock(&lock);
        if (i % 64 == 0)
            sched_yield(); /* let the threads move between CPUs */
    }
    return NULL;
}

/* The C library's own calls, between two getppid markers: under --strace
 * (which slows every system call, so no timing is checked then) the boot
 * test sees whether they entered the kernel. */
static int libc_calls(void)
{
    struct timespec a;
    struct timeval tv;
    syscall(SYS_getppid);
    clock_gettime(CLOCK_MONOTONIC, &a);
    clock_gettime(CLOCK_REALTIME, &a);
    gettimeofday(&tv, NULL);
    syscall(SYS_getppid);
    printf("vdso: libc calls done\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "libc") == 0)
        return libc_calls();
    uintptr_t ehdr = (uintptr_t)getauxval(AT_SYSINFO_EHDR);
    if (!ehdr)
        return fail("no AT_SYSINFO_EHDR");
    if (parse(ehdr) < 0)
        return fail("not an ELF shared object with versioned symbols");
    vcgt = lookup("__vdso_clock_gettime");
    gtod_fn vgtod = lookup("__vdso_gettimeofday");
    time_fn vtime = lookup("__vdso_time");
    void *vgetcpu = lookup("__vdso_getcpu");
    if (!vcgt || !vgtod || !vtime || !vgetcpu)
        return fail("a __vdso_ symbol with version LINUX_2.6 is missing");
    /* /proc/self/maps names both, where AT_SYSINFO_EHDR says. */
    FILE *maps = fopen("/proc/self/maps", "r");
    char line[256];
    int named = 0;
    while (maps && fgets(line, sizeof(line), maps)) {
        unsigned long lo, hi;
        char perms[8];
        if (sscanf(line, "%lx-%lx %7s", &lo, &hi, perms) != 3)
            continue;
        if (strstr(line, "[vdso]") && lo == ehdr && strcmp(perms, "r-xp") == 0)
            named |= 1;
        if (strstr(line, "[vvar]") && hi == ehdr && strcmp(perms, "r--p") == 0)
            named |= 2;
    }
    if (maps)
        fclose(maps);
    if (named != 3)
        return fail("/proc/self/maps does not show [vvar] r--p and [vdso] r-xp at AT_SYSINFO_EHDR");
    /* Our data page, one page below the image: its mode word says whether
     * the calls above stay in user mode (1: TSC) or make the system call. */
    unsigned mode = ((const volatile uint32_t *)(ehdr - 4096))[1];

    struct timespec a, b, c;
    for (int i = 0; i < 100; i++) {
        vcgt(CLOCK_REALTIME, &a);
        syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
        vcgt(CLOCK_REALTIME, &c);
        /* The system call's reading must lie between the two vDSO readings
         * (1 ms either side: the clocks' rounding). A vCPU the host stalls
         * between them only widens the bracket; a vDSO off by any more falls
         * outside it. */
        if (ns_of(&b) < ns_of(&a) - 1000000 || ns_of(&b) > ns_of(&c) + 1000000) {
            printf("vdso: vdso %lld.%09ld, syscall %lld.%09ld, vdso %lld.%09ld\n", (long long)a.tv_sec, a.tv_nsec,
                   (long long)b.tv_sec, b.tv_nsec, (long long)c.tv_sec, c.tv_nsec);
            return fail("realtime: the system call's reading is not between two vDSO readings (1 ms slack)");
        }
        if (a.tv_nsec < 0 || a.tv_nsec >= 1000000000)
            return fail("tv_nsec out of range");
    }
    for (int i = 0; i < 100; i++) {
        vcgt(CLOCK_MONOTONIC, &a);
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &b);
        vcgt(CLOCK_BOOTTIME, &c);
        if (ns_of(&b) < ns_of(&a) || ns_of(&c) < ns_of(&b))
            return fail("monotonic went back between vDSO and system call");
    }
    struct timeval tv;
    if (vgtod(&tv, NULL) != 0 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        return fail("gettimeofday");
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
    int64_t d = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec - ns_of(&b) / 1000;
    if (d < -1000 || d > 1000)
        return fail("gettimeofday differs from realtime by more than 1 ms");
    time_t t1 = 0, t0 = vtime(&t1);
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
    if (t0 != t1 || t0 > b.tv_sec || t0 < b.tv_sec - 1)
        return fail("time");
    /* An unknown clock goes to the system call: EINVAL, as Linux. */
    if (vcgt(12345, &a) != -22)
        return fail("unknown clock id was not EINVAL");
    if (vcgt(CLOCK_PROCESS_CPUTIME_ID, &a) != 0)
        return fail("CLOCK_PROCESS_CPUTIME_ID");

    unsigned cpu = 99, node = 99;
    typedef int (*getcpu_fn)(unsigned *, unsigned *, void *);
    if (((getcpu_fn)vgetcpu)(&cpu, &node, NULL) != 0 || cpu >= (unsigned)sysconf(_SC_NPROCESSORS_ONLN) ||
        node != 0)
        return fail("getcpu");
    if (((getcpu_fn)vgetcpu)((unsigned *)8, NULL, NULL) != -14)
        return fail("getcpu with a bad pointer was not EFAULT");

    pthread_t th[4];
    for (long i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    if (backwards)
        return fail("monotonic went back across threads");

    /* What a call costs, vDSO and system call, for the log. */
    int64_t s0, s1, s2;
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
    s0 = ns_of(&a);
    for (int i = 0; i < 2000; i++)
        vcgt(CLOCK_MONOTONIC, &c);
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
    s1 = ns_of(&a);
    for (int i = 0; i < 2000; i++)
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &c);
    syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &a);
    s2 = ns_of(&a);
    printf("vdso: ok mode %u, vdso %lld ns/call, syscall %lld ns/call\n", mode, (long long)(s1 - s0) / 2000,
           (long long)(s2 - s1) / 2000);
    return 0;
}
