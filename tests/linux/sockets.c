/* The socket calls from inside a Linux program (tests/boot/test_linux_sockets.py):
 *   sockets PORT UDPPORT HOSTPORT NCONN [HOSTPORT6]   (with QEMU's user network)
 *   sockets local                          (no NIC: steps 1, 5, 6 and 7 only)
 * 1. socketpair round trips (stream, datagram), EPIPE/SIGPIPE, EINTR from a
 *    signal during a blocked recv, SO_RCVTIMEO, error cases (EBADF,
 *    ENOTSOCK, EAFNOSUPPORT, EINVAL on short addresses, EFAULT);
 *    descriptors passed with SCM_RIGHTS (stream and datagram: the same
 *    pipe and file arrive, where in the data, MSG_CTRUNC, MSG_PEEK,
 *    MSG_CMSG_CLOEXEC, files closed when never received, Linux's errors);
 * 2. a TCP echo server on PORT for NCONN connections, one after another;
 *    each connection's bytes are hashed (FNV-1a 64) and printed, so the
 *    harness checks what arrived both ways;
 * 3. a UDP echo on UDPPORT for three datagrams;
 * 4. a client connect() to the host (10.0.2.2:HOSTPORT), an exchange, and
 *    ECONNREFUSED from a closed port; EADDRINUSE on a second bind;
 * 5. (first, in fact) 127.0.0.1 inside the guest: bulk data, resets,
 *    restarts, readiness through epoll and poll, 200 hostile connections;
 * 6. IPv6: TCP and UDP echo over ::1 (bytes and addresses checked), a
 *    [::] listener taking 127.0.0.1 as ::ffff:127.0.0.1, IPV6_V6ONLY
 *    refusing it, sockaddr_in6 length checks; with HOSTPORT6, a TCP
 *    exchange with the host across the NIC (slirp's fec0::2 is the host's
 *    ::1) from the SLAAC address, printed for the harness to check;
 * 7. over 127.0.0.1 and ::1, connections from one client port again and
 *    again, the server closing each first (TIME-WAIT ended by a new SYN).
 * Every failed check prints "sockets: FAIL ..." and the exit status counts
 * them. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int failures;

#define CHECK(cond, ...)                                                                                  \
    do {                                                                                                  \
        if (!(cond)) {                                                                                    \
            failures++;                                                                                   \
            printf("sockets: FAIL line %d: %s (errno %d) ", __LINE__, #cond, errno);                     \
            printf(__VA_ARGS__);                                                                          \
            printf("\n");                                                                                 \
        }                                                                                                 \
    } while (0)

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ull

static volatile int got_signal;
static void on_signal(int sig) { got_signal = sig; }

static void *kick(void *arg)
{
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    pthread_kill(*(pthread_t *)arg, SIGUSR1);
    return NULL;
}

static void test_socketpair(void)
{
    int sv[2];
    char buf[256];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0, "stream pair");
    CHECK(write(sv[0], "ping", 4) == 4, "write");
    CHECK(read(sv[1], buf, sizeof(buf)) == 4 && memcmp(buf, "ping", 4) == 0, "read");
    CHECK(send(sv[1], "pong!", 5, 0) == 5, "send back");
    CHECK(recv(sv[0], buf, 2, MSG_PEEK) == 2 && memcmp(buf, "po", 2) == 0, "peek");
    int n = -1;
    CHECK(ioctl(sv[0], FIONREAD, &n) == 0 && n == 5, "FIONREAD %d", n);
    CHECK(recv(sv[0], buf, sizeof(buf), 0) == 5 && memcmp(buf, "pong!", 5) == 0, "recv");
    struct iovec iov[2] = { { "ab", 2 }, { "cde", 3 } };
    CHECK(writev(sv[0], iov, 2) == 5, "writev");
    char x[2], y[8];
    struct iovec riov[2] = { { x, 2 }, { y, 8 } };
    struct msghdr mh = { .msg_iov = riov, .msg_iovlen = 2 };
    CHECK(recvmsg(sv[1], &mh, 0) == 5 && memcmp(x, "ab", 2) == 0 && memcmp(y, "cde", 3) == 0, "recvmsg");
    /* non-blocking: nothing there */
    CHECK(recv(sv[1], buf, 1, MSG_DONTWAIT) == -1 && errno == EAGAIN, "EAGAIN");
    /* a timeout */
    struct timeval tv = { 0, 100000 };
    CHECK(setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0, "SO_RCVTIMEO");
    CHECK(recv(sv[1], buf, 1, 0) == -1 && errno == EAGAIN, "timed out");
    tv.tv_usec = 0;
    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    /* a signal without SA_RESTART ends a blocked recv with EINTR */
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGUSR1, &sa, NULL);
    pthread_t self = pthread_self(), t;
    pthread_create(&t, NULL, kick, &self);
    errno = 0;
    CHECK(recv(sv[1], buf, 1, 0) == -1 && errno == EINTR && got_signal == SIGUSR1, "EINTR");
    pthread_join(t, NULL);
    struct stat st;
    CHECK(fstat(sv[0], &st) == 0 && S_ISSOCK(st.st_mode), "fstat S_IFSOCK");
    char path[64], link[64] = { 0 };
    snprintf(path, sizeof(path), "/proc/self/fd/%d", sv[0]);
    CHECK(readlink(path, link, sizeof(link) - 1) > 0 && strncmp(link, "socket:[", 8) == 0, "fd link [%s]", link);
    int type = 0;
    socklen_t len = sizeof(type);
    CHECK(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM, "SO_TYPE");
    /* the peer closes: end of file, then EPIPE (SIGPIPE ignored) */
    close(sv[1]);
    CHECK(read(sv[0], buf, 1) == 0, "EOF");
    signal(SIGPIPE, SIG_IGN);
    CHECK(write(sv[0], "x", 1) == -1 && errno == EPIPE, "EPIPE");
    close(sv[0]);

    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "dgram pair");
    CHECK(send(sv[0], "one", 3, 0) == 3 && send(sv[0], "twotwo", 6, 0) == 6, "dgram send");
    CHECK(send(sv[0], "", 0, 0) == 0, "empty dgram");
    CHECK(recv(sv[1], buf, sizeof(buf), 0) == 3 && memcmp(buf, "one", 3) == 0, "dgram 1");
    mh = (struct msghdr){ .msg_iov = riov, .msg_iovlen = 1 };
    CHECK(recvmsg(sv[1], &mh, 0) == 2 && (mh.msg_flags & MSG_TRUNC), "dgram truncated");
    CHECK(recv(sv[1], buf, sizeof(buf), 0) == 0, "empty dgram received");
    CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN, "dgram queue empty");
    close(sv[0]);
    close(sv[1]);
    printf("sockets: socketpair done\n");
}

/* ---- SCM_RIGHTS: descriptors passed over AF_UNIX ---- */

static const char *self_path; /* argv[0]: a file to open and pass */

static ssize_t send_fds(int s, const void *data, size_t len, const int *fds, int n)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct iovec iov = { (void *)data, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (n) {
        mh.msg_control = u.buf;
        mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return sendmsg(s, &mh, 0);
}

/* Receives into buf with room bytes of control buffer: the descriptors
 * that came in fds (*n of them), the msg_flags in *flags. */
static ssize_t recv_fds(int s, void *buf, size_t len, size_t room, int how, int *fds, int *n, int *flags)
{
    union {
        char buf[CMSG_SPACE(sizeof(int) * 8)];
        struct cmsghdr align;
    } u;
    memset(&u, 0xee, sizeof(u));
    struct iovec iov = { buf, len };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = room ? u.buf : NULL, .msg_controllen = room };
    ssize_t r = recvmsg(s, &mh, how);
    *n = 0;
    *flags = mh.msg_flags;
    for (struct cmsghdr *c = r >= 0 ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        memcpy(fds + *n, CMSG_DATA(c), sizeof(int) * k);
        *n += k;
    }
    return r;
}

/* The read end of a pipe sees end of file within 2 s: every write end,
 * the passed ones too, is closed (nothing kept a reference). */
static bool pipe_hung_up(int rd)
{
    struct pollfd p = { rd, POLLIN, 0 };
    char c;
    return poll(&p, 1, 2000) == 1 && read(rd, &c, 1) == 0;
}

