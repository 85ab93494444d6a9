/* AWS Elastic Network Adapter (PCI 1d0f:ec20, 1d0f:ec21, 1d0f:0ec2): the
 * device interface as Amazon publishes it (Linux's ena_regs_defs.h,
 * ena_admin_defs.h and ena_eth_io_defs.h; FreeBSD and DPDK carry the same
 * definitions). Written here from those facts: register offsets and bits,
 * the 64-byte admin queue entries, the AENQ entry, and the I/O descriptors.
 * Every structure is little-endian and laid out exactly as the device reads
 * or writes it (the static asserts pin the sizes). */
#ifndef KESTREL_ENA_HW_H
#define KESTREL_ENA_HW_H
#include <stdint.h>

/* BAR 0 registers */
#define ENA_REG_VERSION 0x00
#define ENA_REG_CONTROLLER_VERSION 0x04
#define ENA_REG_CAPS 0x08
#define ENA_REG_CAPS_EXT 0x0c
#define ENA_REG_AQ_BASE_LO 0x10
#define ENA_REG_AQ_BASE_HI 0x14
#define ENA_REG_AQ_CAPS 0x18
#define ENA_REG_ACQ_BASE_LO 0x20
#define ENA_REG_ACQ_BASE_HI 0x24
#define ENA_REG_ACQ_CAPS 0x28
#define ENA_REG_AQ_DB 0x2c
#define ENA_REG_ACQ_TAIL 0x30
#define ENA_REG_AENQ_CAPS 0x34
#define ENA_REG_AENQ_BASE_LO 0x38
#define ENA_REG_AENQ_BASE_HI 0x3c
#define ENA_REG_AENQ_HEAD_DB 0x40
#define ENA_REG_AENQ_TAIL 0x44
#define ENA_REG_INTR_MASK 0x4c
#define ENA_REG_DEV_CTL 0x54
#define ENA_REG_DEV_STS 0x58
#define ENA_REG_MMIO_REG_READ 0x5c
#define ENA_REG_MMIO_RESP_LO 0x60
#define ENA_REG_MMIO_RESP_HI 0x64
#define ENA_REG_BAR_SIZE 0x70 /* what the driver touches below the queue doorbells */

/* CAPS: reset and admin-command time-outs in units of 100 ms. */
#define ENA_CAPS_RESET_TIMEOUT(v) (((v) >> 1) & 0x1f)
#define ENA_CAPS_DMA_WIDTH(v) (((v) >> 8) & 0xff)
#define ENA_CAPS_ADMIN_CMD_TO(v) (((v) >> 16) & 0xf)
/* AQ/ACQ/AENQ CAPS: depth in the low half, entry size in the high half. */
#define ENA_QCAPS(depth, entry) ((uint32_t)(depth) | ((uint32_t)(entry) << 16))
#define ENA_DEV_CTL_RESET 0x1u
#define ENA_DEV_CTL_REASON_SHIFT 28
#define ENA_DEV_STS_READY 0x01u
#define ENA_DEV_STS_RESET_IN_PROGRESS 0x08u
#define ENA_DEV_STS_FATAL_ERROR 0x20u
#define ENA_INTR_MASK_ADMIN 0x1u
/* PCI revision id bit 0: register reads work directly, no read-less path. */
#define ENA_PCI_REV_NO_READLESS 0x1u

/* Reset reasons the driver reports in DEV_CTL. */
#define ENA_RESET_NORMAL 0
#define ENA_RESET_KEEP_ALIVE_TO 1
#define ENA_RESET_ADMIN_TO 2
#define ENA_RESET_MISS_TX_CMPL 3
#define ENA_RESET_INV_RX_REQ_ID 4
#define ENA_RESET_INV_TX_REQ_ID 5
#define ENA_RESET_INIT_ERR 7
#define ENA_RESET_DRIVER_INVALID_STATE 8
#define ENA_RESET_GENERIC 13

