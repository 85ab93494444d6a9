/* PVSCSI completion and message parsing against arbitrary device writes:
 * the input is a series of steps, each either a request posted by us or a
 * device write (producer indices and completion/message entries). The ring
 * code must never read or write outside the rings nor free a slot twice. */
#include <stdint.h>
#include <string.h>
#include "pvscsi_ring.h"

static struct pvscsi_rings_state state;
static struct pvscsi_req_desc req[32];
static struct pvscsi_cmp_desc cmp[128];
static struct pvscsi_msg_desc msg[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct pvscsi_ring r;
    memset(&r, 0, sizeof(r));
    memset(&state, 0, sizeof(state));
    r.state = &state;
    r.req = req;
    r.cmp = cmp;
    r.msg = msg;
    r.req_entries = 32;
    r.cmp_entries = 128;
    r.msg_entries = 64;
    pvscsi_ring_init(&r, 32);
    while (size >= 2) {
        uint8_t op = data[0], arg = data[1];
        data += 2;
        size -= 2;
        if (op < 64) {
            struct pvscsi_req_desc d;
            memset(&d, 0, sizeof(d));
            int slot = pvscsi_slot_get(&r, (uint32_t)arg * 64, arg);
            if (slot >= 0 && pvscsi_ring_post(&r, (unsigned)slot, &d) < 0)
                r.in_flight[slot] = false;
        } else if (op < 128 && size >= sizeof(struct pvscsi_cmp_desc)) {
            memcpy(&cmp[arg % 128], data, sizeof(struct pvscsi_cmp_desc));
            data += sizeof(struct pvscsi_cmp_desc);
            size -= sizeof(struct pvscsi_cmp_desc);
        } else if (op < 160 && size >= 4) {
            uint32_t v;
            memcpy(&v, data, 4);
            data += 4;
            size -= 4;
            if (op & 1)
                state.cmp_prod = v;
            else if (op & 2)
                state.msg_prod = v;
            else
                state.req_cons = v;
        } else if (op < 192 && size >= sizeof(struct pvscsi_msg_desc)) {
            memcpy(&msg[arg % 64], data, sizeof(struct pvscsi_msg_desc));
            data += sizeof(struct pvscsi_msg_desc);
            size -= sizeof(struct pvscsi_msg_desc);
        } else if (op < 224) {
            struct pvscsi_cmp_result res;
            for (int i = 0; i < 256; i++) {
                enum pvscsi_cmp_kind k = pvscsi_ring_next_cmp(&r, 96, &res);
                if (k == PVSCSI_CMP_NONE || k == PVSCSI_CMP_OVERRUN)
                    break;
                if (k == PVSCSI_CMP_DONE && (res.slot >= 32 || res.sense_len > 96))
                    __builtin_trap();
            }
            struct pvscsi_event ev;
            for (int i = 0; i < 128 && pvscsi_ring_next_msg(&r, &ev) > 0; i++)
                ;
        } else {
            pvscsi_ring_expired(&r, arg);
            if (arg == 255)
                pvscsi_ring_fail_all(&r);
        }
    }
    return 0;
}
