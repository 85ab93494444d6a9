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