/* Admin opcodes, statuses and features. */
#define ENA_ADMIN_CREATE_SQ 1
#define ENA_ADMIN_DESTROY_SQ 2
#define ENA_ADMIN_CREATE_CQ 3
#define ENA_ADMIN_DESTROY_CQ 4
#define ENA_ADMIN_GET_FEATURE 8
#define ENA_ADMIN_SET_FEATURE 9
#define ENA_ADMIN_SUCCESS 0
#define ENA_FEAT_DEVICE_ATTRIBUTES 1
#define ENA_FEAT_MAX_QUEUES_NUM 2
#define ENA_FEAT_HW_HINTS 3
#define ENA_FEAT_LLQ 4
#define ENA_FEAT_STATELESS_OFFLOAD 11
#define ENA_FEAT_MTU 14
#define ENA_FEAT_AENQ_CONFIG 26
#define ENA_FEAT_LINK_CONFIG 27

#define ENA_AQ_FLAG_PHASE 0x1u
#define ENA_ACQ_FLAG_PHASE 0x1u
#define ENA_CMD_ID_MASK 0x0fffu
#define ENA_SQ_DIR_TX 1
#define ENA_SQ_DIR_RX 2
#define ENA_SQ_DIR_SHIFT 5
#define ENA_PLACEMENT_HOST 1
#define ENA_PLACEMENT_DEV 3 /* low-latency queue: the ring lives in the device-memory BAR */
#define ENA_MEM_BAR 2       /* the PCI BAR holding LLQ device memory */
#define ENA_COMPLETION_DESC 0 /* one completion entry per descriptor asking */
#define ENA_CQ_INTERRUPT_MODE 0x20u

/* Admin submission entry: 64 bytes. */
struct ena_aq_entry {
    uint16_t command_id; /* 11:0 */
    uint8_t opcode;
    uint8_t flags; /* 0: phase, 1: control buffer valid */
    uint32_t w[15];
} __attribute__((packed));

/* Admin completion entry: 64 bytes. */
struct ena_acq_entry {
    uint16_t command; /* 11:0 command id */
    uint8_t status;
    uint8_t flags; /* 0: phase */
    uint16_t extended_status;
    uint16_t sq_head_indx;
    uint32_t data[14];
} __attribute__((packed));

/* Address as the admin commands carry it: 48 bits. */
struct ena_mem_addr {
    uint32_t lo;
    uint16_t hi;
    uint16_t reserved;
} __attribute__((packed));

struct ena_cmd_get_set_feature {
    uint16_t command_id;
    uint8_t opcode;
    uint8_t flags;
    uint32_t ctrl_len;        /* control buffer (unused here) */
    struct ena_mem_addr ctrl_addr;
    uint8_t select;           /* 1:0: 1 current, 3 default */
    uint8_t feature_id;
    uint8_t feature_version;
    uint8_t reserved;
    uint32_t data[11];        /* set: the feature's value */
} __attribute__((packed));

struct ena_cmd_create_cq {
    uint16_t command_id;
    uint8_t opcode;
    uint8_t flags;
    uint8_t caps1;            /* 5: interrupt mode */
    uint8_t caps2;            /* 4:0 entry size in 32-bit words */
    uint16_t depth;
    uint32_t msix_vector;
    struct ena_mem_addr base;
    uint32_t pad[11];
} __attribute__((packed));

struct ena_resp_create_cq {
    uint16_t command;
    uint8_t status;
    uint8_t flags;
    uint16_t extended_status;
    uint16_t sq_head_indx;
    uint16_t cq_idx;
    uint16_t actual_depth;
    uint32_t numa_node_offset;
    uint32_t head_db_offset;
    uint32_t unmask_offset;
    uint32_t pad[10];
} __attribute__((packed));

struct ena_cmd_create_sq {
    uint16_t command_id;
    uint8_t opcode;
    uint8_t flags;
    uint8_t identity;         /* 7:5 direction */
    uint8_t reserved;
    uint8_t caps2;            /* 3:0 placement, 6:4 completion policy */
    uint8_t caps3;            /* 0: physically contiguous */
    uint16_t cq_idx;
    uint16_t depth;
    struct ena_mem_addr base;
    struct ena_mem_addr head_writeback;
    uint32_t pad[9];
} __attribute__((packed));

struct ena_resp_create_sq {
    uint16_t command;
    uint8_t status;
    uint8_t flags;
    uint16_t extended_status;
    uint16_t sq_head_indx;
    uint16_t sq_idx;
    uint16_t reserved;
    uint32_t doorbell_offset;
    uint32_t llq_desc_offset;
    uint32_t llq_header_offset;
    uint32_t pad[10];
} __attribute__((packed));

