/* net/tcp_syn.c on any bytes a frame may carry, as the IP input hook
 * calls it: the first TCP_SYN_PEEK bytes (or fewer) of a packet of any
 * claimed length. Nothing may be read past what was copied (ASan), and
 * what it accepts must lie inside the packet. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../net/tcp_syn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t pkt_len = (size_t)data[0] * 8 + (size - 1); /* padding of up to 2 KiB beyond the bytes */
    size_t avail = size - 1 < TCP_SYN_PEEK ? size - 1 : TCP_SYN_PEEK;
    uint8_t *head = malloc(avail ? avail : 1);
    if (!head)
        return 0;
    memcpy(head, data + 1, avail);
    struct tcp_syn s;
    if (tcp_syn_parse(head, avail, pkt_len, &s)) {
        if (s.ip_hlen + 20u > avail || (size_t)s.ip_hlen + s.seg_len > pkt_len || s.seg_len < 20)
            abort();
        if (s.version != 4 && s.version != 6)
            abort();
    }
    free(head);
    return 0;
}
