/* Network options: --ip/--defaultgw/--nameserver through the command line
 * and the address syntax net/ checks, with malformed values. */
#include <string.h>
#include "check.h"
#include "cmdline.h"
#include "net_config.h"

static void addresses(void)
{
    uint32_t a;
    CHECK_EQ(net_parse_ipv4("10.0.2.15", &a), 0);
    CHECK_EQ(a, 0x0a00020f);
    CHECK_EQ(net_parse_ipv4("255.255.255.255", &a), 0);
    CHECK_EQ(a, 0xffffffff);
    CHECK_EQ(net_parse_ipv4("0.0.0.0", &a), 0);
    const char *bad[] = { "", "1", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1..2.3", "1.2.3.4 ", " 1.2.3.4",
                          "01234.1.1.1", "1.2.3.-4", "a.b.c.d", "1.2.3.4x", "1.2.3." };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(net_parse_ipv4(bad[i], &a), -1);
    char buf[16];
    CHECK(strcmp(net_format_ipv4(0x0a00020f, buf), "10.0.2.15") == 0);
    CHECK(strcmp(net_format_ipv4(0, buf), "0.0.0.0") == 0);
    CHECK(strcmp(net_format_ipv4(0xffffffff, buf), "255.255.255.255") == 0);
}

static void static_ip(void)
{
    struct net_static_ip ip;
    CHECK_EQ(net_parse_static_ip("eth0,10.0.2.15,255.255.255.0", &ip), 0);
    CHECK(strcmp(ip.ifname, "eth0") == 0);
    CHECK_EQ(ip.addr, 0x0a00020f);
    CHECK_EQ(ip.netmask, 0xffffff00);
    CHECK_EQ(net_parse_static_ip("vnet1,192.168.1.2,255.255.0.0", &ip), 0);
    const char *bad[] = { "", "eth0", "eth0,10.0.2.15", "eth0,10.0.2.15,255.0.255.0", ",10.0.2.15,255.0.0.0",
                          "eth0,,255.0.0.0", "eth0,10.0.2.15,", "eth0,10.0.2.15,255.255.255.0,x",
                          "ETH0,10.0.2.15,255.0.0.0", "eth0,0.0.0.0,255.0.0.0", "averyveryverylongname,1.2.3.4,255.0.0.0",
                          "eth0,10.0.2.15,255.255.255.0000" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (net_parse_static_ip(bad[i], &ip) != -1)
            fprintf(stderr, "accepted '%s'\n", bad[i]);
        CHECK_EQ(net_parse_static_ip(bad[i], &ip), -1);
    }
}

static void command_line(void)
{
    static char buf[512];
    struct kernel_options o;
    strcpy(buf, "--ip=eth0,10.0.2.15,255.255.255.0 --ip=eth1,10.1.0.2,255.255.0.0 --defaultgw=10.0.2.2 "
                "--nameserver=10.0.2.3 --nonet httpd --port 80");
    CHECK_EQ(cmdline_parse(&o, buf), 0);
    CHECK_EQ(o.n_ip, 2);
    CHECK(strcmp(o.ip[0], "eth0,10.0.2.15,255.255.255.0") == 0);
    CHECK(strcmp(o.ip[1], "eth1,10.1.0.2,255.255.0.0") == 0);
    CHECK(strcmp(o.defaultgw, "10.0.2.2") == 0);
    CHECK(strcmp(o.nameserver, "10.0.2.3") == 0);
    CHECK(o.nonet);
    CHECK_EQ(o.argc, 3);
    strcpy(buf, "--ip httpd");
    CHECK_EQ(cmdline_parse(&o, buf), -1);
    strcpy(buf, "--defaultgw= httpd");
    CHECK_EQ(cmdline_parse(&o, buf), -1);
    strcpy(buf, "--nonet=1");
    CHECK_EQ(cmdline_parse(&o, buf), -1);
    char *p = buf;
    for (int i = 0; i < CMDLINE_MAX_IPS + 1; i++)
        p += sprintf(p, "--ip=eth%d,10.0.0.%d,255.0.0.0 ", i, i + 1);
    CHECK_EQ(cmdline_parse(&o, buf), -1);
}

int main(void)
{
    addresses();
    static_ip();
    command_line();
    return check_report("test_net_config");
}
