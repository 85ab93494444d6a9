/* Local APIC in xAPIC (MMIO) or x2APIC (MSR) mode, and its timer used as a
 * one-shot event timer. */
#include "arch/x86.h"
#include "cpu.h"
#include "irq.h"
#include "log.h"
#include "memory.h"
#include "timer.h"

#define REG_ID 0x20
#define REG_TPR 0x80
#define REG_EOI 0xb0
#define REG_SVR 0xf0
#define REG_ICR_LOW 0x300
#define REG_ICR_HIGH 0x310
#define REG_LVT_TIMER 0x320
#define REG_LVT_LINT0 0x350
#define REG_TIMER_INIT 0x380
#define REG_TIMER_CUR 0x390
#define REG_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)

static volatile uint32_t *mmio;
static int x2apic;
static uint64_t timer_mult; /* ticks = ns * timer_mult >> 32 */
static int tsc_deadline;     /* CPUID.1:ECX[24]: program an absolute TSC value instead */
static uint64_t tsc_khz;

#define MSR_TSC_DEADLINE 0x6e0
#define LVT_TSC_DEADLINE (2u << 17)
#define MAX_ONESHOT_NS 60000000000ull

static uint32_t rd(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(0x800 + (reg >> 4));
    return mmio[reg / 4];
}

static void wr(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(0x800 + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

int lapic_is_x2apic(void) { return x2apic; }

void lapic_init(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    x2apic = (cpuid(1, 0).ecx >> 21) & 1;
    if (x2apic) {
        /* Disabled to x2APIC in one write is an invalid transition (#GP):
         * through xAPIC mode first. */
        if (!(base & APIC_BASE_ENABLE))
            wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
        if (!(base & APIC_BASE_X2APIC))
            wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
    } else {
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
        if (!mmio)
            mmio = ioremap(base & ~0xfffull, 4096);
    }
    wr(REG_TPR, 0);
    wr(REG_SVR, 0x100 | VEC_SPURIOUS);
    wr(REG_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    wr(REG_TIMER_DIV, 0x3); /* divide by 16 */
    this_cpu()->apic_id = lapic_id();
    pr_debug("lapic: id %u, %s mode\n", lapic_id(), x2apic ? "x2APIC" : "xAPIC");
}

uint32_t lapic_id(void) { return x2apic ? rd(REG_ID) : rd(REG_ID) >> 24; }

void lapic_eoi(void) { wr(REG_EOI, 0); }

void lapic_timer_prepare_calibration(void)
{
    wr(REG_LVT_TIMER, LVT_MASKED | VEC_LAPIC_TIMER);
    wr(REG_TIMER_INIT, 0xffffffffu);
}

uint32_t lapic_timer_count(void) { return rd(REG_TIMER_CUR); }

void lapic_timer_enable(void)
{
    if (tsc_deadline) {
        wr(REG_LVT_TIMER, VEC_LAPIC_TIMER | LVT_TSC_DEADLINE);
        __asm__ volatile("mfence" ::: "memory"); /* the SDM asks for this before the first deadline */
        wrmsr(MSR_TSC_DEADLINE, 0);
        return;
    }
    wr(REG_TIMER_DIV, 0x3);
    wr(REG_TIMER_INIT, 0);
    wr(REG_LVT_TIMER, VEC_LAPIC_TIMER); /* one-shot, unmasked */
}

void lapic_timer_use_tsc_deadline(uint64_t tsc_hz)
{
    if (!(cpuid(1, 0).ecx & (1u << 24)) || tsc_hz == 0)
        return;
    tsc_deadline = 1;
    tsc_khz = tsc_hz / 1000;
    pr_debug("lapic: TSC-deadline timer\n");
}

void lapic_timer_calibrate(uint64_t ticks_per_sec)
{
    timer_mult = (ticks_per_sec << 32) / 1000000000u;
    lapic_timer_enable();
}

void lapic_send_icr(uint32_t apic_id, uint32_t low)
{
    if (x2apic) {
        wrmsr(0x830, ((uint64_t)apic_id << 32) | low);
        return;
    }
    wr(REG_ICR_HIGH, apic_id << 24);
    wr(REG_ICR_LOW, low);
    for (int i = 0; i < 1000000 && (rd(REG_ICR_LOW) & (1u << 12)); i++)
        cpu_relax(); /* delivery pending */
}

void lapic_timer_oneshot_ns(uint64_t ns)
{
    if (tsc_deadline) {
        if (ns > MAX_ONESHOT_NS)
            ns = MAX_ONESHOT_NS; /* fires early; the timer code re-arms */
        wrmsr(MSR_TSC_DEADLINE, ns ? rdtsc() + (ns * tsc_khz) / 1000000 + 1 : 0);
        return;
    }
    if (ns == 0) {
        wr(REG_TIMER_INIT, 0);
        return;
    }
    /* Multiply-shift: a 128-bit division would pull in libgcc. */
    unsigned __int128 count = ((unsigned __int128)ns * timer_mult) >> 32;
    if (count == 0)
        count = 1;
    if (count > 0xffffffffu)
        count = 0xffffffffu; /* fires early; the timer code re-arms */
    wr(REG_TIMER_INIT, (uint32_t)count);
}

static const struct event_timer lapic_deadline = { "lapic-tsc-deadline", lapic_timer_oneshot_ns, lapic_timer_enable };
static const struct event_timer lapic_oneshot = { "lapic-oneshot", lapic_timer_oneshot_ns, lapic_timer_enable };

const struct event_timer *lapic_event_timer(void) { return tsc_deadline ? &lapic_deadline : &lapic_oneshot; }
