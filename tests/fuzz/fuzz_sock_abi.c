/* Socket structures from a program: any bytes as a sockaddr of any claimed
 * length, a msghdr, option values, a control buffer. An accepted address
 * must have been long enough and of the family asked; a checked msghdr
 * must be within Linux's limits; out-lengths never exceed what the program
 * offered; a control buffer yields at most 253 descriptors. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../linux/sock_abi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 6)
        return 0;
    uint32_t claimed;
    memcpy(&claimed, data, 4);
    bool unspec_ok = data[4] & 1;
    data += 5;
    len -= 5;
    /* the parser is handed only bytes the call copied in: min(claimed, len) */
    uint32_t n = claimed < len ? claimed : (uint32_t)len;
    uint8_t *buf = malloc(n ? n : 1);
    memcpy(buf, data, n);
    struct lx_inaddr a;
    int rc = lx_sockaddr_in_parse(buf, n, unspec_ok, &a);
    if (rc == 0) {
        uint16_t fam = n >= 2 ? (uint16_t)(buf[0] | buf[1] << 8) : 0xffff;
        if (n < 2 || n > LX_SOCKADDR_STORAGE)
            abort();
        if (!a.unspec && (fam != LX_AF_INET || n < LX_SOCKADDR_IN_LEN))
            abort();
        if (a.unspec && (!unspec_ok || fam != LX_AF_UNSPEC))
            abort();
        uint8_t out[16];
        if (!a.unspec && lx_sockaddr_in_make(a.addr, a.port, out) == 16 && memcmp(out, buf, 8) != 0)
            abort();
    } else if (rc != -22 && rc != -97) {
        abort();
    }
    /* AF_INET6: accepted only at 24 bytes or more and of that family; the
     * scope read only when the whole struct was given; made back, the
     * bytes the program gave (family, port, flow, address, scope). */
    struct lx_in6addr a6;
    rc = lx_sockaddr_in6_parse(buf, n, &a6);
    if (rc == 0) {
        if (n < LX_SIN6_LEN_RFC2133 || n > LX_SOCKADDR_STORAGE || (buf[0] | buf[1] << 8) != LX_AF_INET6)
            abort();
        if (n < LX_SOCKADDR_IN6_LEN && a6.scope_id)
            abort();
        uint8_t out[LX_SOCKADDR_IN6_LEN];
        uint32_t l = lx_sockaddr_in6_make(&a6, out);
        if (l != LX_SOCKADDR_IN6_LEN || memcmp(out, buf, n < l ? 24 : l) != 0)
            abort();
        struct lx_in6addr back;
        if (lx_sockaddr_in6_parse(out, l, &back) != 0 || memcmp(&back, &a6, sizeof(back)) != 0)
            abort();
        if (lx_in6_is_v4mapped(a6.addr)) {
            uint8_t m[16];
            uint32_t v4;
            memcpy(&v4, a6.addr + 12, 4);
            lx_in6_map_v4(v4, m);
            if (memcmp(m, a6.addr, 16) != 0)
                abort();
        }
    } else if (rc != -22 && rc != -97) {
        abort();
    } else if (rc == -97 && (n < LX_SIN6_LEN_RFC2133 || (buf[0] | buf[1] << 8) == LX_AF_INET6)) {
        abort();
    }
    struct lx_unixname un;
    rc = lx_sockaddr_un_parse(buf, n, &un);
    if (rc == 0) {
        if (n < 2 || n > LX_SOCKADDR_UN_LEN || un.len > LX_UNIX_PATH_MAX)
            abort();
        if (!un.abstract && !un.autobind && strlen(un.name) != un.len)
            abort();
        uint8_t out[LX_SOCKADDR_UN_LEN];
        uint32_t l = lx_sockaddr_un_make(&un, out);
        if (l > LX_SOCKADDR_UN_LEN || l < 2)
            abort();
        struct lx_unixname back;
        if (lx_sockaddr_un_parse(out, l, &back) != 0 || back.len != un.len || back.abstract != un.abstract ||
            memcmp(back.name, un.name, un.len) != 0)
            abort();
    } else if (rc != -22) {
        abort();
    }
    long o = lx_sockaddr_out_len((int32_t)claimed, 16);
    if (o > 16 || (o >= 0 && (int32_t)claimed < 0) || (o < 0 && (int32_t)claimed >= 0))
        abort();
    if (len >= sizeof(struct lx_msghdr)) {
        struct lx_msghdr m;
        memcpy(&m, data, sizeof(m));
        for (int send = 0; send < 2; send++) {
            rc = lx_msghdr_check(&m, send);
            if (rc == 0 && (m.iovlen > LX_UIO_MAXIOV || ((!send || m.name) &&
                                                        (m.namelen < 0 || m.namelen > LX_SOCKADDR_STORAGE))))
                abort();
        }
    }
    uint64_t ns;
    if (lx_sockopt_timeval(buf, n, &ns) == 0 && n < 16)
        abort();
    int v;
    if (lx_sockopt_int(buf, n, &v) == 0 && n < 4)
        abort();
    /* The same bytes as a sendmsg control buffer: at most 253 descriptors
     * taken; the answer recvmsg builds for them fits the room it is given. */
    struct lx_scm scm;
    unsigned other;
    rc = lx_cmsg_parse(buf, n, &scm, &other);
    if (rc == 0 && scm.nfds > LX_SCM_MAX_FD)
        abort();
    if (rc != 0 && rc != -22)
        abort();
    if (rc == 0 && n < LX_CMSG_HDR && (scm.nfds || scm.creds || other))
        abort();
    unsigned fit;
    uint8_t hdr[16];
    uint64_t used, want = rc == 0 ? scm.nfds : claimed % 300;
    lx_cmsg_rights_out(claimed, (unsigned)want, &fit, hdr, &used);
    if (fit > want || used > claimed || (claimed >= LX_CMSG_HDR && used < LX_CMSG_HDR + 4ull * fit) ||
        (claimed < LX_CMSG_HDR && (fit || used)) || (fit < want && claimed >= LX_CMSG_HDR + 4ull * want))
        abort();
    free(buf);
    return 0;
}
