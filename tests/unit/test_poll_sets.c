/* Host unit test of linux/poll_sets.c: the events poll and select report
 * for a file's readiness, and select's bitmaps to poll entries and back. */
#include <string.h>
#include "../../linux/linux_consts.h"
#include "../../linux/poll_sets.h"
#include "check.h"

int main(void)
{
    /* poll: asked-for bits, with ERR/HUP always; RDNORM/WRNORM follow IN/OUT */
    CHECK_EQ(poll_revents(false, LX_EPOLLIN, LX_EPOLLIN | LX_EPOLLOUT), LX_EPOLLIN);
    CHECK_EQ(poll_revents(false, LX_EPOLLIN | LX_EPOLLRDNORM, LX_EPOLLIN), LX_EPOLLIN | LX_EPOLLRDNORM);
    CHECK_EQ(poll_revents(false, LX_EPOLLWRNORM, LX_EPOLLOUT), LX_EPOLLWRNORM);
    CHECK_EQ(poll_revents(false, 0, LX_EPOLLHUP | LX_EPOLLIN), LX_EPOLLHUP);
    CHECK_EQ(poll_revents(false, LX_EPOLLOUT, LX_EPOLLERR), LX_EPOLLERR);
    CHECK_EQ(poll_revents(false, LX_EPOLLIN, LX_POLLNVAL), LX_POLLNVAL);
    CHECK_EQ(poll_revents(false, LX_EPOLLIN, 0), 0);
    CHECK_EQ(poll_revents(false, (int16_t)0xffff, LX_EPOLLRDHUP), LX_EPOLLRDHUP);
    /* select: readable on data, hang-up or error; writable on room or error */
    CHECK_EQ(poll_revents(true, LX_EPOLLIN, LX_EPOLLHUP), LX_EPOLLIN);
    CHECK_EQ(poll_revents(true, LX_EPOLLIN | LX_EPOLLOUT, LX_EPOLLERR), LX_EPOLLIN | LX_EPOLLOUT);
    CHECK_EQ(poll_revents(true, LX_EPOLLOUT, LX_EPOLLIN), 0);
    CHECK_EQ(poll_revents(true, LX_EPOLLPRI, LX_EPOLLPRI | LX_EPOLLIN), LX_EPOLLPRI);
    CHECK_EQ(poll_revents(true, LX_EPOLLIN, LX_POLLNVAL), 0);

    /* bitmaps to entries: in order, each fd once with what it is in */
    uint64_t in[LX_FD_SETSIZE / 64] = { 0 }, out[LX_FD_SETSIZE / 64] = { 0 }, ex[LX_FD_SETSIZE / 64] = { 0 };
    in[0] = 1ull << 3 | 1ull << 63;
    out[0] = 1ull << 3;
    ex[1] = 1ull << 0; /* fd 64 */
    in[15] = 1ull << 63; /* fd 1023 */
    in[LX_FD_SETSIZE / 64 - 1] = 1ull << 63; /* fd 4095: the table's last */
    struct lx_pollfd p[LX_FD_SETSIZE];
    CHECK_EQ(fdsets_to_pollfds(65, in, out, ex, p), 3);
    CHECK(p[0].fd == 3 && p[0].events == (LX_EPOLLIN | LX_EPOLLOUT));
    CHECK(p[1].fd == 63 && p[1].events == LX_EPOLLIN);
    CHECK(p[2].fd == 64 && p[2].events == LX_EPOLLPRI);
    CHECK_EQ(fdsets_to_pollfds(64, in, out, ex, p), 2); /* fd 64 is past nfds */
    CHECK_EQ(fdsets_to_pollfds(0, in, out, ex, p), 0);
    CHECK_EQ(fdsets_to_pollfds(1024, in, NULL, NULL, p), 3);
    CHECK_EQ(p[2].fd, 1023);
    CHECK_EQ(fdsets_to_pollfds(LX_FD_SETSIZE, in, NULL, NULL, p), 4);
    CHECK_EQ(p[3].fd, LX_FD_SETSIZE - 1);
    CHECK_EQ(fdsets_to_pollfds(5000, in, NULL, NULL, p), 4); /* clipped to LX_FD_SETSIZE */
    in[LX_FD_SETSIZE / 64 - 1] = 0;

    /* entries back: sets cleared first, count of bits */
    p[0] = (struct lx_pollfd){ 3, LX_EPOLLIN | LX_EPOLLOUT, LX_EPOLLOUT };
    p[1] = (struct lx_pollfd){ 63, LX_EPOLLIN, LX_EPOLLIN };
    p[2] = (struct lx_pollfd){ 64, LX_EPOLLPRI, LX_EPOLLPRI };
    CHECK_EQ(pollfds_to_fdsets(p, 3, 65, in, out, ex), 3);
    CHECK(in[0] == 1ull << 63 && out[0] == 1ull << 3 && ex[1] == 1 && in[15] == 1ull << 63);
    CHECK_EQ(pollfds_to_fdsets(p, 3, 65, NULL, out, NULL), 1);
    CHECK_EQ(pollfds_to_fdsets(p, 3, 64, in, out, ex), 2); /* fd 64 is past nfds */
    CHECK_EQ(ex[1], 1); /* words past nfds untouched */
    return check_report("poll_sets");
}
