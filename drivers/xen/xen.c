/* drivers/xen/: Xen guest support for HVM and PVH domains: hypercalls,
 * shared info, event channels, grant tables, xenstore, xenbus and frontends.
 * This file: detection, the hypercall page, HVM parameters, shared info (for
 * the Xen clock), power, and the debug port 0xe9 as the earliest console. */
#include "arch/x86.h"
#include "clock.h"
#include "console.h"
#include "log.h"
#include "memory.h"
#include "power.h"
#include "xen.h"

#define XEN_DEBUG_PORT 0xe9

extern uint8_t xen_hypercall_page[4096];

static uint32_t base;   /* CPUID leaf of "XenVMMXenVMM", 0 = not Xen */
static bool hypercalls; /* the page is filled */
static volatile struct shared_info *shared;

bool xen_present(void) { return base != 0; }

static void debug_port_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        outb(XEN_DEBUG_PORT, (uint8_t)s[i]);
}

static const struct console_dev debug_port_console = { "xen-debug", debug_port_write };

/* Xen's leaves sit at a multiple of 0x100 above 0x40000000 (a Hyper-V
 * compatible block can come first, Xen then moves to 0x40000100); the
 * signature and a sane maximum leaf both have to match, and leaves +1..+2
 * have to exist. Sixteen steps: each CPUID is a VM exit on other hypervisors. */
bool xen_detect(void)
{
    if (base)
        return true;
    if (!(cpuid(1, 0).ecx & (1u << 31)))
        return false;
    for (uint32_t b = XEN_CPUID_FIRST_LEAF; b < XEN_CPUID_FIRST_LEAF + 0x1000; b += 0x100) {
        struct cpuid_regs r = cpuid(b, 0);
        if (r.ebx == XEN_CPUID_SIGNATURE_EBX && r.ecx == XEN_CPUID_SIGNATURE_ECX && r.edx == XEN_CPUID_SIGNATURE_EDX &&
            r.eax >= b + 2 && r.eax < b + 0x100) {
            base = b;
            console_register(&debug_port_console);
            return true;
        }
    }
    return false;
}

/* Leaf base+3, sub-leaf 0: the guest's TSC rate in kHz (ECX). */
uint64_t xen_tsc_khz(void)
{
    if (!base || cpuid(base, 0).eax < base + 3)
        return 0;
    return cpuid(base + 3, 0).ecx;
}

/* Leaf base+4, EAX: HVM feature flags (0 when absent). */
uint32_t xen_hvm_features(void)
{
    if (!base || cpuid(base, 0).eax < base + 4)
        return 0;
    return cpuid(base + 4, 0).eax;
}

uint32_t xen_version(void) { return base ? cpuid(base + 1, 0).eax : 0; }

int xen_domid(void)
{
    if (!base || cpuid(base, 0).eax < base + 4)
        return -1;
    struct cpuid_regs r = cpuid(base + 4, 0);
    return (r.eax & XEN_HVM_CPUID_DOMID_PRESENT) ? (int)(r.ecx & 0xffff) : -1;
}

long xen_hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (!hypercalls || nr >= 128)
        return -38; /* ENOSYS */
    register uint64_t rdi __asm__("rdi") = a1;
    register uint64_t rsi __asm__("rsi") = a2;
    register uint64_t rdx __asm__("rdx") = a3;
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    long ret;
    void *entry = xen_hypercall_page + nr * 32;
    __asm__ volatile("call *%[entry]"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                     : [entry] "r"(entry)
                     : "memory", "rcx", "r11");
    return ret;
}

int xen_hvm_get_param(uint32_t index, uint64_t *value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index };
    long r = xen_hypercall(__HYPERVISOR_hvm_op, HVMOP_get_param, (uint64_t)(uintptr_t)&p, 0, 0, 0);
    *value = p.value;
    return (int)r;
}

int xen_hvm_set_param(uint32_t index, uint64_t value)
{
    struct xen_hvm_param p = { .domid = DOMID_SELF, .index = index, .value = value };
    return (int)xen_hypercall(__HYPERVISOR_hvm_op, HVMOP_set_param, (uint64_t)(uintptr_t)&p, 0, 0, 0);
}

int xen_add_to_physmap(unsigned space, uint64_t idx, uint64_t gpfn)
{
    struct xen_add_to_physmap a = { .domid = DOMID_SELF, .space = space, .idx = idx, .gpfn = gpfn };
    return (int)xen_hypercall(__HYPERVISOR_memory_op, XENMEM_add_to_physmap, (uint64_t)(uintptr_t)&a, 0, 0, 0);
}

void xen_shutdown(unsigned reason)
{
    struct sched_shutdown r = { .reason = reason };
    xen_hypercall(__HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)(uintptr_t)&r, 0, 0, 0);
}

/* The exit status has nowhere to go: xl only learns "poweroff". */
void xen_power_off(int status)
{
    pr_info("xen: powering off (status %d)\n", status);
    xen_shutdown(SHUTDOWN_poweroff);
    power_off_acpi_or_reset(status);
}

void xen_reboot(void)
{
    xen_shutdown(SHUTDOWN_reboot);
    power_reboot_pc();
}

void xen_crash(void) { xen_shutdown(SHUTDOWN_crash); }

volatile struct shared_info *xen_shared_info(void) { return shared; }

static int map_hypercall_page(void)
{
    struct cpuid_regs r = cpuid(base + 2, 0);
    if (r.eax < 1) {
        pr_err("xen: no hypercall page offered\n");
        return -1;
    }
    wrmsr(r.ebx, (uint64_t)(uintptr_t)xen_hypercall_page);
    if (xen_hypercall_page[0] == 0xcc) {
        pr_err("xen: hypercall page not filled in (MSR %#x)\n", r.ebx);
        return -1;
    }
    hypercalls = true;
    return 0;
}

/* A page of our RAM becomes shared info: Xen swaps the frame behind it. */
static int map_shared_info(void)
{
    struct shared_info *page = pages_alloc(1, PAGE_SIZE);
    if (!page)
        return -1;
    int r = xen_add_to_physmap(XENMAPSPACE_shared_info, 0, (uint64_t)(uintptr_t)page >> 12);
    if (r) {
        pr_err("xen: cannot map shared info (%d)\n", r);
        return -1;
    }
    shared = page;
    return 0;
}

int evtchn_init(void);
int xen_console_init(void);
void xen_timer_init(void);

int xen_init(void)
{
    if (!xen_detect())
        return -1;
    if (map_hypercall_page() < 0 || map_shared_info() < 0)
        return -1;
    xen_clock_attach(shared);
    uint32_t v = xen_version();
    pr_info("xen: version %u.%u, leaves at %#x, domain %d\n", v >> 16, v & 0xffff, base, xen_domid());
    if (evtchn_init() < 0)
        return -1;
    xen_timer_init();
    xen_console_init();
    return 0;
}
