/* gVNIC bring-up, reset and data path over struct gve_io (pure logic, run
 * against the device model in tests/unit/test_gve.c): the admin-queue
 * command flow of the public driver — describe the device, configure its
 * resources (event counters, notification-block doorbells, GQI-QPL),
 * register a queue page list per queue, create the transmit and receive
 * queues (one pair per CPU, as planned) — and the checks on everything the
 * device writes back. */
#include <string.h>
#include "errno.h"
#include "gve.h"

#define DRIVER_VERSION_STRING "kestrel-gve 1\n"

static void *pages(struct gve_dev *d, size_t n) { return d->io->alloc_pages(d->io->ctx, n); }
static uint64_t pa(const void *p) { return (uint64_t)(uintptr_t)p; }
static size_t npages(size_t bytes) { return (bytes + GVE_PAGE - 1) / GVE_PAGE; }

static int fail(struct gve_dev *d, int err, const char *why)
{
    d->why = why;
    return err;
}

int gve_dev_probe(struct gve_dev *d)
{
    d->aq.io = d->io;
    d->aq.revision = d->revision;
    if (!d->aq.ring && !(d->aq.ring = pages(d, 1)))
        return fail(d, -ENOMEM, "no memory for the admin queue");
    if (!d->desc_page && !(d->desc_page = pages(d, 1)))
        return fail(d, -ENOMEM, "no memory for the device descriptor");
    /* The device logs the driver's version, one byte at a time. */
    for (const char *s = DRIVER_VERSION_STRING; *s; s++)
        d->io->write(d->io->ctx, GVE_REG_DRIVER_VERSION, (uint8_t)*s, 1);
    if (gve_aq_start(&d->aq))
        return fail(d, -ERANGE, "admin queue page beyond the page-number register");
    uint8_t cmd[GVE_AQ_CMD_SIZE];
    memset(d->desc_page, 0, GVE_PAGE);
    gve_cmd_describe(cmd, pa(d->desc_page), GVE_PAGE);
    int err = gve_aq_exec(&d->aq, cmd);
    if (err)
        return fail(d, err, err == -ETIMEDOUT ? "describe device timed out" : "describe device failed");
    const char *why = NULL;
    err = gve_parse_descriptor(d->desc_page, GVE_PAGE, &d->info, &why);
    if (err)
        return fail(d, err, why);
    d->max_tx_queues = d->io->read32(d->io->ctx, GVE_REG_MAX_TX_QUEUES);
    d->max_rx_queues = d->io->read32(d->io->ctx, GVE_REG_MAX_RX_QUEUES);
    err = gve_plan_queues(&d->info, d->max_tx_queues, d->max_rx_queues, d->msix_vectors, d->ncpus, &d->plan, &why);
    if (err)
        return fail(d, err, why);
    return 0;
}

/* Memory of the first bring-up is kept: a reset gives it back to us and
 * the same sizes are asked for again (a device describing itself
 * differently after a reset is refused). */
static int alloc_memory(struct gve_dev *d)
{
    const struct gve_plan *p = &d->plan;
    if (d->tx[0].ring) {
        /* Every size the memory was cut to, the counter array's and the
         * number of pairs included. */
        const struct gve_plan *m = &d->mem_plan;
        if (m->tx_entries != p->tx_entries || m->rx_entries != p->rx_entries || m->tx_pages != p->tx_pages ||
            m->rx_pages != p->rx_pages || m->counters != p->counters || m->nq != p->nq)
            return fail(d, -EINVAL, "device changed its sizes across a reset");
        return 0;
    }
    d->counters = pages(d, npages((size_t)p->counters * 4));
    d->irq_dbs = pages(d, npages((size_t)p->nblocks * GVE_IRQ_DB_STRIDE));
    bool ok = d->counters && d->irq_dbs;
    for (uint32_t q = 0; ok && q < p->nq; q++) {
        struct gve_qmem *t = &d->txm[q], *r = &d->rxm[q];
        t->res = pages(d, 1);
        r->res = pages(d, 1);
        t->list = pages(d, npages((size_t)p->tx_pages * 8));
        r->list = pages(d, npages((size_t)p->rx_pages * 8));
        t->qpl = pages(d, p->tx_pages);
        r->qpl = pages(d, p->rx_pages);
        d->tx[q].ring = pages(d, npages((size_t)p->tx_entries * GVE_TXD_SIZE));
        d->rx[q].desc = pages(d, npages((size_t)p->rx_entries * GVE_RXD_SIZE));
        d->rx[q].data = pages(d, npages((size_t)p->rx_entries * 8));
        ok = t->res && r->res && t->list && r->list && t->qpl && r->qpl && d->tx[q].ring && d->rx[q].desc &&
             d->rx[q].data;
        d->tx[q].size = p->tx_entries;
        d->tx[q].slots = p->tx_pages * (GVE_PAGE / GVE_BUF_SIZE);
        d->rx[q].size = p->rx_entries;
    }
    if (!ok) {
        d->tx[0].ring = NULL; /* (the kernel never frees pages; the host test leaks) */
        return fail(d, -ENOMEM, "no memory for the queues");
    }
    d->mem_plan = *p;
    return 0;
}

