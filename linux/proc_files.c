/* The trees of /proc, /sys and /dev the program sees (served by
 * fs/pseudofs.c): the machine's figures (memory from the page allocator,
 * CPUs from CPUID), the process's (its executable, command line, memory
 * regions, descriptors) and the character devices. */
#include <stdio.h>
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "cmdline.h"
#include "cpu.h"
#include "files.h"
#include "poll_wait.h"
#include "layout.h"
#include "linux_consts.h"
#include "log.h"
#include "memory.h"
#include "proc_text.h"
#include "pseudofs.h"
#include "sched.h"
#include "thread.h"

#define DIR_MODE (VFS_S_IFDIR | 0555)
#define FILE_MODE (VFS_S_IFREG | 0444)
#define LINK_MODE (VFS_S_IFLNK | 0777)

static long pid_of(void) { return lproc_current() ? lproc_current()->pid : 1; }

/* ---- machine ---- */

static long t_meminfo(char *b, size_t cap, long arg)
{
    return proc_meminfo(b, cap, memory_ram_bytes(), memory_free_bytes());
}

static void cpuid4(uint32_t leaf, uint32_t sub, uint32_t out[4])
{
    struct cpuid_regs r = cpuid(leaf, sub);
    out[0] = r.eax;
    out[1] = r.ebx;
    out[2] = r.ecx;
    out[3] = r.edx;
}

static long t_cpuinfo(char *b, size_t cap, long arg)
{
    uint32_t l0[4], l1[4], l7[4] = { 0 }, e0[4], e1[4] = { 0 }, brand[12] = { 0 };
    cpuid4(0, 0, l0);
    cpuid4(1, 0, l1);
    if (l0[0] >= 7)
        cpuid4(7, 0, l7);
    cpuid4(0x80000000u, 0, e0);
    if (e0[0] >= 0x80000001u)
        cpuid4(0x80000001u, 0, e1);
    for (unsigned i = 0; i < 3 && e0[0] >= 0x80000004u; i++)
        cpuid4(0x80000002u + i, 0, brand + 4 * i);
    struct cpu_desc d;
    cpu_desc_from_cpuid(&d, l0, l1, l7, e1, brand, e0[0]);
    d.mhz = tsc_hz() / 1000000;
    return proc_cpuinfo(b, cap, &d, ncpus);
}

static long t_cpu_list(char *b, size_t cap, long arg) { return sys_cpu_list(b, cap, ncpus); }

static long t_uptime(char *b, size_t cap, long arg)
{
    uint64_t ms = clock_monotonic_ns() / 1000000;
    uint64_t idle = ms * (ncpus ? ncpus : 1) - sched_busy_ns() / 1000000;
    return snprintf(b, cap, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(ms / 1000),
                    (unsigned long long)(ms % 1000 / 10), (unsigned long long)(idle / 1000),
                    (unsigned long long)(idle % 1000 / 10));
}

static long t_loadavg(char *b, size_t cap, long arg)
{
    return snprintf(b, cap, "0.00 0.00 0.00 1/1 %ld\n", pid_of());
}

/* sethostname/setdomainname's names: two buffers each, the one not being
 * read written and then published, so a reader never sees half a name
 * (unless two sets race a read, which Linux's lock would order). */
static char names_set[2][2][65];
static const char *name_now[2];
static unsigned name_flip[2];

static void name_set(int which, const char *name, size_t len)
{
    char *b = names_set[which][__atomic_fetch_add(&name_flip[which], 1, __ATOMIC_RELAXED) & 1];
    memcpy(b, name, len);
    b[len] = 0;
    __atomic_store_n(&name_now[which], b, __ATOMIC_RELEASE);
}

const char *linux_hostname(void)
{
    const char *set = __atomic_load_n(&name_now[0], __ATOMIC_ACQUIRE);
    if (set)
        return set;
    const char *h = cmdline_param(kernel_options(), "hostname", 0);
    return h && *h && strlen(h) < 65 ? h : "kestrel";
}

const char *linux_domainname(void)
{
    const char *set = __atomic_load_n(&name_now[1], __ATOMIC_ACQUIRE);
    return set ? set : "(none)";
}

void linux_set_hostname(const char *name, size_t len) { name_set(0, name, len); }
void linux_set_domainname(const char *name, size_t len) { name_set(1, name, len); }

