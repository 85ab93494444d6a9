/* e1000 descriptor checks against a device that writes nonsense: status
 * without DD, frames spread over buffers (dropped whole, never half),
 * receive errors, lengths out of range; transmit ring accounting with
 * wild indices; MAC sources. */
#include <string.h>
#include "check.h"
#include "../../drivers/e1000/e1000_ring.h"

#define BUF 2048

static void test_rx(void)
{
    struct e1000_rx_state st = { false };
    CHECK_EQ(e1000_rx_classify(&st, 0, 0, 60, BUF), E1000_RX_PENDING);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_EOP, 0, 60, BUF), E1000_RX_PENDING); /* EOP without DD */
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 60, BUF), E1000_RX_FRAME);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 1514, BUF), E1000_RX_FRAME);
    CHECK_EQ(e1000_rx_classify(&st, 0xff, 0, 14, BUF), E1000_RX_FRAME);
    /* Lengths out of range. */
    static const uint16_t bad[] = { 0, 1, 13, 1515, 2048, 2049, 0xffff };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, bad[i], BUF), E1000_RX_BAD_LENGTH);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 1000, 512), E1000_RX_BAD_LENGTH);
    /* Receive errors (CE, SE, SEQ, CXE, RXE); checksum-only bits are not. */
    static const uint8_t errs[] = { 0x01, 0x02, 0x04, 0x10, 0x80 };
    for (unsigned i = 0; i < sizeof(errs); i++)
        CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, errs[i], 60, BUF), E1000_RX_BAD_STATUS);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0x60, 60, BUF), E1000_RX_FRAME);
    /* A frame over three buffers: every piece dropped, the next frame fine. */
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD, 0, 2048, BUF), E1000_RX_FRAGMENT);
    CHECK(st.in_fragment);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD, 0, 2048, BUF), E1000_RX_FRAGMENT);
    CHECK_EQ(e1000_rx_classify(&st, 0, 0, 0, BUF), E1000_RX_PENDING); /* not written yet: state kept */
    CHECK(st.in_fragment);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 100, BUF), E1000_RX_FRAGMENT);
    CHECK(!st.in_fragment);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 100, BUF), E1000_RX_FRAME);
    /* The tail of a spread frame with a plausible length is still dropped. */
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD, 0, 1514, BUF), E1000_RX_FRAGMENT);
    CHECK_EQ(e1000_rx_classify(&st, E1000_RXD_DD | E1000_RXD_EOP, 0, 60, BUF), E1000_RX_FRAGMENT);
}

static void test_tx(void)
{
    struct e1000_tx_desc ring[8];
    memset(ring, 0, sizeof(ring));
    unsigned clean = 0, tail = 5;
    CHECK_EQ(e1000_tx_free(8, clean, tail), 2);
    CHECK_EQ(e1000_tx_free(8, 0, 0), 7);
    CHECK_EQ(e1000_tx_free(8, 3, 2), 0);
    ring[0].status = ring[1].status = E1000_TXD_DD;
    ring[3].status = E1000_TXD_DD; /* DD out of order: not reclaimed past 2 */
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, tail), 2);
    CHECK_EQ(clean, 2);
    /* DD on descriptors the device was never given is never looked at. */
    for (unsigned i = 0; i < 8; i++)
        ring[i].status = 0xff;
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, tail), 3);
    CHECK_EQ(clean, 5);
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, tail), 0);
    /* Wrap-around. */
    clean = 6;
    tail = 2;
    CHECK_EQ(e1000_tx_free(8, clean, tail), 3);
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, tail), 4);
    CHECK_EQ(clean, 2);
    /* Indices out of range are refused. */
    clean = 9;
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, 2), 0);
    CHECK_EQ(clean, 9);
    clean = 0;
    CHECK_EQ(e1000_tx_reclaim(ring, 8, &clean, 8), 0);
    CHECK_EQ(e1000_tx_free(8, 0, 8), 0);
    CHECK_EQ(e1000_tx_free(0, 0, 0), 0);
}

static void test_mac(void)
{
    uint8_t mac[6];
    CHECK(e1000_mac_from_ra(0x12005452, 0x80005634, mac));
    static const uint8_t qemu[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
    CHECK(memcmp(mac, qemu, 6) == 0);
    CHECK(!e1000_mac_from_ra(0x12005452, 0x00005634, mac)); /* address-valid bit clear */
    CHECK(!e1000_mac_from_ra(0, 0x80000000, mac));          /* all zero */
    CHECK(!e1000_mac_from_ra(0x12005453, 0x80005634, mac)); /* multicast */
    uint16_t w[3] = { 0x5452, 0x1200, 0x5634 };
    CHECK(e1000_mac_from_eeprom(w, mac));
    CHECK(memcmp(mac, qemu, 6) == 0);
    uint16_t ff[3] = { 0xffff, 0xffff, 0xffff };
    CHECK(!e1000_mac_from_eeprom(ff, mac));
}

int main(void)
{
    test_rx();
    test_tx();
    test_mac();
    return check_report("test_e1000");
}
