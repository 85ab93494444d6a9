/* The kernel options: parsed once from the boot command line by the boot
 * line, extended by platform set-up (kernel_cmdline_append), read by every
 * driver and service through kernel_options() (include/cmdline.h). */
#include <stdio.h>
#include <string.h>
#include "app.h"
#include "boot_info.h"
#include "cmdline.h"
#include "console.h"
#include "log.h"

static char boot_cmdline[BOOT_CMDLINE_MAX];
static char cmdline_buf[BOOT_CMDLINE_MAX];
static struct kernel_options opts;
static char cmdline_ext_buf[BOOT_CMDLINE_MAX];
static struct kernel_options ext_opts;
static char *default_argv[2];

const struct kernel_options *kernel_options(void) { return &opts; }

static void console_level_from(const struct kernel_options *o)
{
    if (o->verbose)
        console_set_level(LOG_DEBUG);
    else if (o->quiet)
        console_set_level(LOG_WARN);
}

/* No app named on the command line: the linked-in one runs. */
static void default_app(struct kernel_options *o)
{
    if (o->argc != 0)
        return;
    default_argv[0] = (char *)kestrel_app_name;
    o->argv[0] = default_argv[0];
    o->argv[1] = NULL;
    o->argc = 1;
}

int kernel_options_init(const char *cmdline, struct kernel_options **out)
{
    strlcpy(boot_cmdline, cmdline, sizeof(boot_cmdline));
    strlcpy(cmdline_buf, cmdline, sizeof(cmdline_buf));
    *out = &opts;
    if (cmdline_parse(&opts, cmdline_buf) < 0)
        return -1;
    console_level_from(&opts);
    default_app(&opts);
    return 0;
}

int kernel_cmdline_append(const char *text)
{
    char line[BOOT_CMDLINE_MAX];
    int n = snprintf(line, sizeof(line), "%s%s%s", boot_cmdline, boot_cmdline[0] ? " " : "", text);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        pr_warn("cmdline: \"%s\" does not fit after the boot command line, ignored\n", text);
        return -1;
    }
    memcpy(cmdline_ext_buf, line, sizeof(line));
    memset(&ext_opts, 0, sizeof(ext_opts));
    if (cmdline_parse(&ext_opts, cmdline_ext_buf) < 0) {
        pr_warn("cmdline: with \"%s\" appended: %s; ignored\n", text, ext_opts.error);
        return -1;
    }
    default_app(&ext_opts);
    opts = ext_opts;
    console_level_from(&opts);
    pr_info("cmdline: now \"%s\"\n", line);
    return 0;
}
