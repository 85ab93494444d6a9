/* eth0 up at QEMU user networking's guest address, for the Linux bench guests' inits (bench/http's
 * linux-httpd.c, bench/apps' linux-appinit.c). Returns NULL, or what failed. */
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static int netup_set_addr(int s, const char *ifname, unsigned long req, const char *addr)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, ifname);
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;
    sin->sin_family = AF_INET;
    inet_pton(AF_INET, addr, &sin->sin_addr);
    return ioctl(s, req, &ifr);
}

static const char *netup_iface_up(int s, const char *ifname)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, ifname);
    /* virtio_net registers eth0 a little after its module loads. */
    for (int i = 0; i < 500 && ioctl(s, SIOCGIFFLAGS, &ifr) != 0; i++)
        usleep(10000);
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        return "no interface";
    ifr.ifr_flags |= IFF_UP;
    return ioctl(s, SIOCSIFFLAGS, &ifr) != 0 ? "SIOCSIFFLAGS" : NULL;
}

static const char *linux_net_up(void)
{
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    const char *why = netup_iface_up(s, "lo");
    if (!why)
        why = netup_iface_up(s, "eth0");
    if (!why && (netup_set_addr(s, "eth0", SIOCSIFADDR, "10.0.2.15") != 0 ||
                 netup_set_addr(s, "eth0", SIOCSIFNETMASK, "255.255.255.0") != 0))
        why = "cannot set an address";
    close(s);
    return why;
}
