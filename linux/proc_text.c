/* Pure text generators for /proc and /sys (see proc_text.h). The formats
 * follow Linux's (fs/proc), so parsers written for Linux read them. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "proc_text.h"

/* snprintf that keeps counting past cap (the whole length is returned). */
struct out {
    char *buf;
    size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->len += (size_t)n;
}

long proc_meminfo(char *buf, size_t cap, uint64_t total_bytes, uint64_t free_bytes)
{
    static const char *const zero_rows[] = {
        "Buffers:", "Cached:", "SwapCached:", "Active:", "Inactive:", "Unevictable:", "Mlocked:",
        "SwapTotal:", "SwapFree:", "Dirty:", "Writeback:", "AnonPages:", "Mapped:", "Shmem:",
        "HugePages_Total:", "HugePages_Free:",
    };
    struct out o = { buf, cap, 0 };
    unsigned long long total = total_bytes >> 10, avail = free_bytes >> 10;
    put(&o, "%-16s%8llu kB\n", "MemTotal:", total);
    put(&o, "%-16s%8llu kB\n", "MemFree:", avail);
    put(&o, "%-16s%8llu kB\n", "MemAvailable:", avail);
    for (size_t i = 0; i < sizeof(zero_rows) / sizeof(zero_rows[0]); i++) {
        if (strncmp(zero_rows[i], "HugePages", 9) == 0)
            put(&o, "%-16s%8u\n", zero_rows[i], 0u);
        else
            put(&o, "%-16s%8u kB\n", zero_rows[i], 0u);
    }
    put(&o, "%-16s%8u kB\n", "Hugepagesize:", 2048u);
    return (long)o.len;
}

static void regs_text(char *dst, const uint32_t *regs, unsigned n)
{
    memcpy(dst, regs, n * 4);
    dst[n * 4] = 0;
}

void cpu_desc_from_cpuid(struct cpu_desc *d, const uint32_t leaf0[4], const uint32_t leaf1[4],
                         const uint32_t leaf7[4], const uint32_t ext1[4], const uint32_t brand[12],
                         uint32_t max_ext)
{
    memset(d, 0, sizeof(*d));
    uint32_t v[3] = { leaf0[1], leaf0[3], leaf0[2] }; /* ebx, edx, ecx */
    regs_text(d->vendor, v, 3);
    uint32_t eax = leaf1[0];
    unsigned base_family = (eax >> 8) & 0xf, base_model = (eax >> 4) & 0xf;
    d->family = base_family == 0xf ? base_family + ((eax >> 20) & 0xff) : base_family;
    d->model = base_family == 0x6 || base_family == 0xf ? base_model | (((eax >> 16) & 0xf) << 4) : base_model;
    d->stepping = eax & 0xf;
    d->leaf1_ecx = leaf1[2];
    d->leaf1_edx = leaf1[3];
    d->leaf7_ebx = leaf7[1];
    d->leaf7_ecx = leaf7[2];
    d->ext1_ecx = ext1[2];
    d->ext1_edx = ext1[3];
    if (max_ext >= 0x80000004u) {
        char raw[49];
        regs_text(raw, brand, 12);
        const char *p = raw;
        while (*p == ' ')
            p++;
        snprintf(d->model_name, sizeof(d->model_name), "%s", p);
    }
    if (!d->model_name[0])
        snprintf(d->model_name, sizeof(d->model_name), "unknown");
}

struct flag {
    unsigned word; /* 0: leaf1 edx, 1: leaf1 ecx, 2: leaf7 ebx, 3: leaf7 ecx, 4: ext1 edx, 5: ext1 ecx */
    unsigned bit;
    const char *name;
};

/* Linux's names for the features programs look for, in its order. */
static const struct flag flags[] = {
    { 0, 0, "fpu" }, { 0, 4, "tsc" }, { 0, 5, "msr" }, { 0, 6, "pae" }, { 0, 8, "cx8" }, { 0, 9, "apic" },
    { 0, 11, "sep" }, { 0, 15, "cmov" }, { 0, 16, "pat" }, { 0, 19, "clflush" }, { 0, 23, "mmx" },
    { 0, 24, "fxsr" }, { 0, 25, "sse" }, { 0, 26, "sse2" }, { 0, 28, "ht" }, { 4, 11, "syscall" },
    { 4, 20, "nx" }, { 4, 26, "pdpe1gb" }, { 4, 27, "rdtscp" }, { 4, 29, "lm" }, { 1, 0, "pni" },
    { 1, 1, "pclmulqdq" }, { 1, 9, "ssse3" }, { 1, 12, "fma" }, { 1, 13, "cx16" }, { 1, 19, "sse4_1" },
    { 1, 20, "sse4_2" }, { 1, 21, "x2apic" }, { 1, 22, "movbe" }, { 1, 23, "popcnt" }, { 1, 25, "aes" },
    { 1, 26, "xsave" }, { 1, 28, "avx" }, { 1, 29, "f16c" }, { 1, 30, "rdrand" }, { 1, 31, "hypervisor" },
    { 5, 0, "lahf_lm" }, { 5, 5, "abm" }, { 2, 0, "fsgsbase" }, { 2, 3, "bmi1" }, { 2, 5, "avx2" },
    { 2, 8, "bmi2" }, { 2, 9, "erms" }, { 2, 16, "avx512f" }, { 2, 18, "rdseed" }, { 2, 19, "adx" },
    { 2, 29, "sha_ni" }, { 3, 1, "avx512vbmi" }, { 3, 9, "vaes" }, { 3, 10, "vpclmulqdq" },
};