static int exec(struct gve_dev *d, const uint8_t *cmd, const char *what)
{
    int err = gve_aq_exec(&d->aq, cmd);
    if (err)
        d->why = what;
    return err;
}

static int create_tx(struct gve_dev *d, uint32_t q)
{
    const struct gve_plan *p = &d->plan;
    uint8_t cmd[GVE_AQ_CMD_SIZE];
    gve_txq_init(&d->tx[q]);
    memset(d->txm[q].res, 0xff, GVE_QUEUE_RESOURCES_SIZE);
    gve_cmd_create_tx(cmd, q, pa(d->txm[q].res), pa(d->tx[q].ring), p->tx_qpl_id + q, gve_tx_block(d, q),
                      (uint16_t)p->tx_entries);
    int err = exec(d, cmd, "create transmit queue refused");
    if (err)
        return err;
    d->tx_created++;
    if (gve_queue_resources(d->txm[q].res, d->db_limit, p->counters, &d->tx_db[q], &d->tx_counter[q]))
        return fail(d, -EIO, "transmit queue resources out of range");
    return 0;
}

static int create_rx(struct gve_dev *d, uint32_t q)
{
    const struct gve_plan *p = &d->plan;
    uint8_t cmd[GVE_AQ_CMD_SIZE];
    gve_rxq_init(&d->rx[q]);
    memset(d->rxm[q].res, 0xff, GVE_QUEUE_RESOURCES_SIZE);
    gve_cmd_create_rx(cmd, q, gve_rx_block(d, q), pa(d->rxm[q].res), pa(d->rx[q].desc), pa(d->rx[q].data),
                      p->rx_qpl_id + q, (uint16_t)p->rx_entries, GVE_BUF_SIZE);
    int err = exec(d, cmd, "create receive queue refused");
    if (err)
        return err;
    d->rx_created++;
    if (gve_queue_resources(d->rxm[q].res, d->db_limit, p->counters, &d->rx_db[q], &d->rx_counter[q]))
        return fail(d, -EIO, "receive queue resources out of range");
    return 0;
}

int gve_dev_up(struct gve_dev *d)
{
    d->nq = 0;
    int err = alloc_memory(d);
    if (err)
        return err;
    const struct gve_plan *p = &d->plan;
    uint8_t cmd[GVE_AQ_CMD_SIZE];

    memset(d->counters, 0, (size_t)p->counters * 4);
    memset(d->irq_dbs, 0xff, (size_t)p->nblocks * GVE_IRQ_DB_STRIDE); /* the device fills them */
    gve_cmd_configure_resources(cmd, pa(d->counters), p->counters, pa(d->irq_dbs), p->nblocks, GVE_IRQ_DB_STRIDE,
                                GVE_FMT_GQI_QPL);
    if ((err = exec(d, cmd, "configure device resources (GQI-QPL) refused")))
        return err;
    d->resources = true;
    for (unsigned b = 0; b < p->nblocks; b++) {
        d->irq_db[b] = gve_be32(d->irq_dbs + b * GVE_IRQ_DB_STRIDE);
        if (d->irq_db[b] >= d->db_limit)
            return fail(d, -EIO, "notification-block doorbell index outside BAR2");
    }

    /* Transmit lists first, then receive lists, as the ids run. */
    for (uint32_t q = 0; q < p->nq; q++) {
        gve_qpl_fill_list(d->txm[q].list, pa(d->txm[q].qpl), p->tx_pages);
        gve_cmd_register_qpl(cmd, p->tx_qpl_id + q, p->tx_pages, pa(d->txm[q].list));
        if ((err = exec(d, cmd, "register transmit page list refused")))
            return err;
    }
    for (uint32_t q = 0; q < p->nq; q++) {
        gve_qpl_fill_list(d->rxm[q].list, pa(d->rxm[q].qpl), p->rx_pages);
        gve_cmd_register_qpl(cmd, p->rx_qpl_id + q, p->rx_pages, pa(d->rxm[q].list));
        if ((err = exec(d, cmd, "register receive page list refused")))
            return err;
    }

    if (p->set_mtu) {
        /* Receive buffers are 2 KiB: no frame may need more than one. */
        gve_cmd_set_mtu(cmd, p->mtu);
        if ((err = exec(d, cmd, "set MTU refused")))
            return err;
    }

    for (uint32_t q = 0; q < p->nq; q++)
        if ((err = create_tx(d, q)))
            return err;
    for (uint32_t q = 0; q < p->nq; q++)
        if ((err = create_rx(d, q)))
            return err;

    for (uint32_t q = 0; q < p->nq; q++)
        d->io->doorbell(d->io->ctx, d->rx_db[q], d->rx[q].fill);
    /* Unmasked with 0, as the reference turns GQI blocks up. */
    for (unsigned b = 0; b < p->nblocks; b++)
        d->io->doorbell(d->io->ctx, d->irq_db[b], 0);
    d->nq = p->nq;
    return 0;
}

