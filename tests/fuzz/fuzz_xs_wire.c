/* xenstore response handling against arbitrary daemon behaviour: the input
 * is a series of (indices, ring bytes) snapshots; the reader must never read
 * or write outside the page and its buffer, and must stop at bad indices. */
#include <stdint.h>
#include <string.h>
#include "xs_wire.h"

static struct xenstore_domain_interface page;
static struct xs_reader reader;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    memset(&page, 0, sizeof(page));
    memset(&reader, 0, sizeof(reader));
    while (size >= 8) {
        uint32_t prod_step, bytes_off;
        memcpy(&prod_step, data, 4);
        memcpy(&bytes_off, data + 4, 4);
        data += 8;
        size -= 8;
        size_t n = size < 64 ? size : 64;
        for (size_t i = 0; i < n; i++)
            page.rsp[MASK_XENSTORE_IDX(bytes_off + i)] = (char)data[i];
        data += n;
        size -= n;
        page.rsp_prod += prod_step % 2048; /* sometimes more than a ring */
        int r = xs_reader_feed(&reader, &page);
        if (r < 0)
            break;
        if (r == 1) {
            const char *parts[4];
            xs_split((char *)reader.body, reader.hdr.len, parts, 4);
            xs_error_code((const char *)reader.body, reader.hdr.len);
            reader.have = 0;
        }
    }
    return 0;
}
