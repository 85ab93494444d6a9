/* Host-side stand-ins for kernel services used by pure-logic files under test:
 * the log goes to stderr (silenced unless KESTREL_TEST_VERBOSE is set). */
#include <stdio.h>
#include <stdlib.h>
#include "log.h"

static int verbose(void)
{
    static int v = -1;
    if (v < 0)
        v = getenv("KESTREL_TEST_VERBOSE") != NULL;
    return v;
}

void vklog(int level, const char *fmt, va_list ap)
{
    if (!verbose())
        return;
    fprintf(stderr, "[log %d] ", level);
    vfprintf(stderr, fmt, ap);
}

void klog(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vklog(level, fmt, ap);
    va_end(ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = 0;
    if (verbose())
        n = vfprintf(stderr, fmt, ap);
    va_end(ap);
    return n;
}
