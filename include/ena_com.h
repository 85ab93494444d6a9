/* ENA pure logic, shared by the kernel driver (drivers/ena/ena.c) and the
 * host tests (tests/unit/test_ena.c against a device model): register
 * reads (direct or read-less), the reset and readiness handshake, the admin
 * queue and its completions, the asynchronous event notification queue
 * (AENQ), feature queries, I/O queue creation, the transmit and receive
 * rings, and the health checks that decide a device reset. Nothing the
 * device writes is used before it is checked. The device is reached only
 * through struct ena_bus, so a model can play it. */
#ifndef KESTREL_ENA_COM_H
#define KESTREL_ENA_COM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ena_hw.h"

struct ena_bus {
    uint32_t (*read32)(void *ctx, unsigned off);
    void (*write32)(void *ctx, unsigned off, uint32_t v);
    uint64_t (*now_ns)(void *ctx);
    void (*relax)(void *ctx); /* between polls (the model runs the device here) */
    uint64_t (*dma)(void *ctx, const volatile void *p); /* the device address of host memory */
    /* Copies len bytes (a multiple of 8, 8-aligned) into the device-memory
     * BAR at off, in 64-bit stores; NULL when there is no such BAR (then
     * no LLQ). */
    void (*write_mem)(void *ctx, unsigned off, const void *src, size_t len);
    void *ctx;
};

#define ENA_AQ_DEPTH 32
#define ENA_AENQ_DEPTH 32
#define ENA_REG_READ_FAIL 0xffffffffu
#define ENA_DEFAULT_ADMIN_TIMEOUT_NS 3000000000ull
#define ENA_DEFAULT_RESET_TIMEOUT_NS 3000000000ull
#define ENA_DEFAULT_KEEPALIVE_NS 6000000000ull /* the device sends one a second */
#define ENA_REG_READ_TIMEOUT_NS 200000000ull
#define ENA_DEFAULT_TX_STALL_NS 5000000000ull

struct ena_aq {
    volatile struct ena_aq_entry *sq;  /* ENA_AQ_DEPTH entries */
    volatile struct ena_acq_entry *cq; /* ENA_AQ_DEPTH entries */
    uint16_t sq_tail;  /* free-running: the doorbell value */
    uint8_t sq_phase;
    uint16_t cq_head;  /* index */
    uint8_t cq_phase;
    uint16_t in_flight;
    uint16_t next_id;
    /* Per command id (id % ENA_AQ_DEPTH is the slot, the id itself is kept
     * to refuse a completion for a slot reused under a newer id). */
    struct {
        bool busy, done;
        uint16_t id;
        struct ena_acq_entry resp;
    } slot[ENA_AQ_DEPTH];
    uint32_t bad; /* completions refused: unknown or stale ids */
};

/* What the AENQ said since it was last drained. */
struct ena_aenq_events {
    unsigned keep_alives, link_changes, fatal, warnings, notifications, unknown, hints;
    bool link_up;    /* valid when link_changes > 0: the last state told */
    bool more;       /* the budget ran out before the queue did */
};

struct ena_aenq {
    volatile struct ena_aenq_entry *q; /* ENA_AENQ_DEPTH entries */
    uint16_t head;    /* free-running: the head doorbell value */
    uint8_t phase;
};

/* The LLQ layout agreed with the device (ena_llq_choose). */
struct ena_llq {
    bool on;
    uint16_t entry_size;   /* bytes per ring entry in device memory */
    uint16_t descs_before; /* descriptor slots before the inline header */
    uint16_t max_header;   /* header bytes that fit in the first entry */
    uint16_t max_depth;    /* entries, a power of two */
    uint16_t max_queues;   /* device-placed transmit queues it takes */
};
#define ENA_LLQ_ENTRY_MAX 256

struct ena_com {
    struct ena_bus bus;
    uint32_t mem_bar_size;    /* device-memory BAR bytes (0: none, no LLQ) */
    bool llq_off;             /* the caller forbids LLQ */
    struct ena_llq llq;
    bool readless;
    uint32_t bar_size;        /* register BAR bytes: doorbells must fall inside (0: unchecked) */
    volatile struct ena_mmio_resp *mmio_resp;
    uint16_t mmio_req_id;
    struct ena_aq aq;
    struct ena_aenq aenq;
    uint64_t admin_timeout_ns, reset_timeout_ns, keepalive_timeout_ns, reg_read_timeout_ns;
    bool keepalive_off;       /* the device's hints said: no keep-alive watchdog */
    uint64_t tx_stall_ns;     /* frames in flight this long with no completion: reset (0: never) */
    unsigned hints_applied;
    bool admin_dead;          /* an admin command timed out: only a reset helps */
    uint64_t last_keepalive_ns;
    unsigned reset_reason;    /* set by whatever asks for a reset (ENA_RESET_*), or 0 */
    bool reset_wanted;
    /* from the device */
    uint32_t version, controller_version, supported_features, aenq_groups;
    uint8_t mac[6];
    uint32_t max_mtu;
    uint16_t max_queues, max_sq_depth, max_cq_depth;
    uint32_t max_header;      /* the largest transmit header the device takes (0: not said) */
    /* Stateless offloads the device offers (ENA_OFFLOAD_*). Receive: the
     * checksum results of the kinds offered are honoured (ena_rx_csum_bad);
     * transmit: none used, see docs/cloud.md (the net-device interface
     * carries no per-frame checksum request). */
    uint32_t offload_tx, offload_rx;
};

