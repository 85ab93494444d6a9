/* What an NVMe controller says about itself: the CAP register, the
 * IDENTIFY controller and namespace pages, the active namespace list and
 * the Number of Queues feature, each checked before the driver uses it. */
#include <string.h>
#include "errno.h"
#include "nvme_queue.h"

#define CAP_CSS_NVM (1ull << 37)

int nvme_cap_parse(uint64_t cap, struct nvme_cap *c)
{
    unsigned mpsmin = (unsigned)(cap >> 48) & 0xf;
    c->max_entries = (uint32_t)(cap & 0xffff) + 1;
    unsigned to = (unsigned)(cap >> 24) & 0xff;
    c->timeout_ms = (to ? to : 1) * 500u; /* 0 is not allowed; take the smallest unit */
    c->doorbell_stride = 4u << ((cap >> 32) & 0xf);
    if (!(cap & CAP_CSS_NVM) || mpsmin != 0 || c->max_entries < 2)
        return -ENODEV;
    return 0;
}

static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t le64(const uint8_t *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* An ASCII field, space-padded, as a C string without the padding. */
static void ascii(char *dst, const uint8_t *src, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = (char)src[i];
        dst[i] = ch >= 0x20 && ch < 0x7f ? ch : '?';
        if (ch != ' ')
            len = i + 1;
    }
    dst[len] = 0;
}

int nvme_id_ctrl_parse(const uint8_t *page, struct nvme_ctrl_info *ci)
{
    memset(ci, 0, sizeof(*ci));
    ascii(ci->serial, page + 4, 20);
    ascii(ci->model, page + 24, 40);
    unsigned mdts = page[77];
    ci->max_transfer = mdts == 0 ? 0 : mdts >= 20 ? 1u << 31 : NVME_PAGE << mdts;
    ci->namespaces = le32(page + 516);
    ci->volatile_cache = page[525] & 1;
    unsigned sqes_min = page[512] & 0xf, cqes_min = page[513] & 0xf;
    /* We use 64-byte SQ and 16-byte CQ entries; 0 means an old controller
     * that does not fill the field. */
    if ((sqes_min && sqes_min > 6) || (cqes_min && cqes_min > 4))
        return -EINVAL;
    return 0;
}

int nvme_id_ns_parse(const uint8_t *page, struct nvme_ns_info *ni)
{
    memset(ni, 0, sizeof(*ni));
    ni->blocks = le64(page);
    if (ni->blocks == 0)
        return -ENOENT;
    unsigned nlbaf = page[25], fmt = page[26] & 0xf;
    if (fmt > nlbaf || fmt > 15)
        return -EINVAL;
    uint32_t lbaf = le32(page + 128 + 4 * fmt);
    unsigned ms = lbaf & 0xffff, lbads = (lbaf >> 16) & 0xff;
    if (lbads < 9 || lbads > 16)
        return -EINVAL;
    if (ms)
        return -EOPNOTSUPP;
    ni->block_size = 1u << lbads;
    if (ni->blocks > (~0ull >> lbads))
        return -EINVAL; /* capacity in bytes would not fit 64 bits */
    return 0;
}

unsigned nvme_ns_list_parse(const uint8_t *page, uint32_t nn, uint32_t *out, unsigned max)
{
    unsigned n = 0;
    uint32_t last = 0;
    for (unsigned i = 0; i < NVME_PAGE / 4 && n < max; i++) {
        uint32_t id = le32(page + 4 * i);
        if (id == 0 || id <= last || id == 0xffffffffu || (nn && id > nn))
            break;
        out[n++] = last = id;
    }
    return n;
}

unsigned nvme_queues_granted(uint32_t dw0, unsigned wanted)
{
    unsigned sq = (dw0 & 0xffff) + 1, cq = (dw0 >> 16) + 1;
    unsigned n = sq < cq ? sq : cq;
    if (n > wanted)
        n = wanted;
    return n ? n : 1;
}
