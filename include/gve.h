/* gVNIC (Google's virtual NIC, PCI 1ae0:0042) as the public definitions
 * describe it (Linux's drivers/net/ethernet/google/gve: gve_register.h,
 * gve_adminq.h, gve_desc.h): the register BAR, the admin queue and its
 * commands, the device descriptor and its options, queue page lists and the
 * GQI transmit and receive rings. Only the GQI-QPL queue format is spoken;
 * DQO (and GQI with raw addressing) is not supported.
 *
 * Everything here is pure logic that compiles for the host: registers and
 * doorbells are reached through struct gve_io, memory through an allocator
 * callback, so tests/unit/test_gve.c runs it against a device model. The
 * kernel driver (drivers/gve/gve.c) adds PCI, MSI-X, locks and the netdev.
 * Addresses handed to the device are the pointers' values (Kestrel maps
 * memory one to one; the host model dereferences them the same way). */
#ifndef KESTREL_GVE_H
#define KESTREL_GVE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GVE_PAGE 4096u

/* BAR0, every register big-endian. */
#define GVE_REG_DEVICE_STATUS 0x00
#define GVE_REG_DRIVER_STATUS 0x04
#define GVE_REG_MAX_TX_QUEUES 0x08
#define GVE_REG_MAX_RX_QUEUES 0x0c
#define GVE_REG_AQ_PFN 0x10
#define GVE_REG_AQ_DOORBELL 0x14
#define GVE_REG_AQ_EVENT_COUNTER 0x18
#define GVE_REG_DRIVER_VERSION 0x1f /* 8 bits */
#define GVE_REG_AQ_BASE_HI 0x20
#define GVE_REG_AQ_BASE_LO 0x24
#define GVE_REG_AQ_LENGTH 0x28 /* 16 bits */
#define GVE_REGS_SIZE 0x2c

#define GVE_DEV_STATUS_RESET (1u << 1) /* the device asks for a reset */
#define GVE_DEV_STATUS_LINK (1u << 2)
#define GVE_DEV_STATUS_REPORT_STATS (1u << 3)
#define GVE_DEV_STATUS_IS_RESET (1u << 4) /* revision >= 1: the reset asked for is done */
#define GVE_DRV_STATUS_RUN (1u << 0)
#define GVE_DRV_STATUS_RESET (1u << 1)

/* Notification-block doorbells in BAR2 (big-endian). */
#define GVE_IRQ_ACK (1u << 31)
#define GVE_IRQ_MASK (1u << 30)
#define GVE_IRQ_EVENT (1u << 29)

/* Admin queue: one page of 64-byte commands, opcode and status first. */
#define GVE_AQ_CMD_SIZE 64u
#define GVE_AQ_SLOTS (GVE_PAGE / GVE_AQ_CMD_SIZE)
#define GVE_AQ_DESCRIBE_DEVICE 0x1
#define GVE_AQ_CONFIGURE_DEVICE_RESOURCES 0x2
#define GVE_AQ_REGISTER_PAGE_LIST 0x3
#define GVE_AQ_UNREGISTER_PAGE_LIST 0x4
#define GVE_AQ_CREATE_TX_QUEUE 0x5
#define GVE_AQ_CREATE_RX_QUEUE 0x6
#define GVE_AQ_DESTROY_TX_QUEUE 0x7
#define GVE_AQ_DESTROY_RX_QUEUE 0x8
#define GVE_AQ_DECONFIGURE_DEVICE_RESOURCES 0x9
#define GVE_AQ_SET_DRIVER_PARAMETER 0xb
#define GVE_AQ_STATUS_UNSET 0x0u
#define GVE_AQ_STATUS_PASSED 0x1u
#define GVE_AQ_STATUS_ERROR_FIRST 0xfffffff0u /* ABORTED; ...; 0xffffffff UNKNOWN_ERROR */
#define GVE_AQ_STATUS_UNIMPLEMENTED 0xfffffffeu
#define GVE_DESCRIPTOR_VERSION 1
#define GVE_SET_PARAM_MTU 1

/* Device descriptor: 40 bytes, then options (8-byte header each). */
#define GVE_DESC_SIZE 40u
#define GVE_OPT_HDR_SIZE 8u
#define GVE_OPT_GQI_RAW_ADDRESSING 0x1
#define GVE_OPT_GQI_RDA 0x2
#define GVE_OPT_GQI_QPL 0x3
#define GVE_OPT_DQO_RDA 0x4
#define GVE_OPT_MODIFY_RING 0x6
#define GVE_OPT_DQO_QPL 0x7
#define GVE_OPT_JUMBO_FRAMES 0x8
#define GVE_OPT_BUFFER_SIZES 0xa

