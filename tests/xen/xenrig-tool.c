/*
 * xenrig-tool: the small static helper of tests/xen/run, built on the host with
 * `gcc -static` and used inside the Xen rig, both by dom0 (disk image, frame
 * sender, disk check) and by the rig's own Linux self-test guest (which plays
 * the Kestrel guest contract so the rig can be tested without Kestrel).
 *
 * dom0 commands:
 *   mkdisk FILE SECTORS              sector n = "XENRIG-SECTOR-%08d" + fill (n & 0xff)
 *   checkdisk FILE SECTORS WSTART WCOUNT
 *                                    as mkdisk, except sectors WSTART.. WSTART+WCOUNT-1 must be
 *                                    "KESTREL-WROTE-%08d" + fill 0xa5; prints a summary, exit 0 if all match
 *   netecho-send IFACE DSTMAC COUNT  sends COUNT raw frames (ethertype 0x88b5, 60..1514 bytes) out of IFACE
 *                                    to DSTMAC, waits for each to come back with the MACs swapped and the
 *                                    payload intact; exit 0 if all came back intact
 *   httpget IP PORT PATH OUT         HTTP/1.0 GET; a 200 answer's body (Content-Length must match) goes
 *                                    to OUT; exit 0 only then (dom0's busybox wget crashes here)
 *   xs-wait PATH SECONDS             watches PATH until it holds a non-empty value, prints it; killed by
 *                                    SIGALRM after SECONDS
 *   lines FILE...                    the complete lines of each FILE (a log still being written: a
 *                                    half-written last line is left out); missing files print nothing
 * guest commands (Linux self-test guest only):
 *   say TEXT...                      prints TEXT on stdout and on the Xen debug port 0xe9
 *   guest-blk DEV SECTORS WSTART WCOUNT
 *   guest-echo IFACE                 echoes 0x88b5 frames back with swapped MACs, for ever
 *   xs-read PATH | xs-write PATH VALUE  (dom0 too)
 *   xs-pingpong                      watches data/ping, prints KESTREL-XEN-XS-READY once the watch is set,
 *                                    copies the first value of data/ping to data/pong
 * xenstore goes through libxenstore (Debian's libxen-dev, linked statically).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <xenstore.h>
#include "xenrig-lines.h"

#define SECTOR 512
#define ETHERTYPE_RIG 0x88b5

static int e9_ok = -1;

/* Only under Xen: elsewhere (the host tests of this tool) port 0xe9 is nobody's. */
static int on_xen(void)
{
    char type[8] = "";
    FILE *f = fopen("/sys/hypervisor/type", "r");
    if (!f)
        return 0;
    int ok = fgets(type, sizeof type, f) && strncmp(type, "xen", 3) == 0;
    fclose(f);
    return ok;
}

static void e9_puts(const char *s)
{
    if (e9_ok < 0)
        e9_ok = on_xen() && ioperm(0xe9, 1, 1) == 0;
    if (!e9_ok)
        return;
    for (; *s; s++)
        outb((unsigned char)*s, 0xe9);
    outb('\n', 0xe9);
}

/* A marker line: stdout (the console) and the Xen debug port. */
static void say(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    printf("%s\n", buf);
    fflush(stdout);
    e9_puts(buf);
}

static void expected_sector(uint8_t *s, long n, long wstart, long wcount)
{
    char head[32];
    int written = wcount > 0 && n >= wstart && n < wstart + wcount;
    int len = snprintf(head, sizeof head, written ? "KESTREL-WROTE-%08ld" : "XENRIG-SECTOR-%08ld", n);
    memset(s, written ? 0xa5 : (int)(n & 0xff), SECTOR);
    memcpy(s, head, len);
}

static int cmd_mkdisk(const char *file, long sectors)
{
    FILE *f = fopen(file, "wb");
    uint8_t s[SECTOR];
    if (!f) {
        perror(file);
        return 1;
    }
    for (long n = 0; n < sectors; n++) {
        expected_sector(s, n, 0, 0);
        if (fwrite(s, SECTOR, 1, f) != 1) {
            perror("write");
            return 1;
        }
    }
    return fclose(f) ? 1 : 0;
}

