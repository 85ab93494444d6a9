/* The application interface: one app is linked into the image (make APP=name)
 * and provides main(). When main returns, the VM powers off with its status. */
#ifndef KESTREL_APP_H
#define KESTREL_APP_H
#include <stddef.h>

int main(int argc, char **argv);
extern const char kestrel_app_name[];

/* Heap figures for tests and benchmarks (core/malloc.c). */
void heap_stats(size_t *bytes, size_t *pages, size_t *allocs);
int heap_consistent(void);

#endif
