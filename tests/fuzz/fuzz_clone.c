/* libFuzzer target for linux/clone_args.c: any clone() arguments; an
 * accepted set is always a thread of this process (VM, SIGHAND, THREAD) with
 * no flag outside the supported ones. */
#include <stdint.h>
#include <string.h>
#include "../../linux/clone_args.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
    uint64_t v[5] = {0};
    memcpy(v, d, n < sizeof v ? n : sizeof v);
    struct clone_req r;
    const char *why;
    int e = clone_check(v[0], v[1], v[2], v[3], v[4], &r, &why);
    if (e == 0) {
        if ((r.flags & CLONE_THREAD_NEEDS) != CLONE_THREAD_NEEDS || why)
            __builtin_trap();
        if (r.flags & ~(CLONE_THREAD_MAY | CSIGNAL) || r.stack != v[1] || r.tls != v[4])
            __builtin_trap();
    } else if (!why) {
        __builtin_trap();
    }
    return 0;
}
