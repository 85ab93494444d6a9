/* NVMe pure logic (no hardware access), shared by the driver, the host unit
 * tests and the fuzzer: command and completion layouts (NVMe base spec 1.4),
 * submission/completion queue-pair accounting with every completion entry
 * checked, PRP construction, and the CAP / IDENTIFY / feature parsers. */
#ifndef KESTREL_NVME_QUEUE_H
#define KESTREL_NVME_QUEUE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVME_PAGE 4096u

/* Admin opcodes. */
#define NVME_ADMIN_DELETE_SQ 0x00
#define NVME_ADMIN_CREATE_SQ 0x01
#define NVME_ADMIN_DELETE_CQ 0x04
#define NVME_ADMIN_CREATE_CQ 0x05
#define NVME_ADMIN_IDENTIFY 0x06
#define NVME_ADMIN_ABORT 0x08
#define NVME_ADMIN_SET_FEATURES 0x09
/* NVM command set opcodes. */
#define NVME_CMD_FLUSH 0x00
#define NVME_CMD_WRITE 0x01
#define NVME_CMD_READ 0x02

#define NVME_IDENTIFY_NS 0x00
#define NVME_IDENTIFY_CTRL 0x01
#define NVME_IDENTIFY_NS_LIST 0x02
#define NVME_FEAT_NUM_QUEUES 0x07

struct nvme_sqe {
    uint32_t cdw0; /* opcode 7:0, command id 31:16 */
    uint32_t nsid;
    uint32_t cdw2, cdw3;
    uint64_t mptr;
    uint64_t prp1, prp2;
    uint32_t cdw10, cdw11, cdw12, cdw13, cdw14, cdw15;
};

struct nvme_cqe {
    uint32_t dw0, dw1;
    uint16_t sq_head, sq_id;
    uint16_t cid;
    uint16_t status; /* phase bit 0, status field 15:1 */
};

_Static_assert(sizeof(struct nvme_sqe) == 64, "SQ entries are 64 bytes");
_Static_assert(sizeof(struct nvme_cqe) == 16, "CQ entries are 16 bytes");

/* One command id: who waits for it and until when. */
struct nvme_slot {
    void *cookie; /* NULL while busy: abandoned, a late completion is dropped */
    uint64_t deadline;
    bool busy;
    struct nvme_sqe cmd; /* as pushed: sent again after a controller reset */
};

/* A command taken out of a queue pair by a controller reset, to be sent
 * again once the controller is back. */
struct nvme_inflight {
    uint16_t cid;
    void *cookie;
    struct nvme_sqe cmd;
};

/* A submission queue and its completion queue, same depth. Command ids are
 * slot indices, 0 .. depth-2 (an SQ holds at most depth-1 commands). */
struct nvme_qpair {
    uint16_t qid, depth;
    volatile struct nvme_sqe *sq;
    volatile struct nvme_cqe *cq;
    struct nvme_slot *slots; /* depth - 1 */
    uint16_t sq_tail;        /* next SQ entry we fill */
    uint16_t sq_head;        /* as last reported by the controller */
    uint16_t cq_head;        /* next CQ entry we read */
    uint8_t phase;           /* phase bit that marks a new CQ entry */
    uint16_t in_flight;      /* ids reserved or pushed and not completed */
    uint16_t unpushed;       /* ids reserved, their commands not yet in the SQ */
    uint16_t next_cid;       /* where the free-slot search starts */
    uint32_t errors;         /* bad completion entries seen */
};

/* What one consumed completion entry said. */
struct nvme_done {
    void *cookie; /* NULL: nothing to complete (bad or abandoned entry) */
    bool freed;   /* a command id came free */
    uint16_t cid;
    uint16_t status; /* status field (SC 7:0, SCT 10:8, ...) */
    uint32_t dw0;
};

void nvme_qp_init(struct nvme_qpair *q, uint16_t qid, uint16_t depth, void *sq, void *cq, struct nvme_slot *slots);
/* Empties both rings and forgets every command (after a controller reset;
 * call nvme_qp_cancel first to hear about them). */
void nvme_qp_reset(struct nvme_qpair *q);
/* Reserves a command id, or -EBUSY when no id or SQ entry is free. */
int nvme_qp_reserve(struct nvme_qpair *q);
/* Gives back a reserved id that was never pushed. */
void nvme_qp_unreserve(struct nvme_qpair *q, uint16_t cid);
/* Copies cmd (with cid set) to the SQ tail; the caller then writes
 * q->sq_tail to the SQ tail doorbell. */
