/* Boot phase timestamps (raw TSC, converted once the TSC rate is known),
 * printed OSv-style by --bootchart just before the app's main(). */
#ifndef KESTREL_BOOTCHART_H
#define KESTREL_BOOTCHART_H
#include <stdint.h>

void bootchart_mark(const char *phase);
/* A mark in CPU cpu's own lane (its bring-up), from any CPU. */
void bootchart_mark_cpu(unsigned cpu, const char *phase);
void bootchart_print(void);
/* Milliseconds from kernel entry to now, for boot lines. */
uint64_t bootchart_elapsed_us(void);

#endif
