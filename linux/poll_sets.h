/* Private to linux/: the pure parts of poll and select (host-testable):
 * which events a descriptor reports given its file's readiness, and the
 * translation between select's descriptor bitmaps and poll entries. */
#ifndef KESTREL_LINUX_POLL_SETS_H
#define KESTREL_LINUX_POLL_SETS_H
#include <stdbool.h>
#include <stdint.h>

/* struct pollfd as the program passes it. */
struct lx_pollfd {
    int32_t fd;
    int16_t events;
    int16_t revents;
};

/* The most descriptors select looks at: the descriptor table's size
 * (LINUX_NOFILE), which a program's larger fd_set may reach. */
#define LX_FD_SETSIZE 4096
#define LX_FDSET_WORDS(nfds) (((unsigned)(nfds) + 63u) / 64u)

/* The events to report for an entry asking for events on a file whose
 * readiness is ready (LX_EPOLL* bits, LX_POLLNVAL for a bad descriptor).
 * poll: the asked-for bits plus POLLERR/POLLHUP/POLLNVAL always. select:
 * POLLIN when readable (data, hang-up or error), POLLOUT when writable (or
 * error), POLLPRI for an exceptional condition, each only if asked. */
int16_t poll_revents(bool select_mode, int16_t events, unsigned ready);

/* select's sets (each NULL or LX_FDSET_WORDS(nfds) words, bit fd of
 * word fd/64) as poll entries asking POLLIN/POLLOUT/POLLPRI for each
 * descriptor below nfds (0..LX_FD_SETSIZE) in any set, in order. out has
 * room for nfds entries; returns how many it filled. */
unsigned fdsets_to_pollfds(int nfds, const uint64_t *in, const uint64_t *out, const uint64_t *ex,
                           struct lx_pollfd *pfd);
/* The entries' revents back into the sets (each cleared first, up to
 * nfds): the number of bits set, as select returns it. */
int pollfds_to_fdsets(const struct lx_pollfd *pfd, unsigned n, int nfds, uint64_t *in, uint64_t *out,
                      uint64_t *ex);

#endif
