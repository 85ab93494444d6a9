/* The Xen single-shot timer as the event timer: VCPUOP_set_singleshot_timer
 * takes an absolute Xen system time (the pvclock in shared info) and fires
 * VIRQ_TIMER on that vCPU. Needs no LAPIC timer calibration. */
#include "clock.h"
#include "cpu.h"
#include "log.h"
#include "timer.h"
#include "xen.h"

#define VCPUOP_SET_SINGLESHOT_TIMER 8
#define VCPUOP_STOP_SINGLESHOT_TIMER 9
#define VCPUOP_STOP_PERIODIC_TIMER 7

static void fired(unsigned port, void *arg)
{
    (void)port;
    (void)arg;
    timer_expire();
}

static void program(uint64_t ns)
{
    unsigned vcpu = this_cpu()->id;
    if (ns == 0) {
        xen_hypercall(XEN_HC_VCPU_OP, VCPUOP_STOP_SINGLESHOT_TIMER, vcpu, 0, 0, 0);
        return;
    }
    struct {
        uint64_t timeout_abs_ns;
        uint32_t flags;
    } t = { xen_clock_system_ns() + ns, 0 }; /* no "future" flag: a past deadline fires at once */
    xen_hypercall(XEN_HC_VCPU_OP, VCPUOP_SET_SINGLESHOT_TIMER, vcpu, (uint64_t)(uintptr_t)&t, 0, 0);
}

/* Xen starts each vCPU with a periodic 100 Hz timer: off, we are tickless. */
static void cpu_init(void)
{
    unsigned vcpu = this_cpu()->id;
    if (vcpu != 0)
        evtchn_cpu_init(); /* before the timer's events can come */
    xen_hypercall(XEN_HC_VCPU_OP, VCPUOP_STOP_PERIODIC_TIMER, vcpu, 0, 0, 0);
    if (evtchn_bind_virq(XEN_VIRQ_TIMER, vcpu, fired, NULL) < 0)
        pr_err("xen: cannot bind the timer VIRQ on vCPU %u\n", vcpu);
}

static const struct event_timer xen_event_timer = { "xen-singleshot", program, cpu_init };

void xen_timer_init(void)
{
    cpu_init();
    event_timer_set(&xen_event_timer);
}
