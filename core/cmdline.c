/* Kernel command-line parsing: pure logic, shared with host unit tests. */
#include <string.h>
#include "cmdline.h"

const char cmdline_help_text[] =
    "usage: [kernel options] [app [args...]] [module.param=value...]\n"
    "       [kernel options] -- /path/to/linux-program [args...]\n"
    "kernel options:\n"
    "  --bootchart         print boot phase timings before the app starts\n"
    "  --nopci             do not probe PCI\n"
    "  --console=serial    console device (serial is the only one so far)\n"
    "  --platform=NAME     skip platform detection and use NAME\n"
    "  --clock=NAME        force the clock source NAME\n"
    "  --verbose           print debug-level kernel messages\n"
    "  --quiet             print only the kernel's warnings and errors\n"
    "  --rootfs=ramfs|ext4 root file system (default: the initrd if any, else ext4)\n"
    "  --mount=DEV:PATH[:ro|:rw]  mount the ext4 file system on block device DEV\n"
    "                      at PATH (read-write when the disk is; ext4.commit=S\n"
    "                      sets the journal's commit interval, default 5 s)\n"
    "  --nonet             no TCP/IP: leave the network devices to the app\n"
    "  --ip=IF,ADDR,MASK   static IPv4 address of interface IF (eth0, ...), else DHCP\n"
    "  --defaultgw=ADDR    default gateway for static addresses\n"
    "  --nameserver=ADDR   DNS server (overrides DHCP's)\n"
    "  --cloud-config      fetch the instance id and user-data from the cloud's\n"
    "                      metadata server; user-data becomes the app's command line\n"
    "  --env=NAME=VALUE    environment variable of a Linux program (repeatable)\n"
    "  --cwd=PATH          working directory of a Linux program (default /)\n"
    "  --strace            print each system call of a Linux program with its result\n"
    "  --stop-timeout=SEC  on a stop request (power button, hypervisor shutdown)\n"
    "                      wait SEC seconds for the app to exit, then power off\n"
    "                      (default 10, 0 to 86400)\n"
    "  --help              print this text and power off\n"
    "  --                  end of kernel options\n"
    "An app that starts with '/' is a static x86-64 Linux executable on the\n"
    "file system, run in user mode (docs/linux-abi.md).\n"
    "Linux-style key=value items before the app, and dotted ones such as\n"
    "virtio_mmio.device=<size>@<base>:<irq> anywhere, are kept for drivers.\n";

static void set_error(struct kernel_options *o, const char *fmt, const char *arg)
{
    /* A single %s argument keeps this file independent of varargs plumbing. */
    char tmp[sizeof(o->error)];
    size_t n = 0;
    for (const char *f = fmt; *f && n + 1 < sizeof(tmp); f++) {
        if (f[0] == '%' && f[1] == 's') {
            for (const char *a = arg; *a && n + 1 < sizeof(tmp); a++)
                tmp[n++] = *a;
            f++;
            continue;
        }
        tmp[n++] = *f;
    }
    tmp[n] = 0;
    memcpy(o->error, tmp, n + 1);
}

/* Bounded copy; strlcpy is not in the host C library the unit tests use. */
static void copy_name(char *dst, const char *src)
{
    size_t n = strnlen(src, CMDLINE_NAME_MAX - 1);
    memcpy(dst, src, n);
    dst[n] = 0;
}

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Splits buf into tokens in place, honouring '...' and "..." quoting. */
static int tokenize(struct kernel_options *o, char *buf, char **tok, int max)
{
    int n = 0;
    char *r = buf, *w = buf;
    while (*r) {
        while (is_space(*r))
            r++;
        if (!*r)
            break;
        if (n == max) {
            set_error(o, "too many command-line arguments (at most %s)", "64");
            return -1;
        }
        tok[n++] = w;
        char quote = 0;
        while (*r && (quote || !is_space(*r))) {
            if (!quote && (*r == '"' || *r == '\'')) {
                quote = *r++;
                continue;
            }
            if (quote && *r == quote) {
                quote = 0;
                r++;
                continue;
            }
            *w++ = *r++;
        }
        if (quote) {
            set_error(o, "unterminated %s quote on the command line", quote == '"' ? "double" : "single");
            return -1;
        }
        if (*r)
            r++;
        *w++ = 0;
    }
    return n;
}

static int is_key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
}

/* key=value with a key of identifier characters; dotted says "module.param". */
static int param_kind(const char *t)
{
    const char *eq = strchr(t, '=');
    if (!eq || eq == t || t[0] == '-')
        return 0;
    int dotted = 0;
    for (const char *p = t; p < eq; p++) {
        if (!is_key_char(*p))
            return 0;
        if (*p == '.')
            dotted = 1;
    }
    return dotted ? 2 : 1;
}

