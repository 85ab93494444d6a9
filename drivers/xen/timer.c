/* The Xen single-shot timer as the event timer: VCPUOP_set_singleshot_timer
 * takes an absolute Xen system time (the pvclock in shared info) and fires
 * VIRQ_TIMER on that vCPU. Needs no LAPIC timer calibration. */
#include "clock.h"
#include "cpu.h"
#include "log.h"
#include "timer.h"
#include "xen.h"

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
        xen_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_singleshot_timer, vcpu, 0, 0, 0);
        return;
    }
    /* no VCPU_SSHOTTMR_future: a past deadline fires at once */
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = xen_clock_system_ns() + ns };
    xen_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_set_singleshot_timer, vcpu, (uint64_t)(uintptr_t)&t, 0, 0);
}

/* Xen starts each vCPU with a periodic 100 Hz timer: off, we are tickless. */
static void cpu_init(void)
{
    unsigned vcpu = this_cpu()->id;
    if (vcpu != 0)
        evtchn_cpu_init(); /* before the timer's events can come */
    xen_hypercall(__HYPERVISOR_vcpu_op, VCPUOP_stop_periodic_timer, vcpu, 0, 0, 0);
    if (evtchn_bind_virq(VIRQ_TIMER, vcpu, fired, NULL) < 0)
        pr_err("xen: cannot bind the timer VIRQ on vCPU %u\n", vcpu);
}

static const struct event_timer xen_event_timer = { "xen-singleshot", program, cpu_init };

void xen_timer_init(void)
{
    cpu_init();
    event_timer_set(&xen_event_timer);
}
