/* e1000 receive and transmit write-backs from the fuzzer: a stream of
 * (status, errors, length) descriptors through the receive classifier and
 * DD bits over a transmit ring. Invariants: a delivered frame has DD and
 * EOP, no error bits, a length within a frame and the buffer, and is never
 * part of a spread frame; transmit reclaim never passes the tail. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "../../drivers/e1000/e1000_ring.h"

#define TX 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    struct e1000_rx_state st = { false };
    bool prev_no_eop = false;
    size_t i = 0;
    for (; i + 4 <= len && i < 4096; i += 4) {
        uint8_t status = data[i], errors = data[i + 1];
        uint16_t length = (uint16_t)(data[i + 2] | data[i + 3] << 8);
        bool was_fragment = st.in_fragment;
        enum e1000_rx_verdict v = e1000_rx_classify(&st, status, errors, length, 2048);
        if (v == E1000_RX_FRAME) {
            if (!(status & E1000_RXD_DD) || !(status & E1000_RXD_EOP) || (errors & E1000_RXE_MASK) ||
                length < E1000_ETH_MIN || length > E1000_ETH_MAX || was_fragment || prev_no_eop)
                abort();
        }
        if (v != E1000_RX_PENDING)
            prev_no_eop = !(status & E1000_RXD_EOP);
    }
    struct e1000_tx_desc ring[TX];
    memset(ring, 0, sizeof(ring));
    unsigned clean = len ? data[0] % (TX + 2) : 0, tail = len > 1 ? data[1] % (TX + 2) : 0;
    for (unsigned k = 0; k < TX && i + k < len; k++)
        ring[k].status = data[i + k];
    unsigned before = clean, n = e1000_tx_reclaim(ring, TX, &clean, tail);
    if (before >= TX || tail >= TX) {
        if (n || clean != before)
            abort();
    } else if (n > (tail + TX - before) % TX || clean >= TX) {
        abort();
    }
    if (e1000_tx_free(TX, clean, tail) >= TX)
        abort();
    return 0;
}