static int add_param(struct kernel_options *o, char *t)
{
    if (o->n_params == CMDLINE_MAX_PARAMS) {
        set_error(o, "too many key=value parameters (at most %s)", "32");
        return -1;
    }
    char *eq = strchr(t, '=');
    *eq = 0;
    o->params[o->n_params++] = (struct cmdline_param){ t, eq + 1 };
    return 0;
}

static int valid_name(const char *v)
{
    if (!*v || strlen(v) >= CMDLINE_NAME_MAX)
        return 0;
    for (; *v; v++) {
        if (!((*v >= 'a' && *v <= 'z') || (*v >= '0' && *v <= '9') || *v == '-' || *v == '_'))
            return 0;
    }
    return 1;
}

static int set_name(struct kernel_options *o, char *dst, const char *opt, const char *val)
{
    if (!val || !*val) {
        set_error(o, "option %s needs a value (--name=value)", opt);
        return -1;
    }
    if (!valid_name(val)) {
        set_error(o, "bad value '%s' (names are lower-case letters, digits, - and _)", val);
        return -1;
    }
    copy_name(dst, val);
    return 0;
}

/* DEVICE:PATH, a device name and an absolute path. */
static int add_mount(struct kernel_options *o, const char *opt, const char *val)
{
    const char *colon = val ? strchr(val, ':') : NULL;
    if (!colon || colon == val || colon[1] != '/') {
        set_error(o, "option %s needs DEVICE:/PATH", opt);
        return -1;
    }
    if (strlen(val) >= CMDLINE_MOUNT_MAX) {
        set_error(o, "--mount value '%s' is too long", val);
        return -1;
    }
    for (const char *p = val; p < colon; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            set_error(o, "bad device name in --mount=%s", val);
            return -1;
        }
    }
    if (o->n_mounts == CMDLINE_MAX_MOUNTS) {
        set_error(o, "too many --mount options (at most %s)", "8");
        return -1;
    }
    memcpy(o->mounts[o->n_mounts++], val, strlen(val) + 1);
    return 0;
}

/* Network options are kept as given; net/ checks their syntax when it
 * configures the interfaces (and says there what was wrong). */
static int set_net(struct kernel_options *o, const char *opt, const char *val)
{
    if (!val || !*val) {
        set_error(o, "option %s needs a value (--name=value)", opt);
        return -1;
    }
    if (strcmp(opt, "--defaultgw") == 0) {
        o->defaultgw = val;
        return 0;
    }
    if (strcmp(opt, "--nameserver") == 0) {
        o->nameserver = val;
        return 0;
    }
    if (o->n_ip == CMDLINE_MAX_IPS) {
        set_error(o, "too many --ip options (at most %s)", "8");
        return -1;
    }
    o->ip[o->n_ip++] = val;
    return 0;
}

/* NAME=VALUE with a non-empty NAME that holds no '='. */
static int add_env(struct kernel_options *o, const char *val)
{
    if (!val || val[0] == '=' || !strchr(val, '=')) {
        set_error(o, "option --env needs NAME=VALUE, got '%s'", val ? val : "");
        return -1;
    }
    if (o->n_env == CMDLINE_MAX_ENV) {
        set_error(o, "too many --env options (at most %s)", "32");
        return -1;
    }
    o->env[o->n_env++] = val;
    return 0;
}

static int set_cwd(struct kernel_options *o, const char *val)
{
    if (!val || val[0] != '/') {
        set_error(o, "option --cwd needs an absolute path, got '%s'", val ? val : "");
        return -1;
    }
    if (strlen(val) >= CMDLINE_PATH_MAX) {
        set_error(o, "--cwd path '%s' is too long", val);
        return -1;
    }
    memcpy(o->cwd, val, strlen(val) + 1);
    return 0;
}

/* Whole seconds, decimal digits only, within CMDLINE_STOP_TIMEOUT_MAX. */
static int set_stop_timeout(struct kernel_options *o, const char *opt, const char *val)
{
    if (!val || !*val) {
        set_error(o, "option %s needs a value (--name=value)", opt);
        return -1;
    }
    unsigned long v = 0;
    for (const char *p = val; *p; p++) {
        if (*p < '0' || *p > '9' || v > CMDLINE_STOP_TIMEOUT_MAX) {
            set_error(o, "bad --stop-timeout '%s' (whole seconds, 0 to 86400)", val);
            return -1;
        }
        v = v * 10 + (unsigned long)(*p - '0');
    }
    if (v > CMDLINE_STOP_TIMEOUT_MAX) {
        set_error(o, "bad --stop-timeout '%s' (whole seconds, 0 to 86400)", val);
        return -1;
    }
    o->stop_timeout_s = (unsigned)v;
    return 0;
}

