/* gVNIC admin queue, commands, device descriptor and queue planning (pure
 * logic, host-tested in tests/unit/test_gve.c). */
#include <string.h>
#include "errno.h"
#include "gve.h"

/* Linux polls the event counter 100 times, 20 ms apart: 2 s a batch. */
#define AQ_POLL_MS 20
#define AQ_DEFAULT_TIMEOUT_MS 2000
#define AQ_RESET_TIMEOUT_MS 10000

static uint32_t rd(struct gve_aq *aq, unsigned off) { return aq->io->read32(aq->io->ctx, off); }
static void wr(struct gve_aq *aq, unsigned off, uint32_t v, unsigned w) { aq->io->write(aq->io->ctx, off, v, w); }
static void nap(struct gve_aq *aq) { aq->io->sleep_ms(aq->io->ctx, AQ_POLL_MS); }

int gve_aq_start(struct gve_aq *aq)
{
    uint64_t pa = (uint64_t)(uintptr_t)aq->ring;
    if (aq->revision < 1 && pa / GVE_PAGE > UINT32_MAX)
        return -ERANGE; /* the PFN register holds 32 bits */
    memset(aq->ring, 0, GVE_PAGE);
    aq->prod = 0;
    aq->broken = false;
    if (!aq->timeout_ms)
        aq->timeout_ms = AQ_DEFAULT_TIMEOUT_MS;
    if (aq->revision < 1) {
        wr(aq, GVE_REG_AQ_PFN, (uint32_t)(pa / GVE_PAGE), 4);
    } else {
        wr(aq, GVE_REG_AQ_LENGTH, GVE_PAGE, 2);
        wr(aq, GVE_REG_AQ_BASE_HI, (uint32_t)(pa >> 32), 4);
        wr(aq, GVE_REG_AQ_BASE_LO, (uint32_t)pa, 4);
        wr(aq, GVE_REG_DRIVER_STATUS, GVE_DRV_STATUS_RUN, 4);
    }
    return 0;
}

int gve_aq_reset(struct gve_aq *aq)
{
    bool done = false;
    if (aq->revision < 1) {
        wr(aq, GVE_REG_AQ_PFN, 0, 4);
        for (unsigned t = 0; t <= AQ_RESET_TIMEOUT_MS && !done; t += AQ_POLL_MS) {
            done = rd(aq, GVE_REG_AQ_PFN) == 0;
            if (!done)
                nap(aq);
        }
    } else {
        wr(aq, GVE_REG_DRIVER_STATUS, GVE_DRV_STATUS_RESET, 4);
        for (unsigned t = 0; t <= AQ_RESET_TIMEOUT_MS && !done; t += AQ_POLL_MS) {
            done = rd(aq, GVE_REG_DEVICE_STATUS) & GVE_DEV_STATUS_IS_RESET;
            if (!done)
                nap(aq);
        }
    }
    aq->prod = 0;
    aq->broken = false;
    return done ? 0 : -ETIMEDOUT;
}

int gve_aq_status_errno(uint32_t status)
{
    switch (status) {
    case GVE_AQ_STATUS_PASSED:
        return 0;
    case GVE_AQ_STATUS_UNSET:            /* counted as done, never written */
        return -EIO;
    case 0xfffffff0u: /* aborted */
    case 0xfffffff2u: /* cancelled */
    case 0xfffffff3u: /* data loss */
    case 0xfffffff5u: /* failed precondition */
    case 0xfffffffdu: /* unavailable */
        return -EAGAIN;
    case 0xfffffff4u: /* deadline exceeded */
        return -ETIME;
    case 0xfffffffau: /* permission denied */
    case 0xfffffffbu: /* unauthenticated */
        return -EACCES;
    case 0xfffffffcu: /* resource exhausted */
        return -ENOMEM;
    case GVE_AQ_STATUS_UNIMPLEMENTED:
        return -EOPNOTSUPP;
    default:          /* already exists, internal, invalid argument, not found, out of range, unknown, other */
        return -EINVAL;
    }
}

