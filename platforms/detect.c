/* Platform scoring (pure logic, host-tested): helpers the descriptors use
 * and the choice of the best descriptor. */
#include <string.h>
#include "platform.h"

int str_has(const char *haystack, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0)
        return 0;
    for (; *haystack; haystack++) {
        if (strncmp(haystack, needle, n) == 0)
            return 1;
    }
    return 0;
}

void detect_add(struct detect_result *r, int points, const char *signal)
{
    r->score += points;
    size_t len = strlen(r->why), n = strlen(signal);
    if (len && len + 2 < sizeof(r->why)) {
        memcpy(r->why + len, ", ", 3);
        len += 2;
    }
    if (len + n >= sizeof(r->why))
        n = sizeof(r->why) - 1 - len;
    memcpy(r->why + len, signal, n);
    r->why[len + n] = 0;
}

const struct platform *platform_best(const struct platform *const *list, size_t n,
                                     const struct platform_signals *s, struct detect_result *why)
{
    const struct platform *best = NULL;
    memset(why, 0, sizeof(*why));
    why->score = -1;
    for (size_t i = 0; i < n; i++) {
        struct detect_result r;
        memset(&r, 0, sizeof(r));
        if (list[i]->detect)
            list[i]->detect(s, &r);
        if (r.score > why->score) {
            *why = r;
            best = list[i];
        }
    }
    return best;
}
