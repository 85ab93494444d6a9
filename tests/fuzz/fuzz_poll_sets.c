/* libFuzzer target for linux/poll_sets.c: any nfds and select bitmaps. The
 * entries name each descriptor below nfds once, in order; reporting every
 * asked-for event gives back the same bitmaps (below nfds) and the number
 * of bits; poll_revents never reports what was not asked (bar ERR, HUP,
 * NVAL) in poll mode, nor anything but IN/OUT/PRI in select mode. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "../../linux/linux_consts.h"
#include "../../linux/poll_sets.h"

#define WORDS (LX_FD_SETSIZE / 64)

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    if (n < 8)
        return 0;
    int nfds;
    memcpy(&nfds, d, 4);
    uint16_t events;
    uint32_t ready;
    memcpy(&events, d + 4, 2);
    memcpy(&ready, d + 4, 4);
    d += 8;
    n -= 8;
    uint64_t sets[3][WORDS], back[3][WORDS];
    memset(sets, 0, sizeof sets);
    memcpy(sets, d, n < sizeof sets ? n : sizeof sets);
    bool use[3] = { n > 0 && (d[0] & 1), n > 1 && (d[1] & 1), n > 2 && (d[2] & 1) };
    static struct lx_pollfd p[LX_FD_SETSIZE];
    unsigned k = fdsets_to_pollfds(nfds, use[0] ? sets[0] : NULL, use[1] ? sets[1] : NULL,
                                   use[2] ? sets[2] : NULL, p);
    int lim = nfds < 0 ? 0 : nfds > LX_FD_SETSIZE ? LX_FD_SETSIZE : nfds;
    if (k > (unsigned)lim)
        __builtin_trap();
    for (unsigned i = 0; i < k; i++) {
        if (p[i].fd < 0 || p[i].fd >= lim || (i && p[i].fd <= p[i - 1].fd) || !p[i].events)
            __builtin_trap();
        p[i].revents = p[i].events;
    }
    memset(back, 0xa5, sizeof back);
    int count = pollfds_to_fdsets(p, k, nfds, use[0] ? back[0] : NULL, use[1] ? back[1] : NULL,
                                  use[2] ? back[2] : NULL);
    int bits = 0;
    for (int s = 0; s < 3; s++) {
        if (!use[s])
            continue;
        for (int fd = 0; fd < lim; fd++) {
            bool a = (sets[s][fd / 64] >> (fd % 64)) & 1, b = (back[s][fd / 64] >> (fd % 64)) & 1;
            if (a != b)
                __builtin_trap();
            bits += b;
        }
    }
    if (count != bits)
        __builtin_trap();
    int16_t r = poll_revents(false, (int16_t)events, ready);
    unsigned extra = LX_EPOLLERR | LX_EPOLLHUP | LX_POLLNVAL;
    if ((uint16_t)r & ~((unsigned)events | extra))
        __builtin_trap();
    r = poll_revents(true, (int16_t)events, ready);
    if ((uint16_t)r & ~(unsigned)(events & (LX_EPOLLIN | LX_EPOLLOUT | LX_EPOLLPRI)))
        __builtin_trap();
    return 0;
}
