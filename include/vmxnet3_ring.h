/* VMXNET3 (VMware's paravirtual NIC, PCI 15ad:07b0) descriptor formats and
 * the pure ring logic the driver and the host tests share: transmit posting
 * and completion, receive posting on rings 1 and 2, receive completions
 * with every generation bit, index, queue id and length checked, and frame
 * assembly from start-of-packet to end-of-packet. */
#ifndef KESTREL_VMXNET3_RING_H
#define KESTREL_VMXNET3_RING_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every descriptor is 16 bytes: four little-endian words. */
struct vmx_desc {
    uint32_t w[4];
};

/* tx descriptor: w[0..1] buffer address; w[2] len:14 gen:1 (bit 14);
 * w[3] eop (bit 12), cq (bit 13). tx completion: w[0] txdIdx:12;
 * w[3] type:7 (bits 24-30) gen (bit 31). */
#define VMX_TXD_GEN (1u << 14)
#define VMX_TXD_EOP (1u << 12)
#define VMX_TXD_CQ (1u << 13)
#define VMX_LEN_MASK 0x3fffu
/* rx descriptor: w[0..1] address; w[2] len:14 btype:1 (bit 14) dtype:1
 * gen (bit 31). rx completion: w[0] rxdIdx:12 eop (bit 14) sop (bit 15)
 * rqID:10 (bits 16-25); w[2] len:14 err (bit 14); w[3] type (bits 24-30)
 * gen (bit 31). */
#define VMX_RXD_BTYPE_BODY (1u << 14)
#define VMX_RXD_GEN (1u << 31)
#define VMX_CD_GEN (1u << 31)
#define VMX_CD_TYPE(w3) (((w3) >> 24) & 0x7f)
#define VMX_CDTYPE_TXCOMP 0
#define VMX_CDTYPE_RXCOMP 3

#define VMX_MAX_RING 4096

/* The highest revision set in both masks (bit n-1 = revision n), or 0. */
unsigned vmx_pick_revision(uint32_t device_mask, uint32_t our_mask);

struct vmx_txq {
    volatile struct vmx_desc *ring, *comp;
    uint32_t size, comp_size;
    uint32_t next, gen;           /* where we post next, with which gen */
    uint32_t comp_next, comp_gen; /* the completion we expect next */
    uint32_t in_flight;
    bool owned[VMX_MAX_RING];     /* handed to the device, not completed */
    uint32_t bad;                 /* completions refused */
};

void vmx_txq_init(struct vmx_txq *q);
/* Posts one buffer as a whole frame; its index, or -EBUSY when full. */
int vmx_tx_post(struct vmx_txq *q, uint64_t addr, uint32_t len);
/* The next completed tx index (>= 0), -EAGAIN for none, or -EIO for a
 * completion that names no descriptor in flight (counted, skipped). */
int vmx_tx_complete(struct vmx_txq *q);

struct vmx_rx_ring {
    volatile struct vmx_desc *ring;
    uint32_t size, buf_len;
    uint64_t *addr;          /* the buffer behind each descriptor */
    bool *owned;             /* posted, not yet completed */
    uint8_t *posted_gen;     /* the gen bit each descriptor was last posted with */
};

struct vmx_rxq {
    unsigned qid, nqueues;   /* rqID is qid for ring 1, qid + nqueues for ring 2 */
    struct vmx_rx_ring r[2];
    volatile struct vmx_desc *comp;
    uint32_t comp_size, comp_next, comp_gen;
    uint32_t bad;
};

/* Posts every descriptor of both rings (ring 1: head buffers, ring 2: body
 * buffers), generation 1, as the device expects at activation. */
void vmx_rxq_init(struct vmx_rxq *q);

enum vmx_rx_kind { VMX_RX_NONE, VMX_RX_BUF, VMX_RX_BAD };
struct vmx_rx_result {
    unsigned ring, idx;    /* valid when repost is true */
    bool repost;           /* a buffer of ours came back: post it again */
    uint32_t len;
    bool sop, eop, err;
    const char *why;       /* for VMX_RX_BAD */
};
/* The next receive completion. VMX_RX_BUF: a checked buffer (ring, idx,
 * len within the buffer); VMX_RX_BAD: the entry broke a rule (why), and
 * repost says whether a buffer came back anyway. */
enum vmx_rx_kind vmx_rx_next(struct vmx_rxq *q, struct vmx_rx_result *res);
/* Hands descriptor idx of ring back to the device (flipping its gen). */
void vmx_rx_repost(struct vmx_rxq *q, unsigned ring, unsigned idx);

/* A frame gathered from sop to eop. */
struct vmx_frame {
    uint8_t *buf;
    size_t cap, len;
    bool active, broken;
    unsigned drops;
};
/* Adds a completed buffer's bytes; returns the frame's length when eop
 * completes a good frame, 0 while gathering, -1 when this buffer ends or
 * orphans a dropped frame (no sop, too long, or flagged in error). Every
 * frame dropped counts in f->drops. */
long vmx_frame_add(struct vmx_frame *f, const struct vmx_rx_result *res, const uint8_t *data);

#endif
