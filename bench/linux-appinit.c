/* The Linux guest's init for bench/apps: load the virtio modules, mount /dev
 * and /proc, give eth0 QEMU user networking's address (10.0.2.15/24, as
 * Kestrel's --ip option does), then become the program named after `--` on
 * the kernel command line (Debian's nginx or redis-server, with the
 * libraries the initramfs holds at their host paths), so that the Linux
 * guest runs the very files Kestrel's initrd holds. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_modules.h"
#include "linux_netup.h"

static void fail(const char *why)
{
    printf("linux-appinit: %s\n", why);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    _exit(1);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("no program after -- on the kernel command line");
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    load_modules();
    const char *why = linux_net_up();
    if (why)
        fail(why);
    printf("linux-appinit: exec %s\n", argv[1]);
    fflush(stdout);
    execv(argv[1], argv + 1);
    fail("execv failed");
    return 1;
}
