/* netcheck: the socket calls a client app makes, against servers the boot
 * test runs on the host (reached through QEMU user networking at 10.0.2.2):
 * getaddrinfo (numeric and through DNS), connect, send/recv with shutdown,
 * sendto/recvfrom with poll, and the errno values of failures.
 * usage: netcheck TCP_ECHO_PORT UDP_ECHO_PORT NAME */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "net.h"

#define HOST "10.0.2.2"
#define TCP_BYTES (256 * 1024)

static unsigned char pattern(size_t i) { return (unsigned char)(i * 7 + (i >> 8)); }

static int resolve(const char *name, const char *port, int type, struct sockaddr_in *out)
{
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = type;
    int rc = getaddrinfo(name, port, &hints, &res);
    if (rc != 0 || !res) {
        printf("netcheck: getaddrinfo %s: error %d\n", name, rc);
        return -1;
    }
    memcpy(out, res->ai_addr, sizeof(*out));
    freeaddrinfo(res);
    return 0;
}

static int tcp_echo(const char *port)
{
    struct sockaddr_in sa;
    if (resolve(HOST, port, SOCK_STREAM, &sa) < 0)
        return -1;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        printf("netcheck: tcp connect: errno %d\n", errno);
        return -1;
    }
    static unsigned char out[TCP_BYTES], in[TCP_BYTES];
    for (size_t i = 0; i < sizeof(out); i++)
        out[i] = pattern(i);
    size_t sent = 0, got = 0;
    while (sent < sizeof(out)) {
        ssize_t n = send(s, out + sent, sizeof(out) - sent, 0);
        if (n <= 0) {
            printf("netcheck: tcp send: errno %d\n", errno);
            return -1;
        }
        sent += (size_t)n;
        /* Read as we go: the echo server's buffers are finite. */
        struct pollfd p = { s, POLLIN, 0 };
        while (poll(&p, 1, 0) > 0 && got < sizeof(in)) {
            ssize_t k = recv(s, in + got, sizeof(in) - got, 0);
            if (k <= 0)
                break;
            got += (size_t)k;
        }
    }
    shutdown(s, SHUT_WR);
    for (;;) {
        ssize_t k = recv(s, in + got, sizeof(in) - got, 0);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(s);
    int same = got == sizeof(in) && memcmp(in, out, sizeof(in)) == 0;
    printf("netcheck: tcp echo %zu of %zu bytes, %s\n", got, sizeof(out), same ? "intact" : "DIFFERENT");
    return same ? 0 : -1;
}

static int udp_echo(const char *port)
{
    struct sockaddr_in sa, from;
    if (resolve(HOST, port, SOCK_DGRAM, &sa) < 0)
        return -1;
    int s = socket(AF_INET, SOCK_DGRAM, 0);
    int ok = 0;
    for (int i = 0; i < 10; i++) {
        char msg[64], reply[64];
        int n = snprintf(msg, sizeof(msg), "kestrel udp %d", i);
        if (sendto(s, msg, (size_t)n, 0, (struct sockaddr *)&sa, sizeof(sa)) != n)
            continue;
        struct pollfd p = { s, POLLIN, 0 };
        if (poll(&p, 1, 2000) != 1 || !(p.revents & POLLIN))
            continue;
        socklen_t fl = sizeof(from);
        ssize_t k = recvfrom(s, reply, sizeof(reply), 0, (struct sockaddr *)&from, &fl);
        if (k == n && memcmp(reply, msg, (size_t)n) == 0 && from.sin_port == sa.sin_port)
            ok++;
    }
    close(s);
    printf("netcheck: udp echo %d of 10\n", ok);
    return ok == 10 ? 0 : -1;
}

static void errors(void)
{
    struct sockaddr_in sa;
    resolve(HOST, "1", SOCK_STREAM, &sa); /* nothing listens on port 1 */
    int s = socket(AF_INET, SOCK_STREAM, 0);
    int rc = connect(s, (struct sockaddr *)&sa, sizeof(sa));
    printf("netcheck: connect to a closed port: %d errno %d\n", rc, rc < 0 ? errno : 0);
    close(s);
    char b;
    rc = (int)recv(12345, &b, 1, 0);
    printf("netcheck: recv on a bad descriptor: %d errno %d\n", rc, rc < 0 ? errno : 0);
    rc = socket(AF_INET, 12345, 0);
    printf("netcheck: socket of an unknown type: %d errno %d\n", rc, rc < 0 ? errno : 0);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        printf("usage: netcheck TCP_ECHO_PORT UDP_ECHO_PORT NAME\n");
        return 2;
    }
    if (net_wait_configured(30ull * 1000000000) < 0) {
        printf("netcheck: no address after 30 s\n");
        return 1;
    }
    int failed = 0;
    struct sockaddr_in sa;
    if (resolve(argv[3], "80", SOCK_STREAM, &sa) == 0) {
        char a[16];
        uint32_t v = ntohl(sa.sin_addr.s_addr);
        snprintf(a, sizeof(a), "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255, v & 255);
        printf("netcheck: %s is %s\n", argv[3], a);
    } else {
        failed++;
    }
    failed += tcp_echo(argv[1]) < 0;
    failed += udp_echo(argv[2]) < 0;
    errors();
    printf("netcheck: %s\n", failed ? "FAILED" : "done");
    return failed ? 1 : 0;
}