static void test_scm_rights(void)
{
    int sv[2], p[2], fds[8], n, fl;
    char buf[64];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0 && pipe(p) == 0, "pair and pipe");
    int f = open(self_path, O_RDONLY);
    CHECK(f >= 0, "open %s", self_path);
    /* data before the files joins them; data after does not */
    int two[2] = { p[1], f };
    CHECK(write(sv[0], "xy", 2) == 2 && send_fds(sv[0], "AB", 2, two, 2) == 2 && write(sv[0], "CD", 2) == 2, "send");
    close(p[1]);
    ssize_t r = recv_fds(sv[1], buf, sizeof(buf), CMSG_SPACE(sizeof(int) * 8), 0, fds, &n, &fl);
    CHECK(r == 4 && memcmp(buf, "xyAB", 4) == 0 && n == 2 && !(fl & MSG_CTRUNC), "received %zd bytes, %d fds", r, n);
    CHECK(read(sv[1], buf, sizeof(buf)) == 2 && memcmp(buf, "CD", 2) == 0, "the data after");
    if (n == 2) {
        /* the pipe's write end, the same pipe */
        CHECK(write(fds[0], "via fd", 6) == 6 && read(p[0], buf, sizeof(buf)) == 6 && memcmp(buf, "via fd", 6) == 0,
              "write through the passed pipe");
        /* the file: the same open file description (one offset) */
        CHECK(read(fds[1], buf, 4) == 4 && memcmp(buf, "\177ELF", 4) == 0, "read the passed file");
        CHECK(lseek(f, 0, SEEK_CUR) == 4, "one offset for both");
        CHECK(fcntl(fds[1], F_GETFD) == 0 && fds[0] != f && fds[1] != f, "new descriptors, no FD_CLOEXEC");
        close(fds[0]);
        close(fds[1]);
    }
    CHECK(pipe_hung_up(p[0]), "the pipe's last write end closed");
    close(p[0]);

    /* MSG_CMSG_CLOEXEC; a control buffer with room for one of three */
    CHECK(send_fds(sv[0], "c", 1, &f, 1) == 1, "send for cloexec");
    CHECK(recv_fds(sv[1], buf, 1, CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, fds, &n, &fl) == 1 && n == 1 &&
          fcntl(fds[0], F_GETFD) == FD_CLOEXEC, "MSG_CMSG_CLOEXEC (%d fds)", n);
    if (n == 1)
        close(fds[0]);
    int three[3] = { f, f, f };
    CHECK(send_fds(sv[0], "t", 1, three, 3) == 1, "send three");
    CHECK(recv_fds(sv[1], buf, 1, CMSG_LEN(sizeof(int)), 0, fds, &n, &fl) == 1 && n == 1 && (fl & MSG_CTRUNC),
          "room for one: %d fds, flags %#x", n, fl);
    if (n >= 1)
        close(fds[0]);

    /* files received by a plain read, or never received, are closed */
    CHECK(pipe(p) == 0 && send_fds(sv[0], "r", 1, &p[1], 1) == 1, "send for read");
    close(p[1]);
    CHECK(read(sv[1], buf, sizeof(buf)) == 1, "plain read");
    CHECK(pipe_hung_up(p[0]), "read() closed the passed file");
    close(p[0]);
    CHECK(pipe(p) == 0 && send_fds(sv[0], "u", 1, &p[1], 1) == 1, "send, never received");
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    CHECK(pipe_hung_up(p[0]), "closing the pair closed the unreceived file");
    close(p[0]);

    /* datagrams: the files come with their message; MSG_PEEK gives copies */
    CHECK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0, "dgram pair");
    CHECK(send(sv[0], "one", 3, 0) == 3 && send_fds(sv[0], "two", 3, &f, 1) == 3, "dgram sends");
    CHECK(recv_fds(sv[1], buf, sizeof(buf), CMSG_SPACE(sizeof(int)), 0, fds, &n, &fl) == 3 && n == 0 &&
          memcmp(buf, "one", 3) == 0, "first datagram, no fds (%d)", n);
    int peeked[8], np;
    CHECK(recv_fds(sv[1], buf, sizeof(buf), CMSG_SPACE(sizeof(int)), MSG_PEEK, peeked, &np, &fl) == 3 && np == 1,
          "peek: %d fds", np);
    CHECK(recv_fds(sv[1], buf, sizeof(buf), CMSG_SPACE(sizeof(int)), 0, fds, &n, &fl) == 3 && n == 1 &&
          memcmp(buf, "two", 3) == 0, "second datagram: %d fds", n);
    if (np == 1 && n == 1) {
        CHECK(peeked[0] != fds[0] && lseek(peeked[0], 0, SEEK_SET) == 0 && lseek(fds[0], 0, SEEK_CUR) == 0,
              "peeked and received: two descriptors, one file");
        close(peeked[0]);
        close(fds[0]);
    }

    /* errors, as Linux: a closed descriptor, too many, a short header, a
     * bad pointer, an unknown type (the system call itself: musl's
     * sendmsg copies a control buffer of up to 1 KiB, refusing more) */
    int bad = 1000;
    CHECK(send_fds(sv[0], "b", 1, &bad, 1) == -1 && errno == EBADF, "EBADF");
    union {
        char buf[CMSG_SPACE(sizeof(int) * 254)];
        struct cmsghdr align;
    } big;
    memset(&big, 0, sizeof(big));
    struct iovec iov = { "e", 1 };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = big.buf, .msg_controllen = sizeof(big.buf) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * 254);
    for (int i = 0; i < 254; i++)
        ((int *)CMSG_DATA(c))[i] = f;
    CHECK(syscall(SYS_sendmsg, sv[0], &mh, 0) == -1 && errno == EINVAL, "254 descriptors");
    c->cmsg_len = 8;
    CHECK(syscall(SYS_sendmsg, sv[0], &mh, 0) == -1 && errno == EINVAL, "a header shorter than itself");
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_type = 77;
    CHECK(syscall(SYS_sendmsg, sv[0], &mh, 0) == -1 && errno == EINVAL, "an unknown type");
    mh.msg_control = (void *)8;
    CHECK(syscall(SYS_sendmsg, sv[0], &mh, 0) == -1 && errno == EFAULT, "EFAULT");
    CHECK(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT) == -1 && errno == EAGAIN, "nothing was sent");
    /* a receive whose control buffer is the kernel's: the data, MSG_CTRUNC,
     * the file closed (Linux reports no error) */
    CHECK(pipe(p) == 0 && send_fds(sv[0], "k", 1, &p[1], 1) == 1, "send for a bad control buffer");
    close(p[1]);
    iov = (struct iovec){ buf, sizeof(buf) };
    mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = (void *)0xffffffff80000000ul,
                          .msg_controllen = CMSG_SPACE(sizeof(int)) };
    CHECK(syscall(SYS_recvmsg, sv[1], &mh, 0) == 1 && buf[0] == 'k' && (mh.msg_flags & MSG_CTRUNC) && mh.msg_controllen == 0,
          "recvmsg into the kernel's memory: flags %#x", mh.msg_flags);
    CHECK(pipe_hung_up(p[0]), "the file not delivered is closed");
    close(p[0]);
    close(sv[0]);
    close(sv[1]);
    /* over UDP, Linux sends the datagram and ignores the descriptor */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    CHECK(pipe(p) == 0 && connect(u, (struct sockaddr *)&to, sizeof(to)) == 0 && send_fds(u, "i", 1, &p[1], 1) == 1,
          "SCM_RIGHTS over UDP");
    close(p[1]);
    CHECK(pipe_hung_up(p[0]), "the descriptor sent over UDP not kept");
    close(p[0]);
    close(u);
    close(f);
    printf("sockets: scm_rights done\n");
}

struct unix_target {
    struct sockaddr_un sun;
    socklen_t len;
};

static void *unix_client(void *arg)
{
    struct unix_target *t = arg;
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&t->sun, t->len) == 0, "unix connect");
    CHECK(write(c, "over a name", 11) == 11, "unix write");
    char buf[16] = { 0 };
    CHECK(read(c, buf, sizeof(buf)) == 5 && memcmp(buf, "reply", 5) == 0, "unix reply");
    close(c);
    return NULL;
}

/* A path's socket file, as Linux keeps it: it outlives its socket (a new
 * bind there is EADDRINUSE until it is unlinked), it cannot be opened,
 * and a connect reaches the socket bound to that very file: after an
 * unlink, nobody (ENOENT), even with the socket still bound. */
static void unix_socket_file(const struct sockaddr_un *sun)
{
    struct stat st;
    CHECK(stat(sun->sun_path, &st) == 0 && S_ISSOCK(st.st_mode), "socket file after close: mode %o", st.st_mode);
    CHECK(open(sun->sun_path, O_RDONLY) == -1 && errno == ENXIO, "open a socket file");
    int s = socket(AF_UNIX, SOCK_STREAM, 0), c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(bind(s, (const struct sockaddr *)sun, sizeof(*sun)) == -1 && errno == EADDRINUSE, "file still there");
    CHECK(unlink(sun->sun_path) == 0, "unlink the socket file");
    CHECK(bind(s, (const struct sockaddr *)sun, sizeof(*sun)) == 0 && listen(s, 1) == 0, "bind again");
    CHECK(connect(c, (const struct sockaddr *)sun, sizeof(*sun)) == 0, "connect to the new one");
    close(c);
    CHECK(unlink(sun->sun_path) == 0, "unlink while bound");
    c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (const struct sockaddr *)sun, sizeof(*sun)) == -1 && errno == ENOENT, "unlinked: unreachable");
    int r = open(sun->sun_path, O_CREAT | O_WRONLY, 0600); /* a regular file in its place */
    CHECK(r >= 0 && connect(c, (const struct sockaddr *)sun, sizeof(*sun)) == -1 && errno == ECONNREFUSED,
          "connect to a regular file");
    close(r);
    unlink(sun->sun_path);
    close(c);
    close(s);
}

