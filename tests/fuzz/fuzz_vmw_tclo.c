/* Host TCLO commands (the input split at newlines) into the dispatcher:
 * every reply is NUL-terminated, within its buffer, and either OK or ERROR;
 * only the exact power-operation names ask for a state change. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "vmw_tclo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && data[i] != '\n')
            continue;
        size_t n = i - start;
        char *cmd = malloc(n ? n : 1); /* exactly n bytes: ASan sees overreads */
        memcpy(cmd, data + start, n);
        char reply[64];
        struct tclo_action a;
        size_t r = tclo_dispatch(cmd, n, reply, sizeof(reply), &a);
        if (r >= sizeof(reply) || reply[r] != 0 || (strncmp(reply, "OK", 2) != 0 && strncmp(reply, "ERROR", 5) != 0))
            abort();
        if (a.state_change != TCLO_STATE_NONE && (n < 7 || memcmp(cmd, "OS_", 3) != 0))
            abort();
        free(cmd);
        start = i + 1;
    }
    return 0;
}
