/* Bring-up: lwIP's tcpip thread, one interface per net device, static
 * addresses from --ip/--defaultgw/--nameserver or DHCP, and the boot log
 * line for each interface once it has an address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cmdline.h"
#include "log.h"
#include "memory.h"
#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/tcpip.h"
#include "net.h"
#include "net_config.h"
#include "net_internal.h"
#include "sync.h"

static struct waitq configured_wq = WAITQ_INIT;
static bool configured;
static bool static_dns;
static void (*addr_listeners[NET_ADDR_LISTENERS])(const struct net_addr_info *a);

int net_on_address(void (*fn)(const struct net_addr_info *a))
{
    for (unsigned i = 0; i < NET_ADDR_LISTENERS; i++) {
        if (!addr_listeners[i]) {
            addr_listeners[i] = fn;
            return 0;
        }
    }
    return -ENOSPC;
}

static void tell_listeners(const struct net_if *nif, uint32_t addr, uint32_t mask)
{
    struct net_addr_info a = { .addr = addr, .netmask = mask, .dhcp = !nif->is_static };
    a.index = (unsigned)strtoul(nif->name + 3, NULL, 10);
    memcpy(a.mac, nif->dev->mac, sizeof(a.mac));
    for (unsigned i = 0; i < NET_ADDR_LISTENERS && addr_listeners[i]; i++)
        addr_listeners[i](&a);
}

/* Runs in the tcpip thread whenever an interface's address changes. */
static void status_changed(struct netif *netif)
{
    struct net_if *nif = netif->state;
    uint32_t addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(netif)));
    if (!addr || nif->reported)
        return;
    nif->reported = true;
    if (static_dns && !nif->is_static) {
        uint32_t v = 0;
        net_parse_ipv4(kernel_options()->nameserver, &v);
        ip_addr_t ns = IPADDR4_INIT(lwip_htonl(v));
        dns_setserver(0, &ns); /* the command line wins over DHCP's server */
    }
    char a[16], m[16], g[16], d[16];
    const ip_addr_t *dns = dns_getserver(0);
    pr_info("net: %s (%s) %s, address %s netmask %s gateway %s dns %s\n", nif->name, nif->dev->name,
            nif->is_static ? "static" : "dhcp", net_format_ipv4(addr, a),
            net_format_ipv4(lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(netif))), m),
            net_format_ipv4(lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(netif))), g),
            net_format_ipv4(lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(dns))), d));
    tell_listeners(nif, addr, lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(netif))));
    uint64_t flags = sched_lock();
    configured = true;
    sched_wake_all_locked(&configured_wq);
    sched_unlock(flags);
}

/* The --ip option naming this interface (by eth index or device name), if any. */
static int find_static(const struct net_if *nif, struct net_static_ip *out)
{
    const struct kernel_options *o = kernel_options();
    for (unsigned i = 0; i < o->n_ip; i++) {
        struct net_static_ip ip;
        if (net_parse_static_ip(o->ip[i], &ip) < 0)
            continue;
        if (strcmp(ip.ifname, nif->name) == 0 || strcmp(ip.ifname, nif->dev->name) == 0) {
            *out = ip;
            return 1;
        }
    }
    return 0;
}

static void configure(struct net_if *nif, bool first)
{
    struct net_static_ip ip;
    if (!find_static(nif, &ip)) {
        err_t e = dhcp_start(&nif->netif);
        if (e != ERR_OK)
            pr_err("net: %s: cannot start DHCP (lwIP error %d)\n", nif->name, e);
        return;
    }
    ip4_addr_t addr, mask, gw;
    uint32_t g = 0;
    const char *gws = kernel_options()->defaultgw;
    if (first && gws && net_parse_ipv4(gws, &g) < 0)
        pr_err("net: --defaultgw=%s is not an IPv4 address\n", gws);
    ip4_addr_set_u32(&addr, lwip_htonl(ip.addr));
    ip4_addr_set_u32(&mask, lwip_htonl(ip.netmask));
    ip4_addr_set_u32(&gw, lwip_htonl(first ? g : 0));
    nif->is_static = true;
    netif_set_addr(&nif->netif, &addr, &mask, &gw);
}

