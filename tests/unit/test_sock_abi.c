/* linux/sock_abi.c: the socket structures a program passes, checked in the
 * order Linux checks them (length before family, AF_UNSPEC where connect
 * and bind allow it), the msghdr limits, option values, socket()'s type
 * flags, and the struct layouts against the host's own <sys/socket.h>. */
#define _GNU_SOURCE /* struct mmsghdr */
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include "../../linux/sock_abi.h"
#include "check.h"

static void test_sockaddr_in(void)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
    sin.sin_addr.s_addr = htonl(0x0a00020f);
    struct lx_inaddr a;
    CHECK_EQ(lx_sockaddr_in_parse(&sin, sizeof(sin), false, &a), 0);
    CHECK_EQ(a.port, htons(8080));
    CHECK_EQ(a.addr, htonl(0x0a00020f));
    CHECK(!a.unspec);
    /* Linux's checks: too short is EINVAL, whatever the family */
    CHECK_EQ(lx_sockaddr_in_parse(&sin, 15, false, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in_parse(&sin, 0, false, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in_parse(&sin, 1, true, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in_parse(&sin, 129, false, &a), -EINVAL);
    /* longer than sockaddr_in is fine (sockaddr_storage) */
    uint8_t big[128] = { 0 };
    memcpy(big, &sin, sizeof(sin));
    CHECK_EQ(lx_sockaddr_in_parse(big, sizeof(big), false, &a), 0);
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };
    CHECK_EQ(lx_sockaddr_in_parse(&s6, sizeof(s6), false, &a), -EAFNOSUPPORT);
    /* AF_UNSPEC: only where allowed; a short one still parses (connect's dissolve) */
    uint16_t unspec = AF_UNSPEC;
    CHECK_EQ(lx_sockaddr_in_parse(&unspec, 2, false, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in_parse(&unspec, 2, true, &a), 0);
    CHECK(a.unspec);
    sin.sin_family = AF_UNSPEC;
    CHECK_EQ(lx_sockaddr_in_parse(&sin, sizeof(sin), false, &a), -EAFNOSUPPORT);
    CHECK_EQ(lx_sockaddr_in_parse(&sin, sizeof(sin), true, &a), 0);
    CHECK(a.unspec && a.port == htons(8080));

    uint8_t out[16];
    CHECK_EQ(lx_sockaddr_in_make(htonl(0x7f000001), htons(80), out), 16);
    struct sockaddr_in back;
    memcpy(&back, out, sizeof(back));
    CHECK_EQ(back.sin_family, AF_INET);
    CHECK_EQ(back.sin_port, htons(80));
    CHECK_EQ(back.sin_addr.s_addr, htonl(0x7f000001));

    CHECK_EQ(lx_sockaddr_len_ok(-1), -EINVAL);
    CHECK_EQ(lx_sockaddr_len_ok(0), 0);
    CHECK_EQ(lx_sockaddr_len_ok(128), 0);
    CHECK_EQ(lx_sockaddr_len_ok(129), -EINVAL);
    CHECK_EQ(lx_sockaddr_out_len(-1, 16), -EINVAL);
    CHECK_EQ(lx_sockaddr_out_len(4, 16), 4);
    CHECK_EQ(lx_sockaddr_out_len(64, 16), 16);
    CHECK_EQ(lx_sockaddr_out_len(0, 16), 0);
}

static void test_sockaddr_un(void)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX, .sun_path = "/run/x.sock" };
    struct lx_unixname n;
    CHECK_EQ(sizeof(sun), LX_SOCKADDR_UN_LEN);
    CHECK_EQ(lx_sockaddr_un_parse(&sun, sizeof(sun), &n), 0);
    CHECK(!n.abstract && !n.autobind && n.len == 11 && strcmp(n.name, "/run/x.sock") == 0);
    /* the length given bounds the path even without its NUL */
    CHECK_EQ(lx_sockaddr_un_parse(&sun, 2 + 4, &n), 0);
    CHECK(n.len == 4 && strcmp(n.name, "/run") == 0);
    CHECK_EQ(lx_sockaddr_un_parse(&sun, 2, &n), 0);
    CHECK(n.autobind);
    CHECK_EQ(lx_sockaddr_un_parse(&sun, 1, &n), -EINVAL);
    CHECK_EQ(lx_sockaddr_un_parse(&sun, 111, &n), -EINVAL);
    sun.sun_family = AF_INET;
    CHECK_EQ(lx_sockaddr_un_parse(&sun, sizeof(sun), &n), -EINVAL);
    /* a full 108-byte path without a NUL */
    sun.sun_family = AF_UNIX;
    memset(sun.sun_path, 'a', sizeof(sun.sun_path));
    CHECK_EQ(lx_sockaddr_un_parse(&sun, sizeof(sun), &n), 0);
    CHECK(n.len == 108 && n.name[108] == 0);
    uint8_t out[LX_SOCKADDR_UN_LEN];
    CHECK_EQ(lx_sockaddr_un_make(&n, out), 110);
    /* abstract: bytes after a NUL, zeros included, length-exact */
    memset(sun.sun_path, 0, sizeof(sun.sun_path));
    memcpy(sun.sun_path, "\0ab\0c", 5);
    CHECK_EQ(lx_sockaddr_un_parse(&sun, 2 + 5, &n), 0);
    CHECK(n.abstract && n.len == 4 && memcmp(n.name, "ab\0c", 4) == 0);
    CHECK_EQ(lx_sockaddr_un_make(&n, out), 7);
    CHECK(memcmp(out + 2, sun.sun_path, 5) == 0);
    /* a path name reports family + path + NUL, as Linux's getsockname */
    CHECK_EQ(lx_sockaddr_un_parse(&(struct sockaddr_un){ .sun_family = AF_UNIX, .sun_path = "/a" }, 110, &n), 0);
    CHECK_EQ(lx_sockaddr_un_make(&n, out), 5);
    struct lx_unixname none = { 0 };
    CHECK_EQ(lx_sockaddr_un_make(&none, out), 2);
    CHECK_EQ(out[0], AF_UNIX);
}

