/* A model of an ENA device written from the public definitions (include/
 * ena_hw.h): registers, the reset handshake, read-less register reads,
 * admin commands, the AENQ, I/O queues and their doorbells, transmit
 * completion and receive delivery. Host addresses are device addresses.
 * Knobs make it hostile; the tests and the fuzz target drive it. */
#ifndef KESTREL_TEST_ENA_MODEL_H
#define KESTREL_TEST_ENA_MODEL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ena_com.h"

#define EM_QUEUES 32 /* submission and completion queue slots, each */
#define EM_SQ_DB(i) (0x1000u + 8u * (i))
#define EM_CQ_HEAD(i) (0x2000u + 8u * (i))
#define EM_CQ_UNMASK(i) (0x3000u + 8u * (i))
/* Device memory (BAR 2) for LLQ: one 32 KiB window per queue. */
#define EM_DEVMEM (0x8000u * EM_QUEUES)
#define EM_LLQ_OFF(i) (0x8000u * (i))

struct ena_model {
    uint64_t clock_ns;
    /* configuration */
    bool readless;
    uint8_t mac[6];
    uint32_t max_mtu, max_depth, max_queues, groups;
    uint32_t caps;
    bool max_queues_unsupported;
    bool has_hints;
    struct ena_hw_hints hints;
    struct ena_feat_offload offload; /* nonzero: STATELESS_OFFLOAD listed, answered with this */
    bool llq;                     /* LLQ listed in the device attributes */
    struct ena_feat_llq llq_offer; /* what GET LLQ answers */
    /* registers and admin state */
    uint32_t dev_sts, dev_ctl, intr_mask;
    bool ctl_reset_seen;
    uint64_t aq_base, acq_base, aenq_base, mmio_resp;
    uint32_t aq_caps, acq_caps, aenq_caps;
    uint16_t aq_head, acq_tail, aenq_tail;
    uint8_t aq_phase, acq_phase, aenq_phase;
    uint32_t aq_db, aenq_head_db;
    uint32_t enabled_groups, mtu;
    struct em_cq { bool used; uint64_t base; uint16_t depth, tail, words; uint8_t phase; uint32_t msix, head_db, unmasks; } cq[EM_QUEUES];
    struct em_sq { bool used, llq; unsigned dir; uint16_t cq, depth, head; uint8_t phase; uint64_t base; uint32_t db, llq_off; uint16_t taken; unsigned frames; } sq[EM_QUEUES];
    struct ena_feat_llq llq_set;  /* the layout SET LLQ chose */
    bool llq_enabled;
    uint8_t devmem[EM_DEVMEM];
    unsigned devmem_writes, llq_frames;
    uint32_t last_tx_hdr_len;     /* LLQ: bytes of the last frame that came inline */
    /* what happened */
    unsigned resets, last_reset_reason, admin_cmds, tx_frames, protocol_errors;
    unsigned sq_refused_over_max; /* creations past the queues it offers, refused */
    uint8_t last_tx[ENA_BUF_SIZE];
    uint32_t last_tx_len;
    /* hostility */
    unsigned swallow_admin;       /* ignore this many admin commands */
    bool admin_wrong_id_first;    /* answer each command first under a made-up id */
    bool readless_wrong_off;      /* read-less answers name another register */
    bool readless_silent;
    bool reset_stuck;             /* RESET_IN_PROGRESS never comes */
    bool tx_complete_wrong_id;    /* the next transmit completion names another id */
    unsigned admin_status;        /* nonzero: refuse every command with it */
    uint16_t short_cq_depth;      /* create CQ answers this depth */
    bool llq_refuse_set;          /* SET LLQ fails */
    bool llq_refuse_create;       /* create SQ with device placement fails */
    uint32_t sq_limit;            /* nonzero: queues past this many each way refused, whatever was offered */
    uint32_t llq_bad_offset;      /* nonzero: create SQ (device placement) answers this ring offset */
    /* Fuzzing: each admin answer's status and body taken from here (57
     * bytes an answer) until it runs out; the id and phase stay right so
     * the driver parses the body. */
    const uint8_t *raw_answers;
    size_t raw_len;
};

void em_init(struct ena_model *m);
struct ena_bus em_bus(struct ena_model *m);
/* Device-side actions. */
bool em_aenq_post(struct ena_model *m, uint16_t group, uint32_t d0, bool ignore_head);
/* The same with a syndrome and up to 48 bytes of inline data. */
bool em_aenq_post_data(struct ena_model *m, uint16_t group, uint16_t syndrome, const void *d, size_t len,
                       bool ignore_head);
/* Delivers a frame into the next posted receive buffers (split if longer
 * than one); false if no buffer was posted. */
bool em_rx_frame(struct ena_model *m, const uint8_t *frame, uint32_t len);
/* Writes one raw receive completion (any req_id, length, flags). */
void em_rx_raw(struct ena_model *m, uint16_t req_id, uint16_t len, uint32_t flags, bool wrong_phase);
/* Writes one raw transmit completion. */
void em_tx_raw(struct ena_model *m, uint16_t req_id, bool wrong_phase);
/* Writes one raw admin completion. */
void em_acq_raw(struct ena_model *m, uint16_t cmd_id, uint8_t status, bool wrong_phase);
int em_find_sq(struct ena_model *m, unsigned dir);
/* The n-th submission queue of dir in creation order (slot order: the
 * model hands out the lowest free slot), or -1. */
int em_find_sq_n(struct ena_model *m, unsigned dir, unsigned n);
/* How many submission queues of dir exist. */
unsigned em_count_sq(const struct ena_model *m, unsigned dir);
/* em_rx_frame into the n-th receive queue, each completion's status with
 * extra bits (checksum results, protocol indices) or'ed in. */
bool em_rx_frame_q(struct ena_model *m, unsigned n, const uint8_t *frame, uint32_t len, uint32_t extra);
/* A raw transmit completion on the n-th transmit queue's completion queue. */
void em_tx_raw_q(struct ena_model *m, unsigned n, uint16_t req_id, bool wrong_phase);
/* The LLQ entry size SET LLQ chose, 0 before. */
unsigned em_llq_entry(const struct ena_model *m);

#endif