static bool has(const struct cpu_desc *d, const struct flag *f)
{
    const uint32_t words[6] = { d->leaf1_edx, d->leaf1_ecx, d->leaf7_ebx, d->leaf7_ecx, d->ext1_edx, d->ext1_ecx };
    return (words[f->word] >> f->bit) & 1;
}

long proc_cpuinfo(char *buf, size_t cap, const struct cpu_desc *d, unsigned ncpus)
{
    struct out o = { buf, cap, 0 };
    for (unsigned i = 0; i < ncpus; i++) {
        put(&o, "processor\t: %u\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\n", i, d->vendor, d->family,
            d->model);
        put(&o, "model name\t: %s\nstepping\t: %u\n", d->model_name, d->stepping);
        if (d->mhz)
            put(&o, "cpu MHz\t\t: %llu.000\n", (unsigned long long)d->mhz);
        put(&o, "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n", ncpus, i, ncpus);
        put(&o, "apicid\t\t: %u\nfpu\t\t: yes\nfpu_exception\t: yes\ncpuid level\t: 13\nwp\t\t: yes\nflags\t\t:", i);
        for (size_t f = 0; f < sizeof(flags) / sizeof(flags[0]); f++) {
            if (has(d, &flags[f]))
                put(&o, " %s", flags[f].name);
        }
        put(&o, "\nbogomips\t: %llu.00\nclflush size\t: 64\ncache_alignment\t: 64\n", (unsigned long long)d->mhz * 2);
        put(&o, "address sizes\t: 48 bits physical, 48 bits virtual\npower management:\n\n");
    }
    return (long)o.len;
}

long sys_cpu_list(char *buf, size_t cap, unsigned ncpus)
{
    if (ncpus <= 1)
        return snprintf(buf, cap, "0\n");
    return snprintf(buf, cap, "0-%u\n", ncpus - 1);
}

long proc_maps_line(char *buf, size_t cap, uint64_t start, uint64_t end, const char *perms, uint64_t offset,
                    uint64_t ino, const char *name)
{
    struct out o = { buf, cap, 0 };
    put(&o, "%08llx-%08llx %.4s %08llx 00:00 %llu ", (unsigned long long)start, (unsigned long long)end, perms,
        (unsigned long long)offset, (unsigned long long)ino);
    if (name && *name) {
        while (o.len < 73)
            put(&o, " ");
        put(&o, "%s", name);
    }
    put(&o, "\n");
    return (long)o.len;
}

long proc_pid_stat(char *buf, size_t cap, const struct proc_figures *f)
{
    struct out o = { buf, cap, 0 };
    /* pid (comm) state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt */
    put(&o, "%d (%.15s) R %d %d %d 0 -1 4194560 0 0 0 0 ", f->pid, f->comm, f->ppid, f->pid, f->pid);
    /* utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss rsslim */
    put(&o, "%llu %llu 0 0 20 0 %u 0 %llu %llu %llu 18446744073709551615 ", (unsigned long long)f->utime_ticks,
        (unsigned long long)f->stime_ticks, f->threads, (unsigned long long)f->start_ticks,
        (unsigned long long)f->vsize, (unsigned long long)f->rss_pages);
    /* startcode endcode startstack kstkesp kstkeip signal blocked sigignore sigcatch wchan nswap cnswap
     * exit_signal processor rt_priority policy delayacct_blkio_ticks guest_time cguest_time start_data
     * end_data start_brk arg_start arg_end env_start env_end exit_code */
    put(&o, "0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n");
    return (long)o.len;
}

long proc_pid_status(char *buf, size_t cap, const struct proc_figures *f)
{
    struct out o = { buf, cap, 0 };
    put(&o, "Name:\t%.15s\nUmask:\t%04o\nState:\tR (running)\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n", f->comm,
        (unsigned)f->umask, f->pid, f->pid, f->ppid);
    put(&o, "TracerPid:\t0\nUid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t%u\nGroups:\t\n", f->fd_slots);
    put(&o, "VmPeak:\t%8llu kB\nVmSize:\t%8llu kB\nVmRSS:\t%8llu kB\n", (unsigned long long)f->vsize >> 10,
        (unsigned long long)f->vsize >> 10, (unsigned long long)f->rss_pages * 4);
    put(&o, "Threads:\t%u\nSigQ:\t0/0\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n", f->threads);
    put(&o, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\nSigCgt:\t0000000000000000\n");
    put(&o, "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\n");
    put(&o, "CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n");
    return (long)o.len;
}

long proc_pid_statm(char *buf, size_t cap, const struct proc_figures *f)
{
    return snprintf(buf, cap, "%llu %llu 0 0 0 0 0\n", (unsigned long long)(f->vsize >> 12),
                    (unsigned long long)f->rss_pages);
}
