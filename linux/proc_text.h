/* The text of /proc and /sys files from plain figures: pure formatting,
 * host-tested (tests/unit/test_linux_layout.c). Each returns the length the
 * whole text needs (snprintf-like: >= cap means it was cut). */
#ifndef KESTREL_LINUX_PROC_TEXT_H
#define KESTREL_LINUX_PROC_TEXT_H
#include <stddef.h>
#include <stdint.h>

long proc_meminfo(char *buf, size_t cap, uint64_t total_bytes, uint64_t free_bytes);

/* What /proc/cpuinfo says of each CPU, from CPUID. */
struct cpu_desc {
    char vendor[13];
    char model_name[49];
    unsigned family, model, stepping;
    uint32_t leaf1_ecx, leaf1_edx, leaf7_ebx, leaf7_ecx, ext1_ecx, ext1_edx;
    uint64_t mhz;
};
/* The description from raw CPUID leaves (0, 1, 7, 0x80000001, brand). */
void cpu_desc_from_cpuid(struct cpu_desc *d, const uint32_t leaf0[4], const uint32_t leaf1[4],
                         const uint32_t leaf7[4], const uint32_t ext1[4], const uint32_t brand[12],
                         uint32_t max_ext);
long proc_cpuinfo(char *buf, size_t cap, const struct cpu_desc *d, unsigned ncpus);

/* "0" or "0-N" with a newline, as /sys/devices/system/cpu/online. */
long sys_cpu_list(char *buf, size_t cap, unsigned ncpus);

/* One line of /proc/self/maps. perms: "r-xp"-like. */
long proc_maps_line(char *buf, size_t cap, uint64_t start, uint64_t end, const char *perms, uint64_t offset,
                    uint64_t ino, const char *name);

struct proc_figures {
    int pid, ppid;
    const char *comm;
    unsigned threads;
    uint64_t utime_ticks, stime_ticks, start_ticks; /* clock ticks (100 Hz) */
    uint64_t vsize, rss_pages;
    uint32_t umask;
    unsigned fd_slots;
};
long proc_pid_stat(char *buf, size_t cap, const struct proc_figures *f);
long proc_pid_status(char *buf, size_t cap, const struct proc_figures *f);
long proc_pid_statm(char *buf, size_t cap, const struct proc_figures *f);

#endif