/* AF_UNIX sockets that meet by name: a path and an abstract name. */
static void test_unix_names(void)
{
    unlink("/unix.sock"); /* a host's earlier run (Linux keeps the file) */
    for (int abstract = 0; abstract < 2; abstract++) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        if (abstract)
            memcpy(sun.sun_path, "\0kestrel-test", 13);
        else
            strcpy(sun.sun_path, "/unix.sock");
        socklen_t alen = abstract ? (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 13) : sizeof(sun);
        int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        CHECK(s >= 0, "unix socket");
        CHECK(bind(s, (struct sockaddr *)&sun, alen) == 0, "unix bind");
        int t = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK(bind(t, (struct sockaddr *)&sun, alen) == -1 && errno == EADDRINUSE, "unix EADDRINUSE");
        close(t);
        CHECK(listen(s, 4) == 0, "unix listen");
        struct timeval tv = { 5, 0 }; /* a failed connect must not hang the test */
        setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        pthread_t th;
        struct unix_target target = { sun, alen };
        pthread_create(&th, NULL, unix_client, &target);
        struct sockaddr_un peer;
        socklen_t len = sizeof(peer);
        int c = accept(s, (struct sockaddr *)&peer, &len);
        CHECK(c >= 0 && peer.sun_family == AF_UNIX, "unix accept");
        char buf[32] = { 0 };
        CHECK(read(c, buf, sizeof(buf)) == 11 && memcmp(buf, "over a name", 11) == 0, "unix read");
        CHECK(write(c, "reply", 5) == 5, "unix reply write");
        pthread_join(th, NULL);
        CHECK(read(c, buf, sizeof(buf)) == 0, "unix EOF");
        struct sockaddr_un me;
        len = sizeof(me);
        CHECK(getsockname(s, (struct sockaddr *)&me, &len) == 0 && len == (abstract ? alen : 2 + strlen("/unix.sock") + 1) &&
                  memcmp(me.sun_path, sun.sun_path, len - 2) == 0,
              "unix getsockname %u", (unsigned)len);
        close(c);
        close(s);
        /* the name went with the socket */
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        CHECK(connect(c, (struct sockaddr *)&sun, alen) == -1 && errno == ECONNREFUSED, "unix name gone");
        close(c);
        if (!abstract)
            unix_socket_file(&sun);
    }
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, "/nobody-here");
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&sun, sizeof(sun)) == -1 && errno == ENOENT, "unix ENOENT");
    sun.sun_family = AF_INET;
    CHECK(connect(c, (struct sockaddr *)&sun, sizeof(sun)) == -1 && errno == EINVAL, "unix wrong family");
    close(c);
    printf("sockets: unix names done\n");
}

static void test_errors(void)
{
    char buf[4];
    int p[2];
    CHECK(recv(999, buf, 1, 0) == -1 && errno == EBADF, "EBADF");
    CHECK(pipe(p) == 0, "pipe");
    CHECK(send(p[1], "x", 1, 0) == -1 && errno == ENOTSOCK, "ENOTSOCK send");
    struct sockaddr_in sin = { .sin_family = AF_INET };
    CHECK(bind(p[0], (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == ENOTSOCK, "ENOTSOCK bind");
    close(p[0]);
    close(p[1]);
    CHECK(socket(AF_NETLINK, SOCK_RAW, 0) == -1 && errno == EAFNOSUPPORT, "no netlink");
    CHECK(socket(AF_INET, 77, 0) == -1 && errno == EINVAL, "bad type");
    int s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(s >= 0, "socket");
    CHECK(bind(s, (struct sockaddr *)&sin, 4) == -1 && errno == EINVAL, "short address");
    CHECK(bind(s, (struct sockaddr *)&sin, 1000) == -1 && errno == EINVAL, "long address");
    CHECK(bind(s, (struct sockaddr *)8, sizeof(sin)) == -1 && errno == EFAULT, "EFAULT address");
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
    CHECK(bind(s, (struct sockaddr *)&s6, sizeof(s6)) == -1 && errno == EAFNOSUPPORT, "wrong family");
    CHECK(send(s, "x", 1, 0) == -1 && errno == EPIPE, "send unconnected (SIGPIPE ignored)");
    CHECK(recv(s, buf, 1, 0) == -1 && errno == ENOTCONN, "recv unconnected");
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    CHECK(getpeername(s, (struct sockaddr *)&peer, &len) == -1 && errno == ENOTCONN, "getpeername");
    struct msghdr mh = { .msg_iovlen = 5000 };
    CHECK(sendmsg(s, &mh, 0) == -1 && errno == EMSGSIZE, "iovlen");
    int v = 0;
    len = sizeof(v);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0, "SO_ERROR");
    CHECK(getsockopt(s, 1234, 5, &v, &len) == -1 && errno == ENOPROTOOPT, "bad level");
    close(s);

    /* hostile pointers: the kernel's and page 0, in every pointer argument
     * (raw system calls: musl copies msghdrs itself) */
    void *kern = (void *)0xffffffff80100000ull, *zero = (void *)8;
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0, "pair");
    CHECK(syscall(SYS_sendto, sv[0], kern, 4, 0, NULL, 0) == -1 && errno == EFAULT, "send from the kernel");
    CHECK(send(sv[0], "abcd", 4, 0) == 4, "send");
    CHECK(syscall(SYS_recvfrom, sv[1], kern, 4, 0, NULL, NULL) == -1 && errno == EFAULT, "recv into the kernel");
    CHECK(syscall(SYS_recvfrom, sv[1], zero, 4, 0, NULL, NULL) == -1 && errno == EFAULT, "recv into page 0");
    struct iovec bad[2] = { { buf, 1 }, { kern, 3 } };
    struct msghdr bm = { .msg_iov = bad, .msg_iovlen = 2 };
    CHECK(syscall(SYS_recvmsg, sv[1], &bm, 0) == -1 && errno == EFAULT, "recvmsg iovec into the kernel");
    CHECK(syscall(SYS_sendmsg, sv[0], &bm, 0) == -1 && errno == EFAULT, "sendmsg iovec from the kernel");
    CHECK(syscall(SYS_recvmsg, sv[1], kern, 0) == -1 && errno == EFAULT, "msghdr in the kernel");
    bm.msg_iov = kern;
    bm.msg_iovlen = 1;
    CHECK(syscall(SYS_sendmsg, sv[0], &bm, 0) == -1 && errno == EFAULT, "iovec array in the kernel");
    socklen_t *klen = kern;
    CHECK(syscall(SYS_getsockname, sv[0], &peer, klen) == -1 && errno == EFAULT, "getsockname len");
    len = sizeof(peer);
    CHECK(syscall(SYS_getsockname, sv[0], kern, &len) == -1 && errno == EFAULT, "getsockname addr");
    CHECK(syscall(SYS_getsockopt, sv[0], SOL_SOCKET, SO_TYPE, kern, &len) == -1 && errno == EFAULT, "getsockopt value");
    CHECK(syscall(SYS_setsockopt, sv[0], SOL_SOCKET, SO_RCVTIMEO, kern, 16) == -1 && errno == EFAULT, "setsockopt value");
    CHECK(syscall(SYS_socketpair, AF_UNIX, SOCK_STREAM, 0, kern) == -1 && errno == EFAULT, "socketpair array");
    struct mmsghdr *kmm = kern;
    CHECK(syscall(SYS_sendmmsg, sv[0], kmm, 1, 0) == -1 && errno == EFAULT, "sendmmsg vector");
    CHECK(recv(sv[1], buf, 4, 0) == 4, "the bytes still there after the faults");
    close(sv[0]);
    close(sv[1]);
    printf("sockets: errors done\n");
}

static int listener(int port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int on = 1;
    CHECK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0, "SO_REUSEADDR");
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0, "bind %d", port);
    CHECK(listen(s, 128) == 0, "listen");
    int v = 0;
    socklen_t len = sizeof(v);
    CHECK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) == 0 && v == 1, "SO_ACCEPTCONN");
    /* a second socket on the same port: EADDRINUSE */
    int t = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(bind(t, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EADDRINUSE, "EADDRINUSE");
    close(t);
    /* non-blocking accept with nobody there */
    int fl = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, fl | O_NONBLOCK);
    CHECK(accept(s, NULL, NULL) == -1 && errno == EAGAIN, "accept EAGAIN");
    fcntl(s, F_SETFL, fl);
    return s;
}