static void test_msghdr(void)
{
    CHECK_EQ(sizeof(struct lx_msghdr), sizeof(struct msghdr));
    CHECK_EQ(offsetof(struct lx_msghdr, iovlen), offsetof(struct msghdr, msg_iovlen));
    CHECK_EQ(offsetof(struct lx_msghdr, controllen), offsetof(struct msghdr, msg_controllen));
    CHECK_EQ(offsetof(struct lx_msghdr, flags), offsetof(struct msghdr, msg_flags));
    CHECK_EQ(sizeof(struct lx_mmsghdr), sizeof(struct mmsghdr));
    CHECK_EQ(offsetof(struct lx_mmsghdr, len), offsetof(struct mmsghdr, msg_len));
    struct lx_msghdr m = { .iovlen = 1024 };
    CHECK_EQ(lx_msghdr_check(&m, true), 0);
    m.iovlen = 1025;
    CHECK_EQ(lx_msghdr_check(&m, true), -EMSGSIZE);
    m.iovlen = 1ull << 63;
    CHECK_EQ(lx_msghdr_check(&m, false), -EMSGSIZE);
    m.iovlen = 1;
    m.namelen = -1;
    CHECK_EQ(lx_msghdr_check(&m, true), 0); /* no name pointer: the length is not looked at */
    CHECK_EQ(lx_msghdr_check(&m, false), -EINVAL);
    m.name = 0x1000;
    CHECK_EQ(lx_msghdr_check(&m, true), -EINVAL);
    m.namelen = 129;
    CHECK_EQ(lx_msghdr_check(&m, true), -EINVAL);
    m.namelen = 16;
    CHECK_EQ(lx_msghdr_check(&m, true), 0);
}

