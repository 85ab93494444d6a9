/* drivers/nvme private: the controller, its queues and namespaces, shared
 * by nvme.c (attach), nvme_ctrl.c (registers, admin commands, queues),
 * nvme_io.c (block requests) and nvme_recovery.c (time-outs, reset). */
#ifndef KESTREL_NVME_CTRL_H
#define KESTREL_NVME_CTRL_H
#include <stdbool.h>
#include <stdint.h>
#include "block.h"
#include "irq.h"
#include "memory.h"
#include "nvme_queue.h"
#include "pci.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"

#define REG_CAP 0x00
#define REG_VS 0x08
#define REG_CC 0x14
#define REG_CSTS 0x1c
#define REG_AQA 0x24
#define REG_ASQ 0x28
#define REG_ACQ 0x30
#define REG_DOORBELLS 0x1000
#define CC_EN 0x1u
#define CC_ENTRY_SIZES (6u << 16 | 4u << 20) /* 64-byte SQ entries, 16-byte CQ entries */
#define CSTS_RDY 0x1u
#define CSTS_CFS 0x2u

#define ADMIN_DEPTH 32
#define IO_DEPTH 64
/* One I/O queue per CPU up to this many; more CPUs share them (CPU index
 * modulo the count). Every completion arrives on the one vector, at one CPU
 * (irq_target_apic_id()), so queues past this would only cost memory and
 * doorbells on 100-vCPU instances, not spread the work. */
#define MAX_IO_QUEUES 16
#define MAX_NS 16
#define PRP_LIST_ENTRIES (NVME_PAGE / 8)
#define MAX_CHUNK (1u << 20)
#define ADMIN_TIMEOUT_MS 5000
#define IO_TIMEOUT_MS 30000
/* With no time-out, how often a command outstanding is reported. */
#define IO_REPORT_MS 30000
#define MS 1000000ull

enum ctrl_state { CTRL_LIVE, CTRL_RESETTING, CTRL_DEAD };

/* What a command id's slot points at: whoever waits for it. */
struct nvme_cookie {
    void (*complete)(struct nvme_cookie *ck, int status, uint32_t dw0);
};

struct nvme_queue {
    struct nvme_qpair qp;
    struct spinlock lock;
    struct semaphore slots;
    uint64_t *prp_lists; /* one page per command id (I/O queues only) */
    volatile uint32_t *sq_db, *cq_db;
    uint16_t cq_db_written;
};

struct nvme_ctrl;

struct nvme_ns {
    struct block_dev b;
    struct nvme_ctrl *c;
    uint32_t nsid;
    unsigned shift; /* log2 of the block size */
};

struct nvme_ctrl {
    const struct pci_info *pci;
    volatile uint8_t *regs;
    unsigned index;
    char name[12];
    struct nvme_cap cap;
    struct nvme_ctrl_info info;
    struct nvme_queue admin;
    struct nvme_queue io[MAX_IO_QUEUES];
    unsigned nio;
    uint16_t io_depth;
    uint32_t chunk; /* bytes per command */
    uint64_t io_timeout_ns; /* 0: no time-out, the watchdog only reports */
    volatile int state;
    struct mutex state_lock;
    struct condvar state_cv;
    struct spinlock wd_lock;
    struct timer watchdog;
    bool wd_armed, recovering;
    struct semaphore recover;
    uint8_t *page; /* IDENTIFY data */
    struct nvme_ns ns[MAX_NS];
    unsigned nns;
};


static inline uint32_t rd32(struct nvme_ctrl *c, unsigned off) { return *(volatile uint32_t *)(c->regs + off); }
static inline void wr32(struct nvme_ctrl *c, unsigned off, uint32_t v) { *(volatile uint32_t *)(c->regs + off) = v; }
static inline uint64_t rd64(struct nvme_ctrl *c, unsigned off) { return rd32(c, off) | (uint64_t)rd32(c, off + 4) << 32; }
static inline void wr64(struct nvme_ctrl *c, unsigned off, uint64_t v)
{
    wr32(c, off, (uint32_t)v);
    wr32(c, off + 4, (uint32_t)(v >> 32));
}

static inline uint64_t nvme_translate(void *ctx, uint64_t va)
{
    (void)ctx;
    int64_t pa = paging_translate(va);
    return pa < 0 ? ~0ull : (uint64_t)pa;
}

static inline uint64_t nvme_dev_addr(const void *p) { return nvme_translate(NULL, (uint64_t)(uintptr_t)p); }

/* nvme_ctrl.c */
void nvme_drain(struct nvme_queue *q);
void nvme_irq(struct int_frame *f, void *arg);
/* Submits an admin command and polls for it; 0, the completion's error, or
 * -ETIMEDOUT (the command id is then abandoned). */
int nvme_admin_cmd(struct nvme_ctrl *c, struct nvme_sqe *cmd, uint32_t *dw0, unsigned timeout_ms);
int nvme_identify(struct nvme_ctrl *c, uint32_t cns, uint32_t nsid);
int nvme_ctrl_disable(struct nvme_ctrl *c);
/* Disables, points the controller at the (emptied) admin queue, enables. */
int nvme_ctrl_enable(struct nvme_ctrl *c);
int nvme_queue_alloc(struct nvme_ctrl *c, struct nvme_queue *q, unsigned qid, uint16_t depth, bool io);
int nvme_create_io_queues(struct nvme_ctrl *c);

/* When a command pushed now is late: its time-out, or with none the next
 * report. */
static inline uint64_t nvme_deadline(const struct nvme_ctrl *c, uint64_t now)
{
    return now + (c->io_timeout_ns ? c->io_timeout_ns : (uint64_t)IO_REPORT_MS * 1000000ull);
}

/* nvme.c */
unsigned nvme_queues_negotiate(struct nvme_ctrl *c);

/* nvme_recovery.c */
void nvme_watchdog_arm(struct nvme_ctrl *c);
void nvme_watchdog_fire(struct timer *t, void *arg);
/* Waits out a reset: 0 when the controller is live, -EIO when it is dead. */
int nvme_wait_live(struct nvme_ctrl *c);
void *nvme_recovery_thread(void *arg);

/* nvme_io.c */
int nvme_ns_submit(struct block_dev *b, struct block_request *r);

#endif
