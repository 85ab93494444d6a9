/* HPET main counter as a clock source. The address comes from the ACPI HPET
 * table via hpet_set_address(), or the PC default. 32-bit counters are
 * extended in software (reads must come at least once per wrap: 42 s at
 * 100 MHz; the timer code reads the clock far more often than that). */
#include "arch/x86.h"
#include "clock.h"
#include "log.h"
#include "memory.h"
#include "spinlock.h"

#define HPET_DEFAULT 0xfed00000ull
#define REG_CAP 0x00
#define REG_CONFIG 0x10
#define REG_COUNTER 0xf0
#define CAP_64BIT (1ull << 13)
#define MAX_PERIOD_FS 100000000ull /* the spec's slowest: 10 MHz */

static uint64_t address = HPET_DEFAULT;
static volatile uint8_t *regs;
static uint64_t mult; /* ns = ticks * mult >> 32 */
static uint64_t hz;
static int wide;
static struct spinlock lock = SPINLOCK_INIT;
static uint64_t high, last_low;

void hpet_set_address(uint64_t phys) { address = phys; }

static uint64_t rd64(unsigned off) { return *(volatile uint64_t *)(regs + off); }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(regs + off) = v; }

static int hpet_probe(void)
{
    if (!address)
        return -1;
    regs = ioremap(address, 0x400);
    uint64_t cap = rd64(REG_CAP);
    uint64_t period = cap >> 32;
    if (cap == ~0ull || period == 0 || period > MAX_PERIOD_FS) {
        pr_debug("hpet: none at %#llx (capabilities %#llx)\n", (unsigned long long)address,
                 (unsigned long long)cap);
        return -1;
    }
    wide = (cap & CAP_64BIT) != 0;
    hz = 1000000000000000ull / period;
    mult = (period << 32) / 1000000; /* fs per tick -> ns, in 32.32 fixed point */
    wr64(REG_CONFIG, rd64(REG_CONFIG) | 1);
    return 0;
}

static uint64_t hpet_ticks(void)
{
    if (wide)
        return rd64(REG_COUNTER);
    uint64_t flags = spin_lock_irqsave(&lock);
    uint32_t low = *(volatile uint32_t *)(regs + REG_COUNTER);
    if (low < last_low)
        high += 1ull << 32;
    last_low = low;
    uint64_t t = high | low;
    spin_unlock_irqrestore(&lock, flags);
    return t;
}

static uint64_t hpet_read(void) { return (uint64_t)(((unsigned __int128)hpet_ticks() * mult) >> 32); }
static uint64_t hpet_hz(void) { return hz; }

CLOCK_SOURCE(hpet_source) = {
    .name = "hpet",
    .rating = 250,
    .probe = hpet_probe,
    .read_ns = hpet_read,
    .freq_hz = hpet_hz,
    .stable_across_cpus = true,
};
