/* Bootchart: a fixed array of (lane, phase, TSC) marks. Lane 0 is the boot
 * line; lane N holds CPU N's own bring-up, so a picture can show each CPU. */
#include "arch/x86.h"
#include "bootchart.h"
#include "clock.h"
#include "log.h"

#define MAX_MARKS 64

extern uint64_t boot_entry_tsc;

static struct {
    const char *phase;
    unsigned lane;
    uint64_t tsc;
} marks[MAX_MARKS];
static unsigned nmarks;

void bootchart_mark_cpu(unsigned cpu, const char *phase)
{
    /* APs mark while the boot CPU does: each mark takes its own slot. */
    unsigned i = __atomic_fetch_add(&nmarks, 1, __ATOMIC_RELAXED);
    if (i < MAX_MARKS)
        marks[i] = (typeof(marks[0])){ phase, cpu, rdtsc() };
}

void bootchart_mark(const char *phase) { bootchart_mark_cpu(0, phase); }

uint64_t bootchart_elapsed_us(void) { return tsc_hz() ? tsc_to_ns(rdtsc() - boot_entry_tsc) / 1000 : 0; }

static void print_ms(uint64_t us)
{
    kprintf("%llu.%02llu ms", (unsigned long long)(us / 1000), (unsigned long long)(us % 1000 / 10));
}

static uint64_t mark_us(unsigned i)
{
    uint64_t tsc = marks[i].tsc;
    return tsc > boot_entry_tsc ? tsc_to_ns(tsc - boot_entry_tsc) / 1000 : 0;
}

/* "phase: T ms (+D ms)" as OSv prints it for the boot line; "cpuN phase: ..."
 * for a CPU's own marks, D counted from that CPU's previous mark. */
void bootchart_print(void)
{
    unsigned n = nmarks < MAX_MARKS ? nmarks : MAX_MARKS;
    for (unsigned i = 0; i < n; i++) {
        uint64_t us = mark_us(i), prev = 0;
        for (unsigned j = i; j-- > 0;) {
            if (marks[j].lane == marks[i].lane) {
                prev = mark_us(j);
                break;
            }
        }
        if (marks[i].lane)
            kprintf("cpu%u ", marks[i].lane);
        kprintf("%s: ", marks[i].phase);
        print_ms(us);
        kprintf(" (+");
        print_ms(us > prev ? us - prev : 0);
        kprintf(")\n");
    }
    if (nmarks > MAX_MARKS)
        kprintf("bootchart: %u marks past the first %u were not kept\n", nmarks - MAX_MARKS, MAX_MARKS);
}