/* A register read: direct, or through the read-less response buffer.
 * ENA_REG_READ_FAIL when the device did not answer for this register. */
uint32_t ena_reg_read(struct ena_com *c, unsigned off);
/* Tells the device where read-less responses go (again after each reset). */
void ena_readless_setup(struct ena_com *c);
/* Reset and readiness: waits for READY, resets with reason, waits for the
 * reset to start and finish. Reads the reset and admin time-outs from CAPS. */
int ena_dev_reset(struct ena_com *c, unsigned reason);
/* Points the device at the admin queues and the AENQ (reset to empty). */
int ena_admin_init(struct ena_com *c);

/* Admin queue. Submits a 64-byte command (its id and phase are filled in):
 * its command id and, in *db, the doorbell value; -EBUSY when the queue or
 * the slot is full. */
int ena_aq_submit(struct ena_aq *q, const void *cmd, uint16_t *db);
/* Takes every completion the device has written; the number taken. */
unsigned ena_aq_poll(struct ena_aq *q);
/* The answer for id: -EAGAIN while pending, -EIO when the device refused
 * the command (status != 0), 0 with the 64-byte answer in *resp. */
int ena_aq_result(struct ena_aq *q, uint16_t id, struct ena_acq_entry *resp);
/* Submits, rings, waits until it completes or the admin time-out passes
 * (-ETIMEDOUT: the admin queue is dead until a reset). */
int ena_admin_exec(struct ena_com *c, const void *cmd, struct ena_acq_entry *resp);

/* Features. */
int ena_get_feature(struct ena_com *c, uint8_t id, void *out, size_t len);
int ena_set_feature(struct ena_com *c, uint8_t id, const void *data, size_t len);
/* Device attributes (MAC, MTU, supported features), max queues, AENQ groups:
 * everything the driver needs before it creates queues, checked. */
int ena_query_device(struct ena_com *c);
int ena_config_aenq(struct ena_com *c);
/* The device's time-out hints, each checked against a sane range. */
void ena_apply_hints(struct ena_com *c, const struct ena_hw_hints *h);
/* Picks an LLQ layout from what the device offers: inline header, 128-byte
 * entries (else 192, 256), the fewest descriptors before the header, either
 * stride (one descriptor a frame needs no second entry). Fills *set for
 * SET_FEATURE and *out; -ENOTSUP when nothing offered fits (host memory
 * then). dev_max_header caps the inline header (0: no cap). */
int ena_llq_choose(const struct ena_feat_llq *offer, uint32_t dev_max_header, struct ena_feat_llq *set,
                   struct ena_llq *out);
/* Queries and sets LLQ when the device supports it and a device-memory BAR
 * is mapped; c->llq.on tells the outcome. Only -ETIMEDOUT is an error:
 * anything else falls back to host-memory placement. */
int ena_config_llq(struct ena_com *c);

/* I/O queues. */
struct ena_cq_info {
    uint16_t idx, depth;
    uint32_t head_db, unmask; /* BAR offsets, 0 if the device gave none */
};
struct ena_sq_info {
    uint16_t idx;
    uint32_t doorbell;
    uint32_t llq_desc;  /* device placement: the ring's offset in the memory BAR */
};
int ena_create_cq(struct ena_com *c, uint16_t depth, unsigned entry_words, uint32_t msix, const volatile void *ring,
                  struct ena_cq_info *out);
/* placement ENA_PLACEMENT_DEV (transmit only, after ena_config_llq): ring
 * is unused and the device says where in the memory BAR the ring is; that
 * window (depth entries) must lie inside the BAR. */
int ena_create_sq(struct ena_com *c, unsigned dir, unsigned placement, uint16_t cq_idx, uint16_t depth,
                  const volatile void *ring, struct ena_sq_info *out);
int ena_destroy_sq(struct ena_com *c, uint16_t idx, unsigned dir);
int ena_destroy_cq(struct ena_com *c, uint16_t idx);

/* AENQ: takes at most budget entries, records keep-alives (now_ns), link
 * state and errors, gives the entries back (head doorbell). A fatal error
 * asks for a reset. */