static long t_hostname(char *b, size_t cap, long arg) { return snprintf(b, cap, "%s\n", linux_hostname()); }
static long t_osrelease(char *b, size_t cap, long arg) { return snprintf(b, cap, "%s\n", LINUX_RELEASE); }
static long t_ostype(char *b, size_t cap, long arg) { return snprintf(b, cap, "Linux\n"); }
static long t_zero_line(char *b, size_t cap, long arg) { return snprintf(b, cap, "0\n"); }
/* The largest pipe F_SETPIPE_SZ grants: the fixed 64 KiB ring (linux/pipe.c),
 * so that a program reading it asks for no more (more is EPERM, as Linux
 * answers past this limit). */
static long t_pipe_max_size(char *b, size_t cap, long arg) { return snprintf(b, cap, "65536\n"); }

static long t_version(char *b, size_t cap, long arg)
{
    return snprintf(b, cap, "Linux version %s (kestrel) %s\n", LINUX_RELEASE, LINUX_VERSION);
}

static long t_mounts(char *b, size_t cap, long arg)
{
    size_t len = 0;
    const char *type, *source, *path;
    for (unsigned i = 0; (path = vfs_mount_info(i, &type, &source)); i++) {
        int n = snprintf(len < cap ? b + len : NULL, len < cap ? cap - len : 0, "%s %s %s rw 0 0\n", source, path,
                         strcmp(type, "pseudofs") == 0 ? source : type);
        len += n > 0 ? (size_t)n : 0;
    }
    return (long)len;
}

/* ---- the process ---- */

static long t_self(char *b, size_t cap, long arg) { return snprintf(b, cap, "%ld", pid_of()); }

static int list_pid(unsigned idx, char *name, size_t cap, long *arg)
{
    if (idx > 0)
        return 0;
    *arg = pid_of();
    snprintf(name, cap, "%ld", *arg);
    return 1;
}

static long t_exe(char *b, size_t cap, long arg)
{
    struct lproc *p = lproc_current();
    return p && p->exe_path ? snprintf(b, cap, "%s", p->exe_path) : -ENOENT;
}

static long t_cwd(char *b, size_t cap, long arg)
{
    if (cap < VFS_PATH_MAX + 1)
        return VFS_PATH_MAX + 1; /* a bigger buffer, please */
    lproc_cwd(b);
    return (long)strlen(b);
}

static long t_root(char *b, size_t cap, long arg) { return snprintf(b, cap, "/"); }

/* argv as the kernel command line gave it, each string NUL-terminated. */
static long t_cmdline(char *b, size_t cap, long arg)
{
    const struct kernel_options *o = kernel_options();
    size_t len = 0;
    for (int i = 0; i < o->argc; i++) {
        size_t n = strlen(o->argv[i]) + 1;
        if (len + n <= cap)
            memcpy(b + len, o->argv[i], n);
        len += n;
    }
    return (long)len;
}

static long t_environ(char *b, size_t cap, long arg)
{
    const struct kernel_options *o = kernel_options();
    size_t len = 0;
    for (unsigned i = 0; i < o->n_env; i++) {
        size_t n = strlen(o->env[i]) + 1;
        if (len + n <= cap)
            memcpy(b + len, o->env[i], n);
        len += n;
    }
    return (long)len;
}

static const char *comm(void)
{
    struct lproc *p = lproc_current();
    const char *slash = p && p->exe_path ? strrchr(p->exe_path, '/') : NULL;
    return slash ? slash + 1 : "app";
}

static long t_comm(char *b, size_t cap, long arg) { return snprintf(b, cap, "%.15s\n", comm()); }

static void figures(struct proc_figures *f)
{
    memset(f, 0, sizeof(*f));
    struct lproc *p = lproc_current();
    f->pid = (int)pid_of();
    f->ppid = 1;
    f->comm = comm();
    uint64_t flags = sched_lock();
    for (struct lthread *t = lthread_list_locked(); t; t = t->next)
        f->threads++;
    sched_unlock(flags);
    if (!f->threads)
        f->threads = 1;
    f->utime_ticks = sched_busy_ns() / 10000000;
    f->umask = p ? p->umask : 022;
    f->fd_slots = LINUX_NOFILE;
    if (!p)
        return;
    mutex_lock(&p->mm.lock);
    for (unsigned i = 0; i < p->mm.n; i++)
        f->vsize += p->mm.v[i].end - p->mm.v[i].start;
    mutex_unlock(&p->mm.lock);
    f->rss_pages = f->vsize >> 12;
}

