/* The metadata clients' HTTP response parser with any bytes a server may send:
 * an accepted answer's body must lie inside the buffer and within the limit. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "http_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len > HTTP_RESP_HEAD_MAX + HTTP_RESP_BODY_MAX + 16)
        return 0;
    char *buf = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
    memcpy(buf, data, len);
    struct http_response r;
    enum http_resp_error e = http_response_parse(buf, len, &r);
    if (e == HTTP_RESP_OK) {
        if (r.status < 100 || r.status > 599 || r.content_length > HTTP_RESP_BODY_MAX ||
            r.body_offset > len || r.body_offset + r.content_length != len)
            abort();
    }
    (void)http_resp_strerror(e);
    free(buf);
    return 0;
}