static void show(const uint8_t *s, char *out, size_t n)
{
    size_t i;
    for (i = 0; i + 1 < n && i < 24; i++)
        out[i] = s[i] >= 32 && s[i] < 127 ? s[i] : '.';
    out[i] = 0;
}

/* Returns the number of sectors that differ; describes the first few in *why. */
static long compare_disk(int fd, long sectors, long wstart, long wcount, char *why, size_t whylen)
{
    uint8_t got[SECTOR], want[SECTOR];
    long bad = 0;
    size_t used = 0;
    why[0] = 0;
    for (long n = 0; n < sectors; n++) {
        ssize_t r = pread(fd, got, SECTOR, (off_t)n * SECTOR);
        expected_sector(want, n, wstart, wcount);
        if (r != SECTOR || memcmp(got, want, SECTOR)) {
            if (bad < 4 && used < whylen) {
                char a[32] = "(short read)";
                if (r == SECTOR)
                    show(got, a, sizeof a);
                used += snprintf(why + used, whylen - used, "%ssector %ld has \"%s\"", bad ? "; " : "", n, a);
            }
            bad++;
        }
    }
    return bad;
}

static int cmd_checkdisk(const char *file, long sectors, long wstart, long wcount)
{
    char why[400];
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        printf("cannot open %s: %s\n", file, strerror(errno));
        return 1;
    }
    long bad = compare_disk(fd, sectors, wstart, wcount, why, sizeof why);
    if (bad) {
        printf("%ld of %ld sectors differ: %s\n", bad, sectors, why);
        return 1;
    }
    printf("all %ld sectors as expected (%ld..%ld rewritten, the rest untouched)\n", sectors, wstart,
           wstart + wcount - 1);
    return 0;
}

static int cmd_guest_blk(const char *dev, long sectors, long wstart, long wcount)
{
    char why[400];
    uint8_t s[SECTOR];
    int fd = open(dev, O_RDWR | O_DIRECT);
    if (fd < 0)
        fd = open(dev, O_RDWR);
    if (fd < 0) {
        say("KESTREL-XEN-BLK fail open %s: %s", dev, strerror(errno));
        return 1;
    }
    /* O_DIRECT wants aligned buffers: read through an aligned copy. */
    uint8_t *al = aligned_alloc(4096, 4096);
    long bad = 0;
    for (long n = 0; n < sectors; n += 8) {
        if (pread(fd, al, 4096, (off_t)n * SECTOR) != 4096) {
            say("KESTREL-XEN-BLK fail read at sector %ld: %s", n, strerror(errno));
            return 1;
        }
        for (int i = 0; i < 8; i++) {
            expected_sector(s, n + i, 0, 0);
            if (memcmp(s, al + i * SECTOR, SECTOR)) {
                if (!bad)
                    snprintf(why, sizeof why, "sector %ld does not match", n + i);
                bad++;
            }
        }
    }
    if (bad) {
        say("KESTREL-XEN-BLK fail %s (%ld bad sectors)", why, bad);
        return 1;
    }
    for (long n = wstart; n < wstart + wcount; n++)
        expected_sector(al + (n - wstart) * SECTOR, n, wstart, wcount);
    if (pwrite(fd, al, wcount * SECTOR, (off_t)wstart * SECTOR) != wcount * SECTOR) {
        say("KESTREL-XEN-BLK fail write: %s", strerror(errno));
        return 1;
    }
    if (fsync(fd)) {
        say("KESTREL-XEN-BLK fail flush: %s", strerror(errno));
        return 1;
    }
    say("KESTREL-XEN-BLK ok");
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned m[6];
    if (sscanf(s, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) != 6)
        return -1;
    for (int i = 0; i < 6; i++)
        mac[i] = m[i];
    return 0;
}

/* ETH_P_ALL: a protocol-specific packet socket on a bridge port sees nothing the port receives,
 * because the bridge's rx_handler takes the frame first; the ETH_P_ALL taps run before it. */