/* Queue formats (configure device resources). */
#define GVE_FMT_GQI_RDA 0x1
#define GVE_FMT_GQI_QPL 0x2
#define GVE_FMT_DQO_RDA 0x3
#define GVE_FMT_DQO_QPL 0x4

/* GQI descriptors. */
#define GVE_TXD_SIZE 16u
#define GVE_TXD_STD 0x00 /* type in the upper nibble of type_flags */
#define GVE_RXD_SIZE 64u
#define GVE_RX_PAD 2u   /* the frame starts 2 bytes into its buffer */
#define GVE_RXF_FRAG (1u << 6)
#define GVE_RXF_ERR (1u << 11)
#define GVE_RXF_PKT_CONT (1u << 13)
#define GVE_QUEUE_RESOURCES_SIZE 64u
#define GVE_IRQ_DB_STRIDE 64u /* one cache line per notification block */

/* This driver's own limits: anything beyond them is refused as absurd. */
#define GVE_MAX_RING 4096u
#define GVE_MAX_QPL_PAGES 4096u
#define GVE_MAX_COUNTERS 4096u
#define GVE_BUF_SIZE 2048u /* transmit slots and the rx packet buffer size */
#define GVE_MTU_MAX 1500u  /* what lwIP is given; jumbo frames are not used */

static inline uint16_t gve_be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t gve_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t gve_be64(const uint8_t *p) { return (uint64_t)gve_be32(p) << 32 | gve_be32(p + 4); }
static inline void gve_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void gve_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void gve_put64(uint8_t *p, uint64_t v)
{
    gve_put32(p, (uint32_t)(v >> 32));
    gve_put32(p + 4, (uint32_t)v);
}

/* Register and doorbell access. Values are in CPU order: the kernel's
 * accessors swap to big-endian, the model stores them as numbers. */
struct gve_io {
    void *ctx;
    uint32_t (*read32)(void *ctx, unsigned off);
    void (*write)(void *ctx, unsigned off, uint32_t v, unsigned width); /* width 1, 2 or 4 */
    void (*doorbell)(void *ctx, uint32_t index, uint32_t v);             /* BAR2, 32-bit word index */
    void (*sleep_ms)(void *ctx, unsigned ms);
    void *(*alloc_pages)(void *ctx, size_t npages); /* zeroed, page-aligned, or NULL */
};

/* ---- admin queue ---- */
struct gve_aq {
    const struct gve_io *io;
    uint8_t *ring;          /* one page */
    unsigned revision;      /* PCI revision: 0 uses the PFN register */
    uint32_t prod;          /* commands written since the queue was given to the device */
    unsigned timeout_ms;    /* how long one batch may take */
    bool broken;            /* a batch timed out: only gve_aq_reset clears it */
    unsigned timeouts, failures;
    uint32_t last_status, last_opcode; /* of the last command that failed */
};

/* Gives the queue page to the device: 0, or -ERANGE for a page revision 0's
 * 32-bit page-number register cannot name. */
int gve_aq_start(struct gve_aq *aq);
/* Takes it back: the device releases everything the driver gave it. 0, or
 * -ETIMEDOUT when the device never confirms (its memory is then not ours to
 * reuse). Clears broken and the command count either way. */
int gve_aq_reset(struct gve_aq *aq);
/* Runs one command (64 bytes, built below) and waits for it: 0, the status
 * as an errno, -ETIMEDOUT (the queue is then broken until a reset), or
 * -EIO when the device's event counter names commands never sent. */
int gve_aq_exec(struct gve_aq *aq, const uint8_t *cmd);
int gve_aq_status_errno(uint32_t status);

void gve_cmd_describe(uint8_t *c, uint64_t desc_addr, uint32_t avail_len);
void gve_cmd_configure_resources(uint8_t *c, uint64_t counters, uint32_t ncounters, uint64_t irq_dbs,
                                 uint32_t nblocks, uint32_t stride, uint8_t format);
void gve_cmd_deconfigure_resources(uint8_t *c);
void gve_cmd_register_qpl(uint8_t *c, uint32_t id, uint32_t npages, uint64_t list_addr);
void gve_cmd_unregister_qpl(uint8_t *c, uint32_t id);
void gve_cmd_create_tx(uint8_t *c, uint32_t qid, uint64_t res_addr, uint64_t ring_addr, uint32_t qpl_id,
                       uint32_t ntfy, uint16_t ring_size);
void gve_cmd_create_rx(uint8_t *c, uint32_t qid, uint32_t ntfy, uint64_t res_addr, uint64_t desc_addr,
                       uint64_t data_addr, uint32_t qpl_id, uint16_t ring_size, uint16_t buf_size);
