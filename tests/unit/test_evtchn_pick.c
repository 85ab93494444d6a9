/* The event-channel upcall takes only its own vCPU's ports: the timer VIRQs
 * of two vCPUs pending in one word each go to their own vCPU (the bug this
 * guards against: vCPU 0 taking vCPU 1's timer port, whose wake-up was then
 * lost and the guest hung in the Xen rig). */
#include "check.h"
#include "xen_evtchn_pick.h"

#define NPORTS 4096

static uint16_t owner[NPORTS];

int main(void)
{
    /* ports 1-4 on vCPU 0 (xenstore, console, disk, NIC), 5 = vCPU 0's
     * timer, 6 = vCPU 1's timer, 70 = vCPU 1's port in word 1 */
    owner[6] = 1;
    owner[70] = 1;
    uint64_t pending = (1ull << 3) | (1ull << 5) | (1ull << 6);
    CHECK_EQ(evtchn_pick(pending, 0, 0, 0, owner, NPORTS), (1ull << 3) | (1ull << 5));
    CHECK_EQ(evtchn_pick(pending, 0, 0, 1, owner, NPORTS), 1ull << 6);
    /* masked ports are nobody's */
    CHECK_EQ(evtchn_pick(pending, 1ull << 6, 0, 1, owner, NPORTS), 0);
    CHECK_EQ(evtchn_pick(pending, 1ull << 3, 0, 0, owner, NPORTS), 1ull << 5);
    /* word 1: port 70 is bit 6 there */
    CHECK_EQ(evtchn_pick(1ull << 6, 0, 1, 1, owner, NPORTS), 1ull << 6);
    CHECK_EQ(evtchn_pick(1ull << 6, 0, 1, 0, owner, NPORTS), 0);
    /* ports past the table are never taken */
    CHECK_EQ(evtchn_pick(~0ull, 0, NPORTS / 64, 0, owner, NPORTS), 0);
    CHECK_EQ(evtchn_pick(~0ull, 0, NPORTS / 64 - 1, 0, owner, NPORTS), ~0ull);
    return check_report("test_evtchn_pick");
}
