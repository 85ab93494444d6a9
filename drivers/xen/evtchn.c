/* Event channels, 2-level ABI: Xen sets a port's bit in shared info's
 * pending array and its word's bit in the vCPU's pending selector, then
 * raises our vector: per vCPU through its LAPIC where Xen offers that
 * (HVMOP_set_evtchn_upcall_vector), else the global callback vector
 * (HVM_PARAM_CALLBACK_IRQ, type "vector"). The global one is set in both
 * cases: the toolstack takes it as the sign that the guest handles events.
 * Ports are bound to vCPU 0 except each vCPU's timer VIRQ. */
#include <stddef.h>
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "xen.h"
#include "xen_evtchn_pick.h"

#define CALLBACK_TYPE_VECTOR ((uint64_t)HVM_PARAM_CALLBACK_TYPE_VECTOR << 56)
/* The 2-level ABI: one bit per port in shared info's pending and mask arrays. */
#define MAX_PORTS (sizeof(((struct shared_info *)0)->evtchn_pending) * 8)
#define WORD_BITS (sizeof(xen_ulong_t) * 8)

static struct {
    evtchn_handler_fn fn;
    void *arg;
} handlers[MAX_PORTS];
static uint16_t port_vcpu[MAX_PORTS]; /* where Xen signals each port (0 unless bound elsewhere) */
static unsigned long upcalls, unbound;
static int vector = -1;
static bool per_vcpu;

static volatile xen_ulong_t *pending_word(unsigned port) { return &xen_shared_info()->evtchn_pending[port / WORD_BITS]; }
static volatile xen_ulong_t *mask_word(unsigned port) { return &xen_shared_info()->evtchn_mask[port / WORD_BITS]; }

unsigned long evtchn_upcalls(void) { return upcalls; }

void evtchn_mask(unsigned port)
{
    if (port < MAX_PORTS)
        __atomic_fetch_or(mask_word(port), 1ull << (port % WORD_BITS), __ATOMIC_SEQ_CST);
}

/* Clearing the mask bit is enough unless the port is already pending: Xen
 * did not signal it while it was masked, and only EVTCHNOP_unmask raises it
 * now, on the vCPU it is bound to. That hypercall clears the mask itself
 * and raises the event only if the mask was still set, so the mask must be
 * left to it (clearing it first made the hypercall a no-op and the event
 * was lost until some other event on the same word came by). */
void evtchn_unmask(unsigned port)
{
    if (port >= MAX_PORTS)
        return;
    xen_ulong_t bit = 1ull << (port % WORD_BITS);
    if (!(*pending_word(port) & bit)) {
        __atomic_fetch_and(mask_word(port), ~bit, __ATOMIC_SEQ_CST);
        if (!(*pending_word(port) & bit))
            return;
        /* it came while the mask was still set: masked again, Xen unmasks and raises it */
        __atomic_fetch_or(mask_word(port), bit, __ATOMIC_SEQ_CST);
    }
    struct evtchn_unmask u = { .port = port };
    xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_unmask, (uint64_t)(uintptr_t)&u, 0, 0, 0);
}

void evtchn_notify(unsigned port)
{
    struct evtchn_send send = { .port = port };
    xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_send, (uint64_t)(uintptr_t)&send, 0, 0, 0);
}

int evtchn_bind(unsigned port, evtchn_handler_fn fn, void *arg)
{
    if (port == 0 || port >= MAX_PORTS)
        return -1;
    handlers[port].arg = arg;
    __atomic_store_n(&handlers[port].fn, fn, __ATOMIC_RELEASE);
    evtchn_unmask(port);
    return 0;
}

int evtchn_bind_virq(unsigned virq, unsigned vcpu, evtchn_handler_fn fn, void *arg)
{
    struct evtchn_bind_virq b = { .virq = virq, .vcpu = vcpu };
    long r = xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_bind_virq, (uint64_t)(uintptr_t)&b, 0, 0, 0);
    if (r)
        return (int)r;
    if (b.port >= MAX_PORTS)
        return -1;
    port_vcpu[b.port] = (uint16_t)vcpu;
    return evtchn_bind(b.port, fn, arg) < 0 ? -1 : (int)b.port;
}

int evtchn_alloc_unbound(unsigned remote_domid)
{
    struct evtchn_alloc_unbound a = { .dom = DOMID_SELF, .remote_dom = (domid_t)remote_domid };
    long r = xen_hypercall(__HYPERVISOR_event_channel_op, EVTCHNOP_alloc_unbound, (uint64_t)(uintptr_t)&a, 0, 0, 0);
    return r ? (int)r : (int)a.port;
}

static void dispatch(unsigned port)
{
    evtchn_handler_fn fn = __atomic_load_n(&handlers[port].fn, __ATOMIC_ACQUIRE);
    if (fn)
        fn(port, handlers[port].arg);
    else
        unbound++;
}

/* Xen keeps re-injecting the vector while upcall_pending is set, so it is
 * cleared first; the selector is taken atomically, then each word's pending
 * and unmasked bits of this vCPU's own ports (evtchn_pick) are cleared
 * before their handlers run. */
static void upcall(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    unsigned cpu = this_cpu()->id;
    volatile struct vcpu_info *v = &xen_shared_info()->vcpu_info[cpu];
    upcalls++;
    while (__atomic_exchange_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST)) {
        xen_ulong_t sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzll(sel);
            sel &= sel - 1;
            xen_ulong_t ready =
                evtchn_pick(*pending_word(w * WORD_BITS), *mask_word(w * WORD_BITS), w, cpu, port_vcpu, MAX_PORTS);
            while (ready) {
                unsigned b = (unsigned)__builtin_ctzll(ready);
                ready &= ready - 1;
                __atomic_fetch_and(pending_word(w * WORD_BITS), ~(1ull << b), __ATOMIC_SEQ_CST);
                dispatch(w * WORD_BITS + b);
            }
        }
    }
}

/* On each vCPU (the boot one from evtchn_init, the others as they start). */
void evtchn_cpu_init(void)
{
    if (!per_vcpu)
        return;
    struct xen_hvm_evtchn_upcall_vector op = { .vcpu = this_cpu()->id, .vector = (uint8_t)vector };
    long r = xen_hypercall(__HYPERVISOR_hvm_op, HVMOP_set_evtchn_upcall_vector, (uint64_t)(uintptr_t)&op, 0, 0, 0);
    if (r)
        pr_warn("xen: per-vCPU upcall vector refused on vCPU %u (%ld)\n", op.vcpu, r);
}

int evtchn_init(void)
{
    vector = irq_alloc_vector();
    if (vector < 0)
        return -1;
    for (unsigned w = 0; w < MAX_PORTS / WORD_BITS; w++)
        *mask_word(w * WORD_BITS) = ~(xen_ulong_t)0; /* nothing until bound */
    irq_set_handler((unsigned)vector, upcall, NULL);
    int r = xen_hvm_set_param(HVM_PARAM_CALLBACK_IRQ, CALLBACK_TYPE_VECTOR | (unsigned)vector);
    if (r) {
        pr_err("xen: cannot set the event callback vector (%d)\n", r);
        return -1;
    }
    per_vcpu = (xen_hvm_features() & XEN_HVM_CPUID_UPCALL_VECTOR) != 0;
    evtchn_cpu_init();
    pr_info("xen: events on vector %#x (%s)\n", vector, per_vcpu ? "per-vCPU upcall" : "global callback");
    return 0;
}
