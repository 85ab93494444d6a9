/* What the program learns of the machine: uname (Linux, a release new
 * enough for glibc; the names sethostname and setdomainname set), sysinfo (memory from the page allocator, uptime) and
 * getrandom (the kernel's ChaCha20 generator, which never blocks once the
 * kernel is up). */
#include <string.h>
#include "clock.h"
#include "files.h"
#include "layout.h"
#include "linux_consts.h"
#include "memory.h"
#include "random.h"
#include "sched.h"
#include "uaccess.h"

struct lx_utsname {
    char sysname[65], nodename[65], release[65], version[65], machine[65], domainname[65];
};

long sys_uname(const struct sysargs *s)
{
    struct lx_utsname u;
    memset(&u, 0, sizeof(u));
    strlcpy(u.sysname, "Linux", sizeof(u.sysname));
    strlcpy(u.nodename, linux_hostname(), sizeof(u.nodename));
    strlcpy(u.release, LINUX_RELEASE, sizeof(u.release));
    strlcpy(u.version, LINUX_VERSION, sizeof(u.version));
    strlcpy(u.machine, "x86_64", sizeof(u.machine));
    strlcpy(u.domainname, linux_domainname(), sizeof(u.domainname));
    return copy_to_user((void *)s->a[0], &u, sizeof(u));
}

/* sethostname / setdomainname: at most 64 bytes (EINVAL), the program is
 * root (no EPERM); uname, /proc/sys/kernel/hostname and gethostname then
 * answer the new name. */
static long set_name(const struct sysargs *s, void (*set)(const char *, size_t))
{
    int64_t len = (int64_t)s->a[1];
    if (len < 0 || len > 64)
        return -EINVAL;
    char buf[64];
    if (copy_from_user(buf, (const void *)s->a[0], (size_t)len) < 0)
        return -EFAULT;
    set(buf, (size_t)len);
    return 0;
}

long sys_sethostname(const struct sysargs *s) { return set_name(s, linux_set_hostname); }
long sys_setdomainname(const struct sysargs *s) { return set_name(s, linux_set_domainname); }

struct lx_sysinfo { /* x86-64, 112 bytes */
    int64_t uptime;
    uint64_t loads[3];
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
    uint16_t procs, pad;
    uint32_t pad2;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;
    uint32_t pad3;
};
_Static_assert(sizeof(struct lx_sysinfo) == 112, "x86-64 struct sysinfo");

long sys_sysinfo(const struct sysargs *s)
{
    struct lx_sysinfo si;
    memset(&si, 0, sizeof(si));
    si.uptime = (int64_t)(clock_monotonic_ns() / 1000000000ull);
    si.totalram = memory_ram_bytes();
    si.freeram = memory_free_bytes();
    si.procs = 1;
    si.mem_unit = 1;
    return copy_to_user((void *)s->a[0], &si, sizeof(si));
}

long sys_getrandom(const struct sysargs *s)
{
    uint8_t *ubuf = (uint8_t *)s->a[0];
    size_t len = s->a[1] > LX_MAX_RW_COUNT ? LX_MAX_RW_COUNT : s->a[1];
    unsigned flags = (unsigned)s->a[2];
    if (flags & ~(unsigned)(LX_GRND_NONBLOCK | LX_GRND_RANDOM | LX_GRND_INSECURE))
        return -EINVAL;
    if ((flags & LX_GRND_RANDOM) && (flags & LX_GRND_INSECURE))
        return -EINVAL;
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < 65536 ? len - done : 65536;
        if (user_buffer_prepare(ubuf + done, n, true) < 0)
            return done ? (long)done : -EFAULT;
        random_bytes(ubuf + done, n);
        done += n;
    }
    return (long)done;
}
