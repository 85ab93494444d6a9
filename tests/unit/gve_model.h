/* A gVNIC device model for host tests, written from the same public
 * definitions as the driver (gve_register.h, gve_adminq.h, gve_desc.h): it
 * executes admin-queue commands from the queue page, writes the device
 * descriptor and queue resources, reads transmit descriptors out of the
 * registered page lists and writes received frames and their descriptors.
 * Knobs make it hostile. Addresses the driver hands over are pointers. */
#ifndef KESTREL_TEST_GVE_MODEL_H
#define KESTREL_TEST_GVE_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "gve.h"

#define GVM_DBS 1024
#define GVM_DB_UNWRITTEN 0xdeadbeefu /* what a doorbell holds before the driver writes it */
#define GVM_MAX_FRAMES 64
#define GVM_MAX_ALLOCS 160
#define GVM_Q 16    /* queues each way the model can hold */
#define GVM_QPLS 32
/* Doorbells and event counters the model hands out: transmit queue 0 rings
 * doorbell 1, receive queue 0 doorbell 2 (others 40 + q, 60 + q);
 * notification block b rings 16 + b; queue q counts in counter 2q
 * (transmit) or 2q + 1 (receive). */
#define GVM_TX_DB(q) ((q) ? 40u + (q) : 1u)
#define GVM_RX_DB(q) ((q) ? 60u + (q) : 2u)
#define GVM_MAX_CMDS 64

struct gvm_qpl {
    bool used;
    uint32_t id, npages;
    uint64_t page[GVE_MAX_QPL_PAGES];
};

struct gve_model {
    struct gve_io io;
    unsigned revision;
    /* registers */
    uint32_t device_status, driver_status, max_tx, max_rx, aq_pfn, aq_hi, aq_lo, aq_len, event_counter;
    char version[64];
    unsigned version_len;
    uint32_t db[GVM_DBS];
    /* what the device describes */
    uint8_t descriptor[GVE_PAGE];
    size_t descriptor_len;
    /* state the commands set */
    uint8_t *counters;
    uint32_t ncounters;
    uint8_t *irq_dbs;
    uint32_t nblocks, stride, format;
    struct gvm_qpl qpl[GVM_QPLS];
    uint64_t registered_pages;
    struct gvm_txq {
        bool created;
        uint8_t *ring;
        uint32_t size, qpl, block;
        uint32_t head;           /* descriptors consumed */
        unsigned frames;         /* sent from this queue */
    } txq[GVM_Q];
    struct gvm_rxq {
        bool created;
        uint8_t *desc, *data;
        uint32_t size, qpl, block, buf_size;
        uint32_t prod;           /* descriptors written */
        uint8_t seq;
    } rxq[GVM_Q];
    uint64_t set_mtu;
    unsigned tx_created, rx_created; /* queues, each way */
    bool configured;
    unsigned refused;            /* commands refused for breaking the rules (ids, blocks, lists, pages) */
    uint32_t cmds[GVM_MAX_CMDS]; /* opcodes executed, in order */
    unsigned ncmds;
    /* frames the device sent */
    uint8_t frames[GVM_MAX_FRAMES][2048];
    size_t frame_len[GVM_MAX_FRAMES];
    unsigned nframes, tx_bad;
    /* time and memory */
    unsigned slept_ms;
    void *allocs[GVM_MAX_ALLOCS];
    size_t alloc_pages[GVM_MAX_ALLOCS];
    unsigned nallocs;
    /* hostile knobs */
    uint32_t fail_opcode, fail_status;   /* that command gets that status */
    uint32_t stall_opcode;               /* that command never completes */
    bool never_reset;                    /* a reset is never confirmed */
    bool refuse_gqi;                     /* configure with GQI-QPL refused (a DQO-only device) */
    bool counter_jump;                   /* the event counter runs past the doorbell */
    uint32_t bad_db_index;               /* non-zero: queue resources name this doorbell */
    uint32_t bad_irq_db_index;           /* non-zero: notification blocks name this doorbell */
};

/* A well-behaved device: revision 1, 2 queues each way, tx 256 entries with
 * 64 pages, rx 128 entries, MTU 1460, link up, no device options. */
void gvm_init(struct gve_model *m, unsigned revision);
/* Rewrites the descriptor (fields in CPU order) with options appended. */
void gvm_describe(struct gve_model *m, uint16_t tx_entries, uint16_t rx_entries, uint16_t mtu, uint16_t counters,
                  uint16_t tx_pages, uint16_t rx_pages, uint64_t max_pages, const uint8_t *options, size_t opt_len,
                  uint16_t nopt);
void gvm_free(struct gve_model *m);
/* The device sends what is posted on its transmit queues and counts it done. */
unsigned gvm_tx_pull(struct gve_model *m);
/* The device receives a frame: false when the driver handed out no buffer.
 * flags are OR-ed into flags_seq; seq 0 means the right one. dlen: the
 * descriptor's length field (0: len + pad). */
bool gvm_rx_push(struct gve_model *m, const void *frame, size_t len, uint16_t flags, uint8_t seq, uint32_t dlen);
/* The same on receive queue q. */
bool gvm_rx_push_q(struct gve_model *m, unsigned q, const void *frame, size_t len, uint16_t flags, uint8_t seq,
                   uint32_t dlen);

#endif
