/* poll's and select's pure parts: revents from readiness, bitmaps to and
 * from poll entries. */
#include "poll_sets.h"
#include <string.h>
#include "linux_consts.h"

#define IN_SET (LX_EPOLLIN | LX_EPOLLRDNORM | LX_EPOLLHUP | LX_EPOLLERR)
#define OUT_SET (LX_EPOLLOUT | LX_EPOLLWRNORM | LX_EPOLLERR)

int16_t poll_revents(bool select_mode, int16_t events, unsigned ready)
{
    unsigned want = (uint16_t)events;
    if (ready & LX_POLLNVAL)
        return select_mode ? 0 : (int16_t)LX_POLLNVAL;
    /* Files report EPOLLIN/EPOLLOUT; poll's RDNORM/WRNORM mean the same. */
    if (ready & LX_EPOLLIN)
        ready |= LX_EPOLLRDNORM;
    if (ready & LX_EPOLLOUT)
        ready |= LX_EPOLLWRNORM;
    if (!select_mode)
        return (int16_t)(ready & (want | LX_EPOLLERR | LX_EPOLLHUP) & 0xffffu);
    unsigned r = 0;
    if ((want & LX_EPOLLIN) && (ready & IN_SET))
        r |= LX_EPOLLIN;
    if ((want & LX_EPOLLOUT) && (ready & OUT_SET))
        r |= LX_EPOLLOUT;
    if ((want & LX_EPOLLPRI) && (ready & LX_EPOLLPRI))
        r |= LX_EPOLLPRI;
    return (int16_t)r;
}

static bool bit(const uint64_t *set, int fd) { return set && (set[fd / 64] >> (fd % 64)) & 1; }

unsigned fdsets_to_pollfds(int nfds, const uint64_t *in, const uint64_t *out, const uint64_t *ex,
                           struct lx_pollfd *pfd)
{
    unsigned n = 0;
    if (nfds > LX_FD_SETSIZE)
        nfds = LX_FD_SETSIZE;
    for (int fd = 0; fd < nfds; fd++) {
        unsigned ev = (bit(in, fd) ? LX_EPOLLIN : 0) | (bit(out, fd) ? LX_EPOLLOUT : 0) |
                      (bit(ex, fd) ? LX_EPOLLPRI : 0);
        if (!ev)
            continue;
        pfd[n].fd = fd;
        pfd[n].events = (int16_t)ev;
        pfd[n].revents = 0;
        n++;
    }
    return n;
}

static int put(uint64_t *set, int fd, bool on)
{
    if (!set || !on)
        return 0;
    set[fd / 64] |= 1ull << (fd % 64);
    return 1;
}

int pollfds_to_fdsets(const struct lx_pollfd *pfd, unsigned n, int nfds, uint64_t *in, uint64_t *out,
                      uint64_t *ex)
{
    if (nfds > LX_FD_SETSIZE)
        nfds = LX_FD_SETSIZE;
    size_t bytes = LX_FDSET_WORDS(nfds < 0 ? 0 : nfds) * sizeof(uint64_t);
    if (in)
        memset(in, 0, bytes);
    if (out)
        memset(out, 0, bytes);
    if (ex)
        memset(ex, 0, bytes);
    int count = 0;
    for (unsigned i = 0; i < n; i++) {
        int fd = pfd[i].fd;
        if (fd < 0 || fd >= nfds)
            continue;
        unsigned r = (uint16_t)pfd[i].revents;
        count += put(in, fd, r & LX_EPOLLIN);
        count += put(out, fd, r & LX_EPOLLOUT);
        count += put(ex, fd, r & LX_EPOLLPRI);
    }
    return count;
}
