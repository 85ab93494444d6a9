/* PVSCSI ring accounting (pure): the device writes producer indices and
 * completion entries; nothing it writes is used before it is checked. */
#include <string.h>
#include "errno.h"
#include "pvscsi_ring.h"

#define PVSCSI_PAGE 4096u

static void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

static unsigned log2u(uint32_t v)
{
    unsigned n = 0;
    while (v > 1) {
        v >>= 1;
        n++;
    }
    return n;
}

void pvscsi_ring_init(struct pvscsi_ring *r, unsigned nslots)
{
    if (nslots > r->req_entries)
        nslots = r->req_entries;
    if (nslots > PVSCSI_MAX_SLOTS)
        nslots = PVSCSI_MAX_SLOTS;
    r->nslots = nslots;
    r->req_prod = r->cmp_cons = r->msg_cons = 0;
    memset(r->in_flight, 0, sizeof(r->in_flight));
}

bool pvscsi_ring_sizes_ok(const struct pvscsi_ring *r)
{
    return r->state->req_entries_log2 == log2u(r->req_entries) &&
           r->state->cmp_entries_log2 == log2u(r->cmp_entries) &&
           (!r->msg || r->state->msg_entries_log2 == log2u(r->msg_entries));
}

int pvscsi_slot_get(struct pvscsi_ring *r, uint32_t want_len, uint64_t deadline)
{
    for (unsigned i = 0; i < r->nslots; i++) {
        if (!r->in_flight[i]) {
            r->in_flight[i] = true;
            r->want_len[i] = want_len;
            r->deadline[i] = deadline;
            return (int)i;
        }
    }
    return -1;
}

/* VMware keeps a request's context in a 32-bit serial number (the upper 32
 * bits of PVSCSIRingReqDesc.context must be 0), so slot and epoch share the
 * low 32 bits: slot + 1 in the low byte (0 is never valid), the epoch's low
 * 24 bits above it. A late completion from 2^24 resets ago would pass as
 * current: the epoch only has to outlive the requests of one reset. */
uint64_t pvscsi_context(const struct pvscsi_ring *r, unsigned slot)
{
    return (uint64_t)(r->epoch & PVSCSI_CTX_EPOCH_MASK) << PVSCSI_CTX_SLOT_BITS | ((slot + 1) & PVSCSI_CTX_SLOT_MASK);
}

int pvscsi_ring_post(struct pvscsi_ring *r, unsigned slot, const struct pvscsi_req_desc *d)
{
    uint32_t cons = r->state->req_cons;
    uint32_t used = r->req_prod - cons;
    if (used >= r->req_entries)
        return -EBUSY; /* full, or a consumer index ahead of what we produced */
    struct pvscsi_req_desc *e = &r->req[r->req_prod & (r->req_entries - 1)];
    memcpy(e, d, sizeof(*e));
    e->context = pvscsi_context(r, slot);
    barrier();
    r->req_prod++;
    r->state->req_prod = r->req_prod;
    return 0;
}

enum pvscsi_cmp_kind pvscsi_ring_next_cmp(struct pvscsi_ring *r, uint32_t sense_cap, struct pvscsi_cmp_result *res)
{
    uint32_t prod = r->state->cmp_prod;
    barrier();
    if (prod == r->cmp_cons)
        return PVSCSI_CMP_NONE;
    if (prod - r->cmp_cons > r->cmp_entries) {
        r->overruns++;
        return PVSCSI_CMP_OVERRUN;
    }
    struct pvscsi_cmp_desc c;
    memcpy(&c, (const void *)&r->cmp[r->cmp_cons & (r->cmp_entries - 1)], sizeof(c));
    r->cmp_cons++;
    barrier();
    r->state->cmp_cons = r->cmp_cons;
    unsigned low = (unsigned)(c.context & PVSCSI_CTX_SLOT_MASK);
    if (c.context != pvscsi_context(r, low - 1) || low == 0 || low > r->nslots || !r->in_flight[low - 1]) {
        r->unknown++;
        return PVSCSI_CMP_DROPPED;
    }
    unsigned slot = low - 1;
    r->in_flight[slot] = false;
    memset(res, 0, sizeof(*res));
    res->slot = slot;
    res->btstat = c.host_status;
    res->scsi_status = (uint8_t)c.scsi_status;
    res->sense_len = c.sense_len < sense_cap ? c.sense_len : sense_cap;
    /* A short transfer says how much moved; otherwise all of it did. */
    bool short_xfer = c.host_status == PVSCSI_BTSTAT_DATA_UNDERRUN || c.host_status == PVSCSI_BTSTAT_DATARUN;
    bool ok_status = short_xfer || c.host_status == PVSCSI_BTSTAT_SUCCESS ||
                     c.host_status == PVSCSI_BTSTAT_LINKED_COMMAND_COMPLETED ||
                     c.host_status == PVSCSI_BTSTAT_LINKED_COMMAND_COMPLETED_WITH_FLAG;
    res->data_len = r->want_len[slot];
    if (short_xfer && c.data_len > r->want_len[slot]) {
        r->bad_lengths++;
        ok_status = false;
        res->data_len = 0;
    } else if (short_xfer && c.data_len == 0 && r->want_len[slot]) {
        res->len_unknown = true; /* QEMU never fills the length in */
    } else if (short_xfer) {
        res->data_len = (uint32_t)c.data_len;
    }
    if (c.scsi_status > 0xff) {
        r->bad_lengths++;
        ok_status = false;
    }
    res->host_status = ok_status ? 0 : -EIO;
    return PVSCSI_CMP_DONE;
}

int pvscsi_ring_next_msg(struct pvscsi_ring *r, struct pvscsi_event *ev)
{
    if (!r->msg)
        return 0;
    uint32_t prod = r->state->msg_prod;
    barrier();
    if (prod == r->msg_cons)
        return 0;
    if (prod - r->msg_cons > r->msg_entries) {
        r->overruns++;
        r->msg_cons = prod;
        r->state->msg_cons = prod;
        return -EIO;
    }
    struct pvscsi_msg_desc m;
    memcpy(&m, (const void *)&r->msg[r->msg_cons & (r->msg_entries - 1)], sizeof(m));
    r->msg_cons++;
    barrier();
    r->state->msg_cons = r->msg_cons;
    ev->type = m.type;
    ev->bus = m.bus;
    ev->target = m.target;
    ev->lun = m.lun[1];
    return 1;
}

uint64_t pvscsi_ring_expired(const struct pvscsi_ring *r, uint64_t now)
{
    uint64_t mask = 0;
    for (unsigned i = 0; i < r->nslots; i++) {
        if (r->in_flight[i] && r->deadline[i] <= now)
            mask |= 1ull << i;
    }
    return mask;
}

uint64_t pvscsi_ring_fail_all(struct pvscsi_ring *r)
{
    uint64_t mask = 0;
    for (unsigned i = 0; i < r->nslots; i++) {
        if (r->in_flight[i])
            mask |= 1ull << i;
        r->in_flight[i] = false;
    }
    r->epoch++;
    return mask;
}

unsigned pvscsi_build_sg(struct pvscsi_sg_elem *sg, unsigned max, uint64_t addr, uint32_t len)
{
    unsigned n = 0;
    while (len) {
        if (n == max)
            return 0;
        uint32_t room = PVSCSI_PAGE - (uint32_t)(addr & (PVSCSI_PAGE - 1));
        uint32_t chunk = len < room ? len : room;
        sg[n].addr = addr;
        sg[n].length = chunk;
        sg[n].flags = 0;
        n++;
        addr += chunk;
        len -= chunk;
    }
    return n;
}
