/* gVNIC bring-up, reset and data path over struct gve_io (pure logic, run
 * against the device model in tests/unit/test_gve.c): the admin-queue
 * command flow of the public driver — describe the device, configure its
 * resources (event counters, notification-block doorbells, GQI-QPL),
 * register the two queue page lists, create one transmit and one receive
 * queue — and the checks on everything the device writes back. */
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
    err = gve_plan_queues(&d->info, d->max_tx_queues, d->max_rx_queues, d->msix_vectors, &d->plan, &why);
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
    if (d->tx.ring) {
        /* Every size the memory was cut to, the counter array's included. */
        const struct gve_plan *m = &d->mem_plan;
        if (m->tx_entries != p->tx_entries || m->rx_entries != p->rx_entries || m->tx_pages != p->tx_pages ||
            m->rx_pages != p->rx_pages || m->counters != p->counters)
            return fail(d, -EINVAL, "device changed its sizes across a reset");
        return 0;
    }
    d->counters = pages(d, npages((size_t)p->counters * 4));
    d->irq_dbs = pages(d, npages(GVE_NTFY_BLOCKS * GVE_IRQ_DB_STRIDE));
    d->tx_res = pages(d, 1);
    d->rx_res = pages(d, 1);
    d->tx_list = pages(d, npages((size_t)p->tx_pages * 8));
    d->rx_list = pages(d, npages((size_t)p->rx_pages * 8));
    d->tx_qpl = pages(d, p->tx_pages);
    d->rx_qpl = pages(d, p->rx_pages);
    d->tx.ring = pages(d, npages((size_t)p->tx_entries * GVE_TXD_SIZE));
    d->rx.desc = pages(d, npages((size_t)p->rx_entries * GVE_RXD_SIZE));
    d->rx.data = pages(d, npages((size_t)p->rx_entries * 8));
    if (!d->counters || !d->irq_dbs || !d->tx_res || !d->rx_res || !d->tx_list || !d->rx_list || !d->tx_qpl ||
        !d->rx_qpl || !d->tx.ring || !d->rx.desc || !d->rx.data) {
        d->tx.ring = NULL; /* (the kernel never frees pages; the host test leaks) */
        return fail(d, -ENOMEM, "no memory for the queues");
    }
    d->mem_plan = *p;
    d->tx.size = p->tx_entries;
    d->tx.slots = p->tx_pages * (GVE_PAGE / GVE_BUF_SIZE);
    d->rx.size = p->rx_entries;
    return 0;
}

static int exec(struct gve_dev *d, const uint8_t *cmd, const char *what)
{
    int err = gve_aq_exec(&d->aq, cmd);
    if (err)
        d->why = what;
    return err;
}