void gve_cmd_destroy_queue(uint8_t *c, uint32_t opcode, uint32_t qid);
void gve_cmd_set_mtu(uint8_t *c, uint64_t mtu);

/* ---- the device descriptor ---- */
struct gve_dev_info {
    uint64_t max_registered_pages;
    uint16_t tx_entries, rx_entries, default_queues, mtu, counters, tx_pages, rx_pages;
    uint8_t mac[6];
    uint32_t formats;     /* bit n: the options offered queue format n */
    unsigned options, options_ignored; /* seen; malformed or unknown, skipped */
};
/* Reads a descriptor the device wrote into a buffer of avail bytes: 0, or
 * -EINVAL with *why when its lengths do not hold together. */
int gve_parse_descriptor(const uint8_t *buf, size_t avail, struct gve_dev_info *info, const char **why);

/* What this driver will ask for, from what the device offers. */
struct gve_plan {
    uint32_t tx_entries, rx_entries; /* the device's (GQI rings are not resizable) */
    uint32_t tx_pages, rx_pages;     /* queue page list sizes */
    uint32_t counters;
    uint32_t nq;                     /* queue pairs: one per CPU, as the device, MSI-X and pages allow */
    uint32_t nblocks;                /* notification blocks: 2 * nq (transmit q on block q, receive q on nq + q) */
    uint32_t tx_qpl_id, rx_qpl_id;   /* page-list ids of queue 0; queue q adds q */
    uint16_t mtu;                    /* for lwIP: min(device, 1500) */
    bool set_mtu;                    /* the device's MTU is larger: tell it ours */
};
/* 0, or -EINVAL/-ENODEV with *why for a device this driver cannot or will
 * not drive (absurd queue counts, ring sizes, page counts, MTU). Pairs:
 * one per CPU (ncpus; 0 counts as 1), no more than either queue count, the
 * device's default count when it gives one, (msix_vectors - 1) / 2 (two
 * blocks a pair and the management vector), the registered-page limit and
 * GVE_QMAX. */
int gve_plan_queues(const struct gve_dev_info *d, uint32_t max_tx_queues, uint32_t max_rx_queues,
                    unsigned msix_vectors, unsigned ncpus, struct gve_plan *p, const char **why);

/* ---- queue page lists ---- */
/* Writes the big-endian list of npages page addresses starting at base. */
void gve_qpl_fill_list(uint8_t *list, uint64_t base, uint32_t npages);
/* Whether [off, off + len) lies inside a list of npages pages. */
bool gve_qpl_contains(uint32_t npages, uint64_t off, uint64_t len);
/* A queue's resources as the device filled them: 0 with the doorbell and
 * counter indices, or -EIO when either is out of range. */
int gve_queue_resources(const uint8_t *res, uint32_t db_limit, uint32_t counters, uint32_t *db,
                        uint32_t *counter);

/* ---- GQI transmit ---- */
struct gve_txq {
    uint8_t *ring;           /* size x 16-byte descriptors */
    uint32_t size;           /* a power of two */
    uint32_t slots;          /* 2 KiB buffers in the queue page list */
    uint32_t req, done;      /* descriptors posted, completed (free-running) */
    uint32_t bad;            /* completion counts refused */
};
void gve_txq_init(struct gve_txq *q);
/* The queue-page-list offset of the buffer the next frame goes in, or -1
 * when full. */
int64_t gve_tx_slot(const struct gve_txq *q);
/* Posts a frame already copied to gve_tx_slot()'s buffer: 0, -EINVAL for a
 * bad length, -EBUSY when full. The caller rings the doorbell with q->req. */
int gve_tx_post(struct gve_txq *q, uint32_t len);
/* The device's completion counter: how many descriptors it finished, or
 * -EIO (counted, ignored) when it claims more than were posted. */
int gve_tx_reap(struct gve_txq *q, uint32_t counter);

/* ---- GQI receive ---- */
struct gve_rxq {
    uint8_t *desc;           /* size x 64-byte descriptors, device-written */
    uint8_t *data;           /* size x 8-byte big-endian queue-page-list offsets */
    uint32_t size;           /* a power of two */
    uint32_t cnt;            /* descriptors consumed (free-running) */
    uint32_t fill;           /* the doorbell value: buffers handed out */
    uint8_t seq;             /* the sequence number expected next (1..7) */
    bool lapped;             /* every descriptor was written once */
    bool in_cont;            /* dropping the rest of a multi-buffer frame */
    uint32_t bad, dropped;
};
/* Points slot i at page i of the queue page list, all handed out. */
void gve_rxq_init(struct gve_rxq *q);
enum gve_rx_kind { GVE_RX_NONE, GVE_RX_FRAME, GVE_RX_DROP, GVE_RX_BAD };
struct gve_rx_result {
    uint32_t slot;           /* FRAME: the buffer is page slot of the list */
    uint64_t qpl_off;        /* FRAME: where the frame starts in the list */
    uint32_t len;            /* FRAME: the frame's length, pad removed */
    const char *why;         /* DROP, BAD */
};
/* The next receive descriptor. FRAME and DROP consume it (the caller copies
 * the frame, then gve_rx_refill); NONE: nothing new; BAD: the device broke
 * the ring's rules (a sequence number neither stale nor expected): nothing
 * is consumed and the queue must be reset. */
