/* The event-channel upcall's choice of ports (drivers/xen/evtchn_pick.c),
 * pure so that the host tests can check it. */
#ifndef KESTREL_XEN_EVTCHN_PICK_H
#define KESTREL_XEN_EVTCHN_PICK_H
#include <stdint.h>

/* The bits of word (ports word*64 ..) that are pending, unmasked and bound
 * to vcpu according to port_vcpu[nports]. */
uint64_t evtchn_pick(uint64_t pending, uint64_t mask, unsigned word, unsigned vcpu, const uint16_t *port_vcpu,
                     unsigned nports);
#endif