static void check_options(void)
{
    const struct kernel_options *o = kernel_options();
    struct net_static_ip ip;
    uint32_t v;
    for (unsigned i = 0; i < o->n_ip; i++) {
        if (net_parse_static_ip(o->ip[i], &ip) < 0)
            pr_err("net: --ip=%s is not IF,ADDR,NETMASK (e.g. eth0,10.0.2.15,255.255.255.0): ignored\n", o->ip[i]);
    }
    if (o->nameserver && net_parse_ipv4(o->nameserver, &v) < 0)
        pr_err("net: --nameserver=%s is not an IPv4 address: ignored\n", o->nameserver);
    else if (o->nameserver) {
        ip_addr_t ns = IPADDR4_INIT(lwip_htonl(v));
        dns_setserver(0, &ns);
        static_dns = true;
    }
}

/* Runs first thing in the tcpip thread, with the core lock held. */
static void bring_up(void *arg)
{
    (void)arg;
    check_options();
    bool have_default = false;
    for (unsigned i = 0; i < netdev_count(); i++) {
        struct net_if *nif = calloc(1, sizeof(*nif));
        if (!nif) {
            pr_err("net: no memory for interface %u\n", i);
            return;
        }
        nif->dev = netdev_get(i);
        snprintf(nif->name, sizeof(nif->name), "eth%u", i);
        int rc = net_if_add(nif, status_changed);
        if (rc != 0) {
            if (rc < 0)
                pr_err("net: %s: cannot add %s to the stack\n", nif->name, nif->dev->name);
            else
                pr_info("net: %s: the app receives %s's frames itself, no TCP/IP on it\n", nif->name,
                        nif->dev->name);
            free(nif);
            continue;
        }
        if (!have_default)
            netif_set_default(&nif->netif);
        configure(nif, !have_default);
        have_default = true;
    }
}

/* lwIP is initialised before tcpip_init() returns, so sockets work at once;
 * the interfaces are added and DHCP started by the tcpip thread, off the
 * app's path. */
unsigned char *net_lwip_heap;

void net_boot(void)
{
    if (!netdev_count())
        return;
    /* mem_init() wants MEM_SIZE plus two struct mem and alignment: a page more is plenty. */
    net_lwip_heap = pages_alloc(MEM_SIZE / PAGE_SIZE + 1, PAGE_SIZE);
    if (!net_lwip_heap) {
        pr_err("net: no memory for lwIP's heap (%u KiB); no TCP/IP\n", (unsigned)(MEM_SIZE / 1024));
        return;
    }
    tcpip_init(bring_up, NULL);
}

int net_wait_configured(uint64_t timeout_ns)
{
    uint64_t deadline = clock_monotonic_ns() + timeout_ns;
    uint64_t flags = sched_lock();
    while (!configured) {
        if (clock_monotonic_ns() >= deadline || sched_wait_deadline_locked(&configured_wq, deadline))
            break;
    }
    bool ok = configured;
    sched_unlock(flags);
    return ok ? 0 : -ETIMEDOUT;
}

uint32_t net_dns_server(void)
{
    LOCK_TCPIP_CORE();
    const ip_addr_t *dns = dns_getserver(0);
    uint32_t v = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(dns)));
    UNLOCK_TCPIP_CORE();
    return v;
}

int net_start_loopback(void)
{
    static struct mutex once = MUTEX_INIT;
    mutex_lock(&once);
    if (!__atomic_load_n(&net_lwip_heap, __ATOMIC_ACQUIRE)) {
        unsigned char *heap = pages_alloc(MEM_SIZE / PAGE_SIZE + 1, PAGE_SIZE);
        if (heap) {
            net_lwip_heap = heap; /* mem_init() in tcpip_init takes it */
            tcpip_init(NULL, NULL);
        }
    }
    int rc = net_lwip_heap ? 0 : -ENOMEM;
    mutex_unlock(&once);
    return rc;
}
