/* Private to drivers/misc/i8042.c: spotting Ctrl-Alt-Del in the bytes an
 * i8042 keyboard sends. Pure logic, shared with a host test and a fuzzer. */
#ifndef KESTREL_I8042_KEYS_H
#define KESTREL_I8042_KEYS_H
#include <stdbool.h>
#include <stdint.h>

/* One tracker per scancode set, fed the same bytes: set 1 is what a PC
 * controller translates to, set 2 what Firecracker's i8042 and an
 * untranslated keyboard send. Either may carry the sequence. */
struct cad_set {
    bool ctrl, alt, e0, f0;
};
struct cad_state {
    struct cad_set set1, set2;
};

/* Feeds one byte; true when it completes a Ctrl-Alt-Del press. */
bool cad_feed(struct cad_state *s, uint8_t byte);

#endif