static long t_stat(char *b, size_t cap, long arg)
{
    struct proc_figures f;
    figures(&f);
    return proc_pid_stat(b, cap, &f);
}

static long t_status(char *b, size_t cap, long arg)
{
    struct proc_figures f;
    figures(&f);
    return proc_pid_status(b, cap, &f);
}

static long t_statm(char *b, size_t cap, long arg)
{
    struct proc_figures f;
    figures(&f);
    return proc_pid_statm(b, cap, &f);
}

/* The regions of abi-core's memory map, with [heap], [stack], [vvar] and
 * [vdso] named. */
static long t_maps(char *b, size_t cap, long arg)
{
    struct lproc *p = lproc_current();
    if (!p)
        return 0;
    size_t len = 0;
    mutex_lock(&p->mm.lock);
    for (unsigned i = 0; i < p->mm.n; i++) {
        const struct vma *v = &p->mm.v[i];
        char perms[5] = { v->prot & LINUX_PROT_READ ? 'r' : '-', v->prot & LINUX_PROT_WRITE ? 'w' : '-',
                          v->prot & LINUX_PROT_EXEC ? 'x' : '-', 'p', 0 };
        const char *name = v->flags & VMA_BRK     ? "[heap]"
                           : v->flags & VMA_STACK ? "[stack]"
                           : v->flags & VMA_VDSO  ? "[vdso]"
                           : v->flags & VMA_VVAR  ? "[vvar]"
                                                  : NULL;
        long n = proc_maps_line(len < cap ? b + len : NULL, len < cap ? cap - len : 0, v->start, v->end, perms, 0, 0,
                                name);
        len += (size_t)n;
    }
    mutex_unlock(&p->mm.lock);
    return (long)len;
}

static int list_fds(unsigned idx, char *name, size_t cap, long *arg)
{
    int fd = -1;
    for (unsigned i = 0; i <= idx; i++) {
        fd = fd_next_open(fd + 1);
        if (fd < 0)
            return 0;
    }
    *arg = fd;
    snprintf(name, cap, "%d", fd);
    return 1;
}

static long t_fd_link(char *b, size_t cap, long arg)
{
    struct lfile *f = fd_get((int)arg);
    if (!f)
        return -ENOENT;
    long n;
    if (f->path)
        n = snprintf(b, cap, "%s", f->path);
    else if (lfile_is_pipe(f))
        n = pipe_name(f, b, cap);
    else if ((n = socket_fd_name(f, b, cap)) >= 0)
        ;
    else if (lfile_anon_name(f))
        n = snprintf(b, cap, "anon_inode:[%s]", lfile_anon_name(f));
    else
        n = snprintf(b, cap, "/dev/console");
    lfile_put(f);
    return n;
}

static const struct pseudo_node fd_link = { "", LINK_MODE, 0, t_fd_link, NULL, NULL, NULL };

