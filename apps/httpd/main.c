/* httpd: a static-file HTTP/1.1 server (GET and HEAD, keep-alive, Range),
 * one thread per connection up to a cap, every wait bounded so that slow,
 * silent or hostile clients cost a slot for a while, never the server.
 * Request parsing is in http_parse.c (pure); files come through content.c. */
#include <errno.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "app.h"
#include "clock.h"
#include "content.h"
#include "http_parse.h"
#include "sched.h"

#define MAX_CONNS 32
#define IO_BUF (16 * 1024)
#define IDLE_TIMEOUT_MS 5000   /* keep-alive: the next request must start by then */
#define HEAD_TIMEOUT_MS 10000  /* a request head must be complete this long after its first byte */
#define SEND_TIMEOUT_MS 10000  /* a client that stops reading is dropped after this */
#define DRAIN_TIMEOUT_MS 500   /* after an error answer, reading what the client still sends */
#define CONN_STACK (16 * 1024)

struct conn {
    int fd;
    size_t have;
    char head[HTTP_HEAD_MAX];
    char io[IO_BUF];
};

static const char *root = "/";
static int stats_page;
static int active;
static unsigned long served, refused;

static uint64_t now_ms(void) { return clock_monotonic_ns() / 1000000; }

static void set_timeout(int fd, int opt, uint64_t ms)
{
    struct timeval tv = { (long)(ms / 1000), (long)(ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static int send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t k = send(fd, p, n, 0);
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int send_error(struct conn *c, int status, bool keep_alive)
{
    char body[160];
    int blen = snprintf(body, sizeof(body), "<html><body><h1>%d %s</h1></body></html>\n", status, http_reason(status));
    int n = snprintf(c->io, sizeof(c->io),
                     "HTTP/1.1 %d %s\r\nServer: kestrel-httpd\r\nContent-Type: text/html\r\n"
                     "Content-Length: %d\r\n%sConnection: %s\r\n\r\n%s",
                     status, http_reason(status), blen, status == 405 ? "Allow: GET, HEAD\r\n" : "",
                     keep_alive ? "keep-alive" : "close", body);
    return send_all(c->fd, c->io, (size_t)n);
}

static int send_stats(struct conn *c, const struct http_request *req)
{
    size_t bytes, pages, allocs;
    heap_stats(&bytes, &pages, &allocs);
    char body[200];
    int blen = snprintf(body, sizeof(body), "heap_bytes %zu\nheap_pages %zu\nheap_allocs %zu\nconnections %d\n",
                        bytes, pages, allocs, __atomic_load_n(&active, __ATOMIC_RELAXED));
    int n = snprintf(c->io, sizeof(c->io),
                     "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                     "Cache-Control: no-store\r\nConnection: %s\r\n\r\n%s",
                     blen, req->keep_alive ? "keep-alive" : "close", req->method == HTTP_HEAD ? "" : body);
    return send_all(c->fd, c->io, (size_t)n);
}

/* The headers, then the body in IO_BUF pieces (the first one after the headers). */
static int send_file(struct conn *c, const struct http_request *req, const struct content *f)
{
    uint64_t start = 0, count = f->size;
    int partial = http_resolve_range(&req->range, f->size, &start, &count);
    if (partial < 0) {
        int n = snprintf(c->io, sizeof(c->io),
                         "HTTP/1.1 416 %s\r\nContent-Range: bytes */%llu\r\nContent-Length: 0\r\n"
                         "Connection: %s\r\n\r\n",
                         http_reason(416), (unsigned long long)f->size, req->keep_alive ? "keep-alive" : "close");
        return send_all(c->fd, c->io, (size_t)n);
    }
    char range[80] = "";
    if (partial)
        snprintf(range, sizeof(range), "Content-Range: bytes %llu-%llu/%llu\r\n", (unsigned long long)start,
                 (unsigned long long)(start + count - 1), (unsigned long long)f->size);
    int n = snprintf(c->io, sizeof(c->io),
                     "HTTP/1.1 %d %s\r\nServer: kestrel-httpd\r\nContent-Type: %s\r\nContent-Length: %llu\r\n"
                     "Accept-Ranges: bytes\r\n%sConnection: %s\r\n\r\n",
                     partial ? 206 : 200, http_reason(partial ? 206 : 200), http_content_type(f->name),
                     (unsigned long long)count, range, req->keep_alive ? "keep-alive" : "close");
    size_t used = (size_t)n;
    if (req->method == HTTP_HEAD)
        count = 0;
    while (count || used) {
        size_t want = sizeof(c->io) - used < count ? sizeof(c->io) - used : (size_t)count;
        long got = want ? f->read_at(f, start, c->io + used, want) : 0;
        if (got < 0 || (want && got == 0))
            return -1; /* the headers promised a length: cut the connection */
        start += (uint64_t)got;
        count -= (uint64_t)got;
        if (send_all(c->fd, c->io, used + (size_t)got) < 0)
            return -1;
        used = 0;
    }
    return 0;
}

static int respond(struct conn *c, const struct http_request *req)
{
    if (req->status)
        return send_error(c, req->status, req->keep_alive);
    if (stats_page && strcmp(req->path, "/_stats") == 0)
        return send_stats(c, req);
    struct content f;
    int rc = content_open(root, req->path, &f);
    if (rc == -ENOENT)
        return send_error(c, 404, req->keep_alive);
    if (rc < 0)
        return send_error(c, 500, req->keep_alive);
    rc = send_file(c, req, &f);
    content_close(&f);
    return rc;
}

/* Reads until one whole head is buffered: its length, or 0 if the client
 * went away or ran out of time. */
static size_t read_head(struct conn *c, struct http_request *req)
{
    uint64_t deadline = now_ms() + (c->have ? HEAD_TIMEOUT_MS : IDLE_TIMEOUT_MS);
    bool started = c->have > 0;
    for (;;) {
        if (c->have) {
            size_t used = http_parse_request(c->head, c->have, req);
            if (used)
                return used;
        }
        uint64_t now = now_ms();
        if (now >= deadline)
            return 0;
        set_timeout(c->fd, SO_RCVTIMEO, deadline - now);
        ssize_t n = recv(c->fd, c->head + c->have, sizeof(c->head) - c->have, 0);
        if (n <= 0)
            return 0;
        c->have += (size_t)n;
        if (!started) {
            started = true;
            deadline = now_ms() + HEAD_TIMEOUT_MS;
        }
    }
}

/* After an error that ends the connection: stop sending, and read (and
 * drop) what the client still sends for a moment, so that closing with
 * unread data does not reset the connection before it reads our answer. */
static void lingering_close(int fd)
{
    shutdown(fd, SHUT_WR);
    uint64_t deadline = now_ms() + DRAIN_TIMEOUT_MS;
    char sink[512];
    for (uint64_t now = now_ms(); now < deadline; now = now_ms()) {
        set_timeout(fd, SO_RCVTIMEO, deadline - now);
        if (recv(fd, sink, sizeof(sink), 0) <= 0)
            break;
    }
}

static void serve(struct conn *c)
{
    for (;;) {
        struct http_request req;
        size_t used = read_head(c, &req);
        if (!used)
            return;
        bool blank = req.status == 0 && req.path[0] == 0;
        int rc = blank ? 0 : respond(c, &req);
        memmove(c->head, c->head + used, c->have - used);
        c->have -= used;
        if (rc < 0)
            return;
        if (!blank)
            __atomic_add_fetch(&served, 1, __ATOMIC_RELAXED);
        if (!blank && !req.keep_alive) {
            if (req.status)
                lingering_close(c->fd);
            return;
        }
    }
}

static void *conn_thread(void *arg)
{
    struct conn *c = arg;
    serve(c);
    close(c->fd);
    free(c);
    __atomic_sub_fetch(&active, 1, __ATOMIC_RELAXED);
    return NULL;
}

static void start_conn(int fd)
{
    if (__atomic_add_fetch(&active, 1, __ATOMIC_RELAXED) > MAX_CONNS) {
        __atomic_sub_fetch(&active, 1, __ATOMIC_RELAXED);
        refused++;
        close(fd);
        return;
    }
    /* Before the thread exists: once it runs, the socket is its alone (it
     * may close it at once, and lwIP sockets are not safe against a call
     * from another thread racing their close). */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    set_timeout(fd, SO_SNDTIMEO, SEND_TIMEOUT_MS);
    struct conn *c = malloc(sizeof(*c));
    struct thread *t = NULL;
    if (c) {
        c->fd = fd;
        c->have = 0;
        t = thread_create("http", conn_thread, c, CONN_STACK);
    }
    if (!t) {
        free(c);
        close(fd);
        __atomic_sub_fetch(&active, 1, __ATOMIC_RELAXED);
        return;
    }
    thread_detach(t);
}

static int usage(void)
{
    printf("usage: httpd [--port N] [--root DIR] [--stats]\n");
    return 2;
}

static int parse_args(int argc, char **argv, int *port)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--stats") == 0) {
            stats_page = 1;
        } else if ((strcmp(a, "--port") == 0 || strcmp(a, "--root") == 0) && i + 1 < argc) {
            if (a[2] == 'r') {
                root = argv[++i];
                continue;
            }
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 1 || p > 65535)
                return -1;
            *port = (int)p;
        } else {
            return -1;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    int port = 80;
    if (parse_args(argc, argv, &port) < 0)
        return usage();
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    if (ls < 0) {
        printf("httpd: socket: errno %d (no network device?)\n", errno);
        return 1;
    }
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_ANY);
    if (bind(ls, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(ls, 64) < 0) {
        printf("httpd: cannot listen on port %d: errno %d\n", port, errno);
        return 1;
    }
    printf("httpd: listening on port %d, root %s, up to %d connections\n", port, root, MAX_CONNS);
    for (;;) {
        int fd = accept(ls, NULL, NULL);
        if (fd < 0) {
            thread_sleep_ns(10 * 1000000ull); /* out of sockets: let connections finish */
            continue;
        }
        start_conn(fd);
    }
}
