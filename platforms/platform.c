/* platforms/: one file per platform descriptor, plus this selection code.
 * Detection scores every descriptor against the signals; the highest
 * wins, ties go to the first in the table. */
#include <string.h>
#include "log.h"
#include "platform.h"

extern const struct platform *const __start_kestrel_platforms[], *const __stop_kestrel_platforms[];
static const struct platform *current;

const struct platform *platform_current(void) { return current; }

void platform_panic_notify(void)
{
    if (current && current->panic_notify)
        current->panic_notify();
}

void platform_probe_signals(struct platform_signals *s)
{
    s->vmware_backdoor = 0;
    for (const struct platform *const *p = __start_kestrel_platforms; p < __stop_kestrel_platforms; p++) {
        if ((*p)->probe_signals)
            (*p)->probe_signals(s);
    }
}

static void list_names(void)
{
    for (const struct platform *const *p = __start_kestrel_platforms; p < __stop_kestrel_platforms; p++)
        kprintf(" %s", (*p)->name);
    kprintf("\n");
}

const struct platform *platform_select(const struct platform_signals *s, const char *forced)
{
    size_t n = (size_t)(__stop_kestrel_platforms - __start_kestrel_platforms);
    if (forced && *forced) {
        for (size_t i = 0; i < n; i++) {
            if (strcmp(__start_kestrel_platforms[i]->name, forced) == 0) {
                current = __start_kestrel_platforms[i];
                pr_info("platform: %s (forced by --platform)\n", current->name);
                return current;
            }
        }
        pr_err("platform: unknown platform '%s'; known:", forced);
        list_names();
        return NULL;
    }
    struct detect_result why;
    current = platform_best(__start_kestrel_platforms, n, s, &why);
    if (current)
        pr_info("platform: %s (%s)\n", current->name, why.why[0] ? why.why : "no signal matched");
    return current;
}
