/* The Linux guest's init for bench/clock: times clock_gettime(CLOCK_MONOTONIC)
 * (through the vDSO, as an application would call it) in TSC cycles, names
 * the clocksource the kernel chose, and powers off. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "../include/insn_mark.h"

#ifndef READS
#define READS 200000
#endif

int main(void)
{
    mount("sysfs", "/sys", "sysfs", 0, NULL);
    char src[64] = "?";
    int fd = open("/sys/devices/system/clocksource/clocksource0/current_clocksource", O_RDONLY);
    if (fd >= 0) {
        ssize_t n = read(fd, src, sizeof(src) - 1);
        src[n > 0 ? n - 1 : 0] = 0;
        close(fd);
    }
    const long reads = READS;
    struct timespec ts;
    uint64_t t0 = __rdtsc();
    insn_mark(INSN_MARK_START);
    for (long i = 0; i < reads; i++)
        clock_gettime(CLOCK_MONOTONIC, &ts);
    insn_mark(INSN_MARK_END);
    uint64_t cycles = __rdtsc() - t0;
    printf("linux-clockbench: source=%s reads=%ld cycles_per_read=%llu\n", src, reads,
           (unsigned long long)(cycles / reads));
    fflush(stdout);
    reboot(RB_POWER_OFF);
    return 0;
}
