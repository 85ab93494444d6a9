/* The gVNIC device model (tests/unit/gve_model.h). */
#include "gve_model.h"
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct gve_model *M(void *ctx) { return ctx; }
static uint8_t *ptr(uint64_t a) { return (uint8_t *)(uintptr_t)a; }

static void release(struct gve_model *m)
{
    m->configured = false;
    m->tx_created = m->rx_created = 0;
    memset(m->qpl, 0, sizeof(m->qpl));
    memset(m->txq, 0, sizeof(m->txq));
    memset(m->rxq, 0, sizeof(m->rxq));
    m->registered_pages = 0;
    m->event_counter = 0;
    m->aq_pfn = m->aq_hi = m->aq_lo = 0;
}

static uint8_t *aq_page(struct gve_model *m)
{
    if (m->revision < 1)
        return ptr((uint64_t)m->aq_pfn * GVE_PAGE);
    return ptr((uint64_t)m->aq_hi << 32 | m->aq_lo);
}

static struct gvm_qpl *find_qpl(struct gve_model *m, uint32_t id)
{
    for (unsigned i = 0; i < GVM_QPLS; i++)
        if (m->qpl[i].used && m->qpl[i].id == id)
            return &m->qpl[i];
    return NULL;
}

/* Where byte off of a page list is. */
static uint8_t *qpl_byte(struct gvm_qpl *q, uint64_t off)
{
    if (!q || off >= (uint64_t)q->npages * GVE_PAGE)
        return NULL;
    return ptr(q->page[off / GVE_PAGE] + off % GVE_PAGE);
}

/* A notification block or page list serves one queue. */
static bool block_taken(const struct gve_model *m, uint32_t b)
{
    for (unsigned q = 0; q < GVM_Q; q++)
        if ((m->txq[q].created && m->txq[q].block == b) || (m->rxq[q].created && m->rxq[q].block == b))
            return true;
    return false;
}

static bool qpl_taken(const struct gve_model *m, uint32_t id)
{
    for (unsigned q = 0; q < GVM_Q; q++)
        if ((m->txq[q].created && m->txq[q].qpl == id) || (m->rxq[q].created && m->rxq[q].qpl == id))
            return true;
    return false;
}