static void test_options(void)
{
    int v = 0;
    int one = 1;
    CHECK_EQ(lx_sockopt_int(&one, 4, &v), 0);
    CHECK_EQ(v, 1);
    CHECK_EQ(lx_sockopt_int(&one, 3, &v), -EINVAL);
    struct timeval tv = { 2, 500000 };
    uint64_t ns = 1;
    CHECK_EQ(lx_sockopt_timeval(&tv, sizeof(tv), &ns), 0);
    CHECK_EQ(ns, 2500000000ull);
    uint8_t out[16];
    lx_timeval_from_ns(ns, out);
    CHECK(memcmp(out, &tv, sizeof(tv)) == 0);
    CHECK_EQ(lx_sockopt_timeval(&tv, 8, &ns), -EINVAL);
    tv.tv_usec = 1000000;
    CHECK_EQ(lx_sockopt_timeval(&tv, sizeof(tv), &ns), -EDOM);
    tv = (struct timeval){ -5, 0 };
    CHECK_EQ(lx_sockopt_timeval(&tv, sizeof(tv), &ns), 0);
    CHECK_EQ(ns, 0);
    tv = (struct timeval){ 0x7fffffffffffffffll, 999999 };
    CHECK_EQ(lx_sockopt_timeval(&tv, sizeof(tv), &ns), 0);
    CHECK_EQ(ns, 0);

    int kind;
    bool nb, ce;
    CHECK_EQ(lx_socket_type_split(SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, &kind, &nb, &ce), 0);
    CHECK(kind == SOCK_STREAM && nb && ce);
    CHECK_EQ(lx_socket_type_split(SOCK_DGRAM, &kind, &nb, &ce), 0);
    CHECK(kind == SOCK_DGRAM && !nb && !ce);
    CHECK_EQ(lx_socket_type_split(SOCK_STREAM | 0x100, &kind, &nb, &ce), -EINVAL);
    CHECK_EQ(LX_SOCK_NONBLOCK, SOCK_NONBLOCK);
    CHECK_EQ(LX_SOCK_CLOEXEC, SOCK_CLOEXEC);
    CHECK_EQ(LX_MSG_NOSIGNAL, MSG_NOSIGNAL);
    CHECK_EQ(LX_MSG_DONTWAIT, MSG_DONTWAIT);
    CHECK_EQ(LX_MSG_WAITFORONE, MSG_WAITFORONE);
    CHECK_EQ(LX_SO_REUSEPORT, SO_REUSEPORT);
    CHECK_EQ(LX_SO_PROTOCOL, SO_PROTOCOL);
    CHECK_EQ(LX_SO_ACCEPTCONN, SO_ACCEPTCONN);
}

/* AF_INET6: Linux's lengths (24 is the least, RFC 2133's struct without
 * the scope), the family after the length, the layout of the host's own
 * struct sockaddr_in6, and v4-mapped addresses. */