void nvme_qp_push(struct nvme_qpair *q, uint16_t cid, const struct nvme_sqe *cmd, void *cookie, uint64_t deadline);
/* Consumes the next CQ entry if its phase says it is new: 1 (out filled,
 * out->cookie NULL if the entry was bad or abandoned), or 0 (nothing new).
 * The caller then writes q->cq_head to the CQ head doorbell. */
int nvme_qp_reap(struct nvme_qpair *q, struct nvme_done *out);
/* Leaves cid busy but with no waiter: a late completion is dropped. */
void nvme_qp_abandon(struct nvme_qpair *q, uint16_t cid);
/* Command ids busy past their deadline at now; up to max into cids. */
unsigned nvme_qp_expired(const struct nvme_qpair *q, uint64_t now, uint16_t *cids, unsigned max);
/* Frees every busy id, calling fn for each one that has a waiter; returns
 * how many ids came free. */
unsigned nvme_qp_cancel(struct nvme_qpair *q, void (*fn)(void *cookie, uint16_t cid, void *arg), void *arg);

/* For a controller reset: copies every pushed command that has a waiter
 * (up to max) into out, frees every id (abandoned ones are dropped) and
 * empties the rings. Returns how many were copied; *freed says how many
 * ids came free in all. */
unsigned nvme_qp_take(struct nvme_qpair *q, struct nvme_inflight *out, unsigned max, unsigned *freed);
/* Pushes a command taken by nvme_qp_take again under its own id (so the
 * caller's per-id PRP list still holds for it); 0, or -EBUSY if that id is
 * busy or the ring is full. The caller rings the doorbell. */
int nvme_qp_resubmit(struct nvme_qpair *q, const struct nvme_inflight *f, uint64_t deadline);
/* Moves the deadline of every command past it at now to new_deadline;
 * returns how many (for a watchdog that only reports). */
unsigned nvme_qp_extend_expired(struct nvme_qpair *q, uint64_t now, uint64_t new_deadline);

/* A completion status field as a named error: 0, -EINVAL, -EROFS, -EIO... */
int nvme_status_errno(uint16_t status);

/* PRP entries for [va, va+len): prp1, prp2 and, past two pages, a list
 * (list_max entries at list, the device sees it at list_dev). translate
 * gives the device address of a virtual page, or ~0 if unmapped.
 * 0, -EINVAL (not dword aligned, empty), -EFAULT, -E2BIG. */
int nvme_prp_build(uint64_t (*translate)(void *ctx, uint64_t va), void *ctx, uint64_t va, uint32_t len,
                   uint64_t *prp1, uint64_t *prp2, uint64_t *list, uint64_t list_dev, unsigned list_max);

struct nvme_cap {
    uint32_t max_entries; /* MQES + 1 */
    uint32_t timeout_ms;  /* TO: the longest CSTS.RDY may take to change */
    uint32_t doorbell_stride; /* bytes */
};
/* 0, or -ENODEV if the controller lacks the NVM command set or 4 KiB pages. */
int nvme_cap_parse(uint64_t cap, struct nvme_cap *c);

struct nvme_ctrl_info {
    char serial[21], model[41];
    uint32_t max_transfer; /* bytes, 0 = no limit (MDTS) */
    uint32_t namespaces;   /* NN */
    bool volatile_cache;   /* VWC: FLUSH has work to do */
};
/* The 4 KiB IDENTIFY controller page: 0, or -EINVAL if it demands entry
 * sizes we do not use. */
int nvme_id_ctrl_parse(const uint8_t *page, struct nvme_ctrl_info *ci);

struct nvme_ns_info {
    uint64_t blocks;
    uint32_t block_size;
};
/* The 4 KiB IDENTIFY namespace page: 0, -ENOENT (inactive), -EINVAL (bad
 * format index or block size), -EOPNOTSUPP (metadata with each block). */
int nvme_id_ns_parse(const uint8_t *page, struct nvme_ns_info *ni);
/* The active namespace id list (4 KiB): ids ascending, 1..nn (nn 0: any);
 * stops at the first 0 or out-of-order id. Returns how many went to out. */
unsigned nvme_ns_list_parse(const uint8_t *page, uint32_t nn, uint32_t *out, unsigned max);
/* I/O queue pairs granted by Set Features (Number of Queues) result dw0,
 * clamped to 1..wanted. */
unsigned nvme_queues_granted(uint32_t dw0, unsigned wanted);

#endif
