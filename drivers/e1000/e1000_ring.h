/* Intel 8254x (e1000) descriptor formats and the checks on what the device
 * writes back into them: pure logic, shared by the driver and host tests. */
#ifndef KESTREL_E1000_RING_H
#define KESTREL_E1000_RING_H
#include <stdbool.h>
#include <stdint.h>

/* Legacy receive descriptor. */
struct e1000_rx_desc {
    uint64_t addr;
    volatile uint16_t length;
    volatile uint16_t checksum;
    volatile uint8_t status;
    volatile uint8_t errors;
    volatile uint16_t special;
};
#define E1000_RXD_DD 0x01
#define E1000_RXD_EOP 0x02
#define E1000_RXE_MASK 0x97 /* CE, SE, SEQ, CXE, RXE (TCPE/IPE only describe checksums we did not ask for) */

/* Legacy transmit descriptor. */
struct e1000_tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    volatile uint8_t status;
    uint8_t css;
    uint16_t special;
};
#define E1000_TXD_EOP 0x01
#define E1000_TXD_IFCS 0x02
#define E1000_TXD_RS 0x08
#define E1000_TXD_DD 0x01

#define E1000_ETH_MIN 14
#define E1000_ETH_MAX 1514

enum e1000_rx_verdict {
    E1000_RX_PENDING,    /* the device has not written it yet */
    E1000_RX_FRAME,      /* a whole frame in this buffer: deliver */
    E1000_RX_BAD_STATUS, /* receive error bits */
    E1000_RX_BAD_LENGTH, /* shorter than a header, longer than a frame or the buffer */
    E1000_RX_FRAGMENT,   /* part of a frame spread over several buffers */
};

/* Across descriptors: once a buffer without EOP is seen, the rest of that
 * frame (up to and including the EOP one) is dropped too. */
struct e1000_rx_state {
    bool in_fragment;
};

enum e1000_rx_verdict e1000_rx_classify(struct e1000_rx_state *st, uint8_t status, uint8_t errors, uint16_t length,
                                        unsigned buf_size);

/* Transmit ring accounting: descriptors [clean, tail) belong to the device
 * until it sets DD. Reclaims the finished ones from *clean on and returns
 * how many; a descriptor outside [clean, tail) is never looked at. */
unsigned e1000_tx_reclaim(const struct e1000_tx_desc *ring, unsigned size, unsigned *clean, unsigned tail);
/* Free descriptors left for transmission (one stays empty: tail == clean means idle). */
unsigned e1000_tx_free(unsigned size, unsigned clean, unsigned tail);

/* A usable station address: not all zero, not multicast. */
bool e1000_mac_valid(const uint8_t mac[6]);
/* From receive-address register 0 (only if its address-valid bit is set). */
bool e1000_mac_from_ra(uint32_t ral, uint32_t rah, uint8_t mac[6]);
/* From EEPROM words 0..2 (little-endian byte pairs). */
bool e1000_mac_from_eeprom(const uint16_t words[3], uint8_t mac[6]);

#endif
