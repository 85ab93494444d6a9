/* net/inet_sum.c on whatever bytes a frame may carry: at every start
 * alignment and length (odd ones too) it must equal the one's-complement
 * sum by its definition (RFC 1071), and read nothing past the buffer
 * (ASan); the data's first byte picks the alignment. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../net/inet_sum.h"
#include "../unit/inet_sum_ref.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536)
        return 0;
    size_t off = data[0] & 7, len = size - 1;
    /* An exact-size heap copy at the chosen alignment: a read past its
     * end is ASan's to report. */
    uint8_t *block = malloc(off + len + 1);
    if (!block)
        return 0;
    memcpy(block + off, data + 1, len);
    if (inet_sum(block + off, (int)len) != inet_sum_reference(block + off, len))
        abort();
    free(block);
    return 0;
}