static uint32_t run(struct gve_model *m, uint8_t *c)
{
    uint32_t op = gve_be32(c);
    if (m->fail_opcode && op == m->fail_opcode)
        return m->fail_status;
    switch (op) {
    case GVE_AQ_DESCRIBE_DEVICE:
        if (gve_be32(c + 16) != GVE_DESCRIPTOR_VERSION || gve_be32(c + 20) < m->descriptor_len)
            return 0xfffffff7u;
        memcpy(ptr(gve_be64(c + 8)), m->descriptor, m->descriptor_len);
        return GVE_AQ_STATUS_PASSED;
    case GVE_AQ_CONFIGURE_DEVICE_RESOURCES:
        if (m->configured)
            return 0xfffffff1u; /* already exists */
        m->counters = ptr(gve_be64(c + 8));
        m->irq_dbs = ptr(gve_be64(c + 16));
        m->ncounters = gve_be32(c + 24);
        m->nblocks = gve_be32(c + 28);
        m->stride = gve_be32(c + 32);
        m->format = c[40];
        if (m->format != GVE_FMT_GQI_QPL || m->refuse_gqi)
            return 0xfffffff5u; /* failed precondition */
        for (uint32_t b = 0; b < m->nblocks; b++)
            gve_put32(m->irq_dbs + b * m->stride, m->bad_irq_db_index ? m->bad_irq_db_index : 16 + b);
        m->configured = true;
        return GVE_AQ_STATUS_PASSED;
    case GVE_AQ_REGISTER_PAGE_LIST: {
        uint32_t id = gve_be32(c + 8), n = gve_be32(c + 12);
        if (find_qpl(m, id) || n == 0 || n > GVE_MAX_QPL_PAGES || gve_be64(c + 24) != GVE_PAGE)
            return 0xfffffff7u;
        struct gvm_qpl *q = NULL;
        for (unsigned i = 0; i < GVM_QPLS && !q; i++)
            if (!m->qpl[i].used)
                q = &m->qpl[i];
        if (!q)
            return 0xfffffffcu;
        /* The descriptor's limit on pages registered, all lists together. */
        if (m->registered_pages + n > gve_be64(m->descriptor)) {
            m->refused++;
            return 0xfffffff8u; /* resource exhausted */
        }
        m->registered_pages += n;
        q->used = true;
        q->id = id;
        q->npages = n;
        for (uint32_t i = 0; i < n; i++)
            q->page[i] = gve_be64(ptr(gve_be64(c + 16)) + 8 * i);
        return GVE_AQ_STATUS_PASSED;
    }
    case GVE_AQ_SET_DRIVER_PARAMETER:
        if (gve_be32(c + 8) != GVE_SET_PARAM_MTU)
            return 0xfffffff7u;
        m->set_mtu = gve_be64(c + 16);
        return GVE_AQ_STATUS_PASSED;
    case GVE_AQ_CREATE_TX_QUEUE: {
        uint32_t q = gve_be32(c + 8), qpl = gve_be32(c + 32), block = gve_be32(c + 36);
        if (!m->configured || q >= m->max_tx || q >= GVM_Q || m->txq[q].created || !find_qpl(m, qpl) ||
            block >= m->nblocks || block_taken(m, block) || qpl_taken(m, qpl)) {
            m->refused++;
            return 0xfffffff5u;
        }
        struct gvm_txq *t = &m->txq[q];
        memset(t, 0, sizeof(*t));
        t->ring = ptr(gve_be64(c + 24));
        t->qpl = qpl;
        t->block = block;
        t->size = gve_be16(c + 48);
        gve_put32(ptr(gve_be64(c + 16)), m->bad_db_index ? m->bad_db_index : GVM_TX_DB(q));
        gve_put32(ptr(gve_be64(c + 16)) + 4, 2 * q);
        t->created = true;
        m->tx_created++;
        m->db[GVM_TX_DB(q)] = 0; /* a new queue: nothing posted yet */
        return GVE_AQ_STATUS_PASSED;
    }
    case GVE_AQ_CREATE_RX_QUEUE: {
        uint32_t q = gve_be32(c + 8), qpl = gve_be32(c + 48), block = gve_be32(c + 20);
        if (!m->configured || q >= m->max_rx || q >= GVM_Q || m->rxq[q].created || !find_qpl(m, qpl) ||
            block >= m->nblocks || block_taken(m, block) || qpl_taken(m, qpl)) {
            m->refused++;
            return 0xfffffff5u;
        }
        struct gvm_rxq *r = &m->rxq[q];
        memset(r, 0, sizeof(*r));
        r->desc = ptr(gve_be64(c + 32));
        r->data = ptr(gve_be64(c + 40));
        r->qpl = qpl;
        r->block = block;
        r->size = gve_be16(c + 52);
        r->buf_size = gve_be16(c + 54);
        r->seq = 1;
        gve_put32(ptr(gve_be64(c + 24)), GVM_RX_DB(q));
        gve_put32(ptr(gve_be64(c + 24)) + 4, 2 * q + 1);
        r->created = true;
        m->rx_created++;
        return GVE_AQ_STATUS_PASSED;
    }
    default:
        return GVE_AQ_STATUS_UNIMPLEMENTED;
    }
}

static void doorbell_aq(struct gve_model *m, uint32_t prod)
{
    uint8_t *ring = aq_page(m);
    while (m->event_counter != prod) {
        uint8_t *c = ring + (m->event_counter % GVE_AQ_SLOTS) * GVE_AQ_CMD_SIZE;
        uint32_t op = gve_be32(c);
        if (m->stall_opcode && op == m->stall_opcode)
            return; /* never completes */
        if (m->ncmds < GVM_MAX_CMDS)
            m->cmds[m->ncmds++] = op;
        gve_put32(c + 4, run(m, c));
        m->event_counter++;
    }
    if (m->counter_jump)
        m->event_counter += 3;
}

