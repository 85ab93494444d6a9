/* Cloud metadata clients: EC2 IMDSv2 (a PUT for a session token, then GETs
 * carrying it) and GCE (GETs with Metadata-Flavor: Google), one bounded
 * HTTP/1.1 request per connection, each with a deadline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "clock.h"
#include "cloud_meta.h"
#include "http_response.h"
#include "log.h"
#include "net.h"
#include "netdev.h"
#include "platform.h"

#define META_ADDR "169.254.169.254"
#define META_PORT 80
#define REQUEST_TIMEOUT_NS (3ull * 1000000000ull)
#define NET_WAIT_NS (15ull * 1000000000ull)
#define ANSWER_MAX (HTTP_RESP_HEAD_MAX + HTTP_RESP_BODY_MAX)
#define TOKEN_MAX 256
#define ID_MAX 128

struct dialect {
    const char *name;
    const char *id_path;
    const char *user_data_path;
    const char *header; /* sent with every GET; for EC2 "X-aws-ec2-metadata-token: " + token */
    bool token;
};

static const struct dialect ec2 = {
    "ec2", "/latest/meta-data/instance-id", "/latest/user-data", "X-aws-ec2-metadata-token: ", true,
};
static const struct dialect gce = {
    "gce", "/computeMetadata/v1/instance/id", "/computeMetadata/v1/instance/attributes/user-data",
    "Metadata-Flavor: Google", false,
};

/* Allocated only when --cloud-config asks, so that no boot pays for them. */
static char *answer;    /* ANSWER_MAX + 1 */
static char *user_data; /* the new argv points into it: never freed once used */
static struct kernel_options ud_opts;

static uint64_t ms_left(uint64_t deadline)
{
    uint64_t now = clock_monotonic_ns();
    return now >= deadline ? 0 : (deadline - now) / 1000000 + 1;
}

/* Waits for fd to be ready for events until deadline: 0, or -ETIMEDOUT. */
static int wait_ready(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t ms = ms_left(deadline);
        if (!ms)
            return -ETIMEDOUT;
        struct pollfd p = { .fd = fd, .events = events };
        int k = poll(&p, 1, (int)ms);
        if (k > 0)
            return 0;
        if (k < 0 && errno != EINTR)
            return -errno;
    }
}

static int connect_meta(uint64_t deadline)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -errno;
    int on = 1;
    ioctlsocket(fd, FIONBIO, &on);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(META_PORT) };
    inet_aton(META_ADDR, &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
        int e = -errno;
        close(fd);
        return e;
    }
    int e = wait_ready(fd, POLLOUT, deadline);
    int soerr = 0;
    socklen_t sl = sizeof(soerr);
    if (!e && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr)
        e = -soerr;
    if (e) {
        close(fd);
        return e;
    }
    return fd;
}

static int send_all(int fd, const char *p, size_t n, uint64_t deadline)
{
    while (n) {
        long k = send(fd, p, n, 0);
        if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        if (k > 0) {
            p += k;
            n -= (size_t)k;
            continue;
        }
        int e = wait_ready(fd, POLLOUT, deadline);
        if (e)
            return e;
    }
    return 0;
}

/* Reads until the answer parses, is refused, or the deadline passes. */
static int read_answer(int fd, uint64_t deadline, struct http_response *r, enum http_resp_error *perr)
{
    size_t len = 0;
    for (;;) {
        *perr = http_response_parse(answer, len, r);
        if (*perr != HTTP_RESP_INCOMPLETE)
            return *perr == HTTP_RESP_OK ? 0 : -EPROTO;
        if (len == ANSWER_MAX) {
            *perr = HTTP_RESP_TOO_LARGE;
            return -EPROTO;
        }
        long k = recv(fd, answer + len, ANSWER_MAX - len, 0);
        if (k > 0) {
            len += (size_t)k;
            continue;
        }
        if (k == 0)
            return -EPROTO; /* closed early: *perr stays INCOMPLETE, a truncated answer */
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -errno;
        int e = wait_ready(fd, POLLIN, deadline);
        if (e)
            return e;
    }
}

/* One request; on success the body is at *body (NUL-terminated in answer). */
static int request(const struct dialect *d, const char *method, const char *path, const char *header,
                   const char **body, size_t *body_len)
{
    char req[512];
    int n = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: " META_ADDR "\r\n%s%sConnection: close\r\n\r\n",
                     method, path, header ? header : "", header ? "\r\n" : "");
    if (n < 0 || (size_t)n >= sizeof(req))
        return -E2BIG;
    uint64_t deadline = clock_monotonic_ns() + REQUEST_TIMEOUT_NS;
    int fd = connect_meta(deadline);
    if (fd < 0) {
        pr_warn("cloud: %s %s %s: cannot connect to " META_ADDR ":%d: %s\n", d->name, method, path, META_PORT,
                fd == -ETIMEDOUT ? "no answer within 3 s" : strerror(-fd));
        return fd;
    }
    struct http_response r;
    enum http_resp_error perr = HTTP_RESP_OK;
    int e = send_all(fd, req, (size_t)n, deadline);
    if (!e)
        e = read_answer(fd, deadline, &r, &perr);
    close(fd);
    if (e == -ETIMEDOUT) {
        pr_warn("cloud: %s %s %s: no answer within 3 s\n", d->name, method, path);
        return e;
    }
    if (e == -EPROTO) {
        pr_warn("cloud: %s %s %s: %s, refused\n", d->name, method, path, http_resp_strerror(perr));
        return e;
    }
    if (e) {
        pr_warn("cloud: %s %s %s: %s\n", d->name, method, path, strerror(-e));
        return e;
    }
    answer[r.body_offset + r.content_length] = 0;
    *body = answer + r.body_offset;
    *body_len = r.content_length;
    return r.status;
}

