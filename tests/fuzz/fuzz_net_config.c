/* The --ip/--defaultgw/--nameserver values: any string the command line can carry. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "net_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len > 256)
        return 0;
    char *s = malloc(len + 1);
    memcpy(s, data, len);
    s[len] = 0;
    struct net_static_ip ip;
    uint32_t a;
    if (net_parse_static_ip(s, &ip) == 0 && strnlen(ip.ifname, sizeof(ip.ifname)) == sizeof(ip.ifname))
        abort();
    if (net_parse_ipv4(s, &a) == 0) {
        char buf[16];
        uint32_t b;
        if (net_parse_ipv4(net_format_ipv4(a, buf), &b) != 0 || a != b)
            abort();
    }
    free(s);
    return 0;
}