void ena_aenq_drain(struct ena_com *c, unsigned budget, struct ena_aenq_events *ev);
/* Health: true when a reset is due (reason in c->reset_reason): an admin
 * time-out, a missed keep-alive, a fatal error, or a ring's complaint. */
bool ena_health_check(struct ena_com *c, uint64_t now_ns);
void ena_request_reset(struct ena_com *c, unsigned reason);

/* ---- transmit and receive rings ---- */
#define ENA_RING_MAX 1024

struct ena_txq {
    volatile struct ena_tx_desc *sq;
    volatile struct ena_tx_cdesc *cq;
    uint16_t depth;        /* sq and cq, a power of two */
    uint16_t tail;         /* free-running: the doorbell value */
    uint8_t sq_phase;
    uint16_t cq_head;      /* free-running: the head doorbell value */
    uint8_t cq_phase;
    uint16_t in_flight;
    uint16_t free_ids[ENA_RING_MAX];
    uint16_t nfree;
    bool busy[ENA_RING_MAX];
    uint32_t bad;
    /* LLQ: entries are built here, then copied to the memory BAR. */
    const struct ena_bus *bus; /* NULL: host-memory ring (sq) */
    struct ena_llq llq;
    uint32_t llq_base;          /* the ring's offset in the memory BAR */
    uint64_t entry[ENA_LLQ_ENTRY_MAX / 8];
};
void ena_txq_init(struct ena_txq *q);
/* A free request id (its buffer is the caller's to fill), or -EBUSY. */
int ena_tx_reserve(struct ena_txq *q);
/* Posts req_id's buffer as one whole frame. LLQ: hdr_len bytes of hdr
 * (at most llq.max_header) go inline in the entry, and the descriptor
 * covers the rest at addr (len may be 0); host memory: hdr_len must be 0. */
void ena_tx_post(struct ena_txq *q, uint16_t req_id, uint64_t addr, uint16_t len, const void *hdr,
                 uint16_t hdr_len);
/* The next completed request id, -EAGAIN for none, -EIO for a completion
 * naming no request in flight (the device must be reset). */
int ena_tx_complete(struct ena_txq *q);

struct ena_rxq {
    volatile struct ena_rx_desc *sq;
    volatile struct ena_rx_cdesc *cq;
    uint16_t depth;
    uint16_t tail;
    uint8_t sq_phase;
    uint16_t cq_head;
    uint8_t cq_phase;
    uint16_t buf_len;
    const uint64_t *addr;  /* the buffer of each request id */
    uint16_t free_ids[ENA_RING_MAX];
    uint16_t nfree;
    uint8_t state[ENA_RING_MAX]; /* ENA_BUF_* */
    uint32_t bad;
};
#define ENA_BUF_FREE 0
#define ENA_BUF_POSTED 1 /* the device's */
#define ENA_BUF_HELD 2   /* completed, its bytes not yet copied */
/* Every buffer free, nothing posted. */
void ena_rxq_init(struct ena_rxq *q);
/* Posts up to max free buffers (one descriptor each); how many. The caller
 * rings the doorbell once per batch. Never fills the last slot, so a full
 * ring and an empty one stay apart. */
unsigned ena_rx_refill(struct ena_rxq *q, unsigned max);

enum ena_rx_kind { ENA_RX_NONE, ENA_RX_BUF, ENA_RX_BAD };
struct ena_rx_result {
    uint16_t req_id;    /* valid when kind is ENA_RX_BUF or freed is true */
    uint16_t len, offset;
    bool first, last;
    uint32_t status;    /* the completion's status word: checksum results (ena_rx_csum_bad) */
    bool csum_bad;      /* the caller's verdict on status, for ena_frame_add */
    bool freed;         /* the buffer came back (free again) */
    bool fatal;         /* an id the device may not use: reset */
    const char *why;    /* for ENA_RX_BAD */
};
enum ena_rx_kind ena_rx_next(struct ena_rxq *q, struct ena_rx_result *res);
/* Returns req_id's buffer to the free list once its bytes are copied. */
void ena_rx_release(struct ena_rxq *q, uint16_t req_id);

/* A frame gathered from first to last. */
struct ena_frame {
    uint8_t *buf;
    size_t cap, len;
    bool active, broken;
    bool csum_bad;      /* a completion of this frame reported a checksum error (ena_rx_csum_bad) */
    unsigned drops;
};
/* The frame's length when res completes a good frame, 0 while gathering,
 * -1 when a frame was dropped (no first, too long). A checksum verdict is
 * the caller's (csum_bad is left set for it). */
long ena_frame_add(struct ena_frame *f, const struct ena_rx_result *res, const uint8_t *data);
/* Receive checksum: true when a completion's status reports a bad IPv4
 * header sum or a bad TCP/UDP sum, and the device offered (rx_offered,
 * ENA_OFFLOAD_RX_*) that kind of check. Bits for a check not offered, an L3
 * error on a frame that is not IPv4, an L4 error the device did not mark
 * checked, or on a fragment, mean nothing and are ignored. */
