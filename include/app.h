/* The application interface: one app is linked into the image (make APP=name)
 * and provides main(). When main returns, the VM powers off with its status. */
#ifndef KESTREL_APP_H
#define KESTREL_APP_H
#include <stddef.h>
#include "stop.h"

int main(int argc, char **argv);

/* Optional: an app that defines it is told of a stop request (power button,
 * hypervisor shutdown; include/stop.h), once, from the kernel's stop thread.
 * It should make main() return soon and not block here; the kernel powers
 * off with main's status, or after --stop-timeout seconds with 123. An app
 * without it is ended at once with status 122 (STOP_STATUS_*). */
void app_on_stop(enum stop_kind kind) __attribute__((weak));
extern const char kestrel_app_name[];

/* Heap figures for tests and benchmarks (core/malloc.c). */
void heap_stats(size_t *bytes, size_t *pages, size_t *allocs);
int heap_consistent(void);

#endif
