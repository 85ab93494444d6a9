/* drivers/e1000: Intel PRO/1000 (82540EM, 82545EM, 82574L) with legacy descriptor rings.
 * This file: what the device writes back (descriptor status and lengths, MAC sources), checked. */
#include <string.h>
#include "e1000_ring.h"

enum e1000_rx_verdict e1000_rx_classify(struct e1000_rx_state *st, uint8_t status, uint8_t errors, uint16_t length,
                                        unsigned buf_size)
{
    if (!(status & E1000_RXD_DD))
        return E1000_RX_PENDING;
    bool eop = (status & E1000_RXD_EOP) != 0;
    if (st->in_fragment || !eop) {
        st->in_fragment = !eop;
        return E1000_RX_FRAGMENT;
    }
    if (errors & E1000_RXE_MASK)
        return E1000_RX_BAD_STATUS;
    if (length < E1000_ETH_MIN || length > E1000_ETH_MAX || length > buf_size)
        return E1000_RX_BAD_LENGTH;
    return E1000_RX_FRAME;
}

unsigned e1000_tx_reclaim(const struct e1000_tx_desc *ring, unsigned size, unsigned *clean, unsigned tail)
{
    unsigned n = 0;
    if (size == 0 || *clean >= size || tail >= size)
        return 0;
    while (*clean != tail && (ring[*clean].status & E1000_TXD_DD)) {
        *clean = (*clean + 1) % size;
        n++;
    }
    return n;
}

unsigned e1000_tx_free(unsigned size, unsigned clean, unsigned tail)
{
    if (size == 0 || clean >= size || tail >= size)
        return 0;
    return (clean + size - tail - 1) % size;
}

bool e1000_mac_valid(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    return memcmp(mac, zero, 6) != 0 && !(mac[0] & 1);
}

bool e1000_mac_from_ra(uint32_t ral, uint32_t rah, uint8_t mac[6])
{
    if (!(rah & (1u << 31)))
        return false;
    for (int i = 0; i < 4; i++)
        mac[i] = (uint8_t)(ral >> (8 * i));
    mac[4] = (uint8_t)rah;
    mac[5] = (uint8_t)(rah >> 8);
    return e1000_mac_valid(mac);
}

bool e1000_mac_from_eeprom(const uint16_t words[3], uint8_t mac[6])
{
    for (int i = 0; i < 3; i++) {
        mac[2 * i] = (uint8_t)words[i];
        mac[2 * i + 1] = (uint8_t)(words[i] >> 8);
    }
    return e1000_mac_valid(mac);
}