static const struct pseudo_node pid_dir_entries[] = {
    { "cmdline", FILE_MODE, 0, t_cmdline, NULL, NULL, NULL },
    { "comm", FILE_MODE, 0, t_comm, NULL, NULL, NULL },
    { "cwd", LINK_MODE, 0, t_cwd, NULL, NULL, NULL },
    { "environ", VFS_S_IFREG | 0400, 0, t_environ, NULL, NULL, NULL },
    { "exe", LINK_MODE, 0, t_exe, NULL, NULL, NULL },
    { "fd", VFS_S_IFDIR | 0500, 0, NULL, NULL, list_fds, &fd_link },
    { "maps", FILE_MODE, 0, t_maps, NULL, NULL, NULL },
    { "mounts", FILE_MODE, 0, t_mounts, NULL, NULL, NULL },
    { "root", LINK_MODE, 0, t_root, NULL, NULL, NULL },
    { "stat", FILE_MODE, 0, t_stat, NULL, NULL, NULL },
    { "statm", FILE_MODE, 0, t_statm, NULL, NULL, NULL },
    { "status", FILE_MODE, 0, t_status, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node pid_dir = { "", DIR_MODE, 0, NULL, pid_dir_entries, NULL, NULL };

static const struct pseudo_node proc_sys_kernel[] = {
    { "hostname", VFS_S_IFREG | 0644, 0, t_hostname, NULL, NULL, NULL },
    { "osrelease", FILE_MODE, 0, t_osrelease, NULL, NULL, NULL },
    { "ostype", FILE_MODE, 0, t_ostype, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node proc_sys_vm[] = {
    { "overcommit_memory", VFS_S_IFREG | 0644, 0, t_zero_line, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node proc_sys_fs[] = {
    { "pipe-max-size", VFS_S_IFREG | 0644, 0, t_pipe_max_size, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node proc_sys[] = {
    { "fs", DIR_MODE, 0, NULL, proc_sys_fs, NULL, NULL },
    { "kernel", DIR_MODE, 0, NULL, proc_sys_kernel, NULL, NULL },
    { "vm", DIR_MODE, 0, NULL, proc_sys_vm, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node proc_entries[] = {
    { "cpuinfo", FILE_MODE, 0, t_cpuinfo, NULL, NULL, NULL },
    { "loadavg", FILE_MODE, 0, t_loadavg, NULL, NULL, NULL },
    { "meminfo", FILE_MODE, 0, t_meminfo, NULL, NULL, NULL },
    { "mounts", FILE_MODE, 0, t_mounts, NULL, NULL, NULL },
    { "self", LINK_MODE, 0, t_self, NULL, NULL, NULL },
    { "sys", DIR_MODE, 0, NULL, proc_sys, NULL, NULL },
    { "uptime", FILE_MODE, 0, t_uptime, NULL, NULL, NULL },
    { "version", FILE_MODE, 0, t_version, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node proc_root = { "", DIR_MODE, 0, NULL, proc_entries, list_pid, &pid_dir };

/* ---- /sys ---- */

static const struct pseudo_node sys_cpu[] = {
    { "online", FILE_MODE, 0, t_cpu_list, NULL, NULL, NULL },
    { "possible", FILE_MODE, 0, t_cpu_list, NULL, NULL, NULL },
    { "present", FILE_MODE, 0, t_cpu_list, NULL, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node sys_system[] = {
    { "cpu", DIR_MODE, 0, NULL, sys_cpu, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node sys_devices[] = {
    { "system", DIR_MODE, 0, NULL, sys_system, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node sys_entries[] = {
    { "devices", DIR_MODE, 0, NULL, sys_devices, NULL, NULL },
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node sys_root = { "", DIR_MODE, 0, NULL, sys_entries, NULL, NULL };

/* ---- /dev ---- */

static long t_fd0(char *b, size_t cap, long arg) { return snprintf(b, cap, "/proc/self/fd/0"); }
static long t_fd1(char *b, size_t cap, long arg) { return snprintf(b, cap, "/proc/self/fd/1"); }
static long t_fd2(char *b, size_t cap, long arg) { return snprintf(b, cap, "/proc/self/fd/2"); }
static long t_fddir(char *b, size_t cap, long arg) { return snprintf(b, cap, "/proc/self/fd"); }

#define CHR(name, dev, perm) { name, VFS_S_IFCHR | (perm), dev, NULL, NULL, NULL, NULL }
static const struct pseudo_node dev_entries[] = {
    CHR("console", LX_DEV_CONSOLE, 0600),
    { "fd", LINK_MODE, 0, t_fddir, NULL, NULL, NULL },
    CHR("full", LX_DEV_FULL, 0666),
    CHR("null", LX_DEV_NULL, 0666),
    CHR("random", LX_DEV_RANDOM, 0666),
    { "stderr", LINK_MODE, 0, t_fd2, NULL, NULL, NULL },
    { "stdin", LINK_MODE, 0, t_fd0, NULL, NULL, NULL },
    { "stdout", LINK_MODE, 0, t_fd1, NULL, NULL, NULL },
    CHR("tty", LX_DEV_TTY, 0666),
    CHR("urandom", LX_DEV_URANDOM, 0666),
    CHR("zero", LX_DEV_ZERO, 0666),
    { NULL, 0, 0, NULL, NULL, NULL, NULL },
};
static const struct pseudo_node dev_root = { "", VFS_S_IFDIR | 0755, 0, NULL, dev_entries, NULL, NULL };

static void mount_one(const char *name, const char *path, const struct pseudo_node *root)
{
    vfs_make_node(path, VFS_S_IFDIR | 0555, NULL); /* -EEXIST or -EROFS are fine: mount tells */
    int rc = pseudofs_mount(name, path, root);
    if (rc < 0)
        pr_warn("linux: %s not mounted on %s (%d): the root has no such directory\n", name, path, rc);
}

void pseudo_fs_mount_all(void)
{
    mount_one("proc", "/proc", &proc_root);
    mount_one("sysfs", "/sys", &sys_root);
    mount_one("devtmpfs", "/dev", &dev_root);
}
