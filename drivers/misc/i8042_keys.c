/* Ctrl-Alt-Del in scancode sets 1 and 2 (Ctrl and Alt held, left or right,
 * then the extended Delete key pressed). Any other byte leaves the state
 * as it is, so controller replies (ACK 0xfa) do no harm. */
#include "i8042_keys.h"

#define PREFIX_E0 0xe0
#define SET2_BREAK 0xf0
#define SET1_BREAK 0x80
#define SET1_CTRL 0x1d
#define SET1_ALT 0x38
#define SET1_DEL 0x53 /* after E0 */
#define SET2_CTRL 0x14
#define SET2_ALT 0x11
#define SET2_DEL 0x71 /* after E0 */

static bool feed_set1(struct cad_set *s, uint8_t b)
{
    if (b == PREFIX_E0) {
        s->e0 = true;
        return false;
    }
    bool e0 = s->e0, make = !(b & SET1_BREAK);
    uint8_t code = b & (uint8_t)~SET1_BREAK;
    s->e0 = false;
    if (code == SET1_CTRL)
        s->ctrl = make;
    else if (code == SET1_ALT)
        s->alt = make;
    return e0 && make && code == SET1_DEL && s->ctrl && s->alt;
}

static bool feed_set2(struct cad_set *s, uint8_t b)
{
    if (b == PREFIX_E0) {
        s->e0 = true;
        return false;
    }
    if (b == SET2_BREAK) {
        s->f0 = true;
        return false;
    }
    bool e0 = s->e0, make = !s->f0;
    s->e0 = s->f0 = false;
    if (b == SET2_CTRL)
        s->ctrl = make;
    else if (b == SET2_ALT)
        s->alt = make;
    return e0 && make && b == SET2_DEL && s->ctrl && s->alt;
}

bool cad_feed(struct cad_state *s, uint8_t byte)
{
    bool one = feed_set1(&s->set1, byte);
    bool two = feed_set2(&s->set2, byte);
    return one || two;
}