static uint32_t rd(void *ctx, unsigned off)
{
    struct gve_model *m = M(ctx);
    switch (off) {
    case GVE_REG_DEVICE_STATUS: return m->device_status;
    case GVE_REG_DRIVER_STATUS: return m->driver_status;
    case GVE_REG_MAX_TX_QUEUES: return m->max_tx;
    case GVE_REG_MAX_RX_QUEUES: return m->max_rx;
    case GVE_REG_AQ_PFN: return m->aq_pfn;
    case GVE_REG_AQ_EVENT_COUNTER: return m->event_counter;
    default: return 0;
    }
}

static void wr(void *ctx, unsigned off, uint32_t v, unsigned width)
{
    struct gve_model *m = M(ctx);
    switch (off) {
    case GVE_REG_DRIVER_VERSION:
        if (width == 1 && m->version_len + 1 < sizeof(m->version))
            m->version[m->version_len++] = (char)v;
        break;
    case GVE_REG_AQ_PFN:
        if (v == 0 && !m->never_reset)
            release(m);
        else if (v)
            m->aq_pfn = v;
        break;
    case GVE_REG_AQ_BASE_HI: m->aq_hi = v; break;
    case GVE_REG_AQ_BASE_LO: m->aq_lo = v; break;
    case GVE_REG_AQ_LENGTH: m->aq_len = v; break;
    case GVE_REG_DRIVER_STATUS:
        m->driver_status = v;
        if (v & GVE_DRV_STATUS_RESET) {
            if (!m->never_reset) {
                release(m);
                m->device_status |= GVE_DEV_STATUS_IS_RESET;
            }
        } else if (v & GVE_DRV_STATUS_RUN) {
            m->device_status &= ~GVE_DEV_STATUS_IS_RESET;
        }
        break;
    case GVE_REG_AQ_DOORBELL: doorbell_aq(m, v); break;
    default: break;
    }
}

static void db(void *ctx, uint32_t index, uint32_t v)
{
    struct gve_model *m = M(ctx);
    if (index < GVM_DBS)
        m->db[index] = v;
}

static void nap(void *ctx, unsigned ms) { M(ctx)->slept_ms += ms; }

