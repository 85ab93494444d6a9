/* The net-device registry. */
#include "log.h"
#include "netdev.h"

#define MAX_NETDEVS 8

static struct netdev *devs[MAX_NETDEVS];
static unsigned ndevs;

int netdev_register(struct netdev *n)
{
    if (ndevs == MAX_NETDEVS)
        return -1;
    devs[ndevs++] = n;
    pr_info("net: %s, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, link %s\n", n->name, n->mac[0], n->mac[1],
            n->mac[2], n->mac[3], n->mac[4], n->mac[5], n->mtu, n->link_up ? "up" : "down");
    return 0;
}

unsigned netdev_count(void) { return ndevs; }
struct netdev *netdev_get(unsigned i) { return i < ndevs ? devs[i] : NULL; }

void netdev_set_receive(struct netdev *n, netdev_rx_fn fn, void *arg)
{
    n->rx_arg = arg;
    n->rx = fn;
}

void netdev_set_link_watch(struct netdev *n, netdev_link_fn fn, void *arg)
{
    n->link_arg = arg;
    n->link_watch = fn;
}

void netdev_set_link(struct netdev *n, bool up)
{
    n->link_up = up;
    netdev_link_fn fn = n->link_watch;
    if (fn)
        fn(n, up, n->link_arg);
}