static bool printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            return false;
    }
    return true;
}

/* GET with the dialect's header: the status, or a negative error. */
static int get(const struct dialect *d, const char *token, const char *path, const char **body, size_t *len)
{
    char h[TOKEN_MAX + 64];
    snprintf(h, sizeof(h), "%s%s", d->header, d->token ? token : "");
    return request(d, "GET", path, h, body, len);
}

static void use_user_data(struct kernel_options *o, const struct dialect *d, const char *body, size_t len)
{
    user_data = malloc(len + 1);
    if (!user_data) {
        pr_warn("cloud: %s user-data: out of memory, keeping the app\n", d->name);
        return;
    }
    memcpy(user_data, body, len);
    user_data[len] = 0;
    if (memchr(user_data, 0, len) || cmdline_parse(&ud_opts, user_data) < 0) {
        pr_warn("cloud: %s user-data is not a command line (%s), keeping the app\n", d->name,
                memchr(body, 0, len) ? "NUL byte" : ud_opts.error);
        return;
    }
    if (ud_opts.argc == 0) {
        pr_info("cloud: %s user-data names no app, keeping the app\n", d->name);
        return;
    }
    o->argc = ud_opts.argc;
    memcpy(o->argv, ud_opts.argv, sizeof(o->argv));
    pr_info("cloud: %s user-data (%zu bytes): app %s with %d argument%s\n", d->name, len, o->argv[0], o->argc - 1,
            o->argc == 2 ? "" : "s");
}

/* 0 once the server spoke this dialect, else a negative error. */
static int fetch(struct kernel_options *o, const struct dialect *d)
{
    char token[TOKEN_MAX + 1] = "";
    const char *body;
    size_t len;
    int s;
    if (d->token) {
        s = request(d, "PUT", "/latest/api/token", "X-aws-ec2-metadata-token-ttl-seconds: 21600", &body, &len);
        if (s < 0)
            return s;
        if (s != 200 || len == 0 || len > TOKEN_MAX || !printable(body, len)) {
            pr_warn("cloud: ec2 token request: status %d, %zu bytes, no usable token\n", s, len);
            return -EPROTO;
        }
        memcpy(token, body, len);
        token[len] = 0;
    }
    s = get(d, token, d->id_path, &body, &len);
    if (s < 0)
        return s;
    if (s != 200 || len == 0 || len > ID_MAX || !printable(body, len)) {
        pr_warn("cloud: %s instance id: status %d, %zu bytes, refused\n", d->name, s, len);
        return -EPROTO;
    }
    pr_info("cloud: %s instance %s\n", d->name, body);
    s = get(d, token, d->user_data_path, &body, &len);
    if (s == 404) {
        pr_info("cloud: %s has no user-data (404), keeping the app\n", d->name);
        return 0;
    }
    if (s < 0)
        return 0; /* the dialect answered; the reason is logged */
    if (s != 200) {
        pr_warn("cloud: %s user-data: status %d, keeping the app\n", d->name, s);
        return 0;
    }
    use_user_data(o, d, body, len);
    return 0;
}

static void fetch_all(struct kernel_options *o);

void cloud_config(struct kernel_options *o)
{
    if (!o->cloud_config)
        return;
    if (o->nonet || !netdev_count()) {
        pr_warn("cloud: --cloud-config without a network, nothing fetched\n");
        return;
    }
    if (net_wait_configured(NET_WAIT_NS) < 0) {
        pr_warn("cloud: no network address within 15 s, nothing fetched\n");
        return;
    }
    answer = malloc(ANSWER_MAX + 1);
    if (!answer) {
        pr_warn("cloud: out of memory, nothing fetched\n");
        return;
    }
    fetch_all(o);
    free(answer);
    answer = NULL;
}

static void fetch_all(struct kernel_options *o)
{
    const struct platform *p = platform_current();
    const char *name = p ? p->name : "";
    if (strcmp(name, "gce") == 0) {
        fetch(o, &gce);
        return;
    }
    if (fetch(o, &ec2) == 0 || strcmp(name, "ec2") == 0)
        return;
    if (fetch(o, &gce) < 0)
        pr_warn("cloud: no metadata server answered (tried ec2, gce), keeping the app\n");
}