static void echo_server(int s, int first, int nconn)
{
    static char buf[65536];
    for (int i = first; i < first + nconn; i++) {
        struct sockaddr_in peer;
        socklen_t len = sizeof(peer);
        int c = accept4(s, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC);
        CHECK(c >= 0 && len == sizeof(peer) && peer.sin_family == AF_INET, "accept");
        if (c < 0)
            return;
        int on = 1;
        CHECK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == 0, "TCP_NODELAY");
        uint64_t h = FNV_INIT;
        size_t total = 0;
        for (;;) {
            ssize_t n = read(c, buf, sizeof(buf));
            if (n <= 0) {
                CHECK(n == 0, "read");
                break;
            }
            h = fnv(h, buf, (size_t)n);
            total += (size_t)n;
            for (ssize_t off = 0; off < n;) {
                ssize_t w = send(c, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
                CHECK(w > 0, "send");
                if (w <= 0)
                    break;
                off += w;
            }
        }
        printf("sockets: conn %d: %zu bytes fnv %016llx\n", i, total, (unsigned long long)h);
        CHECK(shutdown(c, SHUT_WR) == 0, "shutdown");
        close(c);
    }
}

struct conn_job {
    int fd;
    pthread_t t;
};

/* One thread per connection: a blocked read in one must not hold up the other. */
static void *echo_thread(void *arg)
{
    struct conn_job *j = arg;
    char buf[4096];
    for (;;) {
        ssize_t n = recv(j->fd, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        if (send(j->fd, buf, (size_t)n, MSG_NOSIGNAL) != n)
            break;
    }
    close(j->fd);
    return NULL;
}

static void concurrent_server(int s)
{
    struct conn_job jobs[2];
    for (int i = 0; i < 2; i++) {
        jobs[i].fd = accept(s, NULL, NULL);
        CHECK(jobs[i].fd >= 0, "accept %d", i);
        pthread_create(&jobs[i].t, NULL, echo_thread, &jobs[i]);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(jobs[i].t, NULL);
    printf("sockets: concurrent done\n");
}

static void *loop_client(void *arg)
{
    int port = *(int *)arg;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect 127.0.0.1");
    static char big[300000];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (char)(i * 7 + (i >> 9));
    CHECK(send(c, big, sizeof(big), 0) == (ssize_t)sizeof(big), "loopback send");
    shutdown(c, SHUT_WR);
    close(c);
    return NULL;
}

struct kick_then_send {
    pthread_t target;
    int fd;
};

static void *kick_then_send(void *arg)
{
    struct kick_then_send *k = arg;
    struct timespec ts = { 0, 200 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    pthread_kill(k->target, SIGUSR2);
    nanosleep(&ts, NULL);
    CHECK(send(k->fd, "after", 5, 0) == 5, "send after the signal");
    return NULL;
}

/* Over 127.0.0.1 inside the guest: a client thread sends 300000 bytes to a
 * listener of this program; UDP too. */
static void loopback(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(s, 1) == 0, "loopback listen");
    pthread_t t;
    pthread_create(&t, NULL, loop_client, &port);
    struct sockaddr_in peer;
    socklen_t len = sizeof(peer);
    int c = accept(s, (struct sockaddr *)&peer, &len);
    CHECK(c >= 0 && peer.sin_addr.s_addr == htonl(INADDR_LOOPBACK), "loopback accept");
    static char buf[65536];
    size_t total = 0;
    int bad = 0;
    for (;;) {
        ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0)
            break;
        for (ssize_t i = 0; i < n; i++, total++)
            bad += buf[i] != (char)(total * 7 + (total >> 9));
    }
    CHECK(total == 300000 && !bad, "loopback bytes %zu, %d wrong", total, bad);
    pthread_join(t, NULL);
    close(c);

    /* the peer goes away: writes end in EPIPE (ECONNRESET first at most), and
     * SIGPIPE reaches a handler unless MSG_NOSIGNAL */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect again");
    int srv = accept(s, NULL, NULL);
    CHECK(srv >= 0, "accept again");
    CHECK(send(c, "unread", 6, 0) == 6, "unread bytes");
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    close(srv); /* unread data: a reset, as Linux */
    int err = 0, sent = 0;
    for (int i = 0; i < 100 && !err; i++) {
        if (send(c, "x", 1, MSG_NOSIGNAL) < 0)
            err = errno;
        else
            sent++;
        nanosleep(&ts, NULL);
    }
    CHECK(err == EPIPE || err == ECONNRESET, "write after the peer went: errno %d after %d", err, sent);
    struct sigaction sa = { .sa_handler = on_signal }, old;
    sigaction(SIGPIPE, &sa, &old);
    got_signal = 0;
    CHECK(send(c, "x", 1, 0) == -1 && errno == EPIPE && got_signal == SIGPIPE, "EPIPE with SIGPIPE (%d)",
          got_signal);
    sigaction(SIGPIPE, &old, NULL);
    close(c);

    /* a blocked TCP recv: a signal handled with SA_RESTART restarts it */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect for restart");
    srv = accept(s, NULL, NULL);
    struct sigaction rs = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigaction(SIGUSR2, &rs, NULL);
    got_signal = 0;
    struct kick_then_send k = { pthread_self(), srv };
    pthread_create(&t, NULL, kick_then_send, &k);
    char five[8] = { 0 };
    CHECK(recv(c, five, 5, MSG_WAITALL) == 5 && memcmp(five, "after", 5) == 0 && got_signal == SIGUSR2,
          "restarted recv [%s], signal %d", five, got_signal);
    pthread_join(t, NULL);
    close(srv);
    close(c);

    /* SO_LINGER of 0 seconds: close resets, the peer reads ECONNRESET */
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect for linger");
    srv = accept(s, NULL, NULL);
    struct linger lg = { 1, 0 };
    CHECK(setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) == 0, "SO_LINGER");
    close(srv);
    char one;
    errno = 0;
    CHECK(recv(c, &one, 1, 0) == -1 && errno == ECONNRESET, "reset by linger 0");
    close(c);
    close(s);

    /* listen without bind: an ephemeral port, reachable */
    s = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(listen(s, 1) == 0, "listen unbound");
    struct sockaddr_in eph;
    len = sizeof(eph);
    CHECK(getsockname(s, (struct sockaddr *)&eph, &len) == 0 && ntohs(eph.sin_port) >= 1024, "ephemeral port %d",
          ntohs(eph.sin_port));
    c = socket(AF_INET, SOCK_STREAM, 0);
    eph.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(c, (struct sockaddr *)&eph, sizeof(eph)) == 0, "connect to the ephemeral port");
    close(c);
    close(s);

    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(bind(a, (struct sockaddr *)&sin, sizeof(sin)) == 0, "udp loopback bind");
    CHECK(connect(b, (struct sockaddr *)&sin, sizeof(sin)) == 0, "udp connect");
    CHECK(send(b, "loop", 4, 0) == 4, "udp send");
    char d[8];
    struct sockaddr_in from;
    len = sizeof(from);
    CHECK(recvfrom(a, d, sizeof(d), 0, (struct sockaddr *)&from, &len) == 4 && memcmp(d, "loop", 4) == 0 &&
              from.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "udp loopback");
    close(a);
    close(b);
    printf("sockets: loopback done\n");
}

/* ---- IPv6 ---- */

static long ms_since(const struct timespec *t0);

static struct sockaddr_in6 sin6_of(const struct in6_addr *a, int port)
{
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = *a };
    return s6;
}

static bool is_v4mapped_loopback(const struct sockaddr_in6 *s6)
{
    return IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) && s6->sin6_addr.s6_addr[12] == 127 &&
           s6->sin6_addr.s6_addr[13] == 0 && s6->sin6_addr.s6_addr[14] == 0 && s6->sin6_addr.s6_addr[15] == 1;
}

