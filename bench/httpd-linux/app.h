/* bench/http's Linux guest: heap figures are Kestrel's; Linux reports none. */
#ifndef HTTPD_LINUX_APP_H
#define HTTPD_LINUX_APP_H
#include <stddef.h>

static inline void heap_stats(size_t *bytes, size_t *pages, size_t *allocs) { *bytes = *pages = *allocs = 0; }

#endif
