/* Command-line parser: options, params, argv, quoting and every error. */
#include <string.h>
#include "check.h"
#include "cmdline.h"

static int parse(struct kernel_options *o, const char *s)
{
    static char buf[4096];
    strcpy(buf, s);
    return cmdline_parse(o, buf);
}

int main(void)
{
    struct kernel_options o;

    CHECK_EQ(parse(&o, ""), 0);
    CHECK_EQ(o.argc, 0);
    CHECK(strcmp(o.console, "serial") == 0);

    CHECK_EQ(parse(&o, "--bootchart --nopci --verbose --platform=microvm --clock=tsc hello a b"), 0);
    CHECK(o.bootchart && o.nopci && o.verbose && !o.help);
    CHECK(strcmp(o.platform, "microvm") == 0);
    CHECK(strcmp(o.clock, "tsc") == 0);
    CHECK_EQ(o.argc, 3);
    CHECK(strcmp(o.argv[0], "hello") == 0 && strcmp(o.argv[2], "b") == 0);
    CHECK(o.argv[3] == NULL);
    CHECK(!o.cloud_config);
    CHECK_EQ(o.stop_timeout_s, 10);

    /* --quiet: warnings and errors only; with --verbose it makes no sense. */
    CHECK_EQ(parse(&o, "--quiet hello"), 0);
    CHECK(o.quiet && !o.verbose);
    CHECK_EQ(parse(&o, "--quiet --verbose hello"), -1);
    CHECK(strstr(o.error, "--verbose and --quiet contradict") != NULL);
    CHECK_EQ(parse(&o, "--quiet=1 hello"), -1);
    CHECK(strstr(o.error, "takes no value") != NULL);

    /* --stop-timeout: whole seconds within 0..86400, nothing else. */
    CHECK_EQ(parse(&o, "--stop-timeout=3 hello"), 0);
    CHECK_EQ(o.stop_timeout_s, 3);
    CHECK_EQ(parse(&o, "--stop-timeout=0"), 0);
    CHECK_EQ(o.stop_timeout_s, 0);
    CHECK_EQ(parse(&o, "--stop-timeout=86400"), 0);
    CHECK_EQ(o.stop_timeout_s, 86400);
    CHECK_EQ(parse(&o, "--stop-timeout=86401"), -1);
    CHECK(strstr(o.error, "--stop-timeout") != NULL);
    CHECK_EQ(parse(&o, "--stop-timeout=99999999999999999999999"), -1);
    CHECK_EQ(parse(&o, "--stop-timeout=-1"), -1);
    CHECK_EQ(parse(&o, "--stop-timeout=1.5"), -1);
    CHECK_EQ(parse(&o, "--stop-timeout=5s"), -1);
    CHECK_EQ(parse(&o, "--stop-timeout="), -1);
    CHECK_EQ(parse(&o, "--stop-timeout"), -1);

    CHECK_EQ(parse(&o, "--cloud-config hello"), 0);
    CHECK(o.cloud_config && o.argc == 1);
    CHECK_EQ(parse(&o, "--cloud-config=yes hello"), -1);

    /* A Linux program: --env (repeatable, NAME=VALUE, quoting kept whole),
     * --cwd (absolute), --strace; its argv follows "--" unchanged. */
    CHECK_EQ(parse(&o, "--env=A=1 --env='B=two words' --env=C= --cwd=/data --strace -- /bin/prog -x --env=no"), 0);
    CHECK_EQ(o.n_env, 3);
    CHECK(strcmp(o.env[0], "A=1") == 0 && strcmp(o.env[1], "B=two words") == 0 && strcmp(o.env[2], "C=") == 0);
    CHECK(strcmp(o.cwd, "/data") == 0 && o.strace);
    CHECK(o.argc == 3 && strcmp(o.argv[0], "/bin/prog") == 0 && strcmp(o.argv[2], "--env=no") == 0);
    CHECK_EQ(parse(&o, "/bin/prog"), 0);
    CHECK(o.n_env == 0 && o.cwd[0] == 0 && !o.strace);
    CHECK_EQ(parse(&o, "--env=NOEQUALS /p"), -1);
    CHECK_EQ(parse(&o, "--env==v /p"), -1);
    CHECK_EQ(parse(&o, "--env /p"), -1);
    CHECK_EQ(parse(&o, "--cwd=relative /p"), -1);
    CHECK_EQ(parse(&o, "--cwd /p"), -1);
    CHECK_EQ(parse(&o, "--strace=1 /p"), -1);
    {
        char line[2048];
        size_t n = 0;
        for (int i = 0; i < CMDLINE_MAX_ENV + 1; i++)
            n += (size_t)snprintf(line + n, sizeof(line) - n, "--env=V%d=x ", i);
        CHECK_EQ(parse(&o, line), -1); /* one more than CMDLINE_MAX_ENV */
    }

    /* File systems: --rootfs names a known type, --mount is DEVICE:/PATH. */
    CHECK_EQ(parse(&o, "--rootfs=ext4 --mount=vblk0p1:/data --mount=sd0:/mnt/x fstest"), 0);
    CHECK(strcmp(o.rootfs, "ext4") == 0);
    CHECK_EQ(o.n_mounts, 2);
    CHECK(strcmp(o.mounts[0], "vblk0p1:/data") == 0 && strcmp(o.mounts[1], "sd0:/mnt/x") == 0);
    CHECK_EQ(parse(&o, "--rootfs=ramfs"), 0);
    CHECK_EQ(parse(&o, "--rootfs=xfs"), -1);
    CHECK(strstr(o.error, "unknown root file system 'xfs'") != NULL);
    CHECK_EQ(parse(&o, "--rootfs"), -1);
    CHECK_EQ(parse(&o, "--mount=vblk0"), -1);
    CHECK_EQ(parse(&o, "--mount=vblk0:relative"), -1);
    CHECK_EQ(parse(&o, "--mount=:/x"), -1);
    CHECK_EQ(parse(&o, "--mount=VBLK/0:/x"), -1);
    CHECK_EQ(parse(&o, "--mount=a:/1 --mount=a:/2 --mount=a:/3 --mount=a:/4 --mount=a:/5 --mount=a:/6 "
                       "--mount=a:/7 --mount=a:/8 --mount=a:/9"), -1);
    CHECK(strstr(o.error, "too many --mount") != NULL);

    /* Options after the app name belong to the app. */
    CHECK_EQ(parse(&o, "hello --verbose x"), 0);
    CHECK(!o.verbose);
    CHECK_EQ(o.argc, 3);
    CHECK(strcmp(o.argv[1], "--verbose") == 0);

    /* "--" ends kernel options even before something that looks like one. */
    CHECK_EQ(parse(&o, "--bootchart -- --weird-app-name"), 0);
    CHECK(o.bootchart);
    CHECK_EQ(o.argc, 1);
    CHECK(strcmp(o.argv[0], "--weird-app-name") == 0);

    /* Quoting. */
    CHECK_EQ(parse(&o, "app 'a b' \"c 'd'\" e\"f g\""), 0);
    CHECK_EQ(o.argc, 4);
    CHECK(strcmp(o.argv[1], "a b") == 0);
    CHECK(strcmp(o.argv[2], "c 'd'") == 0);
    CHECK(strcmp(o.argv[3], "ef g") == 0);
    CHECK_EQ(parse(&o, "app 'unterminated"), -1);
    CHECK(strstr(o.error, "unterminated") != NULL);

    /* Linux-style params: undotted ones only before the app, dotted anywhere. */
    CHECK_EQ(parse(&o, "console=ttyS0 virtio_mmio.device=512@0xfeb00e00:12 hello x=1 "
                       "virtio_mmio.device=512@0xfeb00c00:11"),
             0);
    CHECK_EQ(o.n_params, 3);
    CHECK(strcmp(cmdline_param(&o, "console", 0), "ttyS0") == 0);
    CHECK(strcmp(cmdline_param(&o, "virtio_mmio.device", 0), "512@0xfeb00e00:12") == 0);
    CHECK(strcmp(cmdline_param(&o, "virtio_mmio.device", 1), "512@0xfeb00c00:11") == 0);
    CHECK(cmdline_param(&o, "virtio_mmio.device", 2) == NULL);
    CHECK_EQ(o.argc, 2);
    CHECK(strcmp(o.argv[1], "x=1") == 0);

    /* Errors are errors, with the offending word in the message. */
    CHECK_EQ(parse(&o, "--frobnicate hello"), -1);
    CHECK(strstr(o.error, "unknown option '--frobnicate'") != NULL);
    CHECK_EQ(parse(&o, "--platform"), -1);
    CHECK(strstr(o.error, "needs a value") != NULL);
    CHECK_EQ(parse(&o, "--platform="), -1);
    CHECK_EQ(parse(&o, "--platform=Bad!"), -1);
    CHECK(strstr(o.error, "Bad!") != NULL);
    CHECK_EQ(parse(&o, "--bootchart=yes"), -1);
    CHECK(strstr(o.error, "takes no value") != NULL);
    CHECK_EQ(parse(&o, "--console=vga"), -1);
    CHECK(strstr(o.error, "unknown console") != NULL);
    CHECK_EQ(parse(&o, "--console=serial --help"), 0);
    CHECK(o.help);
    CHECK_EQ(parse(&o, "--clock=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), -1);

    /* Limits: too many arguments is an error, not an overflow. */
    char many[2048] = "app";
    for (int i = 0; i < 70; i++)
        strcat(many, " x");
    CHECK_EQ(parse(&o, many), -1);
    CHECK(strstr(o.error, "too many") != NULL);
    char params[4096] = "";
    for (int i = 0; i < 40; i++)
        strcat(params, "a.b=1 ");
    CHECK_EQ(parse(&o, params), -1);

    return check_report("test_cmdline");
}
