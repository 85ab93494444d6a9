/* The initial stack from arbitrary argument and environment strings and
 * buffer sizes: never a write outside the buffer, and when it succeeds
 * the vectors point inside it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../linux/user_stack.h"

#define TOP 0x7ffffffff000ull

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 2)
        return 0;
    size_t size = (size_t)data[0] * 16 + data[1];
    char *text = malloc(len - 1);
    memcpy(text, data + 2, len - 2);
    text[len - 2] = 0;
    /* Split at '\n' into strings: the first half argv, the rest envp. */
    const char *strs[64];
    unsigned n = 0;
    for (char *p = text; n < 64;) {
        strs[n++] = p;
        char *nl = strchr(p, '\n');
        if (!nl)
            break;
        *nl = 0;
        p = nl + 1;
    }
    struct ustack_args a;
    memset(&a, 0, sizeof(a));
    uint8_t rnd[16] = { 0 };
    a.argv = strs;
    a.argc = (n + 1) / 2;
    a.envp = strs + a.argc;
    a.envc = n - a.argc;
    a.execfn = strs[0];
    a.platform = "x86_64";
    a.random16 = rnd;
    a.aux[0][0] = AT_RANDOM;
    a.aux[1][0] = AT_EXECFN;
    a.naux = 2;
    uint8_t *buf = malloc(size ? size : 1);
    uint64_t sp;
    if (ustack_build(buf, size, TOP, &a, &sp) == 0) {
        if (sp % 16 || sp < TOP - size || sp >= TOP)
            abort();
        uint64_t argc;
        memcpy(&argc, buf + (sp - (TOP - size)), 8);
        if (argc != a.argc)
            abort();
        for (unsigned i = 0; i < a.argc; i++) {
            uint64_t p;
            memcpy(&p, buf + (sp + 8 + 8 * i - (TOP - size)), 8);
            if (p < TOP - size || p >= TOP || strcmp((char *)buf + (p - (TOP - size)), strs[i]) != 0)
                abort();
        }
    }
    free(buf);
    free(text);
    return 0;
}
