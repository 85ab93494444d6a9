/* Kernel log: one printf-like entry with a level. The same header serves the
 * kernel and host unit tests (tests/unit/host_shim.c implements it there). */
#ifndef KESTREL_LOG_H
#define KESTREL_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

void klog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vklog(int level, const char *fmt, va_list ap);
/* Raw output without a level prefix (always printed). */
int kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define pr_err(...) klog(LOG_ERR, __VA_ARGS__)
#define pr_warn(...) klog(LOG_WARN, __VA_ARGS__)
#define pr_info(...) klog(LOG_INFO, __VA_ARGS__)
#define pr_debug(...) klog(LOG_DEBUG, __VA_ARGS__)

#endif
