/* Checks of the socket structures a program passes (linux/sock_abi.h),
 * following the order in which Linux's own checks answer (a short address
 * is -EINVAL before its family is looked at, and so on). */
#include <errno.h>
#include <string.h>
#include "sock_abi.h"

int lx_sockaddr_len_ok(int32_t addrlen)
{
    return addrlen < 0 || addrlen > LX_SOCKADDR_STORAGE ? -EINVAL : 0;
}

static uint16_t u16_at(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

int lx_sockaddr_in_parse(const void *buf, uint32_t len, bool unspec_ok, struct lx_inaddr *out)
{
    const uint8_t *b = buf;
    memset(out, 0, sizeof(*out));
    if (len < 2 || len > LX_SOCKADDR_STORAGE)
        return -EINVAL;
    uint16_t family = u16_at(b);
    if (family == LX_AF_UNSPEC && unspec_ok) {
        out->unspec = true;
        if (len < LX_SOCKADDR_IN_LEN)
            return 0;
    } else if (len < LX_SOCKADDR_IN_LEN) {
        return -EINVAL;
    } else if (family != LX_AF_INET) {
        return -EAFNOSUPPORT;
    }
    memcpy(&out->port, b + 2, 2); /* both stay in network order */
    memcpy(&out->addr, b + 4, 4);
    return 0;
}

int lx_sockaddr_in6_parse(const void *buf, uint32_t len, struct lx_in6addr *out)
{
    const uint8_t *b = buf;
    memset(out, 0, sizeof(*out));
    if (len < LX_SIN6_LEN_RFC2133 || len > LX_SOCKADDR_STORAGE)
        return -EINVAL;
    if (u16_at(b) != LX_AF_INET6)
        return -EAFNOSUPPORT;
    memcpy(&out->port, b + 2, 2);
    memcpy(&out->flowinfo, b + 4, 4);
    memcpy(out->addr, b + 8, 16);
    if (len >= LX_SOCKADDR_IN6_LEN)
        memcpy(&out->scope_id, b + 24, 4);
    return 0;
}

uint32_t lx_sockaddr_in6_make(const struct lx_in6addr *a, void *out)
{
    uint8_t *b = out;
    memset(b, 0, LX_SOCKADDR_IN6_LEN);
    b[0] = LX_AF_INET6;
    memcpy(b + 2, &a->port, 2);
    memcpy(b + 4, &a->flowinfo, 4);
    memcpy(b + 8, a->addr, 16);
    memcpy(b + 24, &a->scope_id, 4);
    return LX_SOCKADDR_IN6_LEN;
}

static const uint8_t v4mapped_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

bool lx_in6_is_v4mapped(const uint8_t addr[16]) { return memcmp(addr, v4mapped_prefix, 12) == 0; }

void lx_in6_map_v4(uint32_t addr, uint8_t out[16])
{
    memcpy(out, v4mapped_prefix, 12);
    memcpy(out + 12, &addr, 4);
}

int lx_sockaddr_un_parse(const void *buf, uint32_t len, struct lx_unixname *out)
{
    const uint8_t *b = buf;
    memset(out, 0, sizeof(*out));
    if (len < 2 || len > LX_SOCKADDR_UN_LEN || u16_at(b) != LX_AF_UNIX)
        return -EINVAL;
    if (len == 2) {
        out->autobind = true;
        return 0;
    }
    const uint8_t *path = b + 2;
    uint32_t n = len - 2;
    if (path[0] == 0) {
        out->abstract = true;
        out->len = n - 1;
        memcpy(out->name, path + 1, out->len);
        return 0;
    }
    uint32_t l = 0;
    while (l < n && path[l])
        l++;
    memcpy(out->name, path, l);
    out->name[l] = 0;
    out->len = l;
    return 0;
}

uint32_t lx_sockaddr_un_make(const struct lx_unixname *n, void *out)
{
    uint8_t *b = out;
    memset(b, 0, LX_SOCKADDR_UN_LEN);
    b[0] = LX_AF_UNIX;
    if (n->autobind || (!n->abstract && !n->len))
        return 2;
    uint32_t l = n->len > LX_UNIX_PATH_MAX - (n->abstract ? 1 : 0) ? LX_UNIX_PATH_MAX - (n->abstract ? 1 : 0) : n->len;
    if (n->abstract) {
        memcpy(b + 3, n->name, l);
        return 3 + l;
    }
    memcpy(b + 2, n->name, l);
    return l < LX_UNIX_PATH_MAX ? 3 + l : 2 + l;
}

uint32_t lx_sockaddr_in_make(uint32_t addr, uint16_t port, void *out)
{
    uint8_t *b = out;
    memset(b, 0, LX_SOCKADDR_IN_LEN);
    b[0] = LX_AF_INET;
    memcpy(b + 2, &port, 2);
    memcpy(b + 4, &addr, 4);
    return LX_SOCKADDR_IN_LEN;
}

long lx_sockaddr_out_len(int32_t room, uint32_t have)
{
    if (room < 0)
        return -EINVAL;
    return (uint32_t)room < have ? room : (long)have;
}

int lx_msghdr_check(const struct lx_msghdr *m, bool send)
{
    if (m->iovlen > LX_UIO_MAXIOV)
        return -EMSGSIZE;
    if (send && !m->name)
        return 0;
    if (m->namelen < 0 || m->namelen > LX_SOCKADDR_STORAGE)
        return -EINVAL;
    return 0;
}

int lx_sockopt_int(const void *buf, uint32_t len, int *out)
{
    if (len < sizeof(int))
        return -EINVAL;
    memcpy(out, buf, sizeof(int));
    return 0;
}

int lx_sockopt_timeval(const void *buf, uint32_t len, uint64_t *ns)
{
    int64_t tv[2];
    if (len < sizeof(tv))
        return -EINVAL;
    memcpy(tv, buf, sizeof(tv));
    if (tv[1] < 0 || tv[1] >= 1000000)
        return -EDOM;
    if (tv[0] < 0) {
        *ns = 0;
        return 0;
    }
    /* Far beyond any wait that matters: as good as for ever. */
    if (tv[0] > 100LL * 365 * 24 * 3600) {
        *ns = 0;
        return 0;
    }
    *ns = (uint64_t)tv[0] * 1000000000ull + (uint64_t)tv[1] * 1000ull;
    return 0;
}

void lx_timeval_from_ns(uint64_t ns, void *out)
{
    int64_t tv[2] = { (int64_t)(ns / 1000000000ull), (int64_t)(ns % 1000000000ull / 1000) };
    memcpy(out, tv, sizeof(tv));
}

int lx_socket_type_split(int type, int *kind, bool *nonblock, bool *cloexec)
{
    if (type & ~(LX_SOCK_TYPE_MASK | LX_SOCK_NONBLOCK | LX_SOCK_CLOEXEC))
        return -EINVAL;
    *kind = type & LX_SOCK_TYPE_MASK;
    *nonblock = type & LX_SOCK_NONBLOCK;
    *cloexec = type & LX_SOCK_CLOEXEC;
    return 0;
}

static uint64_t u64_at(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static int32_t i32_at(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

int lx_cmsg_parse(const void *buf, uint64_t len, struct lx_scm *out, unsigned *other_levels)
{
    const uint8_t *b = buf;
    out->nfds = 0;
    out->creds = false;
    *other_levels = 0;
    for (uint64_t at = 0; len >= LX_CMSG_HDR && at <= len - LX_CMSG_HDR;) {
        uint64_t clen = u64_at(b + at);
        if (clen < LX_CMSG_HDR || clen > len - at)
            return -EINVAL;
        int32_t level = i32_at(b + at + 8), type = i32_at(b + at + 12);
        uint64_t dlen = clen - LX_CMSG_HDR;
        if (level != LX_SOL_SOCKET) {
            (*other_levels)++;
        } else if (type == LX_SCM_RIGHTS) {
            uint64_t n = dlen / sizeof(int32_t);
            if (n > LX_SCM_MAX_FD - out->nfds)
                return -EINVAL;
            for (uint64_t i = 0; i < n; i++)
                out->fds[out->nfds++] = i32_at(b + at + LX_CMSG_HDR + 4 * i);
        } else if (type == LX_SCM_CREDENTIALS) {
            if (dlen != 12) /* struct ucred: pid, uid, gid */
                return -EINVAL;
            out->creds = true;
        } else {
            return -EINVAL;
        }
        uint64_t step = LX_CMSG_ALIGN(clen);
        if (step > len - at)
            break;
        at += step;
    }
    return 0;
}

void lx_cmsg_rights_out(uint64_t room, unsigned n, unsigned *fit, uint8_t hdr[16], uint64_t *used)
{
    *fit = 0;
    *used = 0;
    if (room < LX_CMSG_HDR)
        return;
    uint64_t max = (room - LX_CMSG_HDR) / sizeof(int32_t);
    *fit = n < max ? n : (unsigned)max;
    uint64_t clen = LX_CMSG_HDR + sizeof(int32_t) * (uint64_t)*fit;
    int32_t level = LX_SOL_SOCKET, type = LX_SCM_RIGHTS;
    memcpy(hdr, &clen, 8);
    memcpy(hdr + 8, &level, 4);
    memcpy(hdr + 12, &type, 4);
    uint64_t space = LX_CMSG_ALIGN(clen);
    *used = space < room ? space : room;
}