/* Reads exactly n bytes (or fewer at the end of the stream). */
static size_t read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = recv(fd, (char *)buf + got, n - got, 0);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void test_ipv6(int port)
{
    static char out[20000], back[20000];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = (char)(i * 13 + (i >> 8));

    /* TCP over ::1: connect, accept (the peer's address checked), echo */
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(l >= 0, "AF_INET6 socket");
    int v = -1;
    socklen_t len = sizeof(v);
    CHECK(getsockopt(l, SOL_SOCKET, SO_DOMAIN, &v, &len) == 0 && v == AF_INET6, "SO_DOMAIN %d", v);
    struct sockaddr_in6 s6 = sin6_of(&in6addr_loopback, port);
    CHECK(bind(l, (struct sockaddr *)&s6, sizeof(s6)) == 0 && listen(l, 4) == 0, "bind [::1]:%d", port);
    int c = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(connect(c, (struct sockaddr *)&s6, sizeof(s6)) == 0, "connect [::1]");
    struct sockaddr_in6 me = { 0 }, peer = { 0 };
    len = sizeof(me);
    CHECK(getsockname(c, (struct sockaddr *)&me, &len) == 0 && len == sizeof(me) && me.sin6_family == AF_INET6 &&
              IN6_IS_ADDR_LOOPBACK(&me.sin6_addr) && ntohs(me.sin6_port) != 0,
          "client name len %u", (unsigned)len);
    len = sizeof(peer);
    int a = accept(l, (struct sockaddr *)&peer, &len);
    CHECK(a >= 0 && len == sizeof(peer) && peer.sin6_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&peer.sin6_addr) &&
              peer.sin6_port == me.sin6_port,
          "accept [::1] len %u port %d/%d", (unsigned)len, ntohs(peer.sin6_port), ntohs(me.sin6_port));
    CHECK(send(c, out, sizeof(out), 0) == (ssize_t)sizeof(out), "v6 send");
    CHECK(read_full(a, back, sizeof(back)) == sizeof(back) && memcmp(back, out, sizeof(out)) == 0, "v6 server bytes");
    CHECK(send(a, back, sizeof(back), 0) == (ssize_t)sizeof(back), "v6 echo");
    memset(back, 0, sizeof(back));
    CHECK(read_full(c, back, sizeof(back)) == sizeof(back) && memcmp(back, out, sizeof(out)) == 0, "v6 echoed bytes");
    /* a short room: truncated, the full length reported */
    char small[8];
    len = sizeof(small);
    CHECK(getpeername(a, (struct sockaddr *)small, &len) == 0 && len == sizeof(struct sockaddr_in6) &&
              small[0] == AF_INET6,
          "getpeername truncated %u", (unsigned)len);
    close(a);
    close(c);
    close(l);

    /* UDP over ::1, the source address checked, and a reply */
    int u = socket(AF_INET6, SOCK_DGRAM, 0), w = socket(AF_INET6, SOCK_DGRAM, 0);
    s6 = sin6_of(&in6addr_loopback, port + 1);
    CHECK(bind(u, (struct sockaddr *)&s6, sizeof(s6)) == 0, "udp6 bind");
    CHECK(sendto(w, out, 1200, 0, (struct sockaddr *)&s6, sizeof(s6)) == 1200, "udp6 sendto");
    struct sockaddr_in6 from = { 0 };
    len = sizeof(from);
    CHECK(recvfrom(u, back, sizeof(back), 0, (struct sockaddr *)&from, &len) == 1200 && memcmp(back, out, 1200) == 0 &&
              len == sizeof(from) && from.sin6_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&from.sin6_addr),
          "udp6 recvfrom len %u", (unsigned)len);
    CHECK(sendto(u, "pong6", 5, 0, (struct sockaddr *)&from, len) == 5, "udp6 reply");
    char d[16] = { 0 };
    CHECK(recv(w, d, sizeof(d), 0) == 5 && memcmp(d, "pong6", 5) == 0, "udp6 reply received");
    /* a dual-stack UDP socket sends to an IPv4 address given as sockaddr_in */
    int u4 = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port + 2) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(u4, (struct sockaddr *)&sin, sizeof(sin)) == 0, "udp4 bind");
    CHECK(sendto(w, "to4", 3, 0, (struct sockaddr *)&sin, sizeof(sin)) == 3, "udp6 to a sockaddr_in");
    struct sockaddr_in from4 = { 0 };
    len = sizeof(from4);
    CHECK(recvfrom(u4, d, sizeof(d), 0, (struct sockaddr *)&from4, &len) == 3 && memcmp(d, "to4", 3) == 0 &&
              from4.sin_family == AF_INET && from4.sin_addr.s_addr == htonl(INADDR_LOOPBACK),
          "udp4 got it from 127.0.0.1");
    /* and its answer comes back v4-mapped */
    CHECK(sendto(u4, "back", 4, 0, (struct sockaddr *)&from4, len) == 4, "udp4 reply");
    len = sizeof(from);
    CHECK(recvfrom(w, d, sizeof(d), 0, (struct sockaddr *)&from, &len) == 4 && len == sizeof(from) &&
              from.sin6_family == AF_INET6 && is_v4mapped_loopback(&from) && from.sin6_port == htons(port + 2),
          "udp6 from ::ffff:127.0.0.1");
    close(u4);
    close(u);
    close(w);

    /* [::] without IPV6_V6ONLY takes an IPv4 client, seen as ::ffff:127.0.0.1 */
    l = socket(AF_INET6, SOCK_STREAM, 0);
    v = -1;
    len = sizeof(v);
    CHECK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0 && v == 0, "V6ONLY off by default");
    s6 = sin6_of(&in6addr_any, port + 3);
    CHECK(bind(l, (struct sockaddr *)&s6, sizeof(s6)) == 0 && listen(l, 4) == 0, "bind [::]");
    int on = 1;
    CHECK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1 && errno == EINVAL, "V6ONLY after bind");
    c = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = htons(port + 3);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "127.0.0.1 to [::]");
    struct sockaddr_in me4 = { 0 };
    len = sizeof(me4);
    getsockname(c, (struct sockaddr *)&me4, &len);
    len = sizeof(peer);
    memset(&peer, 0, sizeof(peer));
    a = accept(l, (struct sockaddr *)&peer, &len);
    CHECK(a >= 0 && len == sizeof(peer) && peer.sin6_family == AF_INET6 && is_v4mapped_loopback(&peer) &&
              peer.sin6_port == me4.sin_port,
          "v4-mapped peer (len %u, family %d, port %d/%d)", (unsigned)len, peer.sin6_family, ntohs(peer.sin6_port),
          ntohs(me4.sin_port));
    len = sizeof(me);
    CHECK(getsockname(a, (struct sockaddr *)&me, &len) == 0 && is_v4mapped_loopback(&me) &&
              me.sin6_port == htons(port + 3),
          "v4-mapped local name");
    CHECK(send(c, "mapped", 6, 0) == 6 && read_full(a, d, 6) == 6 && memcmp(d, "mapped", 6) == 0, "v4-mapped bytes");
    CHECK(send(a, "back4", 5, 0) == 5 && read_full(c, d, 5) == 5 && memcmp(d, "back4", 5) == 0, "v4-mapped reply");
    close(a);
    close(c);
    /* a dual-stack client connecting to ::ffff:127.0.0.1 reaches the IPv4 side */
    c = socket(AF_INET6, SOCK_STREAM, 0);
    struct sockaddr_in6 m6 = sin6_of(&in6addr_any, port + 3);
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &m6.sin6_addr);
    CHECK(connect(c, (struct sockaddr *)&m6, sizeof(m6)) == 0, "connect ::ffff:127.0.0.1");
    len = sizeof(peer);
    CHECK(getpeername(c, (struct sockaddr *)&peer, &len) == 0 && len == sizeof(peer) && is_v4mapped_loopback(&peer) &&
              peer.sin6_port == htons(port + 3),
          "v4-mapped peer name");
    a = accept(l, NULL, NULL);
    CHECK(a >= 0 && send(c, "m", 1, 0) == 1 && read_full(a, d, 1) == 1 && d[0] == 'm', "v4-mapped client bytes");
    close(a);
    close(c);
    close(l);
    /* an unbound AF_INET6 socket's name: [::]:0, 28 bytes */
    c = socket(AF_INET6, SOCK_DGRAM, 0);
    memset(&me, 0xff, sizeof(me));
    len = sizeof(me);
    CHECK(getsockname(c, (struct sockaddr *)&me, &len) == 0 && len == sizeof(me) && me.sin6_family == AF_INET6 &&
              IN6_IS_ADDR_UNSPECIFIED(&me.sin6_addr) && me.sin6_port == 0,
          "unbound name");
    close(c);
    /* 0.0.0.0:P and an IPv6-only [::]:P side by side (Redis's two
     * listeners); a dual-stack [::]:P beside 0.0.0.0:P is EADDRINUSE */
    int l4 = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = htons(port + 5);
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
    CHECK(bind(l4, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(l4, 2) == 0, "0.0.0.0 listener");
    l = socket(AF_INET6, SOCK_STREAM, 0);
    s6 = sin6_of(&in6addr_any, port + 5);
    CHECK(bind(l, (struct sockaddr *)&s6, sizeof(s6)) == -1 && errno == EADDRINUSE, "dual-stack [::] beside 0.0.0.0");
    close(l);
    l = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == 0 &&
              bind(l, (struct sockaddr *)&s6, sizeof(s6)) == 0 && listen(l, 2) == 0,
          "IPv6-only [::] beside 0.0.0.0");
    close(l);
    close(l4);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    /* IPV6_V6ONLY: the IPv4 client is refused, an IPv6 one accepted */
    l = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == 0, "V6ONLY");
    v = 0;
    len = sizeof(v);
    CHECK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len) == 0 && v == 1 && len == sizeof(int), "V6ONLY read");
    s6 = sin6_of(&in6addr_any, port + 4);
    CHECK(bind(l, (struct sockaddr *)&s6, sizeof(s6)) == 0 && listen(l, 4) == 0, "bind [::] v6only");
    c = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = htons(port + 4);
    errno = 0;
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == ECONNREFUSED, "V6ONLY refuses IPv4");
    close(c);
    c = socket(AF_INET6, SOCK_STREAM, 0);
    s6 = sin6_of(&in6addr_loopback, port + 4);
    CHECK(connect(c, (struct sockaddr *)&s6, sizeof(s6)) == 0, "V6ONLY takes IPv6");
    a = accept(l, NULL, NULL);
    CHECK(a >= 0, "V6ONLY accept");
    close(a);
    close(c);
    /* a v4-mapped address on an IPv6-only socket: EINVAL to bind */
    c = socket(AF_INET6, SOCK_DGRAM, 0);
    setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
    inet_pton(AF_INET6, "::ffff:127.0.0.1", &s6.sin6_addr);
    CHECK(bind(c, (struct sockaddr *)&s6, sizeof(s6)) == -1 && errno == EINVAL, "v4-mapped bind on V6ONLY");
    close(c);
    close(l);

    /* sockaddr_in6 as Linux checks it */
    c = socket(AF_INET6, SOCK_STREAM, 0);
    s6 = sin6_of(&in6addr_loopback, 0);
    CHECK(bind(c, (struct sockaddr *)&s6, 23) == -1 && errno == EINVAL, "23-byte sockaddr_in6");
    CHECK(bind(c, (struct sockaddr *)&s6, sizeof(struct sockaddr_in)) == -1 && errno == EINVAL, "16 bytes");
    CHECK(bind(c, (struct sockaddr *)&s6, 129) == -1 && errno == EINVAL, "129 bytes");
    CHECK(bind(c, (struct sockaddr *)&s6, -1) == -1 && errno == EINVAL, "negative length");
    CHECK(bind(c, (struct sockaddr *)8, sizeof(s6)) == -1 && errno == EFAULT, "EFAULT");
    struct sockaddr_in6 bad = s6;
    bad.sin6_family = AF_INET;
    CHECK(bind(c, (struct sockaddr *)&bad, sizeof(bad)) == -1 && errno == EAFNOSUPPORT, "AF_INET on AF_INET6");
    inet_pton(AF_INET6, "fe80::1", &bad.sin6_addr);
    bad.sin6_family = AF_INET6;
    CHECK(bind(c, (struct sockaddr *)&bad, sizeof(bad)) == -1 && errno == EINVAL, "link-local without scope");
    bad.sin6_scope_id = 200;
    CHECK(bind(c, (struct sockaddr *)&bad, sizeof(bad)) == -1 && errno == ENODEV, "scope of no interface");
    close(c); /* (Linux keeps a failed bind's scope on the socket: a fresh one) */
    c = socket(AF_INET6, SOCK_STREAM, 0);
    CHECK(bind(c, (struct sockaddr *)&s6, 24) == 0, "24-byte sockaddr_in6 (RFC 2133)");
    int hops = 0;
    len = sizeof(hops);
    v = 33;
    CHECK(setsockopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)) == 0 &&
              getsockopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, &len) == 0 && hops == 33,
          "IPV6_UNICAST_HOPS %d", hops);
    v = 256;
    CHECK(setsockopt(c, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof(v)) == -1 && errno == EINVAL, "hops 256");
    v = 0x20;
    CHECK(setsockopt(c, IPPROTO_IPV6, IPV6_TCLASS, &v, sizeof(v)) == 0, "IPV6_TCLASS");
    close(c);
    c = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(setsockopt(c, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) == -1 && errno == ENOPROTOOPT,
          "no IPv6 options on AF_INET");
    close(c);
    printf("sockets: ipv6 loopback done\n");
}