int gve_aq_exec(struct gve_aq *aq, const uint8_t *cmd)
{
    if (aq->broken)
        return -ETIMEDOUT;
    uint32_t tail = rd(aq, GVE_REG_AQ_EVENT_COUNTER);
    if (tail != aq->prod) {
        /* Commands we never sent are counted done, or ours are lost. */
        aq->failures++;
        aq->last_opcode = gve_be32(cmd);
        aq->last_status = tail;
        return -EIO;
    }
    uint8_t *slot = aq->ring + (aq->prod % GVE_AQ_SLOTS) * GVE_AQ_CMD_SIZE;
    memcpy(slot, cmd, GVE_AQ_CMD_SIZE);
    gve_put32(slot + 4, GVE_AQ_STATUS_UNSET);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the command before the doorbell */
    aq->prod++;
    wr(aq, GVE_REG_AQ_DOORBELL, aq->prod, 4);
    bool done = false;
    for (unsigned t = 0; t <= aq->timeout_ms; t += AQ_POLL_MS) {
        uint32_t ev = rd(aq, GVE_REG_AQ_EVENT_COUNTER);
        if (ev == aq->prod) {
            done = true;
            break;
        }
        if (ev - tail > aq->prod - tail) { /* past what we rang for */
            aq->failures++;
            aq->broken = true;
            aq->last_opcode = gve_be32(cmd);
            aq->last_status = ev;
            return -EIO;
        }
        nap(aq);
    }
    if (!done) {
        aq->timeouts++;
        aq->broken = true;
        aq->last_opcode = gve_be32(cmd);
        aq->last_status = GVE_AQ_STATUS_UNSET;
        return -ETIMEDOUT;
    }
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint32_t status = gve_be32(slot + 4);
    int err = gve_aq_status_errno(status);
    if (err) {
        aq->failures++;
        aq->last_opcode = gve_be32(cmd);
        aq->last_status = status;
    }
    return err;
}

static void cmd_init(uint8_t *c, uint32_t opcode)
{
    memset(c, 0, GVE_AQ_CMD_SIZE);
    gve_put32(c, opcode);
}

/* Command bodies start at byte 8, after opcode and status. */
void gve_cmd_describe(uint8_t *c, uint64_t desc_addr, uint32_t avail_len)
{
    cmd_init(c, GVE_AQ_DESCRIBE_DEVICE);
    gve_put64(c + 8, desc_addr);
    gve_put32(c + 16, GVE_DESCRIPTOR_VERSION);
    gve_put32(c + 20, avail_len);
}

void gve_cmd_configure_resources(uint8_t *c, uint64_t counters, uint32_t ncounters, uint64_t irq_dbs,
                                 uint32_t nblocks, uint32_t stride, uint8_t format)
{
    cmd_init(c, GVE_AQ_CONFIGURE_DEVICE_RESOURCES);
    gve_put64(c + 8, counters);
    gve_put64(c + 16, irq_dbs);
    gve_put32(c + 24, ncounters);
    gve_put32(c + 28, nblocks);
    gve_put32(c + 32, stride);
    gve_put32(c + 36, 0); /* notification blocks from MSI-X entry 0: the management vector is last */
    c[40] = format;
}

void gve_cmd_deconfigure_resources(uint8_t *c) { cmd_init(c, GVE_AQ_DECONFIGURE_DEVICE_RESOURCES); }

void gve_cmd_register_qpl(uint8_t *c, uint32_t id, uint32_t npages, uint64_t list_addr)
{
    cmd_init(c, GVE_AQ_REGISTER_PAGE_LIST);
    gve_put32(c + 8, id);
    gve_put32(c + 12, npages);
    gve_put64(c + 16, list_addr);
    gve_put64(c + 24, GVE_PAGE);
}

void gve_cmd_unregister_qpl(uint8_t *c, uint32_t id)
{
    cmd_init(c, GVE_AQ_UNREGISTER_PAGE_LIST);
    gve_put32(c + 8, id);
}

void gve_cmd_create_tx(uint8_t *c, uint32_t qid, uint64_t res_addr, uint64_t ring_addr, uint32_t qpl_id,
                       uint32_t ntfy, uint16_t ring_size)
{
    cmd_init(c, GVE_AQ_CREATE_TX_QUEUE);
    gve_put32(c + 8, qid);
    gve_put64(c + 16, res_addr);
    gve_put64(c + 24, ring_addr);
    gve_put32(c + 32, qpl_id);
    gve_put32(c + 36, ntfy);
    gve_put16(c + 48, ring_size); /* the completion ring (DQO only) stays 0 */
}