static int packet_socket(const char *iface, int *ifindex)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    struct sockaddr_ll sll = { 0 };
    if (fd < 0) {
        perror("socket(AF_PACKET)");
        return -1;
    }
    *ifindex = if_nametoindex(iface);
    if (!*ifindex) {
        fprintf(stderr, "no interface %s\n", iface);
        return -1;
    }
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = *ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll)) {
        perror("bind");
        return -1;
    }
    return fd;
}

static uint32_t xorshift(uint32_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 17;
    *x ^= *x << 5;
    return *x;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

/* Frame layout: dst(6) src(6) type 0x88b5(2), then "XRIG", seq (be32), length (be16),
 * then xorshift bytes seeded by the sequence number. */
static int cmd_netecho_send(const char *iface, const char *dststr, int count)
{
    static const uint8_t src[6] = { 0x02, 0x58, 0x52, 0x49, 0x47, 0x01 };
    uint8_t dst[6], frame[1514], back[2048];
    int ifindex, ok = 0, bad = 0, lost = 0;
    uint32_t sizes = 0x2545f491;
    double t0 = now();
    if (parse_mac(dststr, dst)) {
        printf("bad mac %s\n", dststr);
        return 1;
    }
    int fd = packet_socket(iface, &ifindex);
    if (fd < 0)
        return 1;
    for (int seq = 0; seq < count; seq++) {
        int len = seq == 0 ? 60 : seq == 1 ? 1514 : seq == 2 ? 61 : 60 + (int)(xorshift(&sizes) % 1455);
        uint32_t x = 0x9e3779b9u ^ (uint32_t)seq * 2654435761u;
        if (!x)
            x = 1;
        memcpy(frame, dst, 6);
        memcpy(frame + 6, src, 6);
        frame[12] = ETHERTYPE_RIG >> 8;
        frame[13] = ETHERTYPE_RIG & 0xff;
        memcpy(frame + 14, "XRIG", 4);
        frame[18] = seq >> 24, frame[19] = seq >> 16, frame[20] = seq >> 8, frame[21] = seq;
        frame[22] = len >> 8, frame[23] = len;
        for (int i = 24; i < len; i++)
            frame[i] = xorshift(&x);
        struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
        memcpy(to.sll_addr, dst, 6);
        if (sendto(fd, frame, len, 0, (struct sockaddr *)&to, sizeof to) != len) {
            printf("frame %d (%d bytes): send failed: %s\n", seq, len, strerror(errno));
            bad++;
            continue;
        }
        double deadline = now() + 5.0;
        int got = 0;
        while (!got) {
            double left = deadline - now();
            if (left <= 0)
                break;
            struct pollfd p = { .fd = fd, .events = POLLIN };
            if (poll(&p, 1, (int)(left * 1000) + 1) <= 0)
                continue;
            struct sockaddr_ll from;
            socklen_t fl = sizeof from;
            ssize_t r = recvfrom(fd, back, sizeof back, 0, (struct sockaddr *)&from, &fl);
            if (r < 0 || from.sll_pkttype == PACKET_OUTGOING)
                continue;
            if (r < 24 || back[12] != ETHERTYPE_RIG >> 8 || back[13] != (ETHERTYPE_RIG & 0xff) ||
                memcmp(back + 14, "XRIG", 4))
                continue;
            int rseq = back[18] << 24 | back[19] << 16 | back[20] << 8 | back[21];
            if (rseq != seq) {
                printf("frame %d: stray echo of frame %d (%zd bytes)\n", seq, rseq, r);
                continue;
            }
            got = 1;
            if (r != len || memcmp(back + 14, frame + 14, len - 14)) {
                int at = -1;
                for (int i = 14; i < len && i < r; i++)
                    if (back[i] != frame[i]) {
                        at = i;
                        break;
                    }
                printf("frame %d: sent %d bytes, got %zd back, first difference at byte %d\n", seq, len, r, at);
                bad++;
            } else if (memcmp(back, src, 6) || memcmp(back + 6, dst, 6)) {
                printf("frame %d: payload intact but MACs not swapped: dst %02x:%02x:%02x:%02x:%02x:%02x "
                       "src %02x:%02x:%02x:%02x:%02x:%02x\n", seq, back[0], back[1], back[2], back[3], back[4],
                       back[5], back[6], back[7], back[8], back[9], back[10], back[11]);
                bad++;
            } else {
                ok++;
            }
        }
        if (!got) {
            printf("frame %d (%d bytes): no echo within 5 s\n", seq, len);
            lost++;
            if (lost == seq + 1 && lost == 3) {
                printf("no echo for the first 3 frames: giving up\n");
                break;
            }
        }
    }
    printf("%d frames (60..1514 bytes) to %s: %d echoed intact, %d corrupted or not swapped, %d lost, %.2f s\n",
           count, dststr, ok, bad, lost, now() - t0);
    return ok == count ? 0 : 1;
}

static int cmd_guest_echo(const char *iface)
{
    uint8_t buf[2048], tmp[6];
    int ifindex;
    int fd = packet_socket(iface, &ifindex);
    if (fd < 0)
        return 1;
    for (;;) {
        struct sockaddr_ll from;
        socklen_t fl = sizeof from;
        ssize_t r = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        if (r < 14 || from.sll_pkttype == PACKET_OUTGOING || buf[12] != ETHERTYPE_RIG >> 8 ||
            buf[13] != (ETHERTYPE_RIG & 0xff))
            continue;
        memcpy(tmp, buf, 6);
        memcpy(buf, buf + 6, 6);
        memcpy(buf + 6, tmp, 6);
        struct sockaddr_ll to = { .sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6 };
        memcpy(to.sll_addr, buf, 6);
        sendto(fd, buf, r, 0, (struct sockaddr *)&to, sizeof to);
    }
}

/* xenstore through Xen's own client library (libxenstore, linked statically): xenstored's socket in
 * dom0, the xenbus device in a guest. Relative paths are the domain's home. The static library has no
 * reader thread, so a watch event arriving while a read waits for its reply breaks the connection:
 * watches get a connection of their own, reads and writes another. */
static struct xs_handle *open_xs(struct xs_handle **h)
{
    if (!*h && !(*h = xs_open(0)))
        perror("xs_open");
    return *h;
}
static struct xs_handle *xs_rw(void)
{
    static struct xs_handle *h;
    return open_xs(&h);
}
static struct xs_handle *xs_watcher(void)
{
    static struct xs_handle *h;
    return open_xs(&h);
}

/* The value at path (NUL-terminated, cut to max) or -1. */
static int xs_get(const char *path, char *out, size_t max)
{
    unsigned len;
    char *v = xs_rw() ? xs_read(xs_rw(), XBT_NULL, path, &len) : NULL;
    if (!v)
        return -1;
    snprintf(out, max, "%.*s", (int)len, v);
    free(v);
    return 0;
}

static int xs_put(const char *path, const char *value)
{
    return xs_rw() && xs_write(xs_rw(), XBT_NULL, path, value, strlen(value)) ? 0 : -1;
}

static int xs_watch_path(const char *path)
{
    if (!xs_watcher() || !xs_watch(xs_watcher(), path, "xenrig"))
        return -1;
    return 0;
}

/* After xs_watch_path(path): blocks until path holds a non-empty value, left in out. The watch fires
 * once when set, then on every change: no polling. */
static int xs_wait_value(const char *path, char *out, size_t max)
{
    while (xs_get(path, out, max) || !out[0]) {
        unsigned n;
        char **ev = xs_read_watch(xs_watcher(), &n);
        if (!ev)
            return -1;
        free(ev);
    }
    return 0;
}

static int cmd_xs_pingpong(void)
{
    char val[1024];
    if (xs_watch_path("data/ping")) {
        say("KESTREL-XEN-XS fail watch (%s)", strerror(errno));
        return 1;
    }
    say("KESTREL-XEN-XS-READY");
    if (xs_wait_value("data/ping", val, sizeof val))
        return 1;
    if (xs_put("data/pong", val)) {
        say("KESTREL-XEN-XS fail write data/pong");
        return 1;
    }
    say("KESTREL-XEN-XS pong=%s", val);
    return 0;
}

/* One GET over HTTP/1.0 with a 30 s limit on each step; the head is kept in
 * memory, the body streamed to out. */
static int cmd_httpget(const char *ip, int port, const char *path, const char *out)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, ip, &a.sin_addr) != 1)
        return fprintf(stderr, "httpget: bad address %s\n", ip), 2;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval tv = { 30, 0 };
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (s < 0 || connect(s, (struct sockaddr *)&a, sizeof a) < 0)
        return fprintf(stderr, "httpget: connect %s:%d: %s\n", ip, port, strerror(errno)), 1;
    char req[512];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, ip);
    if (write(s, req, (size_t)n) != n)
        return fprintf(stderr, "httpget: send: %s\n", strerror(errno)), 1;
    static char buf[1 << 16];
    size_t have = 0;
    char *end = NULL;
    while (!end && have < sizeof buf - 1) {
        ssize_t r = read(s, buf + have, sizeof buf - 1 - have);
        if (r <= 0)
            return fprintf(stderr, "httpget: no complete answer head (%zu bytes)\n", have), 1;
        have += (size_t)r;
        buf[have] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    if (!end || strncmp(buf, "HTTP/1.", 7) || atoi(buf + 9) != 200)
        return fprintf(stderr, "httpget: answer: %.60s\n", buf), 1;
    const char *cl = strstr(buf, "Content-Length:");
    if (!cl || cl > end)
        return fprintf(stderr, "httpget: no Content-Length\n"), 1;
    long want = atol(cl + 15), got = 0;
    FILE *f = fopen(out, "wb");
    if (!f)
        return fprintf(stderr, "httpget: %s: %s\n", out, strerror(errno)), 1;
    size_t body = have - (size_t)(end + 4 - buf);
    fwrite(end + 4, 1, body, f);
    got = (long)body;
    for (ssize_t r; (r = read(s, buf, sizeof buf)) > 0; got += r)
        fwrite(buf, 1, (size_t)r, f);
    fclose(f);
    close(s);
    if (got != want)
        return fprintf(stderr, "httpget: %ld body bytes, Content-Length %ld\n", got, want), 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *c = argc > 1 ? argv[1] : "";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!strcmp(c, "mkdisk") && argc == 4)
        return cmd_mkdisk(argv[2], atol(argv[3]));
    if (!strcmp(c, "checkdisk") && argc == 6)
        return cmd_checkdisk(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
    if (!strcmp(c, "netecho-send") && argc == 5)
        return cmd_netecho_send(argv[2], argv[3], atoi(argv[4]));
    if (!strcmp(c, "httpget") && argc == 6)
        return cmd_httpget(argv[2], atoi(argv[3]), argv[4], argv[5]);
    if (!strcmp(c, "guest-blk") && argc == 6)
        return cmd_guest_blk(argv[2], atol(argv[3]), atol(argv[4]), atol(argv[5]));
    if (!strcmp(c, "guest-echo") && argc == 3)
        return cmd_guest_echo(argv[2]);
    if (!strcmp(c, "xs-pingpong"))
        return cmd_xs_pingpong();
    if (!strcmp(c, "xs-read") && argc == 3) {
        char v[1024];
        if (xs_get(argv[2], v, sizeof v))
            return 1;
        printf("%s\n", v);
        return 0;
    }
    if (!strcmp(c, "xs-write") && argc == 4)
        return xs_put(argv[2], argv[3]) ? 1 : 0;
    if (!strcmp(c, "xs-wait") && argc == 4) {
        char v[1024];
        alarm((unsigned)atoi(argv[3])); /* the bound: SIGALRM ends the wait (and the process) */
        if (xs_watch_path(argv[2]) || xs_wait_value(argv[2], v, sizeof v))
            return 1;
        printf("%s\n", v);
        return 0;
    }
    if (!strcmp(c, "lines") && argc >= 2) {
        for (int i = 2; i < argc; i++)
            if (copy_complete_lines(argv[i], stdout) < 0)
                return 1;
        return 0;
    }
    if (!strcmp(c, "say") && argc >= 2) {
        char line[512] = "";
        size_t u = 0;
        for (int i = 2; i < argc && u < sizeof line; i++)
            u += snprintf(line + u, sizeof line - u, "%s%s", i > 2 ? " " : "", argv[i]);
        say("%s", line);
        return 0;
    }
    fprintf(stderr, "usage: see the comment at the top of tests/xen/xenrig-tool.c\n");
    return 2;
}