/* Across the NIC (a thread started first): the host's ::1 is fec0::2 through slirp. Until the
 * router's advertisement has given the SLAAC address (and its duplicate
 * detection ended), the stack reaches fec0::2 from the link-local
 * address: connections from there are dropped unused until then. */
static void *ipv6_client(void *arg)
{
    int hostport6 = *(int *)arg;
    struct sockaddr_in6 host = sin6_of(&in6addr_any, hostport6), me = { 0 };
    inet_pton(AF_INET6, "fec0::2", &host.sin6_addr);
    socklen_t len;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int c = -1, tries = 0;
    for (; tries < 50; tries++) {
        c = socket(AF_INET6, SOCK_STREAM, 0);
        len = sizeof(me);
        if (connect(c, (struct sockaddr *)&host, sizeof(host)) == 0 &&
            getsockname(c, (struct sockaddr *)&me, &len) == 0 && !IN6_IS_ADDR_LINKLOCAL(&me.sin6_addr))
            break;
        close(c);
        c = -1;
        usleep(200000);
    }
    printf("sockets: ipv6 source ready after %ld ms (%d tries)\n", ms_since(&t0), tries);
    CHECK(c >= 0, "connect [fec0::2]:%d from a SLAAC address", hostport6);
    if (c < 0)
        return NULL;
    char a[INET6_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET6, &me.sin6_addr, a, sizeof(a));
    static char msg[3000];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)('a' + i % 26);
    CHECK(send(c, msg, sizeof(msg), MSG_NOSIGNAL) == (ssize_t)sizeof(msg), "v6 send to the host");
    shutdown(c, SHUT_WR);
    static char got[4000];
    size_t n = read_full(c, got, sizeof(got));
    CHECK(n == sizeof(msg) && memcmp(got, msg, n) == 0, "v6 echo from the host: %zu bytes", n);
    printf("sockets: ipv6 host exchange from %s: %zu bytes back\n", a, n);
    close(c);
    return NULL;
}

static long mem_free_kib(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    char line[128];
    long v = -1;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "MemFree: %ld kB", &v) == 1)
            break;
    if (f)
        fclose(f);
    return v;
}

#define DROPS 200

struct drop_args {
    int port;
    int fins; /* connections closed with a FIN: each must reach accept */
};

/* The hostile clients: connections opened and dropped (FIN or reset,
 * some after a few bytes), then one that says END. */
static void *drop_clients(void *arg)
{
    struct drop_args *d = arg;
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(d->port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    for (int i = 0; i <= DROPS; i++) {
        int c = socket(AF_INET, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
            CHECK(0, "drop connect %d", i);
            close(c);
            continue;
        }
        if (i == DROPS) {
            CHECK(send(c, "END", 3, 0) == 3, "END");
        } else {
            if (i % 3 == 1)
                send(c, "GET / HTTP/1.1\r\n", 16, MSG_NOSIGNAL);
            if (i % 2) {
                struct linger lg = { 1, 0 };
                setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
            } else {
                d->fins++;
            }
        }
        close(c);
    }
    return NULL;
}

/* A server under hostile clients (over 127.0.0.1): it serves each
 * connection to its end, keeps going, and the memory they took comes back. */
static void drop_server(int port)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(s, 128) == 0, "drop listen");
    long before = mem_free_kib();
    struct drop_args d = { port, 0 };
    pthread_t t;
    pthread_create(&t, NULL, drop_clients, &d);
    int n = 0;
    char buf[256];
    for (;;) {
        int c = accept(s, NULL, NULL);
        CHECK(c >= 0, "accept dropped");
        if (c < 0)
            break;
        ssize_t r, total = 0;
        bool end = false;
        while ((r = recv(c, buf, sizeof(buf), 0)) > 0) {
            end |= total == 0 && r >= 3 && memcmp(buf, "END", 3) == 0;
            total += r;
        }
        close(c);
        if (end)
            break;
        n++;
    }
    pthread_join(t, NULL);
    close(s);
    long after = mem_free_kib();
    printf("sockets: served %d of %d dropped connections (%d closed, the rest reset), MemFree %ld kB before, "
           "%ld kB after\n", n, DROPS, d.fins, before, after);
    /* a connection reset before accept may never reach it (lwIP drops it) */
    CHECK(n >= d.fins && n <= DROPS, "served %d", n);
    CHECK(after >= before - 256, "memory back: %ld kB lost", before - after);
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void *late_send(void *arg)
{
    struct timespec ts = { 0, 300 * 1000 * 1000 };
    nanosleep(&ts, NULL);
    CHECK(send(*(int *)arg, "late", 4, 0) == 4, "late send");
    return NULL;
}

/* Readiness of sockets through epoll and poll (linux/epoll.c over each
 * socket's ops->poll and lfile_notify): level and edge triggered, a wait
 * woken by the event itself long before its timeout, hang-ups. */