static void test_sockaddr_in6(void)
{
    struct sockaddr_in6 s6 = { .sin6_family = AF_INET6, .sin6_port = htons(8080), .sin6_flowinfo = htonl(7),
                               .sin6_scope_id = 2 };
    s6.sin6_addr.s6_addr[0] = 0xfe;
    s6.sin6_addr.s6_addr[1] = 0x80;
    s6.sin6_addr.s6_addr[15] = 9;
    struct lx_in6addr a;
    CHECK_EQ(sizeof(s6), LX_SOCKADDR_IN6_LEN);
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, sizeof(s6), &a), 0);
    CHECK_EQ(a.port, htons(8080));
    CHECK_EQ(a.flowinfo, htonl(7));
    CHECK_EQ(a.scope_id, 2u);
    CHECK(memcmp(a.addr, s6.sin6_addr.s6_addr, 16) == 0);
    /* 24 bytes: accepted, the scope not read */
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, 24, &a), 0);
    CHECK_EQ(a.scope_id, 0u);
    CHECK(memcmp(a.addr, s6.sin6_addr.s6_addr, 16) == 0);
    /* shorter: EINVAL whatever the family; too long: EINVAL */
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, 23, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, 16, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, 0, &a), -EINVAL);
    CHECK_EQ(lx_sockaddr_in6_parse(&s6, 129, &a), -EINVAL);
    uint8_t big[128] = { 0 };
    memcpy(big, &s6, sizeof(s6));
    CHECK_EQ(lx_sockaddr_in6_parse(big, sizeof(big), &a), 0);
    /* the wrong family, long enough: EAFNOSUPPORT */
    struct sockaddr_in sin = { .sin_family = AF_INET };
    memset(big, 0, sizeof(big));
    memcpy(big, &sin, sizeof(sin));
    CHECK_EQ(lx_sockaddr_in6_parse(big, 28, &a), -EAFNOSUPPORT);
    CHECK_EQ(lx_sockaddr_in6_parse(&sin, 16, &a), -EINVAL); /* a sockaddr_in is too short */
    /* made back: the host's struct reads it */
    uint8_t out[28];
    struct lx_in6addr m = { .port = htons(443), .scope_id = 1 };
    m.addr[15] = 1;
    CHECK_EQ(lx_sockaddr_in6_make(&m, out), 28);
    struct sockaddr_in6 back;
    memcpy(&back, out, sizeof(back));
    CHECK_EQ(back.sin6_family, AF_INET6);
    CHECK_EQ(back.sin6_port, htons(443));
    CHECK(IN6_IS_ADDR_LOOPBACK(&back.sin6_addr));
    CHECK_EQ(back.sin6_scope_id, 1u);
    CHECK_EQ(back.sin6_flowinfo, 0u);
    /* v4-mapped */
    uint8_t v[16];
    lx_in6_map_v4(htonl(0x7f000001), v);
    CHECK(lx_in6_is_v4mapped(v));
    CHECK(IN6_IS_ADDR_V4MAPPED((struct in6_addr *)v));
    CHECK(v[12] == 127 && v[15] == 1);
    CHECK(!lx_in6_is_v4mapped(back.sin6_addr.s6_addr));
    CHECK_EQ(LX_IPV6_V6ONLY, IPV6_V6ONLY);
    CHECK_EQ(LX_IPV6_UNICAST_HOPS, IPV6_UNICAST_HOPS);
    CHECK_EQ(LX_IPV6_TCLASS, IPV6_TCLASS);
    CHECK_EQ(LX_IPV6_MTU_DISCOVER, IPV6_MTU_DISCOVER);
    CHECK_EQ(LX_IPV6_JOIN_GROUP, IPV6_JOIN_GROUP);
    CHECK_EQ(LX_IPV6_RECVPKTINFO, IPV6_RECVPKTINFO);
    CHECK_EQ(LX_IPPROTO_IPV6, IPPROTO_IPV6);
    CHECK_EQ(LX_AF_INET6, AF_INET6);
}