void gve_cmd_create_rx(uint8_t *c, uint32_t qid, uint32_t ntfy, uint64_t res_addr, uint64_t desc_addr,
                       uint64_t data_addr, uint32_t qpl_id, uint16_t ring_size, uint16_t buf_size)
{
    cmd_init(c, GVE_AQ_CREATE_RX_QUEUE);
    gve_put32(c + 8, qid);
    gve_put32(c + 12, qid); /* index */
    gve_put32(c + 20, ntfy);
    gve_put64(c + 24, res_addr);
    gve_put64(c + 32, desc_addr);
    gve_put64(c + 40, data_addr);
    gve_put32(c + 48, qpl_id);
    gve_put16(c + 52, ring_size);
    gve_put16(c + 54, buf_size);
}

void gve_cmd_destroy_queue(uint8_t *c, uint32_t opcode, uint32_t qid)
{
    cmd_init(c, opcode);
    gve_put32(c + 8, qid);
}

void gve_cmd_set_mtu(uint8_t *c, uint64_t mtu)
{
    cmd_init(c, GVE_AQ_SET_DRIVER_PARAMETER);
    gve_put32(c + 8, GVE_SET_PARAM_MTU);
    gve_put64(c + 16, mtu);
}

/* Options: an 8-byte header (id, length, required features) and length
 * bytes. One with a length or required-feature mask we do not expect is
 * skipped, as the reference driver does; one that runs past the
 * descriptor's total length ends the parse as invalid. */
static void note_option(struct gve_dev_info *info, uint16_t id, uint16_t len, uint32_t req)
{
    unsigned min_len;
    uint32_t fmt = 0;
    switch (id) {
    case GVE_OPT_GQI_RAW_ADDRESSING: min_len = 0; fmt = GVE_FMT_GQI_RDA; break;
    case GVE_OPT_GQI_RDA: min_len = 4; fmt = GVE_FMT_GQI_RDA; break;
    case GVE_OPT_GQI_QPL: min_len = 4; fmt = GVE_FMT_GQI_QPL; break;
    case GVE_OPT_DQO_RDA: min_len = 8; fmt = GVE_FMT_DQO_RDA; break;
    case GVE_OPT_DQO_QPL: min_len = 8; fmt = GVE_FMT_DQO_QPL; break;
    default:
        info->options_ignored++; /* jumbo frames, buffer sizes, ring sizes...: not used */
        return;
    }
    if (len < min_len || req != 0 || (id == GVE_OPT_GQI_RAW_ADDRESSING && len != 0)) {
        info->options_ignored++;
        return;
    }
    info->formats |= 1u << fmt;
}

int gve_parse_descriptor(const uint8_t *buf, size_t avail, struct gve_dev_info *info, const char **why)
{
    memset(info, 0, sizeof(*info));
    if (avail < GVE_DESC_SIZE) {
        *why = "buffer smaller than a descriptor";
        return -EINVAL;
    }
    info->max_registered_pages = gve_be64(buf);
    info->tx_entries = gve_be16(buf + 10);
    info->rx_entries = gve_be16(buf + 12);
    info->default_queues = gve_be16(buf + 14);
    info->mtu = gve_be16(buf + 16);
    info->counters = gve_be16(buf + 18);
    info->tx_pages = gve_be16(buf + 20);
    info->rx_pages = gve_be16(buf + 22);
    memcpy(info->mac, buf + 24, 6);
    uint16_t nopt = gve_be16(buf + 30);
    uint16_t total = gve_be16(buf + 32);
    if (total < GVE_DESC_SIZE || total > avail) {
        *why = "descriptor total length outside the buffer";
        return -EINVAL;
    }
    size_t off = GVE_DESC_SIZE;
    for (unsigned i = 0; i < nopt; i++) {
        if (off + GVE_OPT_HDR_SIZE > total) {
            *why = "device options past the descriptor's length";
            return -EINVAL;
        }
        uint16_t id = gve_be16(buf + off), len = gve_be16(buf + off + 2);
        uint32_t req = gve_be32(buf + off + 4);
        if (off + GVE_OPT_HDR_SIZE + len > total) {
            *why = "device options past the descriptor's length";
            return -EINVAL;
        }
        note_option(info, id, len, req);
        info->options++;
        off += GVE_OPT_HDR_SIZE + len;
    }
    /* No format option at all: the device speaks GQI-QPL, the format every
     * gVNIC has (the reference driver's default too). */
    if (!info->formats)
        info->formats |= 1u << GVE_FMT_GQI_QPL;
    return 0;
}

