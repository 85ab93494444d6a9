/* The PV console (HVM_PARAM_CONSOLE_PFN/EVTCHN): a page holding an input
 * and an output ring that xenconsoled drains into `xl console` and its log.
 * PVH has no UART, so this is its console; output only. */
#include "arch/x86.h"
#include "console.h"
#include "log.h"
#include "memory.h"
#include "xen.h"

#define FULL_SPINS 2000000 /* give xenconsoled ~ms to drain, then drop output */

static volatile struct xencons_interface *ring;
static unsigned port;

static void pv_write(const char *s, size_t n)
{
    uint32_t p = ring->out_prod;
    for (size_t i = 0; i < n; i++) {
        unsigned spins = 0;
        while (p - __atomic_load_n(&ring->out_cons, __ATOMIC_ACQUIRE) >= sizeof(ring->out)) {
            __atomic_store_n(&ring->out_prod, p, __ATOMIC_RELEASE);
            evtchn_notify(port);
            if (++spins > FULL_SPINS)
                return;
            cpu_relax();
        }
        ring->out[MASK_XENCONS_IDX(p, ring->out)] = s[i];
        p++;
    }
    __atomic_store_n(&ring->out_prod, p, __ATOMIC_RELEASE);
    evtchn_notify(port);
}

static const struct console_dev pv_console = { "xen-pv", pv_write };

int xen_console_init(void)
{
    uint64_t pfn, evtchn;
    if (xen_hvm_get_param(HVM_PARAM_CONSOLE_PFN, &pfn) || xen_hvm_get_param(HVM_PARAM_CONSOLE_EVTCHN, &evtchn) ||
        pfn == 0 || evtchn == 0) {
        pr_debug("xen: no PV console\n");
        return -1;
    }
    ring = ioremap(pfn << 12, PAGE_SIZE);
    if (!ring)
        return -1;
    port = (unsigned)evtchn;
    console_register(&pv_console);
    pr_debug("xen: PV console at pfn %#llx, port %u\n", (unsigned long long)pfn, port);
    return 0;
}
