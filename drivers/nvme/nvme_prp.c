/* PRP lists (NVMe 1.4, 4.3): the first entry may start inside a page, every
 * later one is a whole page; past two pages PRP2 points at a list. Each
 * page is translated on its own, so a buffer need not be contiguous in
 * device addresses. */
#include "errno.h"
#include "nvme_queue.h"

#define BAD_ADDR (~0ull)

int nvme_prp_build(uint64_t (*translate)(void *ctx, uint64_t va), void *ctx, uint64_t va, uint32_t len,
                   uint64_t *prp1, uint64_t *prp2, uint64_t *list, uint64_t list_dev, unsigned list_max)
{
    if (len == 0 || (va & 3) || va + len < va)
        return -EINVAL;
    uint64_t first = translate(ctx, va);
    if (first == BAD_ADDR || (first & 3))
        return -EFAULT;
    uint32_t in_first = NVME_PAGE - (uint32_t)(va & (NVME_PAGE - 1));
    *prp1 = first;
    *prp2 = 0;
    if (len <= in_first)
        return 0;
    uint64_t page = (va & ~(uint64_t)(NVME_PAGE - 1)) + NVME_PAGE;
    uint32_t rest = len - in_first;
    unsigned pages = (rest + NVME_PAGE - 1) / NVME_PAGE;
    if (pages > 1 && pages > list_max)
        return -E2BIG;
    for (unsigned i = 0; i < pages; i++, page += NVME_PAGE) {
        uint64_t a = translate(ctx, page);
        if (a == BAD_ADDR || (a & (NVME_PAGE - 1)))
            return -EFAULT;
        if (pages == 1)
            *prp2 = a;
        else
            list[i] = a;
    }
    if (pages > 1)
        *prp2 = list_dev;
    return 0;
}
