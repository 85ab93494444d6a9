/* bench/http's Linux guest: Kestrel's monotonic clock as clock_gettime. */
#ifndef HTTPD_LINUX_CLOCK_H
#define HTTPD_LINUX_CLOCK_H
#include <stdint.h>
#include <time.h>

static inline uint64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

#endif
