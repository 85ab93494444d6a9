/* gVNIC device descriptor and options (what DESCRIBE_DEVICE returns) and
 * the queue plan made from them: arbitrary bytes in a buffer of exactly
 * their size, arbitrary queue-count registers. Nothing may be read past the
 * buffer; an accepted plan must hold the limits the driver sizes memory by. */
#include <stdlib.h>
#include <string.h>
#include "gve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 9)
        return 0;
    uint32_t max_tx = gve_be32(data), max_rx = gve_be32(data + 4);
    unsigned vectors = data[8];
    data += 9;
    size -= 9;
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf)
        return 0;
    memcpy(buf, data, size);
    struct gve_dev_info info;
    struct gve_plan plan;
    const char *why = NULL;
    if (gve_parse_descriptor(buf, size, &info, &why) == 0 &&
        gve_plan_queues(&info, max_tx, max_rx, vectors, 1 + (vectors & 15), &plan, &why) == 0) {
        if (plan.tx_entries > GVE_MAX_RING || plan.rx_entries > GVE_MAX_RING || plan.tx_pages > GVE_MAX_QPL_PAGES ||
            plan.rx_pages != plan.rx_entries || plan.counters > GVE_MAX_COUNTERS || plan.mtu > GVE_MTU_MAX ||
            plan.mtu < 68 || (plan.tx_entries & (plan.tx_entries - 1)) || (plan.rx_entries & (plan.rx_entries - 1)))
            abort();
        /* Pairs: at least one, within every limit the plan must respect. */
        if (plan.nq < 1 || plan.nq > GVE_QMAX || plan.nq > max_tx || plan.nq > max_rx ||
            2 * plan.nq + 1 > vectors || plan.nq > 1 + (vectors & 15u) || plan.nblocks != 2 * plan.nq ||
            (uint64_t)plan.nq * (plan.tx_pages + plan.rx_pages) > info.max_registered_pages ||
            2 * plan.nq > plan.counters || plan.rx_qpl_id != plan.nq)
            abort();
    }
    free(buf);
    return 0;
}
