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

static void fail(const char *why)
{
    printf("linux-appinit: %s\n", why);
    fflush(stdout);
    reboot(RB_POWER_OFF);
    _exit(1);
}

static void set_addr(int s, const char *ifname, unsigned long req, const char *addr)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, ifname);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sin->sin_addr);
    if (ioctl(s, req, &ifr) != 0)
        fail("cannot set an address");
}

static void iface_up(int s, const char *ifname)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, ifname);
    /* virtio_net registers eth0 a little after its module loads. */
    for (int i = 0; i < 500 && ioctl(s, SIOCGIFFLAGS, &ifr) != 0; i++)
        usleep(10000);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        fail("no interface");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        fail("SIOCSIFFLAGS");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        fail("no program after -- on the kernel command line");
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    mount("proc", "/proc", "proc", 0, NULL);
    load_modules();
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    iface_up(s, "lo");
    iface_up(s, "eth0");
    set_addr(s, "eth0", SIOCSIFADDR, "10.0.2.15");
    set_addr(s, "eth0", SIOCSIFNETMASK, "255.255.255.0");
    close(s);
    printf("linux-appinit: exec %s\n", argv[1]);
    fflush(stdout);
    execv(argv[1], argv + 1);
    fail("execv failed");
    return 1;
}
