/* Console: where kernel and app output goes. The 16550 UART is the first
 * device; later ones (Xen PV console) register the same way. */
#ifndef KESTREL_CONSOLE_H
#define KESTREL_CONSOLE_H
#include <stddef.h>

struct console_dev {
    const char *name;
    void (*write)(const char *s, size_t n);
};

void console_register(const struct console_dev *dev);
void console_write(const char *s, size_t n);
/* Set by --verbose (LOG_DEBUG lines too) and --quiet (LOG_WARN and worse). */
void console_set_level(int max_level);
/* The highest level klog prints now (LOG_INFO unless --verbose/--quiet):
 * for a message whose arguments cost time to compute. */
int console_level(void);
/* After a panic starts: skip locks so a wedged lock cannot eat the report. */
void console_panic_mode(void);

void uart16550_init(void);

#endif
