/* The disk I/O time-out policy: the command line's, else the platform
 * descriptor's (none on EC2 and GCE, 180 s on VMware), else the driver's. */
#include <stdlib.h>
#include "cmdline.h"
#include "log.h"
#include "platform.h"

unsigned long platform_io_timeout_ms(const char *driver_key, unsigned long default_ms)
{
    const char *v = cmdline_param(kernel_options(), driver_key, 0);
    if (v) {
        char *end;
        unsigned long ms = strtoul(v, &end, 10);
        if (*v && !*end && ms <= 3600000ul)
            return ms;
        pr_warn("%s=%s: not a time in ms up to 3600000; using the platform's\n", driver_key, v);
    }
    const struct platform *p = platform_current();
    if (p && p->io_timeout_s == PLATFORM_NO_IO_TIMEOUT)
        return 0;
    if (p && p->io_timeout_s > 0)
        return (unsigned long)p->io_timeout_s * 1000ul;
    return default_ms;
}
