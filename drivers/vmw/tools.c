/* The VMware tools service: a kernel thread that answers the host's TCLO
 * polls (drivers/vmw/tclo.c) at open-vm-tools' rate, turns OS_Halt and
 * OS_Reboot into stop requests, and publishes the guest's addresses once
 * the network has them. Started only on the vmware platform and only when
 * the host opens a TCLO channel: elsewhere it costs nothing. */
#include <string.h>
#include "driver.h"
#include "errno.h"
#include "log.h"
#include "net.h"
#include "platform.h"
#include "sched.h"
#include "spinlock.h"
#include "stop.h"
#include "vmw_tclo.h"

#define REOPEN_DELAY_NS 1000000000ull
#define NS_PER_MS 1000000ull

static struct tclo_session session;
static struct spinlock nic_lock = SPINLOCK_INIT;
static struct tclo_nic nics[TCLO_MAX_NICS];
static bool nic_valid[TCLO_MAX_NICS];
static volatile bool nics_changed;

static uint8_t prefix_len(uint32_t mask)
{
    uint8_t n = 0;
    while (n < 32 && (mask & (0x80000000u >> n)))
        n++;
    return n;
}

/* From the stack's thread: keep the address, publish from ours. */
static void address_changed(const struct net_addr_info *a)
{
    if (a->index >= TCLO_MAX_NICS)
        return;
    uint64_t flags = spin_lock_irqsave(&nic_lock);
    struct tclo_nic *n = &nics[a->index];
    memcpy(n->mac, a->mac, sizeof(n->mac));
    n->addr = a->addr;
    n->prefix_len = prefix_len(a->netmask);
    n->dhcp = a->dhcp;
    nic_valid[a->index] = true;
    nics_changed = true;
    spin_unlock_irqrestore(&nic_lock, flags);
}

static void publish(void)
{
    struct tclo_nic list[TCLO_MAX_NICS];
    unsigned n = 0;
    uint64_t flags = spin_lock_irqsave(&nic_lock);
    nics_changed = false;
    for (unsigned i = 0; i < TCLO_MAX_NICS; i++) {
        if (nic_valid[i])
            list[n++] = nics[i];
    }
    spin_unlock_irqrestore(&nic_lock, flags);
    if (!n)
        return;
    int rc = tclo_send_addresses(session.port, list, n);
    if (rc < 0)
        pr_warn("vmware: publishing the guest's addresses failed (%d)\n", rc);
    else
        pr_info("vmware: published %u address%s to the host (guestinfo.ip and NIC info)\n", n, n == 1 ? "" : "es");
}

static void act(enum tclo_state st)
{
    if (st == TCLO_STATE_HALT)
        stop_request(STOP_POWEROFF, "VMware tools (OS_Halt)");
    else if (st == TCLO_STATE_REBOOT)
        stop_request(STOP_REBOOT, "VMware tools (OS_Reboot)");
}

static void *tools_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct tclo_poll p;
        int rc = tclo_poll(&session, &p);
        if (rc < 0) {
            pr_warn("vmware: TCLO channel failed (%d), reopening\n", rc);
            tclo_close(&session);
            thread_sleep_ns(REOPEN_DELAY_NS);
            const struct rpci_port *port = session.port;
            while (tclo_open(&session, port) < 0)
                thread_sleep_ns(REOPEN_DELAY_NS);
            continue;
        }
        act(p.state_change);
        if (nics_changed || p.publish_addresses)
            publish();
        if (session.delay_ms)
            thread_sleep_ns(session.delay_ms * NS_PER_MS);
        else
            thread_yield();
    }
    return NULL;
}

static void tools_init(void)
{
    const struct platform *p = platform_current();
    if (!p || strcmp(p->name, "vmware") != 0)
        return;
    if (tclo_open(&session, &vmw_rpci_port) < 0) {
        pr_info("vmware: no TCLO channel: tools service not started\n");
        return;
    }
    net_on_address(address_changed);
    if (!thread_create("vmware-tools", tools_thread, NULL, THREAD_STACK_DEFAULT)) {
        pr_warn("vmware: cannot start the tools thread\n");
        tclo_close(&session);
        return;
    }
    pr_info("vmware: tools service on the TCLO channel (version %u, guest-managed)\n", TOOLS_VERSION_GUEST_MANAGED);
}

DRIVER_INIT(vmw_tools) = { "vmware-tools", tools_init };