/* Control messages built with the host's own CMSG_* macros. */
static void test_cmsg(void)
{
    CHECK_EQ(LX_CMSG_HDR, sizeof(struct cmsghdr));
    CHECK_EQ(LX_SCM_RIGHTS, SCM_RIGHTS);
    CHECK_EQ(LX_SCM_CREDENTIALS, SCM_CREDENTIALS);
    CHECK_EQ(LX_MSG_CMSG_CLOEXEC, MSG_CMSG_CLOEXEC);
    CHECK_EQ(LX_MSG_CTRUNC, MSG_CTRUNC);
    union {
        char buf[2048];
        struct cmsghdr align;
    } u;
    memset(&u, 0, sizeof(u));
    struct msghdr mh = { .msg_control = u.buf, .msg_controllen = CMSG_SPACE(3 * sizeof(int)) + CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(2 * sizeof(int)) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(3 * sizeof(int));
    int a[3] = { 4, 7, 9 };
    memcpy(CMSG_DATA(c), a, sizeof(a));
    c = CMSG_NXTHDR(&mh, c);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    c = CMSG_NXTHDR(&mh, c);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int b[2] = { 11, 3 };
    memcpy(CMSG_DATA(c), b, sizeof(b));
    struct lx_scm scm;
    unsigned other;
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen, &scm, &other), 0);
    CHECK_EQ(scm.nfds, 5);
    CHECK_EQ(scm.fds[0], 4);
    CHECK_EQ(scm.fds[2], 9);
    CHECK_EQ(scm.fds[3], 11);
    CHECK_EQ(scm.fds[4], 3);
    CHECK_EQ(scm.creds, true);
    CHECK_EQ(other, 0);
    /* a few bytes too few for another header after the last: ignored */
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen + 15, &scm, &other), 0);
    CHECK_EQ(scm.nfds, 5);
    /* the last message's length beyond the buffer */
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen - 8, &scm, &other), -EINVAL);
    /* a length below the header's */
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_len = 15;
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen, &scm, &other), -EINVAL);
    c->cmsg_len = CMSG_LEN(3 * sizeof(int));
    /* an unknown SOL_SOCKET type; another level skipped */
    c->cmsg_type = 99;
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen, &scm, &other), -EINVAL);
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_level = IPPROTO_IP;
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen, &scm, &other), 0);
    CHECK_EQ(other, 1);
    CHECK_EQ(scm.nfds, 2);
    c->cmsg_level = SOL_SOCKET;
    /* credentials of the wrong size */
    c = CMSG_NXTHDR(&mh, c);
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred) - 4);
    CHECK_EQ(lx_cmsg_parse(u.buf, mh.msg_controllen, &scm, &other), -EINVAL);
    /* 253 descriptors pass, 254 do not (also across two messages) */
    memset(&u, 0, sizeof(u));
    struct cmsghdr *r = (struct cmsghdr *)u.buf;
    r->cmsg_level = SOL_SOCKET;
    r->cmsg_type = SCM_RIGHTS;
    r->cmsg_len = CMSG_LEN(253 * sizeof(int));
    CHECK_EQ(lx_cmsg_parse(u.buf, CMSG_SPACE(253 * sizeof(int)), &scm, &other), 0);
    CHECK_EQ(scm.nfds, 253);
    r->cmsg_len = CMSG_LEN(254 * sizeof(int));
    CHECK_EQ(lx_cmsg_parse(u.buf, CMSG_SPACE(254 * sizeof(int)), &scm, &other), -EINVAL);
    r->cmsg_len = CMSG_LEN(200 * sizeof(int));
    struct cmsghdr *r2 = (struct cmsghdr *)(u.buf + CMSG_SPACE(200 * sizeof(int)));
    r2->cmsg_level = SOL_SOCKET;
    r2->cmsg_type = SCM_RIGHTS;
    r2->cmsg_len = CMSG_LEN(54 * sizeof(int));
    CHECK_EQ(lx_cmsg_parse(u.buf, CMSG_SPACE(200 * sizeof(int)) + CMSG_SPACE(54 * sizeof(int)), &scm, &other), -EINVAL);
    /* nothing, or less than a header: no messages */
    CHECK_EQ(lx_cmsg_parse(u.buf, 0, &scm, &other), 0);
    CHECK_EQ(lx_cmsg_parse(u.buf, 15, &scm, &other), 0);
    CHECK_EQ(scm.nfds, 0);

    /* what recvmsg writes back, against CMSG_LEN/CMSG_SPACE */
    unsigned fit;
    uint8_t hdr[16];
    uint64_t used;
    lx_cmsg_rights_out(CMSG_SPACE(3 * sizeof(int)), 3, &fit, hdr, &used);
    CHECK_EQ(fit, 3);
    CHECK_EQ(used, CMSG_SPACE(3 * sizeof(int)));
    struct cmsghdr h;
    memcpy(&h, hdr, sizeof(h));
    CHECK_EQ(h.cmsg_len, CMSG_LEN(3 * sizeof(int)));
    CHECK_EQ(h.cmsg_level, SOL_SOCKET);
    CHECK_EQ(h.cmsg_type, SCM_RIGHTS);
    lx_cmsg_rights_out(CMSG_LEN(sizeof(int)), 3, &fit, hdr, &used); /* room for one, unaligned end */
    CHECK_EQ(fit, 1);
    CHECK_EQ(used, CMSG_LEN(sizeof(int)));
    memcpy(&h, hdr, sizeof(h));
    CHECK_EQ(h.cmsg_len, CMSG_LEN(sizeof(int)));
    lx_cmsg_rights_out(16, 2, &fit, hdr, &used);
    CHECK_EQ(fit, 0);
    CHECK_EQ(used, 16);
    lx_cmsg_rights_out(15, 2, &fit, hdr, &used);
    CHECK_EQ(fit, 0);
    CHECK_EQ(used, 0);
}

int main(void)
{
    test_sockaddr_in();
    test_sockaddr_in6();
    test_sockaddr_un();
    test_msghdr();
    test_options();
    test_cmsg();
    return check_report("test_sock_abi");
}
