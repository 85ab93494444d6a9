/* The whole gVNIC bring-up and data path (drivers/gve/gve_dev.c and what it
 * calls) against a device whose every answer comes from the input:
 * register reads, command statuses, the device descriptor, notification
 * block and queue resource indices, transmit completion counters and
 * receive descriptors. Nothing may be read or written outside the memory
 * the driver allocated, and doorbell indices must stay inside BAR2. */
#include <stdlib.h>
#include <string.h>
#include "gve.h"

#define DBS 64
#define MAX_ALLOCS 96
#define MAX_PAGES 96 /* per allocation: larger asks fail, as memory may */

struct fz {
    const uint8_t *p;
    size_t n;
    uint32_t event, prod;
    uint8_t *aq;
    void *allocs[MAX_ALLOCS];
    unsigned nallocs;
};

static uint8_t take(struct fz *f)
{
    if (!f->n)
        return 0;
    f->n--;
    return *f->p++;
}

static uint32_t take32(struct fz *f)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++)
        v = v << 8 | take(f);
    return v;
}

static uint8_t *ptr(uint64_t a) { return (uint8_t *)(uintptr_t)a; }

static uint32_t rd(void *ctx, unsigned off)
{
    struct fz *f = ctx;
    uint8_t b = take(f);
    if (b >= 0xf0)
        return take32(f); /* a lie */
    switch (off) {
    case GVE_REG_AQ_EVENT_COUNTER: return f->event;
    case GVE_REG_MAX_TX_QUEUES:
    case GVE_REG_MAX_RX_QUEUES: return 1 + (b & 3);
    case GVE_REG_DEVICE_STATUS: return b & 1 ? GVE_DEV_STATUS_IS_RESET : GVE_DEV_STATUS_LINK;
    default: return 0;
    }
}

/* The device runs a command: a status and whatever it writes back, from the input. */
static void run(struct fz *f, uint8_t *c)
{
    uint32_t op = gve_be32(c);
    uint8_t how = take(f);
    uint32_t status = how < 0xf0 ? GVE_AQ_STATUS_PASSED : 0xfffffff0u | (how & 0xf);
    if (op == GVE_AQ_DESCRIBE_DEVICE) {
        uint8_t *d = ptr(gve_be64(c + 8));
        uint32_t avail = gve_be32(c + 20);
        size_t len = take(f);
        len = len * 2 < avail ? len * 2 : avail;
        for (size_t i = 0; i < len; i++)
            d[i] = take(f);
    } else if (op == GVE_AQ_CONFIGURE_DEVICE_RESOURCES) {
        uint8_t *dbs = ptr(gve_be64(c + 16));
        uint32_t n = gve_be32(c + 28), stride = gve_be32(c + 32);
        for (uint32_t b = 0; b < n && b < 8; b++)
            gve_put32(dbs + b * stride, take(f));
    } else if (op == GVE_AQ_CREATE_TX_QUEUE || op == GVE_AQ_CREATE_RX_QUEUE) {
        uint8_t *res = ptr(gve_be64(c + (op == GVE_AQ_CREATE_TX_QUEUE ? 16 : 24)));
        gve_put32(res, take(f));
        gve_put32(res + 4, take(f));
    }
    gve_put32(c + 4, status);
}

static void wr(void *ctx, unsigned off, uint32_t v, unsigned width)
{
    struct fz *f = ctx;
    if (off == GVE_REG_AQ_BASE_LO)
        f->aq = ptr(((uint64_t)(uintptr_t)f->aq & ~0xffffffffull) | v);
    else if (off == GVE_REG_AQ_BASE_HI)
        f->aq = ptr((uint64_t)v << 32 | ((uint64_t)(uintptr_t)f->aq & 0xffffffffull));
    else if (off == GVE_REG_DRIVER_STATUS && (v & GVE_DRV_STATUS_RESET))
        f->event = 0;
    else if (off == GVE_REG_AQ_DOORBELL) {
        uint8_t stall = take(f);
        while (f->event != v && stall < 0xf8 && f->aq) {
            run(f, f->aq + (f->event % GVE_AQ_SLOTS) * GVE_AQ_CMD_SIZE);
            f->event++;
        }
    }
}

static void db(void *ctx, uint32_t index, uint32_t v)
{
    if (index >= DBS)
        abort(); /* a doorbell outside BAR2 */
}

static void nap(void *ctx, unsigned ms) {}

static void *alloc(void *ctx, size_t n)
{
    struct fz *f = ctx;
    if (n > MAX_PAGES || f->nallocs == MAX_ALLOCS)
        return NULL;
    void *p = aligned_alloc(GVE_PAGE, n * GVE_PAGE);
    if (p)
        memset(p, 0, n * GVE_PAGE);
    f->allocs[f->nallocs++] = p;
    return p;
}

static void rx_sink(void *arg, const uint8_t *frame, size_t len)
{
    volatile uint8_t x = 0;
    for (size_t i = 0; i < len; i++)
        x ^= frame[i]; /* every byte handed up must be readable */
    (void)x;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz f = { data, size, 0, 0, NULL, { 0 }, 0 };
    struct gve_io io = { &f, rd, wr, db, nap, alloc };
    struct gve_dev d;
    memset(&d, 0, sizeof(d));
    d.io = &io;
    d.revision = 1;
    d.db_limit = DBS;
    /* Pairs: CPUs and MSI-X vectors from the first input byte. */
    uint8_t shape = take(&f);
    d.ncpus = 1 + (shape & 3);
    d.msix_vectors = 3 + (shape >> 2 & 7);
    if (gve_dev_probe(&d) == 0 && gve_dev_up(&d) == 0) {
        if (d.nq < 1 || d.nq > GVE_QMAX || d.nq > d.ncpus || 2 * d.nq + 1 > d.msix_vectors ||
            d.plan.nblocks != 2 * d.nq)
            abort();
        uint8_t frame[1514];
        memset(frame, 0xab, sizeof(frame));
        while (f.n) {
            uint8_t op = take(&f);
            unsigned q = (op >> 2) & 7; /* any queue, held or not */
            switch (op & 3) {
            case 0: {
                size_t len = (size_t)take(&f) << 3 | (op >> 5);
                gve_dev_transmit(&d, q, frame, len > sizeof(frame) ? sizeof(frame) : len);
                break;
            }
            case 1: /* the device writes a receive descriptor */
            {
                unsigned r = q % d.plan.nq; /* rings exist only for planned queues */
                uint8_t *desc = d.rx[r].desc + (size_t)(take(&f) % d.rx[r].size) * GVE_RXD_SIZE;
                for (int i = 60; i < 64; i++)
                    desc[i] = take(&f);
                break;
            }
            case 2:
                gve_put32(d.counters + 4 * (size_t)d.tx_counter[q % d.plan.nq], take32(&f));
                gve_dev_tx_reap(&d, q);
                break;
            default:
                if (gve_dev_rx_poll(&d, q, rx_sink, NULL) < 0 && (op & 0x80)) {
                    gve_dev_reset(&d);
                    if (gve_dev_probe(&d) || gve_dev_up(&d))
                        f.n = 0;
                }
                break;
            }
        }
    }
    for (unsigned i = 0; i < f.nallocs; i++)
        free(f.allocs[i]);
    return 0;
}
