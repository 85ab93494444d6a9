/* Platform descriptors: what kind of machine this is and how to drive it.
 * Each registers through a linker-section table; platform_select() scores
 * them against boot_info (or takes --platform=NAME). */
#ifndef KESTREL_PLATFORM_H
#define KESTREL_PLATFORM_H
#include <stddef.h>
#include "boot_info.h"

struct platform {
    const char *name;
    /* Match score against what boot told us (0 = no match); why gets the
     * signals that matched. */
    int (*detect)(const struct boot_info *bi, char *why, size_t why_len);
    const char *const *clock_preference; /* NULL-terminated, may be NULL */
    void (*power_off)(int status);       /* returns if it could not */
    void (*reboot)(void);
    void (*panic_notify)(void);
};

/* The table holds pointers: gcc may pad structs to 32 bytes, pointers never. */
#define PLATFORM(var)                                                                           \
    static const struct platform var;                                                           \
    static const struct platform *const var##_entry                                             \
        __attribute__((used, section(".kestrel.platforms." #var))) = &var;                      \
    static const struct platform var

/* Returns the chosen platform, or NULL (with an error printed) when forced
 * names no platform. */
const struct platform *platform_select(const struct boot_info *bi, const char *forced);
const struct platform *platform_current(void);
void platform_panic_notify(void);

#endif