static void *alloc(void *ctx, size_t n)
{
    struct gve_model *m = M(ctx);
    if (m->nallocs == GVM_MAX_ALLOCS)
        return NULL;
    /* Below 4 GiB, as the kernel's memory is: revision 0 hands the
     * admin queue over as a 32-bit page number. */
    void *p = mmap(NULL, n * GVE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    m->alloc_pages[m->nallocs] = n;
    m->allocs[m->nallocs++] = p;
    return p;
}

void gvm_describe(struct gve_model *m, uint16_t tx_entries, uint16_t rx_entries, uint16_t mtu, uint16_t counters,
                  uint16_t tx_pages, uint16_t rx_pages, uint64_t max_pages, const uint8_t *options, size_t opt_len,
                  uint16_t nopt)
{
    uint8_t *d = m->descriptor;
    memset(d, 0, sizeof(m->descriptor));
    gve_put64(d, max_pages);
    gve_put16(d + 10, tx_entries);
    gve_put16(d + 12, rx_entries);
    gve_put16(d + 14, 2);
    gve_put16(d + 16, mtu);
    gve_put16(d + 18, counters);
    gve_put16(d + 20, tx_pages);
    gve_put16(d + 22, rx_pages);
    static const uint8_t mac[6] = { 0x42, 0x01, 0x0a, 0x80, 0x00, 0x02 };
    memcpy(d + 24, mac, 6);
    gve_put16(d + 30, nopt);
    gve_put16(d + 32, (uint16_t)(GVE_DESC_SIZE + opt_len));
    if (opt_len)
        memcpy(d + GVE_DESC_SIZE, options, opt_len);
    m->descriptor_len = GVE_DESC_SIZE + opt_len;
}

void gvm_init(struct gve_model *m, unsigned revision)
{
    memset(m, 0, sizeof(*m));
    m->io = (struct gve_io){ m, rd, wr, db, nap, alloc };
    m->revision = revision;
    m->max_tx = m->max_rx = 2;
    m->device_status = GVE_DEV_STATUS_LINK;
    for (unsigned i = 0; i < GVM_DBS; i++)
        m->db[i] = GVM_DB_UNWRITTEN;
    gvm_describe(m, 256, 128, 1460, 64, 64, 128, 1024, NULL, 0, 0);
}

void gvm_free(struct gve_model *m)
{
    for (unsigned i = 0; i < m->nallocs; i++)
        munmap(m->allocs[i], m->alloc_pages[i] * GVE_PAGE);
    m->nallocs = 0;
}

unsigned gvm_tx_pull(struct gve_model *m)
{
    unsigned n = 0;
    for (unsigned qi = 0; qi < GVM_Q; qi++) {
        struct gvm_txq *t = &m->txq[qi];
        if (!t->created)
            continue;
        uint32_t req = m->db[GVM_TX_DB(qi)];
        struct gvm_qpl *q = find_qpl(m, t->qpl);
        while (t->head != req && req - t->head < (1u << 31)) {
            const uint8_t *d = t->ring + (t->head & (t->size - 1)) * GVE_TXD_SIZE;
            uint16_t len = gve_be16(d + 4), seg = gve_be16(d + 6);
            uint64_t off = gve_be64(d + 8);
            if ((d[0] & 0xf0) != GVE_TXD_STD || d[3] != 1 || len != seg || len > 2048) {
                m->tx_bad++;
            } else if (m->nframes < GVM_MAX_FRAMES) {
                for (uint16_t i = 0; i < len; i++) {
                    uint8_t *b = qpl_byte(q, off + i);
                    if (!b) {
                        m->tx_bad++;
                        break;
                    }
                    m->frames[m->nframes][i] = *b;
                }
                m->frame_len[m->nframes++] = len;
            }
            t->head++;
            t->frames++;
            n++;
        }
        gve_put32(m->counters + 4 * (2 * qi), t->head);
    }
    return n;
}

bool gvm_rx_push(struct gve_model *m, const void *frame, size_t len, uint16_t flags, uint8_t seq, uint32_t dlen)
{
    return gvm_rx_push_q(m, 0, frame, len, flags, seq, dlen);
}

bool gvm_rx_push_q(struct gve_model *m, unsigned qi, const void *frame, size_t len, uint16_t flags, uint8_t seq,
                   uint32_t dlen)
{
    if (qi >= GVM_Q)
        return false;
    struct gvm_rxq *r = &m->rxq[qi];
    if (!r->created || r->prod == m->db[GVM_RX_DB(qi)])
        return false; /* no buffer handed out */
    uint32_t slot = r->prod & (r->size - 1);
    uint64_t off = gve_be64(r->data + 8 * slot);
    struct gvm_qpl *q = find_qpl(m, r->qpl);
    size_t n = len + GVE_RX_PAD <= r->buf_size ? len : r->buf_size - GVE_RX_PAD;
    for (size_t i = 0; i < n; i++) {
        uint8_t *b = qpl_byte(q, off + GVE_RX_PAD + i);
        if (!b)
            return false;
        *b = ((const uint8_t *)frame)[i];
    }
    uint8_t *d = r->desc + (size_t)slot * GVE_RXD_SIZE;
    gve_put16(d + 60, (uint16_t)(dlen ? dlen : len + GVE_RX_PAD));
    gve_put16(d + 62, (uint16_t)(flags | (seq ? seq : r->seq)));
    r->seq = gve_next_seq(r->seq);
    r->prod++;
    return true;
}
