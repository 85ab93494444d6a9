/* Bootchart: a fixed array of (phase, TSC) pairs. */
#include "arch/x86.h"
#include "bootchart.h"
#include "clock.h"
#include "log.h"

#define MAX_MARKS 32

extern uint64_t boot_entry_tsc;

static struct {
    const char *phase;
    uint64_t tsc;
} marks[MAX_MARKS];
static unsigned nmarks;

void bootchart_mark(const char *phase)
{
    if (nmarks < MAX_MARKS)
        marks[nmarks++] = (typeof(marks[0])){ phase, rdtsc() };
}

uint64_t bootchart_elapsed_us(void) { return tsc_hz() ? tsc_to_ns(rdtsc() - boot_entry_tsc) / 1000 : 0; }

static void print_ms(uint64_t us)
{
    kprintf("%llu.%02llu ms", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000 / 10));
}

void bootchart_print(void)
{
    uint64_t prev = 0;
    for (unsigned i = 0; i < nmarks; i++) {
        uint64_t us = tsc_to_ns(marks[i].tsc - boot_entry_tsc) / 1000;
        kprintf("%s: ", marks[i].phase);
        print_ms(us);
        kprintf(" (+");
        print_ms(us - prev);
        kprintf(")\n");
        prev = us;
    }
}