struct ena_cmd_destroy_sq {
    uint16_t command_id;
    uint8_t opcode;
    uint8_t flags;
    uint16_t sq_idx;
    uint8_t identity;         /* 7:5 direction */
    uint8_t reserved;
    uint32_t pad[14];
} __attribute__((packed));

struct ena_cmd_destroy_cq {
    uint16_t command_id;
    uint8_t opcode;
    uint8_t flags;
    uint16_t cq_idx;
    uint16_t reserved;
    uint32_t pad[14];
} __attribute__((packed));

/* GET_FEATURE answers (after the 8-byte completion header). */
struct ena_feat_dev_attr {
    uint32_t impl_id;
    uint32_t device_version;
    uint32_t supported_features; /* bit n: feature id n */
    uint32_t reserved;
    uint32_t phys_addr_width;
    uint32_t virt_addr_width;
    uint8_t mac[6];
    uint8_t reserved2[2];
    uint32_t max_mtu;
} __attribute__((packed));

struct ena_feat_max_queues {
    uint32_t max_sq_num;
    uint32_t max_sq_depth;
    uint32_t max_cq_num;
    uint32_t max_cq_depth;
    uint32_t max_llq_num;
    uint32_t max_llq_depth;
    uint32_t max_header_size;
    uint16_t max_packet_tx_descs;
    uint16_t max_packet_rx_descs;
} __attribute__((packed));

struct ena_feat_aenq {
    uint32_t supported_groups;
    uint32_t enabled_groups;
} __attribute__((packed));

/* LLQ (GET/SET_FEATURE ENA_FEAT_LLQ): what the device supports (bit
 * masks) and, in SET, the one value of each the driver picked. */
struct ena_feat_llq {
    uint32_t max_llq_num;
    uint32_t max_llq_depth;
    uint16_t header_location_supported; /* ENA_LLQ_HEADER_* bits */
    uint16_t header_location_enabled;
    uint16_t entry_size_supported;      /* ENA_LLQ_ENTRY_* bits */
    uint16_t entry_size_enabled;
    uint16_t descs_before_header_supported; /* bit n: n descriptors (1, 2, 4, 8) */
    uint16_t descs_before_header_enabled;
    uint16_t stride_supported;          /* ENA_LLQ_STRIDE_* bits */
    uint16_t stride_enabled;
    uint8_t feature_version;
    uint8_t entry_size_recommended;     /* an ENA_LLQ_ENTRY_* value */
    uint16_t max_wide_llq_depth;
    /* Accelerated LLQ: GET gives the requirements the device may impose
     * (ENA_LLQ_ACCEL_* bits) and the burst limit; SET says which the
     * driver honours. */
    uint16_t accel_flags;     /* GET: supported; SET: enabled */
    uint16_t accel_max_burst; /* GET: bytes of entries between two doorbells, 0: no limit */
    uint32_t accel_reserved;
} __attribute__((packed));
#define ENA_LLQ_ACCEL_DISABLE_META_CACHING (1u << 0) /* a metadata descriptor with every frame */
#define ENA_LLQ_ACCEL_LIMIT_TX_BURST (1u << 1)
#define ENA_LLQ_FEATURE_VERSION 1
#define ENA_LLQ_HEADER_INLINE 1 /* the header follows the descriptors in the entry */
#define ENA_LLQ_HEADER_RING 2   /* headers in a separate ring (not used here) */
#define ENA_LLQ_ENTRY_128 1
#define ENA_LLQ_ENTRY_192 2
#define ENA_LLQ_ENTRY_256 4
#define ENA_LLQ_STRIDE_SINGLE 1 /* further descriptors: one per entry */
#define ENA_LLQ_STRIDE_MULTI 2  /* further descriptors: packed in entries */

/* Stateless offloads (GET_FEATURE STATELESS_OFFLOAD): what the device
 * can do; rx_enabled is what it does now. */
