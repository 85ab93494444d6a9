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

#define EVTCHNOP_BIND_VIRQ 1
#define EVTCHNOP_CLOSE 3
#define EVTCHNOP_SEND 4
#define EVTCHNOP_ALLOC_UNBOUND 6
#define EVTCHNOP_UNMASK 9
#define CALLBACK_TYPE_VECTOR (2ull << 56)
#define HVMOP_SET_EVTCHN_UPCALL_VECTOR 23
#define XEN_HVM_CPUID_UPCALL_VECTOR (1u << 6)

/* shared_info: vcpu_info[32] of 64 bytes, then the two bit arrays. */
#define VCPU_UPCALL_PENDING 0
#define VCPU_PENDING_SEL 8
#define PENDING_OFFSET 2048
#define MASK_OFFSET 2560
#define MAX_PORTS 4096 /* 64 words of 64 bits */

static struct {
    evtchn_handler_fn fn;
    void *arg;
} handlers[MAX_PORTS];
static unsigned long upcalls, unbound;
static int vector = -1;
static bool per_vcpu;

static volatile uint64_t *word(unsigned offset, unsigned port)
{
    return (volatile uint64_t *)(xen_shared_info() + offset) + port / 64;
}

unsigned long evtchn_upcalls(void) { return upcalls; }

void evtchn_mask(unsigned port)
{
    if (port < MAX_PORTS)
        __atomic_fetch_or(word(MASK_OFFSET, port), 1ull << (port % 64), __ATOMIC_SEQ_CST);
}

/* Clearing the mask bit is enough unless the port is already pending; then
 * Xen must re-raise it, which the unmask hypercall does. */
void evtchn_unmask(unsigned port)
{
    if (port >= MAX_PORTS)
        return;
    __atomic_fetch_and(word(MASK_OFFSET, port), ~(1ull << (port % 64)), __ATOMIC_SEQ_CST);
    if (*word(PENDING_OFFSET, port) & (1ull << (port % 64))) {
        uint32_t p = port;
        xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, EVTCHNOP_UNMASK, (uint64_t)(uintptr_t)&p, 0, 0, 0);
    }
}

void evtchn_notify(unsigned port)
{
    uint32_t p = port;
    xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, EVTCHNOP_SEND, (uint64_t)(uintptr_t)&p, 0, 0, 0);
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
    struct {
        uint32_t virq, vcpu, port;
    } b = { virq, vcpu, 0 };
    long r = xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, EVTCHNOP_BIND_VIRQ, (uint64_t)(uintptr_t)&b, 0, 0, 0);
    if (r)
        return (int)r;
    return evtchn_bind(b.port, fn, arg) < 0 ? -1 : (int)b.port;
}

int evtchn_alloc_unbound(unsigned remote_domid)
{
    struct {
        uint16_t dom, remote_dom;
        uint32_t port;
    } a = { XEN_DOMID_SELF, (uint16_t)remote_domid, 0 };
    long r = xen_hypercall(XEN_HC_EVENT_CHANNEL_OP, EVTCHNOP_ALLOC_UNBOUND, (uint64_t)(uintptr_t)&a, 0, 0, 0);
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
 * and unmasked bits are cleared before their handlers run. */
static void upcall(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    volatile uint8_t *v = xen_shared_info() + 64 * this_cpu()->id;
    upcalls++;
    while (__atomic_exchange_n(v + VCPU_UPCALL_PENDING, 0, __ATOMIC_SEQ_CST)) {
        uint64_t sel = __atomic_exchange_n((volatile uint64_t *)(v + VCPU_PENDING_SEL), 0, __ATOMIC_SEQ_CST);
        while (sel) {
            unsigned w = (unsigned)__builtin_ctzll(sel);
            sel &= sel - 1;
            uint64_t ready = *word(PENDING_OFFSET, w * 64) & ~*word(MASK_OFFSET, w * 64);
            while (ready) {
                unsigned b = (unsigned)__builtin_ctzll(ready);
                ready &= ready - 1;
                __atomic_fetch_and(word(PENDING_OFFSET, w * 64), ~(1ull << b), __ATOMIC_SEQ_CST);
                dispatch(w * 64 + b);
            }
        }
    }
}

/* On each vCPU (the boot one from evtchn_init, the others as they start). */
void evtchn_cpu_init(void)
{
    if (!per_vcpu)
        return;
    struct {
        uint32_t vcpu;
        uint8_t vector;
    } op = { this_cpu()->id, (uint8_t)vector };
    long r = xen_hypercall(XEN_HC_HVM_OP, HVMOP_SET_EVTCHN_UPCALL_VECTOR, (uint64_t)(uintptr_t)&op, 0, 0, 0);
    if (r)
        pr_warn("xen: per-vCPU upcall vector refused on vCPU %u (%ld)\n", op.vcpu, r);
}

int evtchn_init(void)
{
    vector = irq_alloc_vector();
    if (vector < 0)
        return -1;
    for (unsigned w = 0; w < MAX_PORTS / 64; w++)
        *word(MASK_OFFSET, w * 64) = ~0ull; /* nothing until bound */
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
