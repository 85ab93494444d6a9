/* The Linux guest's init for bench/http: load the virtio modules, mount the
 * site's ext4 disk (/dev/vda) read-only on /srv, give eth0 QEMU user
 * networking's address (10.0.2.15/24, as its DHCP server would), then run
 * apps/httpd itself with --root /srv, built for Linux (bench/httpd-linux
 * shims Kestrel's thread and clock calls), so both guests serve the same
 * files alike: Kestrel's root is the same disk. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "linux_modules.h"
#include "linux_netup.h"

#define main httpd_main
#include "../apps/httpd/main.c"
#undef main
#include "../apps/httpd/content.c"
#include "../apps/httpd/http_parse.c"

static void fail(const char *why)
{
    printf("linux-httpd: %s\n", why);
    fflush(stdout);
    reboot(RB_POWER_OFF);
}

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    load_modules();
    mkdir("/srv", 0755);
    /* HTTPD_FILES=builtin on the kernel command line (bench/http --files
     * builtin): no disk, an empty root, so httpd serves its built-in files
     * as Kestrel does when booted without any. */
    const char *files = getenv("HTTPD_FILES");
    int builtin = files && strcmp(files, "builtin") == 0;
    int rc = builtin ? 0 : -1;
    for (int i = 0; i < 3000 && rc < 0; i++) { /* the disk may appear late */
        rc = mount("/dev/vda", "/srv", "ext4", MS_RDONLY, "");
        if (rc < 0)
            usleep(10000);
    }
    if (rc < 0)
        fail("cannot mount /dev/vda on /srv");
    const char *why = linux_net_up();
    if (why)
        fail(why);
    setvbuf(stdout, NULL, _IONBF, 0);
    char *argv[] = { "httpd", "--port", "80", "--root", "/srv", NULL };
    httpd_main(5, argv);
    fail("httpd returned");
    return 1;
}
