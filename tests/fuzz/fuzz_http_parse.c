/* httpd's request parsing with any bytes a client may send, then the range
 * it asks for resolved against a few file sizes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../apps/httpd/http_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len > 2 * HTTP_HEAD_MAX)
        return 0;
    char *buf = malloc(len ? len : 1); /* exact size: ASan sees any over-read */
    memcpy(buf, data, len);
    struct http_request r;
    size_t used = http_parse_request(buf, len, &r);
    if (used > len)
        abort();
    if (used && r.status == 0) {
        if (strnlen(r.path, sizeof(r.path)) == sizeof(r.path))
            abort();
        (void)http_content_type(r.path);
        static const uint64_t sizes[] = { 0, 1, 100, UINT64_MAX };
        for (size_t i = 0; i < 4; i++) {
            uint64_t s = 0, c = 0;
            int k = http_resolve_range(&r.range, sizes[i], &s, &c);
            if (k == 1 && (c == 0 || s >= sizes[i] || c > sizes[i] - s))
                abort();
        }
    }
    free(buf);
    return 0;
}
