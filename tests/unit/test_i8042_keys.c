/* Ctrl-Alt-Del spotting in scancode sets 1 and 2: the sequences QEMU's
 * translated keyboard and Firecracker's i8042 send, releases, other keys,
 * and controller replies in between. */
#include <string.h>
#include "check.h"
#include "../../drivers/misc/i8042_keys.h"

/* How many Ctrl-Alt-Del presses the bytes hold. */
static int hits(const uint8_t *b, size_t n)
{
    struct cad_state s;
    memset(&s, 0, sizeof(s));
    int h = 0;
    for (size_t i = 0; i < n; i++)
        h += cad_feed(&s, b[i]);
    return h;
}

#define HITS(...) hits((const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ }))

int main(void)
{
    /* Set 1 (translated): Ctrl, Alt, E0 Del, then the releases. */
    CHECK_EQ(HITS(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d), 1);
    /* Right Ctrl and right Alt are E0-prefixed in set 1. */
    CHECK_EQ(HITS(0xe0, 0x1d, 0xe0, 0x38, 0xe0, 0x53), 1);
    /* Set 2, as Firecracker's SendCtrlAltDel sends it: 14 11 E0 71. */
    CHECK_EQ(HITS(0x14, 0x11, 0xe0, 0x71), 1);
    CHECK_EQ(HITS(0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11, 0xf0, 0x14), 1);
    /* Ctrl released before Delete: no. */
    CHECK_EQ(HITS(0x1d, 0x38, 0x9d, 0xe0, 0x53), 0);
    CHECK_EQ(HITS(0x14, 0x11, 0xf0, 0x14, 0xe0, 0x71), 0);
    /* Keypad '.' (no E0) is not Delete. */
    CHECK_EQ(HITS(0x1d, 0x38, 0x53), 0);
    CHECK_EQ(HITS(0x14, 0x11, 0x71), 0);
    /* Alt missing. */
    CHECK_EQ(HITS(0x1d, 0xe0, 0x53), 0);
    /* Delete's release is not a press. */
    CHECK_EQ(HITS(0x1d, 0x38, 0xe0, 0xd3), 0);
    CHECK_EQ(HITS(0x14, 0x11, 0xe0, 0xf0, 0x71), 0);
    /* A controller ACK (0xfa) between keys changes nothing. */
    CHECK_EQ(HITS(0x1d, 0xfa, 0x38, 0xfa, 0xe0, 0x53), 1);
    /* Held modifiers: Delete twice is two presses. */
    CHECK_EQ(HITS(0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xe0, 0x53), 2);
    /* Ordinary typing: nothing. */
    CHECK_EQ(HITS(0x23, 0xa3, 0x12, 0x92, 0x26, 0xa6, 0x1c, 0x9c), 0);
    return check_report("test_i8042_keys");
}