int gve_dev_up(struct gve_dev *d)
{
    int err = alloc_memory(d);
    if (err)
        return err;
    const struct gve_plan *p = &d->plan;
    uint8_t cmd[GVE_AQ_CMD_SIZE];

    memset(d->counters, 0, (size_t)p->counters * 4);
    memset(d->irq_dbs, 0xff, GVE_NTFY_BLOCKS * GVE_IRQ_DB_STRIDE); /* the device fills them */
    gve_cmd_configure_resources(cmd, pa(d->counters), p->counters, pa(d->irq_dbs), GVE_NTFY_BLOCKS,
                                GVE_IRQ_DB_STRIDE, GVE_FMT_GQI_QPL);
    if ((err = exec(d, cmd, "configure device resources (GQI-QPL) refused")))
        return err;
    d->resources = true;
    for (unsigned b = 0; b < GVE_NTFY_BLOCKS; b++) {
        d->irq_db[b] = gve_be32(d->irq_dbs + b * GVE_IRQ_DB_STRIDE);
        if (d->irq_db[b] >= d->db_limit)
            return fail(d, -EIO, "notification-block doorbell index outside BAR2");
    }

    gve_qpl_fill_list(d->tx_list, pa(d->tx_qpl), p->tx_pages);
    gve_cmd_register_qpl(cmd, p->tx_qpl_id, p->tx_pages, pa(d->tx_list));
    if ((err = exec(d, cmd, "register transmit page list refused")))
        return err;
    gve_qpl_fill_list(d->rx_list, pa(d->rx_qpl), p->rx_pages);
    gve_cmd_register_qpl(cmd, p->rx_qpl_id, p->rx_pages, pa(d->rx_list));
    if ((err = exec(d, cmd, "register receive page list refused")))
        return err;

    if (p->set_mtu) {
        /* Receive buffers are 2 KiB: no frame may need more than one. */
        gve_cmd_set_mtu(cmd, p->mtu);
        if ((err = exec(d, cmd, "set MTU refused")))
            return err;
    }

    gve_txq_init(&d->tx);
    memset(d->tx_res, 0xff, GVE_QUEUE_RESOURCES_SIZE);
    gve_cmd_create_tx(cmd, 0, pa(d->tx_res), pa(d->tx.ring), p->tx_qpl_id, 0, (uint16_t)p->tx_entries);
    if ((err = exec(d, cmd, "create transmit queue refused")))
        return err;
    d->tx_created = true;
    if (gve_queue_resources(d->tx_res, d->db_limit, p->counters, &d->tx_db, &d->tx_counter))
        return fail(d, -EIO, "transmit queue resources out of range");

    gve_rxq_init(&d->rx);
    memset(d->rx_res, 0xff, GVE_QUEUE_RESOURCES_SIZE);
    gve_cmd_create_rx(cmd, 0, 1, pa(d->rx_res), pa(d->rx.desc), pa(d->rx.data), p->rx_qpl_id,
                      (uint16_t)p->rx_entries, GVE_BUF_SIZE);
    if ((err = exec(d, cmd, "create receive queue refused")))
        return err;
    d->rx_created = true;
    if (gve_queue_resources(d->rx_res, d->db_limit, p->counters, &d->rx_db, &d->rx_counter))
        return fail(d, -EIO, "receive queue resources out of range");

    d->io->doorbell(d->io->ctx, d->rx_db, d->rx.fill);
    /* Unmasked with 0, as the reference turns GQI blocks up. */
    for (unsigned b = 0; b < GVE_NTFY_BLOCKS; b++)
        d->io->doorbell(d->io->ctx, d->irq_db[b], 0);
    return 0;
}

int gve_dev_reset(struct gve_dev *d)
{
    int err = gve_aq_reset(&d->aq);
    d->resources = d->tx_created = d->rx_created = false;
    if (err)
        d->why = "device never confirmed its reset";
    return err;
}

int gve_dev_transmit(struct gve_dev *d, const void *frame, size_t len)
{
    if (len < 14 || len > (size_t)d->plan.mtu + 14)
        return -EINVAL;
    gve_dev_tx_reap(d);
    int64_t off = gve_tx_slot(&d->tx);
    if (off < 0)
        return -EBUSY;
    memcpy(d->tx_qpl + off, frame, len);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the frame before its descriptor */
    int err = gve_tx_post(&d->tx, (uint32_t)len);
    if (err)
        return err;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the descriptor before the doorbell */
    d->io->doorbell(d->io->ctx, d->tx_db, d->tx.req);
    return 0;
}

int gve_dev_tx_reap(struct gve_dev *d)
{
    uint32_t c = gve_be32(d->counters + 4 * (size_t)d->tx_counter);
    return gve_tx_reap(&d->tx, c);
}

int gve_dev_rx_poll(struct gve_dev *d, gve_rx_fn fn, void *arg)
{
    int frames = 0;
    bool any = false, bad = false;
    for (uint32_t i = 0; i < d->rx.size; i++) {
        struct gve_rx_result r;
        enum gve_rx_kind k = gve_rx_next(&d->rx, &r);
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
                fn(arg, d->rx_qpl + r.qpl_off, r.len);
            frames++;
        }
    }
    if (any) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* done with the buffers before they go back */
        d->io->doorbell(d->io->ctx, d->rx_db, gve_rx_refill(&d->rx));
    }
    return bad ? -EIO : frames;
}

void gve_dev_irq_ack(struct gve_dev *d, unsigned block)
{
    d->io->doorbell(d->io->ctx, d->irq_db[block], GVE_IRQ_ACK | GVE_IRQ_EVENT);
}

void gve_dev_irq_mask(struct gve_dev *d, unsigned block)
{
    d->io->doorbell(d->io->ctx, d->irq_db[block], GVE_IRQ_MASK);
}

bool gve_dev_link_up(struct gve_dev *d)
{
    return d->io->read32(d->io->ctx, GVE_REG_DEVICE_STATUS) & GVE_DEV_STATUS_LINK;
}