bool ena_rx_csum_bad(uint32_t rx_offered, uint32_t status);

/* ---- one port: the device, its queue pairs, the bring-up and reset ---- */
#define ENA_BUF_SIZE 2048
#define ENA_MTU 1500
#define ENA_MIN_FRAME 60 /* without the FCS */
#define ENA_MSIX_ADMIN 0 /* admin completions and the AENQ */
#define ENA_MSIX_IO 1    /* queue pair q interrupts MSI-X entry ENA_MSIX_IO + q */
/* Queue pairs at most: one per CPU up to this. Each pair costs its rings
 * and 2 * depth buffers of ENA_BUF_SIZE (1 MiB at depth 256); beyond 8 a
 * unikernel's one network stack gains nothing more from spreading. */
#define ENA_QP_MAX 8

/* One transmit/receive queue pair. The caller owns the memory; the port
 * uses a pair only while it is below p->nqp. Counters are per pair, so
 * each pair's lock covers them. */
struct ena_qp {
    struct ena_txq tx;
    struct ena_rxq rx;
    struct ena_cq_info tx_cq, rx_cq;
    struct ena_sq_info tx_sq, rx_sq;
    uint8_t *tx_bufs, *rx_bufs;     /* depth * ENA_BUF_SIZE each */
    uint64_t rx_addr[ENA_RING_MAX];
    struct ena_frame frame;
    uint8_t frame_buf[ENA_BUF_SIZE * 2];
    uint32_t msix;                  /* the MSI-X entry both completion queues name */
    uint64_t tx_frames, rx_frames, rx_dropped, rx_csum_bad;
    uint64_t tx_progress_ns;        /* the last transmit completion, or the first frame after none in flight */
};

struct ena_port {
    struct ena_com com;
    uint16_t depth;                 /* every ring, at most what the device offers */
    /* Set by the caller: the pairs it has memory for (qp[0..qp_mem)), the
     * CPUs, and the MSI-X entries it enabled (0: none, polled). */
    struct ena_qp *qp[ENA_QP_MAX];
    unsigned qp_mem, ncpus, msix_entries;
    unsigned nqp;                   /* pairs created at the last bring-up (ena_port_pairs) */
    bool up, link_up;
    unsigned resets;
    uint64_t tx_lost;
    unsigned rx_batch;              /* refill once this many buffers are free */
};
typedef void (*ena_rx_fn)(void *arg, const uint8_t *frame, size_t len);

/* How many pairs: one per CPU, no more than the device's queues (each way,
 * and its LLQs when transmit rings are device-placed), the caller's memory
 * and ENA_QP_MAX; with MSI-X each pair needs its own entry after the
 * admin one, and with fewer than two entries there is one pair. Pure. */
unsigned ena_port_pairs(unsigned ncpus, unsigned dev_queues, unsigned llq_queues, unsigned qp_mem,
                        unsigned msix_entries);
/* Reset (reason), admin queues, device query, AENQ groups, MTU, the queue
 * pairs created (pair q's completion queues on MSI-X entry ENA_MSIX_IO +
 * q), every receive buffer posted, interrupts unmasked. The caller has set
 * com.bus, com.readless, the admin memory (aq, aenq, mmio_resp), depth,
 * qp_mem pairs' rings and buffers, ncpus and msix_entries. */
int ena_port_up(struct ena_port *p, unsigned reason);
/* Copies a frame into pair q's transmit buffer and rings its doorbell: 0,
 * -EBUSY (ring full, or the port down), -EINVAL (bad length or q). */
int ena_port_xmit(struct ena_port *p, unsigned q, const void *frame, size_t len);
/* Reclaims pair q's transmit completions; the number. */
unsigned ena_port_tx_reclaim(struct ena_port *p, unsigned q);
/* Pair q's receive completions into frames for fn, refilled in batches;
 * the number of frames delivered. Frames with a checksum error the device
 * was asked to report are dropped (counted in rx_csum_bad). Asks for a
 * reset on an id the device may not use. A pair not created: nothing. */
unsigned ena_port_rx_poll(struct ena_port *p, unsigned q, ena_rx_fn fn, void *arg);
/* Unmasks pair q's interrupt. */
void ena_port_unmask(struct ena_port *p, unsigned q);
/* The AENQ drained (link state into p->link_up), the health checked, and
 * transmit completions missing for the stall time on any pair turned into
 * a reset: true when the caller must call ena_port_up(p,
 * p->com.reset_reason). Reads every pair's transmit state: the caller
 * holds their locks. */
bool ena_port_service(struct ena_port *p, struct ena_aenq_events *ev);

#endif