static void test_readiness(int port)
{
    int ep = epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0 && errno == ENOSYS) {
        printf("sockets: readiness skipped (no epoll)\n");
        return;
    }
    CHECK(ep >= 0, "epoll_create1");
    struct epoll_event ev, out[4];
    struct timespec t0;

    /* a socket pair, edge triggered */
    int sv[2];
    CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "pair");
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.fd = sv[1] };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev) == 0, "ctl add");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "nothing yet");
    pthread_t t;
    pthread_create(&t, NULL, late_send, &sv[0]);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int n = epoll_wait(ep, out, 4, 10000);
    long took = ms_since(&t0);
    CHECK(n == 1 && out[0].data.fd == sv[1] && (out[0].events & EPOLLIN), "woken by data (%d)", n);
    CHECK(took >= 200 && took < 3000, "woken by the send, not the timeout: %ld ms", took);
    pthread_join(t, NULL);
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "edge: no second report");
    char buf[64];
    CHECK(read(sv[1], buf, sizeof(buf)) == 4, "read");
    close(sv[0]);
    n = epoll_wait(ep, out, 4, 1000);
    CHECK(n == 1 && (out[0].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP)) == (EPOLLIN | EPOLLRDHUP | EPOLLHUP),
          "peer closed: %#x", n == 1 ? out[0].events : 0);
    close(sv[1]);

    /* TCP over loopback: listener, non-blocking connect, accept, data, FIN */
    int l = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(bind(l, (struct sockaddr *)&sin, sizeof(sin)) == 0 && listen(l, 4) == 0, "listen");
    ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = l };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev) == 0, "add listener");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "no connection yet");
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int r = connect(c, (struct sockaddr *)&sin, sizeof(sin));
    CHECK(r == 0 || errno == EINPROGRESS, "connect");
    ev = (struct epoll_event){ .events = EPOLLOUT, .data.fd = c };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev) == 0, "add client");
    int got_l = 0, got_c = 0;
    for (int i = 0; i < 4 && !(got_l && got_c); i++) {
        n = epoll_wait(ep, out, 4, 5000);
        for (int k = 0; k < n; k++) {
            got_l |= out[k].data.fd == l && (out[k].events & EPOLLIN);
            got_c |= out[k].data.fd == c && (out[k].events & EPOLLOUT);
        }
    }
    CHECK(got_l && got_c, "listener readable %d, client writable %d", got_l, got_c);
    int v = -1;
    socklen_t len = sizeof(v);
    CHECK(getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len) == 0 && v == 0, "connected");
    int a = accept4(l, NULL, NULL, SOCK_NONBLOCK);
    CHECK(a >= 0, "accept4");
    CHECK(accept4(l, NULL, NULL, SOCK_NONBLOCK) == -1 && errno == EAGAIN, "one only");
    epoll_ctl(ep, EPOLL_CTL_DEL, c, NULL);
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP, .data.fd = a };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev) == 0, "add accepted");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "accepted: nothing to read");
    pthread_create(&t, NULL, late_send, &c);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    n = epoll_wait(ep, out, 4, 10000);
    took = ms_since(&t0);
    CHECK(n == 1 && out[0].data.fd == a && (out[0].events & EPOLLIN), "tcp data (%d)", n);
    CHECK(took >= 200 && took < 3000, "tcp: woken by the segment: %ld ms", took);
    pthread_join(t, NULL);
    n = epoll_wait(ep, out, 4, 0);
    CHECK(n == 1, "level triggered: still readable");
    CHECK(recv(a, buf, sizeof(buf), 0) == 4, "recv");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "drained");
    /* poll on the client: writable */
    struct pollfd pf = { .fd = c, .events = POLLIN | POLLOUT };
    CHECK(poll(&pf, 1, 1000) == 1 && pf.revents == POLLOUT, "poll writable %#x", pf.revents);
    close(c);
    n = epoll_wait(ep, out, 4, 3000);
    CHECK(n == 1 && (out[0].events & (EPOLLIN | EPOLLRDHUP)) == (EPOLLIN | EPOLLRDHUP), "FIN: %#x",
          n == 1 ? out[0].events : 0);
    CHECK(recv(a, buf, sizeof(buf), 0) == 0, "EOF");
    close(a);
    close(l);

    /* UDP: poll for a datagram, a quiet socket times out */
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0, "udp bind");
    pf = (struct pollfd){ .fd = u, .events = POLLIN };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    CHECK(poll(&pf, 1, 200) == 0, "quiet");
    CHECK(ms_since(&t0) >= 150, "poll waited its time");
    int w = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(sendto(w, "d", 1, 0, (struct sockaddr *)&sin, sizeof(sin)) == 1, "udp sendto");
    CHECK(poll(&pf, 1, 3000) == 1 && (pf.revents & POLLIN), "udp readable %#x", pf.revents);
    close(w);
    close(u);

    /* an AF_UNIX listener: a connect makes it readable */
    struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/ready.sock" };
    unlink(sun.sun_path);
    int ul = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    CHECK(bind(ul, (struct sockaddr *)&sun, sizeof(sun)) == 0 && listen(ul, 2) == 0, "unix listen");
    ev = (struct epoll_event){ .events = EPOLLIN, .data.fd = ul };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ul, &ev) == 0, "add unix listener");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "unix: nobody yet");
    int uc = socket(AF_UNIX, SOCK_STREAM, 0);
    CHECK(connect(uc, (struct sockaddr *)&sun, sizeof(sun)) == 0, "unix connect");
    n = epoll_wait(ep, out, 4, 1000);
    CHECK(n == 1 && out[0].data.fd == ul && (out[0].events & EPOLLIN), "unix listener readable");
    int ua = accept4(ul, NULL, NULL, SOCK_NONBLOCK);
    CHECK(ua >= 0, "unix accept");
    CHECK(epoll_wait(ep, out, 4, 0) == 0, "unix: accepted");
    /* shutdown(SHUT_WR) of one side: the other reads EOF (EPOLLIN|EPOLLRDHUP) */
    ev = (struct epoll_event){ .events = EPOLLIN | EPOLLRDHUP, .data.fd = ua };
    CHECK(epoll_ctl(ep, EPOLL_CTL_ADD, ua, &ev) == 0, "add unix conn");
    CHECK(shutdown(uc, SHUT_WR) == 0, "unix shutdown");
    n = epoll_wait(ep, out, 4, 1000);
    CHECK(n == 1 && (out[0].events & (EPOLLIN | EPOLLRDHUP)) == (EPOLLIN | EPOLLRDHUP), "unix half close %#x",
          n == 1 ? out[0].events : 0);
    close(ua);
    close(uc);
    close(ul);
    close(ep);
    printf("sockets: readiness done\n");
}

static void udp_echo(int port, int count)
{
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    CHECK(bind(u, (struct sockaddr *)&sin, sizeof(sin)) == 0, "udp bind");
    printf("sockets: udp ready\n");
    fflush(stdout);
    char buf[2048];
    for (int i = 0; i < count; i++) {
        struct sockaddr_in from;
        socklen_t len = sizeof(from);
        ssize_t n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len);
        CHECK(n >= 0 && len == sizeof(from), "recvfrom");
        if (n < 0)
            break;
        struct iovec iov = { buf, (size_t)n };
        struct mmsghdr mm = { .msg_hdr = { .msg_name = &from, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1 } };
        CHECK(sendmmsg(u, &mm, 1, 0) == 1 && mm.msg_len == (unsigned)n, "sendmmsg");
    }
    close(u);
    printf("sockets: udp done\n");
}

static void client(int hostport)
{
    int c = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(hostport) };
    sin.sin_addr.s_addr = inet_addr("10.0.2.2");
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == 0, "connect to the host");
    struct sockaddr_in me;
    socklen_t len = sizeof(me);
    CHECK(getsockname(c, (struct sockaddr *)&me, &len) == 0 && me.sin_addr.s_addr == inet_addr("10.0.2.15"),
          "getsockname");
    const char msg[] = "hello from the guest";
    CHECK(send(c, msg, sizeof(msg) - 1, 0) == (ssize_t)sizeof(msg) - 1, "client send");
    char buf[128];
    size_t got = 0;
    for (;;) {
        ssize_t n = recv(c, buf + got, sizeof(buf) - 1 - got, 0);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = 0;
    printf("sockets: host said [%s]\n", buf);
    close(c);

    /* nobody listens on the host's port + 1: refused */
    c = socket(AF_INET, SOCK_STREAM, 0);
    sin.sin_port = htons(hostport + 1);
    errno = 0;
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == ECONNREFUSED, "ECONNREFUSED");
    close(c);
    /* non-blocking: EINPROGRESS, then SO_ERROR tells */
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sin.sin_port = htons(hostport);
    CHECK(connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINPROGRESS, "EINPROGRESS");
    int v = -1;
    for (int i = 0; i < 100; i++) {
        len = sizeof(v);
        getsockopt(c, SOL_SOCKET, SO_ERROR, &v, &len);
        if (connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EISCONN)
            break;
        usleep(20000);
    }
    CHECK(v == 0 && connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EISCONN, "connected");
    close(c);
    printf("sockets: client done\n");
}

/* A connected UDP socket bound to no address names the source address its
 * connect chose, as Linux: 127.0.0.1 toward 127.0.0.1, ::ffff:127.0.0.1 on
 * an AF_INET6 socket connected to an IPv4 peer, ::1 toward ::1. glibc's
 * getaddrinfo sorts two results that way (connect, getsockname) and
 * aborts on an AF_INET6 socket whose source is not v4-mapped. */
