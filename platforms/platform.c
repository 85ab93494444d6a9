/* platforms/: one file per platform descriptor, plus this selection code.
 * Detection scores every descriptor; the highest wins, ties go to the first. */
#include <string.h>
#include "log.h"
#include "platform.h"

extern const struct platform *const __start_kestrel_platforms[], *const __stop_kestrel_platforms[];
#define for_each_platform(p)                                                                \
    for (const struct platform *const *p##_p = __start_kestrel_platforms, *p;                 \
         p##_p < __stop_kestrel_platforms && (p = *p##_p); p##_p++)
static const struct platform *current;

const struct platform *platform_current(void) { return current; }

void platform_panic_notify(void)
{
    if (current && current->panic_notify)
        current->panic_notify();
}

const struct platform *platform_select(const struct boot_info *bi, const char *forced)
{
    char why[128] = "";
    if (forced && *forced) {
        for_each_platform(p) {
            if (strcmp(p->name, forced) == 0) {
                current = p;
                pr_info("platform: %s (forced by --platform)\n", p->name);
                return p;
            }
        }
        pr_err("platform: unknown platform '%s'; known:", forced);
        for_each_platform(p)
            kprintf(" %s", p->name);
        kprintf("\n");
        return NULL;
    }
    int best = -1;
    for_each_platform(p) {
        char w[128] = "";
        int score = p->detect ? p->detect(bi, w, sizeof(w)) : 0;
        if (score > best) {
            best = score;
            current = p;
            strlcpy(why, w, sizeof(why));
        }
    }
    if (current)
        pr_info("platform: %s (%s)\n", current->name, why[0] ? why : "no signal matched");
    return current;
}