static int parse_option(struct kernel_options *o, char *t)
{
    char *val = strchr(t, '=');
    if (val)
        *val++ = 0;
    static const struct {
        const char *name;
        size_t flag_off; /* offset of the bool it sets */
    } flags[] = {
        { "--bootchart", offsetof(struct kernel_options, bootchart) },
        { "--nopci", offsetof(struct kernel_options, nopci) },
        { "--nonet", offsetof(struct kernel_options, nonet) },
        { "--verbose", offsetof(struct kernel_options, verbose) },
        { "--quiet", offsetof(struct kernel_options, quiet) },
        { "--help", offsetof(struct kernel_options, help) },
        { "--cloud-config", offsetof(struct kernel_options, cloud_config) },
        { "--strace", offsetof(struct kernel_options, strace) },
    };
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
        if (strcmp(t, flags[i].name) != 0)
            continue;
        if (val) {
            set_error(o, "option %s takes no value", t);
            return -1;
        }
        *(bool *)((char *)o + flags[i].flag_off) = true;
        return 0;
    }
    if (strcmp(t, "--ip") == 0 || strcmp(t, "--defaultgw") == 0 || strcmp(t, "--nameserver") == 0)
        return set_net(o, t, val);
    if (strcmp(t, "--env") == 0)
        return add_env(o, val);
    if (strcmp(t, "--cwd") == 0)
        return set_cwd(o, val);
    if (strcmp(t, "--stop-timeout") == 0)
        return set_stop_timeout(o, t, val);
    if (strcmp(t, "--platform") == 0)
        return set_name(o, o->platform, t, val);
    if (strcmp(t, "--clock") == 0)
        return set_name(o, o->clock, t, val);
    if (strcmp(t, "--rootfs") == 0) {
        if (set_name(o, o->rootfs, t, val) < 0)
            return -1;
        if (strcmp(o->rootfs, "ramfs") != 0 && strcmp(o->rootfs, "ext4") != 0) {
            set_error(o, "unknown root file system '%s' (known: ramfs, ext4)", val);
            return -1;
        }
        return 0;
    }
    if (strcmp(t, "--mount") == 0)
        return add_mount(o, t, val);
    if (strcmp(t, "--console") == 0) {
        if (set_name(o, o->console, t, val) < 0)
            return -1;
        if (strcmp(o->console, "serial") != 0) {
            set_error(o, "unknown console '%s' (known: serial)", val);
            return -1;
        }
        return 0;
    }
    set_error(o, "unknown option '%s' (try --help)", t);
    return -1;
}

int cmdline_parse(struct kernel_options *o, char *buf)
{
    memset(o, 0, sizeof(*o));
    copy_name(o->console, "serial");
    o->stop_timeout_s = CMDLINE_STOP_TIMEOUT_DEFAULT;
    char *tok[CMDLINE_MAX_ARGS * 2];
    int n = tokenize(o, buf, tok, CMDLINE_MAX_ARGS * 2);
    if (n < 0)
        return -1;
    int i = 0;
    /* Kernel options and undotted key=value items lead; "--" ends them. */
    for (; i < n; i++) {
        if (strcmp(tok[i], "--") == 0) {
            i++;
            break;
        }
        if (tok[i][0] == '-' && tok[i][1] == '-') {
            if (parse_option(o, tok[i]) < 0)
                return -1;
            continue;
        }
        if (param_kind(tok[i])) {
            if (add_param(o, tok[i]) < 0)
                return -1;
            continue;
        }
        break;
    }
    /* The rest is the app's argv, minus dotted module params (which loaders
     * such as QEMU's microvm append after everything else). */
    for (; i < n; i++) {
        if (param_kind(tok[i]) == 2) {
            if (add_param(o, tok[i]) < 0)
                return -1;
            continue;
        }
        if (o->argc == CMDLINE_MAX_ARGS) {
            set_error(o, "too many application arguments (at most %s)", "64");
            return -1;
        }
        o->argv[o->argc++] = tok[i];
    }
    o->argv[o->argc] = NULL;
    if (o->verbose && o->quiet) {
        set_error(o, "options --verbose and %s contradict each other", "--quiet");
        return -1;
    }
    return 0;
}

const char *cmdline_param(const struct kernel_options *o, const char *key, unsigned index)
{
    for (unsigned i = 0; i < o->n_params; i++) {
        if (strcmp(o->params[i].key, key) == 0 && index-- == 0)
            return o->params[i].value;
    }
    return NULL;
}
