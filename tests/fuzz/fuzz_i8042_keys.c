/* Any byte stream into the Ctrl-Alt-Del tracker; a hit must be the end of
 * a sequence that really contains an extended Delete make code. */
#include <stdint.h>
#include <stdlib.h>
#include "../../drivers/misc/i8042_keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct cad_state s = { { 0 }, { 0 } };
    for (size_t i = 0; i < len; i++) {
        if (cad_feed(&s, data[i]) && (i == 0 || data[i - 1] != 0xe0 || (data[i] != 0x53 && data[i] != 0x71)))
            abort();
    }
    return 0;
}
