/*
 * bench/listen-backlog.c: preloaded into QEMU by the benches that open many
 * connections at once through user networking's hostfwd (bench/apps,
 * bench/http).
 *
 * libslirp 4.7 listens on each forwarded port with a backlog of 1
 * (tcpx_listen in src/socket.c). The host's kernel then holds two
 * connections for slirp to accept and drops the SYNs of the rest; a burst of
 * 16 clients (redis-benchmark -c 16, wrk -c 16) comes in two at a time on the
 * clients' SYN retransmission schedule (1, 3, 7, 15, 31 s), and a client
 * whose handshake's last ACK was dropped as well is reset once the listener
 * gives up on it: "Connection reset by peer" on either guest, with no reset
 * in the guest's frames. The benches measure the guests, not that queue, so
 * every listen() QEMU makes asks for a real backlog.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <sys/socket.h>

enum { bench_backlog = 128 };

int listen(int fd, int backlog)
{
    static int (*real_listen)(int, int);

    if (!real_listen)
        real_listen = (int (*)(int, int))dlsym(RTLD_NEXT, "listen");
    if (backlog < bench_backlog)
        backlog = bench_backlog;
    return real_listen(fd, backlog);
}
