/* Kernel command line: OSv-style options (--name[=value]) first, then the
 * application's argv. Linux-style key=value items are kept for their consumers. */
#ifndef KESTREL_CMDLINE_H
#define KESTREL_CMDLINE_H
#include <stdbool.h>
#include <stddef.h>

#define CMDLINE_MAX_ARGS 64
#define CMDLINE_MAX_PARAMS 32
#define CMDLINE_NAME_MAX 32
#define CMDLINE_MAX_MOUNTS 8
#define CMDLINE_MOUNT_MAX 128
#define CMDLINE_MAX_IPS 8
#define CMDLINE_MAX_ENV 32
#define CMDLINE_PATH_MAX 256
#define CMDLINE_STOP_TIMEOUT_DEFAULT 10
#define CMDLINE_STOP_TIMEOUT_MAX 86400

struct cmdline_param {
    const char *key;
    const char *value;
};

struct kernel_options {
    bool bootchart;
    bool nopci;
    bool nonet; /* no TCP/IP: the app drives the NICs itself (raw frames) */
    bool verbose;
    bool quiet;  /* only warnings and errors from the kernel (Linux's quiet) */
    bool help;
    bool cloud_config; /* app command line from the cloud's user-data */
    bool strace;       /* a Linux program's system calls are printed with their results */
    char console[CMDLINE_NAME_MAX];  /* "serial" (default) */
    char platform[CMDLINE_NAME_MAX]; /* "" = detect */
    char clock[CMDLINE_NAME_MAX];    /* "" = platform preference */
    char rootfs[CMDLINE_NAME_MAX];   /* "" = the initrd if any, else ext4 */
    char mounts[CMDLINE_MAX_MOUNTS][CMDLINE_MOUNT_MAX]; /* DEVICE:PATH */
    unsigned n_mounts;
    /* Network set-up (net/ parses them): --ip=IF,ADDR,NETMASK per interface. */
    const char *ip[CMDLINE_MAX_IPS];
    unsigned n_ip;
    const char *defaultgw;
    const char *nameserver;
    /* A Linux program's environment (--env=NAME=VALUE) and working directory. */
    const char *env[CMDLINE_MAX_ENV];
    unsigned n_env;
    char cwd[CMDLINE_PATH_MAX]; /* "" = / */
    unsigned stop_timeout_s; /* --stop-timeout: seconds a stop waits for the program (default 10) */
    struct cmdline_param params[CMDLINE_MAX_PARAMS];
    unsigned n_params;
    int argc;
    char *argv[CMDLINE_MAX_ARGS + 1];
    char error[160]; /* set when cmdline_parse fails */
};

/* Parses buf in place (tokens are NUL-terminated inside it; the options
 * point into it). Returns 0, or -1 with o->error saying what was wrong. */
int cmdline_parse(struct kernel_options *o, char *buf);

/* The value of the index-th param named key, or NULL. */
const char *cmdline_param(const struct kernel_options *o, const char *key, unsigned index);

/* The options this kernel booted with (core/kernel_options.c). */
const struct kernel_options *kernel_options(void);
/* The boot line's one call: parses the boot command line (and names the
 * linked-in app when the line names none). 0, or -1 with (*out)->error set;
 * *out is the boot line's own handle (cloud user-data may replace the app). */
int kernel_options_init(const char *boot_cmdline, struct kernel_options **out);
/* Appends text to the boot command line and parses the whole line again
 * (platform set-up: settings the hypervisor hands over). 0, or -1 with the
 * old options kept when the result does not fit or parse. */
int kernel_cmdline_append(const char *text);

/* Help text listing every option. */
extern const char cmdline_help_text[];

#endif
