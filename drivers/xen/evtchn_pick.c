/* Which pending ports of one word the running vCPU may take. In the 2-level
 * ABI the pending bits are shared by all vCPUs while Xen signals each port
 * only to the vCPU it is bound to: a vCPU that took another's port would run
 * that vCPU's handler on the wrong CPU (a timer VIRQ then expires the wrong
 * CPU's timers and the right one's wake-up is lost), so each takes only its
 * own and leaves the rest for their owners' upcalls. */
#include "xen_evtchn_pick.h"

uint64_t evtchn_pick(uint64_t pending, uint64_t mask, unsigned word, unsigned vcpu, const uint16_t *port_vcpu,
                     unsigned nports)
{
    uint64_t ready = pending & ~mask, mine = 0;
    while (ready) {
        unsigned b = (unsigned)__builtin_ctzll(ready);
        ready &= ready - 1;
        unsigned port = word * 64 + b;
        if (port < nports && port_vcpu[port] == vcpu)
            mine |= 1ull << b;
    }
    return mine;
}
