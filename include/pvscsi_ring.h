/* PVSCSI shared-memory layout (VMware's paravirtual SCSI, PCI 15ad:07c0) and
 * the pure ring logic the driver and the host tests share: request posting,
 * completion and message parsing with every index, context and length the
 * device writes checked before use. */
#ifndef KESTREL_PVSCSI_RING_H
#define KESTREL_PVSCSI_RING_H
#include <stdbool.h>
#include <stdint.h>

#define PVSCSI_REQ_FLAG_SG_LIST 0x1
#define PVSCSI_REQ_FLAG_DIR_NONE 0x4
#define PVSCSI_REQ_FLAG_DIR_TOHOST 0x8
#define PVSCSI_REQ_FLAG_DIR_TODEVICE 0x10

#define PVSCSI_BTSTAT_SUCCESS 0x00
#define PVSCSI_BTSTAT_LINKED_COMMAND_COMPLETED 0x0a
#define PVSCSI_BTSTAT_LINKED_COMMAND_COMPLETED_WITH_FLAG 0x0b
#define PVSCSI_BTSTAT_DATA_UNDERRUN 0x0c
#define PVSCSI_BTSTAT_SELTIMEO 0x11
#define PVSCSI_BTSTAT_DATARUN 0x12

#define PVSCSI_MSG_DEV_ADDED 0
#define PVSCSI_MSG_DEV_REMOVED 1

struct pvscsi_req_desc {
    uint64_t context;
    uint64_t data_addr;
    uint64_t data_len;
    uint64_t sense_addr;
    uint32_t sense_len;
    uint32_t flags;
    uint8_t cdb[16];
    uint8_t cdb_len;
    uint8_t lun[8];
    uint8_t tag;
    uint8_t bus;
    uint8_t target;
    uint8_t vcpu_hint;
    uint8_t unused[59];
} __attribute__((packed));

struct pvscsi_cmp_desc {
    uint64_t context;
    uint64_t data_len;
    uint32_t sense_len;
    uint16_t host_status;
    uint16_t scsi_status;
    uint32_t pad[2];
} __attribute__((packed));

struct pvscsi_msg_desc {
    uint32_t type;
    uint32_t bus;
    uint32_t target;
    uint8_t lun[8];
    uint32_t pad[27];
} __attribute__((packed));

struct pvscsi_sg_elem {
    uint64_t addr;
    uint32_t length;
    uint32_t flags;
} __attribute__((packed));

struct pvscsi_rings_state {
    uint32_t req_prod, req_cons, req_entries_log2;
    uint32_t cmp_prod, cmp_cons, cmp_entries_log2;
    uint8_t pad[104];
    uint32_t msg_prod, msg_cons, msg_entries_log2;
} __attribute__((packed));

#define PVSCSI_MAX_SLOTS 64

/* Our side of the rings, over memory the caller allocated. */
struct pvscsi_ring {
    volatile struct pvscsi_rings_state *state;
    struct pvscsi_req_desc *req;
    volatile struct pvscsi_cmp_desc *cmp;
    volatile struct pvscsi_msg_desc *msg; /* NULL without a message ring */
    uint32_t req_entries, cmp_entries, msg_entries; /* powers of two */
    uint32_t req_prod, cmp_cons, msg_cons;
    unsigned nslots;
    bool in_flight[PVSCSI_MAX_SLOTS];
    uint32_t want_len[PVSCSI_MAX_SLOTS];   /* data bytes asked for */
    uint64_t deadline[PVSCSI_MAX_SLOTS];   /* ns, for the time-out */
    uint32_t epoch;  /* bumped by fail_all: completions from before a reset are stale */
    uint32_t unknown, overruns, bad_lengths; /* device misbehaviour seen */
};

/* Resets our indices and frees every slot (the caller zeroes the shared
 * state page before SETUP_RINGS). nslots is clipped to the request ring and
 * to PVSCSI_MAX_SLOTS. */
void pvscsi_ring_init(struct pvscsi_ring *r, unsigned nslots);
/* Whether the device reports the ring sizes we gave it. */
bool pvscsi_ring_sizes_ok(const struct pvscsi_ring *r);
/* A free slot, marked in flight, or -1. */
int pvscsi_slot_get(struct pvscsi_ring *r, uint32_t want_len, uint64_t deadline);
#define PVSCSI_CTX_SLOT_BITS 8
#define PVSCSI_CTX_SLOT_MASK 0xffu
#define PVSCSI_CTX_EPOCH_MASK 0xffffffu
_Static_assert(PVSCSI_MAX_SLOTS < PVSCSI_CTX_SLOT_MASK, "slot + 1 must fit the context's slot byte");
/* The context posted for slot in the current epoch: always below 2^32. */
uint64_t pvscsi_context(const struct pvscsi_ring *r, unsigned slot);
/* Posts d for slot (context: pvscsi_context): 0, or -EBUSY when the ring is full
 * (or the device's consumer index makes no sense). */
int pvscsi_ring_post(struct pvscsi_ring *r, unsigned slot, const struct pvscsi_req_desc *d);

enum pvscsi_cmp_kind { PVSCSI_CMP_NONE, PVSCSI_CMP_DONE, PVSCSI_CMP_DROPPED, PVSCSI_CMP_OVERRUN };
struct pvscsi_cmp_result {
    unsigned slot;
    int host_status;   /* 0, or -EIO */
    uint8_t scsi_status;
    uint32_t data_len; /* moved: all asked for on success, the device's count on a short transfer */
    uint32_t sense_len;
    uint16_t btstat;   /* the device's host status, for the log */
    bool len_unknown;  /* a short transfer whose length the device left 0 (QEMU) */
};
/* The next completion. DONE frees the slot and fills res; DROPPED means an
 * entry for no request in flight (counted, skipped); OVERRUN means the
 * device's producer index ran past the ring: nothing is read, the caller
 * resets the adapter. */
enum pvscsi_cmp_kind pvscsi_ring_next_cmp(struct pvscsi_ring *r, uint32_t sense_cap, struct pvscsi_cmp_result *res);

struct pvscsi_event {
    uint32_t type, bus, target, lun;
};
/* The next message-ring event: 1 (filled), 0 none, -EIO for a producer
 * index past the ring (resynchronised: the events are lost). */
int pvscsi_ring_next_msg(struct pvscsi_ring *r, struct pvscsi_event *ev);

/* Slots in flight whose deadline is before now: a bitmask. */
uint64_t pvscsi_ring_expired(const struct pvscsi_ring *r, uint64_t now);
/* Frees every slot in flight and starts a new epoch, so completions for
 * them that arrive later are dropped; returns their bitmask (the caller
 * fails them). */
uint64_t pvscsi_ring_fail_all(struct pvscsi_ring *r);

/* Scatter-gather elements for [addr, addr+len), split at page boundaries;
 * the count, or 0 when more than max would be needed. */
unsigned pvscsi_build_sg(struct pvscsi_sg_elem *sg, unsigned max, uint64_t addr, uint32_t len);

#endif