int gve_dev_reset(struct gve_dev *d)
{
    int err = gve_aq_reset(&d->aq);
    d->resources = false;
    d->tx_created = d->rx_created = 0;
    d->nq = 0;
    if (err)
        d->why = "device never confirmed its reset";
    return err;
}

int gve_dev_transmit(struct gve_dev *d, unsigned q, const void *frame, size_t len)
{
    if (len < 14 || len > (size_t)d->plan.mtu + 14)
        return -EINVAL;
    if (q >= d->nq)
        return -EBUSY;
    gve_dev_tx_reap(d, q);
    int64_t off = gve_tx_slot(&d->tx[q]);
    if (off < 0)
        return -EBUSY;
    memcpy(d->txm[q].qpl + off, frame, len);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the frame before its descriptor */
    int err = gve_tx_post(&d->tx[q], (uint32_t)len);
    if (err)
        return err;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the descriptor before the doorbell */
    d->io->doorbell(d->io->ctx, d->tx_db[q], d->tx[q].req);
    return 0;
}

int gve_dev_tx_reap(struct gve_dev *d, unsigned q)
{
    if (q >= d->nq)
        return 0;
    uint32_t c = gve_be32(d->counters + 4 * (size_t)d->tx_counter[q]);
    return gve_tx_reap(&d->tx[q], c);
}

int gve_dev_rx_poll(struct gve_dev *d, unsigned q, gve_rx_fn fn, void *arg)
{
    if (q >= d->nq)
        return 0;
    struct gve_rxq *rx = &d->rx[q];
    int frames = 0;
    bool any = false, bad = false;
    for (uint32_t i = 0; i < rx->size; i++) {
        struct gve_rx_result r;
        enum gve_rx_kind k = gve_rx_next(rx, &r);
        if (k == GVE_RX_NONE)
            break;
        if (k == GVE_RX_BAD) {
            bad = true;
            d->why = r.why;
            break;
        }
        any = true;
        if (k == GVE_RX_FRAME) {
            if (fn)
                fn(arg, d->rxm[q].qpl + r.qpl_off, r.len);
            frames++;
        }
    }
    if (any) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* done with the buffers before they go back */
        d->io->doorbell(d->io->ctx, d->rx_db[q], gve_rx_refill(rx));
    }
    return bad ? -EIO : frames;
}

void gve_dev_irq_ack(struct gve_dev *d, unsigned block)
{
    if (block < d->plan.nblocks)
        d->io->doorbell(d->io->ctx, d->irq_db[block], GVE_IRQ_ACK | GVE_IRQ_EVENT);
}

void gve_dev_irq_mask(struct gve_dev *d, unsigned block)
{
    if (block < d->plan.nblocks)
        d->io->doorbell(d->io->ctx, d->irq_db[block], GVE_IRQ_MASK);
}

bool gve_dev_link_up(struct gve_dev *d)
{
    return d->io->read32(d->io->ctx, GVE_REG_DEVICE_STATUS) & GVE_DEV_STATUS_LINK;
}