struct ena_feat_offload {
    uint32_t tx;           /* ENA_OFFLOAD_TX_* */
    uint32_t rx_supported; /* ENA_OFFLOAD_RX_* */
    uint32_t rx_enabled;
} __attribute__((packed));
#define ENA_OFFLOAD_TX_L3_IPV4 (1u << 0)
#define ENA_OFFLOAD_TX_L4_IPV4_PART (1u << 1) /* the L4 field pre-filled with the pseudo-header sum */
#define ENA_OFFLOAD_TX_L4_IPV4_FULL (1u << 2)
#define ENA_OFFLOAD_TX_L4_IPV6_PART (1u << 3)
#define ENA_OFFLOAD_TX_L4_IPV6_FULL (1u << 4)
#define ENA_OFFLOAD_TX_TSO_IPV4 (1u << 5)
#define ENA_OFFLOAD_TX_TSO_IPV6 (1u << 6)
#define ENA_OFFLOAD_RX_L3_IPV4 (1u << 0)
#define ENA_OFFLOAD_RX_L4_IPV4 (1u << 1)
#define ENA_OFFLOAD_RX_L4_IPV6 (1u << 2)
#define ENA_OFFLOAD_RX_HASH (1u << 3)

/* Hardware hints (GET_FEATURE HW_HINTS, or inline in a NOTIFICATION AENQ
 * entry with syndrome UPDATE_HINTS). Times in ms; 0: the driver's own
 * value; 0xffff: no time-out at all. */
struct ena_hw_hints {
    uint16_t mmio_read_timeout;
    uint16_t driver_watchdog_timeout;
    uint16_t missing_tx_completion_timeout;
    uint16_t missed_tx_completion_threshold;
    uint16_t admin_completion_timeout;
    uint16_t netdev_wd_timeout;
    uint16_t max_tx_sgl_size;
    uint16_t max_rx_sgl_size;
    uint16_t reserved[8];
} __attribute__((packed));
#define ENA_HINT_NO_TIMEOUT 0xffff
#define ENA_NOTIFY_UPDATE_HINTS 2

/* AENQ entry: 64 bytes. */
struct ena_aenq_entry {
    uint16_t group;
    uint16_t syndrome;
    uint8_t flags; /* 0: phase */
    uint8_t reserved[3];
    uint32_t timestamp_lo;
    uint32_t timestamp_hi;
    uint32_t data[12]; /* link change: data[0] bit 0 = link up */
} __attribute__((packed));

#define ENA_AENQ_LINK_CHANGE 0
#define ENA_AENQ_FATAL_ERROR 1
#define ENA_AENQ_WARNING 2
#define ENA_AENQ_NOTIFICATION 3
#define ENA_AENQ_KEEP_ALIVE 4
#define ENA_AENQ_GROUPS_WANTED ((1u << ENA_AENQ_LINK_CHANGE) | (1u << ENA_AENQ_FATAL_ERROR) | \
                                (1u << ENA_AENQ_WARNING) | (1u << ENA_AENQ_NOTIFICATION) | \
                                (1u << ENA_AENQ_KEEP_ALIVE))

/* The read-less register read: the device writes this to host memory. */
struct ena_mmio_resp {
    uint16_t req_id;
    uint16_t reg_off;
    uint32_t reg_val;
} __attribute__((packed));

/* Transmit descriptor: 16 bytes. */
struct ena_tx_desc {
    uint32_t len_ctrl;  /* 15:0 length, 21:16 req_id[15:10], 23 meta, 24 phase, 26 first, 27 last, 28 comp_req */
    uint32_t meta_ctrl; /* offload bits; 31:22 req_id[9:0] */
    uint32_t addr_lo;
    uint32_t addr_hi_hdr; /* 15:0 address[47:32], 31:24 header length */
} __attribute__((packed));
#define ENA_TXD_PHASE (1u << 24)
#define ENA_TXD_FIRST (1u << 26)
#define ENA_TXD_LAST (1u << 27)
#define ENA_TXD_COMP_REQ (1u << 28)
#define ENA_TXD_META (1u << 23)
#define ENA_TXD_HDR_LEN(n) (((uint32_t)(n) & 0xff) << 24) /* in addr_hi_hdr: bytes pushed inline (LLQ) */
#define ENA_TXD_REQ_HI(id) ((((uint32_t)(id) >> 10) & 0x3f) << 16)
#define ENA_TXD_REQ_LO(id) (((uint32_t)(id) & 0x3ff) << 22)

