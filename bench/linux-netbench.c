/* The Linux guest's init for bench/net: load the virtio modules, bring eth0
 * up and send every raw Ethernet frame of type 0x88b5 back unchanged, as
 * ktest netecho does. Runs until killed. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_modules.h"

#define ETHERTYPE_BENCH 0x88b5

static void fail(const char *why)
{
    printf("linux-netbench: %s\n", why);
    fflush(stdout);
    reboot(RB_POWER_OFF);
}

/* Brings the interface up and returns its index, waiting for the driver. */
static int eth0_up(int s, unsigned char mac[6])
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof(ifr));
    strcpy(ifr.ifr_name, "eth0");
    for (int i = 0; i < 500 && ioctl(s, SIOCGIFINDEX, &ifr) != 0; i++)
        usleep(10000);
    if (ioctl(s, SIOCGIFINDEX, &ifr) != 0)
        fail("no eth0");
    int index = ifr.ifr_ifindex;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0)
        fail("SIOCGIFFLAGS");
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
        fail("SIOCSIFFLAGS");
    if (ioctl(s, SIOCGIFHWADDR, &ifr) != 0)
        fail("SIOCGIFHWADDR");
    memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
    return index;
}

int main(void)
{
    mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
    load_modules();
    int s = socket(AF_PACKET, SOCK_RAW, htons(ETHERTYPE_BENCH));
    if (s < 0)
        fail("no AF_PACKET socket");
    unsigned char mac[6];
    struct sockaddr_ll addr = { .sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE_BENCH) };
    addr.sll_ifindex = eth0_up(s, mac);
    if (bind(s, (struct sockaddr *)&addr, sizeof(addr)) != 0)
        fail("bind");
    printf("linux-netbench: ready mac %02x:%02x:%02x:%02x:%02x:%02x\n", mac[0], mac[1], mac[2], mac[3], mac[4],
           mac[5]);
    fflush(stdout);
    static unsigned char frame[2048];
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof(from);
        ssize_t n = recvfrom(s, frame, sizeof(frame), 0, (struct sockaddr *)&from, &fl);
        if (n < 14 || from.sll_pkttype == PACKET_OUTGOING)
            continue;
        send(s, frame, n, 0);
    }
}