enum gve_rx_kind gve_rx_next(struct gve_rxq *q, struct gve_rx_result *res);
/* Hands every consumed buffer back: the new doorbell value. */
uint32_t gve_rx_refill(struct gve_rxq *q);
static inline uint8_t gve_next_seq(uint8_t s) { return s == 7 ? 1 : (uint8_t)(s + 1); }

/* ---- the whole device ---- */
/* Queue pairs at most. Each costs its page lists (the device's transmit
 * pages plus one page per receive descriptor: about 800 KiB with the usual
 * sizes); one network stack gains nothing from more. */
#define GVE_QMAX 8
#define GVE_MAX_BLOCKS (2 * GVE_QMAX)
/* Memory given to the device for one queue (kept across resets). */
struct gve_qmem {
    uint8_t *res, *list, *qpl;
};
struct gve_dev {
    const struct gve_io *io;
    unsigned revision;
    uint32_t db_limit;       /* BAR2 size in 32-bit words */
    unsigned msix_vectors;   /* the MSI-X table's size */
    unsigned ncpus;          /* CPUs to spread over (0: one) */
    struct gve_aq aq;
    struct gve_dev_info info;
    struct gve_plan plan;
    struct gve_plan mem_plan; /* the plan the memory below was sized for */
    uint32_t max_tx_queues, max_rx_queues;
    /* memory given to the device (kept across resets) */
    uint8_t *desc_page, *counters, *irq_dbs;
    struct gve_qmem txm[GVE_QMAX], rxm[GVE_QMAX];
    struct gve_txq tx[GVE_QMAX];
    struct gve_rxq rx[GVE_QMAX];
    uint32_t tx_db[GVE_QMAX], tx_counter[GVE_QMAX], rx_db[GVE_QMAX], rx_counter[GVE_QMAX]; /* from queue resources */
    uint32_t irq_db[GVE_MAX_BLOCKS];               /* doorbell index of each block */
    unsigned nq;             /* pairs the device holds now (0 while down): the data path's bound */
    bool resources;          /* what the device holds */
    unsigned tx_created, rx_created;               /* queues created, each way */
    const char *why;         /* the reason of the last failure */
};
/* Admin queue up, device described, queues planned: 0 or -errno (why). */
int gve_dev_probe(struct gve_dev *d);
/* Resources, page lists, queues, receive buffers handed out, notification
 * blocks unmasked: 0 or -errno (why). Allocations of the first call are kept. */
int gve_dev_up(struct gve_dev *d);
/* A reset: the device drops everything (gve_aq_reset), rings start over;
 * gve_dev_probe and gve_dev_up bring it back. */
int gve_dev_reset(struct gve_dev *d);
/* Copies a frame into transmit queue q and rings its doorbell: 0 or
 * -errno (-EBUSY for a queue the device does not hold). */
int gve_dev_transmit(struct gve_dev *d, unsigned q, const void *frame, size_t len);
/* Reaps queue q's transmit completions: how many, or -EIO for a counter
 * past what was posted. */
int gve_dev_tx_reap(struct gve_dev *d, unsigned q);
/* Delivers receive queue q's frames (valid only during the call) and hands
 * the buffers back: frames delivered, or -EIO when the ring broke its
 * rules. A queue the device does not hold: 0. */
typedef void (*gve_rx_fn)(void *arg, const uint8_t *frame, size_t len);
int gve_dev_rx_poll(struct gve_dev *d, unsigned q, gve_rx_fn fn, void *arg);
/* The notification block of transmit queue q, of receive queue q. */
static inline unsigned gve_tx_block(const struct gve_dev *d, unsigned q) { (void)d; return q; }
static inline unsigned gve_rx_block(const struct gve_dev *d, unsigned q) { return d->plan.nq + q; }
/* Re-arms a notification block (after its interrupt was handled). */
void gve_dev_irq_ack(struct gve_dev *d, unsigned block);
void gve_dev_irq_mask(struct gve_dev *d, unsigned block);
bool gve_dev_link_up(struct gve_dev *d);

#endif
