/* Fatal errors: print the reason, registers and a backtrace, tell the
 * platform (pvpanic and the like) and stop the machine. */
#ifndef KESTREL_PANIC_H
#define KESTREL_PANIC_H
#include <stdint.h>

struct int_frame;

/* Status the VM exits with after a panic (scripts/run reports it). */
#define PANIC_EXIT_STATUS 125

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_frame(struct int_frame *f, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void backtrace_print(uint64_t rbp);

/* Called once, in registration order, after the report and before the
 * machine stops (pvpanic tells the hypervisor). At most PANIC_NOTIFIERS. */
#define PANIC_NOTIFIERS 4
int panic_notifier_register(void (*fn)(void));

#endif