/* Transmit completion: 8 bytes. */
struct ena_tx_cdesc {
    uint16_t req_id;
    uint8_t status;
    uint8_t flags; /* 0: phase */
    uint16_t sub_qid;
    uint16_t sq_head_idx;
} __attribute__((packed));

/* Receive descriptor: 16 bytes. */
struct ena_rx_desc {
    uint16_t length; /* 0 means 64 KiB */
    uint8_t reserved;
    uint8_t ctrl; /* 0 phase, 2 first, 3 last, 4 comp_req */
    uint16_t req_id;
    uint16_t reserved2;
    uint32_t addr_lo;
    uint16_t addr_hi;
    uint16_t reserved3;
} __attribute__((packed));
#define ENA_RXD_PHASE 0x01u
#define ENA_RXD_FIRST 0x04u
#define ENA_RXD_LAST 0x08u
#define ENA_RXD_COMP_REQ 0x10u

/* Receive completion (the 4-word format): 16 bytes. */
struct ena_rx_cdesc {
    uint32_t status; /* 13 l3 csum err, 14 l4 csum err, 16 l4 checked, 24 phase, 26 first, 27 last, 30 buffer */
    uint16_t length;
    uint16_t req_id;
    uint32_t hash;
    uint16_t sub_qid;
    uint8_t offset;
    uint8_t reserved;
} __attribute__((packed));
#define ENA_RXC_PHASE (1u << 24)
#define ENA_RXC_FIRST (1u << 26)
#define ENA_RXC_LAST (1u << 27)
#define ENA_RXC_L3_CSUM_ERR (1u << 13)
#define ENA_RXC_L4_CSUM_ERR (1u << 14)
#define ENA_RXC_L4_CSUM_CHECKED (1u << 16) /* the device did check L4 (else the error bit means nothing) */
#define ENA_RXC_IPV4_FRAG (1u << 15)
#define ENA_RXC_L3_PROTO(s) ((s) & 0x1fu)         /* ENA_L3_PROTO_*: the L3 error bit means IPv4's header sum */
#define ENA_RXC_L4_PROTO(s) (((s) >> 8) & 0x1fu)  /* ENA_L4_PROTO_* */
#define ENA_L3_PROTO_IPV4 8
#define ENA_L3_PROTO_IPV6 11
#define ENA_L4_PROTO_TCP 12
#define ENA_L4_PROTO_UDP 13

/* The per-CQ interrupt register. */
#define ENA_INTR_UNMASK (1u << 30)

_Static_assert(sizeof(struct ena_aq_entry) == 64, "aq entry");
_Static_assert(sizeof(struct ena_acq_entry) == 64, "acq entry");
_Static_assert(sizeof(struct ena_cmd_get_set_feature) == 64, "feature cmd");
_Static_assert(sizeof(struct ena_cmd_create_cq) == 64, "create cq");
_Static_assert(sizeof(struct ena_resp_create_cq) == 64, "create cq resp");
_Static_assert(sizeof(struct ena_cmd_create_sq) == 64, "create sq");
_Static_assert(sizeof(struct ena_resp_create_sq) == 64, "create sq resp");
_Static_assert(sizeof(struct ena_cmd_destroy_sq) == 64, "destroy sq");
_Static_assert(sizeof(struct ena_cmd_destroy_cq) == 64, "destroy cq");
_Static_assert(sizeof(struct ena_feat_dev_attr) == 36, "dev attr");
_Static_assert(sizeof(struct ena_feat_max_queues) == 32, "max queues");
_Static_assert(sizeof(struct ena_aenq_entry) == 64, "aenq entry");
_Static_assert(sizeof(struct ena_feat_llq) == 36, "llq");
_Static_assert(sizeof(struct ena_feat_offload) == 12, "offload");
_Static_assert(sizeof(struct ena_hw_hints) == 32, "hw hints");
_Static_assert(sizeof(struct ena_tx_desc) == 16, "tx desc");
_Static_assert(sizeof(struct ena_tx_cdesc) == 8, "tx cdesc");
_Static_assert(sizeof(struct ena_rx_desc) == 16, "rx desc");
_Static_assert(sizeof(struct ena_rx_cdesc) == 16, "rx cdesc");

#endif
