/* Console output and the kernel log. Lines from different CPUs/threads do
 * not interleave: one formatted line is written under one lock. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "console.h"
#include "format.h"
#include "log.h"
#include "spinlock.h"

#define MAX_CONSOLES 4

static const struct console_dev *consoles[MAX_CONSOLES];
static unsigned nconsoles;
static int max_level = LOG_INFO;
static int panic_mode;
static struct spinlock lock = SPINLOCK_INIT;

void console_register(const struct console_dev *dev)
{
    if (nconsoles < MAX_CONSOLES)
        consoles[nconsoles++] = dev;
}

void console_set_level(int level) { max_level = level; }
int console_level(void) { return max_level; }
void console_panic_mode(void) { panic_mode = 1; }

static void write_all(void *ctx, const char *s, size_t n)
{
    (void)ctx;
    for (unsigned i = 0; i < nconsoles; i++)
        consoles[i]->write(s, n);
}

static uint64_t console_lock(void)
{
    return panic_mode ? 0 : spin_lock_irqsave(&lock);
}

static void console_unlock(uint64_t flags)
{
    if (!panic_mode)
        spin_unlock_irqrestore(&lock, flags);
}

void console_write(const char *s, size_t n)
{
    uint64_t flags = console_lock();
    write_all(NULL, s, n);
    console_unlock(flags);
}

/* Formats straight to the consoles in chunks, under the lock for the whole
 * message: output of any length comes out whole and uninterleaved. */
static int vprint(const char *prefix, const char *fmt, va_list ap)
{
    uint64_t flags = console_lock();
    size_t p = strlen(prefix);
    write_all(NULL, prefix, p);
    int n = fmt_vcbprintf(write_all, NULL, fmt, ap);
    console_unlock(flags);
    return (int)p + n;
}

static const char *const level_prefix[] = { "error: ", "warning: ", "", "debug: " };

void vklog(int level, const char *fmt, va_list ap)
{
    if (level > max_level)
        return;
    if (level < LOG_ERR || level > LOG_DEBUG)
        level = LOG_ERR;
    vprint(level_prefix[level], fmt, ap);
}

void klog(int level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vklog(level, fmt, ap);
    va_end(ap);
}

int kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprint("", fmt, ap);
    va_end(ap);
    return n;
}

int vprintf(const char *fmt, va_list ap) { return vprint("", fmt, ap); }

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprint("", fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    console_write(s, strlen(s));
    console_write("\n", 1);
    return 0;
}

int putchar(int c)
{
    char ch = (char)c;
    console_write(&ch, 1);
    return c;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) { return fmt_vsnprintf(buf, size, fmt, ap); }

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = fmt_vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