static bool pow2_in(uint32_t v, uint32_t lo, uint32_t hi) { return v >= lo && v <= hi && (v & (v - 1)) == 0; }

int gve_plan_queues(const struct gve_dev_info *d, uint32_t max_tx_queues, uint32_t max_rx_queues,
                    unsigned msix_vectors, unsigned ncpus, struct gve_plan *p, const char **why)
{
    memset(p, 0, sizeof(*p));
    if (max_tx_queues == 0 || max_rx_queues == 0 || max_tx_queues > 1024 || max_rx_queues > 1024) {
        *why = "absurd queue counts";
        return -EINVAL;
    }
    if (msix_vectors < 3) {
        *why = "fewer MSI-X vectors than two notification blocks and management";
        return -ENODEV;
    }
    /* A ring must fill at least a page (the reference driver's check) and
     * stay within what this driver sizes its bookkeeping for. */
    if (!pow2_in(d->tx_entries, GVE_PAGE / GVE_TXD_SIZE, GVE_MAX_RING) ||
        !pow2_in(d->rx_entries, GVE_PAGE / GVE_RXD_SIZE, GVE_MAX_RING)) {
        *why = "ring sizes not a power of two within one page and 4096 entries";
        return -EINVAL;
    }
    if (d->mtu < 68) {
        *why = "MTU below 68";
        return -EINVAL;
    }
    if (d->counters < 2 || d->counters > GVE_MAX_COUNTERS) {
        *why = "absurd event counter count";
        return -EINVAL;
    }
    /* Receive: one page per descriptor; transmit: 2 KiB slots. */
    if (d->rx_pages < d->rx_entries || d->tx_pages == 0 || d->tx_pages > GVE_MAX_QPL_PAGES) {
        *why = "queue page list sizes do not cover the rings";
        return -EINVAL;
    }
    p->tx_entries = d->tx_entries;
    p->rx_entries = d->rx_entries;
    p->tx_pages = d->tx_pages;
    p->rx_pages = d->rx_entries; /* more would never be used */
    uint64_t per_pair = (uint64_t)p->tx_pages + p->rx_pages;
    if (per_pair > d->max_registered_pages) {
        *why = "device allows fewer registered pages than the rings need";
        return -EINVAL;
    }
    uint32_t n = ncpus ? ncpus : 1;
    n = n < GVE_QMAX ? n : GVE_QMAX;
    n = n < max_tx_queues ? n : max_tx_queues;
    n = n < max_rx_queues ? n : max_rx_queues;
    if (d->default_queues && d->default_queues < n)
        n = d->default_queues;
    /* Two notification blocks a pair (transmit, receive), each its own
     * vector, and the management vector after them. */
    if (n > (msix_vectors - 1) / 2)
        n = (msix_vectors - 1) / 2;
    if (n > d->max_registered_pages / per_pair)
        n = (uint32_t)(d->max_registered_pages / per_pair);
    /* Each queue has its own event counter: the array must cover them. */
    if (n > d->counters / 2)
        n = d->counters / 2;
    p->nq = n;
    p->nblocks = 2 * n;
    p->counters = d->counters;
    p->tx_qpl_id = 0;
    /* The reference numbers receive lists after the transmit lists of the
     * queues it uses (at most one per two notification blocks). */
    p->rx_qpl_id = n;
    p->mtu = d->mtu > GVE_MTU_MAX ? GVE_MTU_MAX : d->mtu;
    p->set_mtu = d->mtu > GVE_MTU_MAX;
    return 0;
}

void gve_qpl_fill_list(uint8_t *list, uint64_t base, uint32_t npages)
{
    for (uint32_t i = 0; i < npages; i++)
        gve_put64(list + 8 * (size_t)i, base + (uint64_t)i * GVE_PAGE);
}

bool gve_qpl_contains(uint32_t npages, uint64_t off, uint64_t len)
{
    uint64_t end = (uint64_t)npages * GVE_PAGE;
    return off <= end && len <= end - off;
}

int gve_queue_resources(const uint8_t *res, uint32_t db_limit, uint32_t counters, uint32_t *db,
                        uint32_t *counter)
{
    *db = gve_be32(res);
    *counter = gve_be32(res + 4);
    if (*db >= db_limit || *counter >= counters)
        return -EIO;
    return 0;
}