static void test_udp_source(void)
{
    struct sockaddr_in to4 = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    struct sockaddr_in6 to6 = { .sin6_family = AF_INET6, .sin6_port = htons(9), .sin6_addr = IN6ADDR_LOOPBACK_INIT };
    struct sockaddr_storage me;
    socklen_t len = sizeof(me);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    CHECK(connect(u, (struct sockaddr *)&to4, sizeof(to4)) == 0 && getsockname(u, (struct sockaddr *)&me, &len) == 0 &&
              ((struct sockaddr_in *)&me)->sin_addr.s_addr == htonl(INADDR_LOOPBACK) && ((struct sockaddr_in *)&me)->sin_port,
          "udp source toward 127.0.0.1");
    close(u);
    u = socket(AF_INET6, SOCK_DGRAM, 0);
    len = sizeof(me);
    CHECK(connect(u, (struct sockaddr *)&to4, sizeof(to4)) == 0 && getsockname(u, (struct sockaddr *)&me, &len) == 0 &&
              len == sizeof(struct sockaddr_in6) && is_v4mapped_loopback((struct sockaddr_in6 *)&me),
          "udp6 source toward 127.0.0.1: v4-mapped");
    struct sockaddr_in unspec = { .sin_family = AF_UNSPEC };
    len = sizeof(me);
    CHECK(connect(u, (struct sockaddr *)&unspec, sizeof(unspec)) == 0 && connect(u, (struct sockaddr *)&to6, sizeof(to6)) == 0 &&
              getsockname(u, (struct sockaddr *)&me, &len) == 0 &&
              IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&me)->sin6_addr),
          "udp6 source toward ::1");
    close(u);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *res = NULL;
    int n = 0;
    CHECK(getaddrinfo(NULL, "9", &hints, &res) == 0, "getaddrinfo of the loopback, both families");
    for (struct addrinfo *r = res; r; r = r->ai_next)
        n++;
    CHECK(n == 2, "%d results", n);
    if (res)
        freeaddrinfo(res);
    /* a datagram longer than the buffer: what fits, MSG_TRUNC in msg_flags;
     * with MSG_TRUNC asked, its whole length */
    int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in here = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    len = sizeof(here);
    CHECK(bind(a, (struct sockaddr *)&here, sizeof(here)) == 0 && getsockname(a, (struct sockaddr *)&here, &len) == 0,
          "udp bind");
    char big[10] = "0123456789", small[4];
    struct iovec iov = { small, sizeof(small) };
    struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
    CHECK(sendto(b, big, 10, 0, (struct sockaddr *)&here, sizeof(here)) == 10 && recvmsg(a, &mh, 0) == 4 &&
              (mh.msg_flags & MSG_TRUNC) && memcmp(small, "0123", 4) == 0,
          "udp truncated: flags %#x", mh.msg_flags);
    CHECK(sendto(b, big, 10, 0, (struct sockaddr *)&here, sizeof(here)) == 10 && recv(a, small, 4, MSG_TRUNC) == 10,
          "udp MSG_TRUNC asked: the whole length");
    close(a);
    close(b);
    printf("sockets: udp source done\n");
}

/* 7. A new connection from the port an earlier one used, on the same
 * address pair, at once, after the server closed the earlier one first:
 * the server's side of it waits in TIME-WAIT, and as in Linux the new SYN
 * (its sequence number beyond the old connection's) ends the wait and
 * reaches the listener (net/tcp_timewait.c, net/tcp_isn.c). lwIP alone
 * answered it with a bare ACK for two minutes. */
static bool connect_within(int c, const struct sockaddr *sa, socklen_t len, int ms)
{
    int fl = fcntl(c, F_GETFL), err = 0;
    fcntl(c, F_SETFL, fl | O_NONBLOCK);
    int r = connect(c, sa, len);
    if (r == -1 && errno == EINPROGRESS) {
        struct pollfd p = { .fd = c, .events = POLLOUT };
        socklen_t el = sizeof(err);
        if (poll(&p, 1, ms) != 1)
            err = ETIMEDOUT;
        else if (getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
            err = errno;
        r = err ? -1 : 0;
    }
    int saved = errno;
    fcntl(c, F_SETFL, fl);
    errno = r == 0 ? 0 : err ? err : saved;
    return r == 0;
}

static void timewait_reuse(int family, int port)
{
    struct sockaddr_storage srv = { 0 }, cli = { 0 };
    socklen_t len;
    if (family == AF_INET) {
        struct sockaddr_in *a = (struct sockaddr_in *)&srv, *b = (struct sockaddr_in *)&cli;
        a->sin_family = b->sin_family = AF_INET;
        a->sin_addr.s_addr = b->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->sin_port = htons(port);
        b->sin_port = htons(port + 1);
        len = sizeof(*a);
    } else {
        *(struct sockaddr_in6 *)&srv = sin6_of(&in6addr_loopback, port);
        *(struct sockaddr_in6 *)&cli = sin6_of(&in6addr_loopback, port + 1);
        len = sizeof(struct sockaddr_in6);
    }
    int on = 1;
    int l = socket(family, SOCK_STREAM, 0);
    CHECK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0, "SO_REUSEADDR");
    CHECK(bind(l, (struct sockaddr *)&srv, len) == 0 && listen(l, 8) == 0, "timewait listener %d", port);
    for (int round = 0; round < 3; round++) {
        int c = -1;
        bool ok = false;
        /* The client's own side of the last round may still be in LAST-ACK
         * for a moment (the stack, not the call, takes the server's last
         * ACK): that is EADDRINUSE as in Linux, and passes. */
        for (int try = 0; try < 100 && !ok; try++) {
            if (c >= 0) {
                close(c);
                usleep(10000);
            }
            c = socket(family, SOCK_STREAM, 0);
            CHECK(setsockopt(c, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == 0, "SO_REUSEADDR");
            CHECK(bind(c, (struct sockaddr *)&cli, len) == 0, "family %d round %d: bind the client's port", family,
                  round);
            ok = connect_within(c, (struct sockaddr *)&srv, len, 5000);
            if (!ok && errno != EADDRINUSE && errno != EADDRNOTAVAIL)
                break;
        }
        CHECK(ok, "family %d round %d: a connection from the same port within 5 s", family, round);
        if (ok) {
            struct pollfd p = { .fd = l, .events = POLLIN };
            int a = poll(&p, 1, 5000) == 1 ? accept(l, NULL, NULL) : -1;
            CHECK(a >= 0, "family %d round %d: accept", family, round);
            char ch = 'q', buf[4];
            CHECK(write(c, &ch, 1) == 1, "client write");
            if (a >= 0) {
                CHECK(read(a, buf, 1) == 1 && buf[0] == 'q', "server read");
                CHECK(write(a, "r", 1) == 1, "server write");
                close(a); /* the server closes first: its side waits in TIME-WAIT */
            }
            CHECK(read_full(c, buf, sizeof(buf)) == 1 && buf[0] == 'r', "family %d round %d: answer, then the end",
                  family, round);
        }
        close(c);
    }
    close(l);
}

static void test_timewait_reuse(int port)
{
    timewait_reuse(AF_INET, port);
    timewait_reuse(AF_INET6, port + 2);
    printf("sockets: timewait reuse done\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool local = argc == 2 && strcmp(argv[1], "local") == 0;
    if (argc < 5 && !local) {
        printf("usage: sockets PORT UDPPORT HOSTPORT NCONN | sockets local\n");
        return 2;
    }
    int port = local ? 5000 : atoi(argv[1]);
    /* The exchange with the host over IPv6 waits for the SLAAC address
     * (seconds after boot): beside everything else, in its own thread. */
    pthread_t v6;
    int hostport6 = argc >= 6 ? atoi(argv[5]) : 0;
    if (hostport6)
        pthread_create(&v6, NULL, ipv6_client, &hostport6);
    self_path = argv[0];
    test_socketpair();
    test_scm_rights();
    test_errors();
    test_unix_names();
    loopback(port + 10);
    test_readiness(port + 11);
    drop_server(port + 12);
    test_ipv6(port + 20);
    test_udp_source();
    test_timewait_reuse(port + 30);
    if (local) { /* a machine without a NIC: what needs no network */
        printf("sockets: %d failures\n", failures);
        return failures ? 1 : 0;
    }
    int udpport = atoi(argv[2]), hostport = atoi(argv[3]), nconn = atoi(argv[4]);
    int s = listener(port);
    printf("sockets: listening on %d\n", port);
    echo_server(s, 0, nconn);
    concurrent_server(s);
    echo_server(s, nconn, 1); /* the last, a while after the others */
    close(s);
    udp_echo(udpport, 3);
    client(hostport);
    if (hostport6)
        pthread_join(v6, NULL);
    printf("sockets: %d failures\n", failures);
    return failures ? 1 : 0;
}
