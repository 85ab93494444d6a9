/* The ENA device model (see ena_model.h). */
#include <stdlib.h>
#include <string.h>
#include "ena_model.h"

#define P(a) ((void *)(uintptr_t)(a))

void em_init(struct ena_model *m)
{
    memset(m, 0, sizeof(*m));
    m->readless = true;
    static const uint8_t mac[6] = { 0x02, 0x1d, 0x0f, 0xec, 0x20, 0x01 };
    memcpy(m->mac, mac, 6);
    m->max_mtu = 9216;
    m->max_depth = 1024;
    m->max_queues = 8;
    m->groups = 0x1f;
    m->caps = (5u << 1) | (48u << 8) | (2u << 16); /* reset 500 ms, 48-bit DMA, admin 200 ms */
    m->dev_sts = ENA_DEV_STS_READY;
    m->intr_mask = ENA_INTR_MASK_ADMIN;
    /* What current Nitro devices offer, as the references describe it. */
    m->llq_offer.max_llq_num = 8;
    m->llq_offer.max_llq_depth = 256;
    m->llq_offer.header_location_supported = ENA_LLQ_HEADER_INLINE;
    m->llq_offer.entry_size_supported = ENA_LLQ_ENTRY_128 | ENA_LLQ_ENTRY_256;
    m->llq_offer.entry_size_recommended = ENA_LLQ_ENTRY_128;
    m->llq_offer.descs_before_header_supported = 1 | 2 | 4 | 8;
    m->llq_offer.stride_supported = ENA_LLQ_STRIDE_MULTI | ENA_LLQ_STRIDE_SINGLE;
}

static uint32_t reg_value(struct ena_model *m, unsigned off)
{
    switch (off) {
    case ENA_REG_VERSION: return 0x0201;
    case ENA_REG_CONTROLLER_VERSION: return 0x00010000;
    case ENA_REG_CAPS: return m->caps;
    case ENA_REG_DEV_STS: return m->dev_sts;
    case ENA_REG_AQ_CAPS: return m->aq_caps;
    default: return 0;
    }
}

static uint32_t em_read(void *ctx, unsigned off)
{
    struct ena_model *m = ctx;
    if (m->readless) {
        m->protocol_errors++; /* direct reads are not allowed in read-less mode */
        return 0xffffffffu;
    }
    return reg_value(m, off);
}

static void full_reset(struct ena_model *m)
{
    m->aq_head = m->acq_tail = m->aenq_tail = 0;
    m->aq_phase = m->acq_phase = m->aenq_phase = 1;
    m->aq_db = 0;
    m->aenq_head_db = 0;
    m->aq_base = m->acq_base = m->aenq_base = 0;
    m->mmio_resp = 0;
    m->enabled_groups = 0;
    memset(m->cq, 0, sizeof(m->cq));
    memset(m->sq, 0, sizeof(m->sq));
    m->swallow_admin = 0;
    m->llq_enabled = false;
    memset(&m->llq_set, 0, sizeof(m->llq_set));
    memset(m->devmem, 0, sizeof(m->devmem));
}

static void respond(struct ena_model *m, const struct ena_acq_entry *r)
{
    uint16_t depth = (uint16_t)(m->acq_caps & 0xffff);
    if (!depth || !m->acq_base)
        return;
    struct ena_acq_entry *q = P(m->acq_base);
    struct ena_acq_entry e = *r;
    e.flags = m->acq_phase;
    q[m->acq_tail] = e;
    if (++m->acq_tail == depth) {
        m->acq_tail = 0;
        m->acq_phase ^= 1;
    }
}

void em_acq_raw(struct ena_model *m, uint16_t cmd_id, uint8_t status, bool wrong_phase)
{
    struct ena_acq_entry e;
    memset(&e, 0, sizeof(e));
    e.command = cmd_id;
    e.status = status;
    if (wrong_phase) {
        uint16_t depth = (uint16_t)(m->acq_caps & 0xffff);
        struct ena_acq_entry *q = P(m->acq_base);
        e.flags = m->acq_phase ^ 1;
        q[m->acq_tail % depth] = e;
        return;
    }
    respond(m, &e);
}

unsigned em_llq_entry(const struct ena_model *m)
{
    switch (m->llq_set.entry_size_enabled) {
    case ENA_LLQ_ENTRY_128: return 128;
    case ENA_LLQ_ENTRY_192: return 192;
    case ENA_LLQ_ENTRY_256: return 256;
    default: return 0;
    }
}

static uint16_t alloc_cq(struct ena_model *m)
{
    for (uint16_t i = 0; i < EM_QUEUES; i++)
        if (!m->cq[i].used)
            return i;
    return 0xffff;
}

static void admin_command(struct ena_model *m, const struct ena_aq_entry *e)
{
    struct ena_acq_entry r;
    memset(&r, 0, sizeof(r));
    r.command = e->command_id & ENA_CMD_ID_MASK;
    m->admin_cmds++;
    if (m->swallow_admin) {
        m->swallow_admin--;
        return;
    }
    if (m->admin_wrong_id_first) {
        em_acq_raw(m, (uint16_t)((r.command + 7) & ENA_CMD_ID_MASK), 0, false);
    }
    if (m->raw_len >= 57) {
        r.status = m->raw_answers[0] & 1 ? m->raw_answers[0] : 0; /* mostly success: the body gets parsed */
        memcpy((uint8_t *)&r + 8, m->raw_answers + 1, 56);
        m->raw_answers += 57;
        m->raw_len -= 57;
        respond(m, &r);
        return;
    }
    if (m->admin_status) {
        r.status = (uint8_t)m->admin_status;
        respond(m, &r);
        return;
    }
    switch (e->opcode) {
    case ENA_ADMIN_GET_FEATURE: {
        const struct ena_cmd_get_set_feature *c = (const void *)e;
        if (c->feature_id == ENA_FEAT_DEVICE_ATTRIBUTES) {
            struct ena_feat_dev_attr a;
            memset(&a, 0, sizeof(a));
            a.supported_features = (1u << ENA_FEAT_DEVICE_ATTRIBUTES) | (1u << ENA_FEAT_MAX_QUEUES_NUM) |
                                   (1u << ENA_FEAT_AENQ_CONFIG) | (1u << ENA_FEAT_MTU) |
                                   (m->has_hints ? 1u << ENA_FEAT_HW_HINTS : 0) | (m->llq ? 1u << ENA_FEAT_LLQ : 0) |
                                   (m->offload.tx | m->offload.rx_supported ? 1u << ENA_FEAT_STATELESS_OFFLOAD : 0);
            a.phys_addr_width = 48;
            memcpy(a.mac, m->mac, 6);
            a.max_mtu = m->max_mtu;
            memcpy(r.data, &a, sizeof(a));
        } else if (c->feature_id == ENA_FEAT_MAX_QUEUES_NUM && !m->max_queues_unsupported) {
            struct ena_feat_max_queues q;
            memset(&q, 0, sizeof(q));
            q.max_sq_num = q.max_cq_num = m->max_queues;
            q.max_sq_depth = q.max_cq_depth = m->max_depth;
            q.max_header_size = 128;
            q.max_packet_tx_descs = q.max_packet_rx_descs = 17;
            memcpy(r.data, &q, sizeof(q));
        } else if (c->feature_id == ENA_FEAT_LLQ && m->llq) {
            memcpy(r.data, &m->llq_offer, sizeof(m->llq_offer));
        } else if (c->feature_id == ENA_FEAT_STATELESS_OFFLOAD && (m->offload.tx | m->offload.rx_supported)) {
            memcpy(r.data, &m->offload, sizeof(m->offload));
        } else if (c->feature_id == ENA_FEAT_HW_HINTS && m->has_hints) {
            memcpy(r.data, &m->hints, sizeof(m->hints));
        } else if (c->feature_id == ENA_FEAT_AENQ_CONFIG) {
            struct ena_feat_aenq g = { m->groups, m->enabled_groups };
            memcpy(r.data, &g, sizeof(g));
        } else {
            r.status = 3;
        }
        break;
    }
    case ENA_ADMIN_SET_FEATURE: {
        const struct ena_cmd_get_set_feature *c = (const void *)e;
        if (c->feature_id == ENA_FEAT_AENQ_CONFIG) {
            m->enabled_groups = c->data[1];
            if (m->enabled_groups & ~m->groups)
                r.status = 5;
        } else if (c->feature_id == ENA_FEAT_LLQ && m->llq) {
            struct ena_feat_llq l;
            memcpy(&l, c->data, sizeof(l));
            const struct ena_feat_llq *o = &m->llq_offer;
#define ONE_OF(v, mask) ((v) && !((v) & ((v)-1)) && ((v) & (mask)) == (v))
            if (m->llq_refuse_set || l.header_location_enabled != ENA_LLQ_HEADER_INLINE ||
                !ONE_OF(l.header_location_enabled, o->header_location_supported) ||
                !ONE_OF(l.entry_size_enabled, o->entry_size_supported) ||
                !ONE_OF(l.descs_before_header_enabled, o->descs_before_header_supported) ||
                !ONE_OF(l.stride_enabled, o->stride_supported) || (l.accel_flags & ~o->accel_flags)) {
                r.status = 5;
            } else {
                m->llq_set = l;
                m->llq_enabled = true;
            }
#undef ONE_OF
        } else if (c->feature_id == ENA_FEAT_MTU) {
            if (c->data[0] > m->max_mtu)
                r.status = 5;
            else
                m->mtu = c->data[0];
        } else {
            r.status = 3;
        }
        break;
    }
    case ENA_ADMIN_CREATE_CQ: {
        const struct ena_cmd_create_cq *c = (const void *)e;
        uint16_t i = alloc_cq(m);
        if (i == 0xffff || !c->depth || (c->depth & (c->depth - 1)) || c->depth > m->max_depth ||
            (c->caps2 != 2 && c->caps2 != 4)) {
            r.status = 5;
            break;
        }
        struct em_cq *q = &m->cq[i];
        memset(q, 0, sizeof(*q));
        q->used = true;
        q->base = c->base.lo | ((uint64_t)c->base.hi << 32);
        q->depth = c->depth;
        q->words = c->caps2;
        q->phase = 1;
        q->msix = c->msix_vector;
        struct ena_resp_create_cq cr;
        memcpy(&cr, &r, sizeof(cr));
        cr.cq_idx = i;
        cr.actual_depth = m->short_cq_depth ? m->short_cq_depth : c->depth;
        cr.head_db_offset = EM_CQ_HEAD(i);
        cr.unmask_offset = EM_CQ_UNMASK(i);
        memcpy(&r, &cr, sizeof(cr));
        break;
    }
    case ENA_ADMIN_CREATE_SQ: {
        const struct ena_cmd_create_sq *c = (const void *)e;
        unsigned dir = c->identity >> ENA_SQ_DIR_SHIFT;
        uint16_t i;
        for (i = 0; i < EM_QUEUES && m->sq[i].used; i++)
            ;
        unsigned place = c->caps2 & 0xf;
        bool dev = place == ENA_PLACEMENT_DEV;
        uint64_t base = c->base.lo | ((uint64_t)c->base.hi << 32);
        /* Device placement: transmit only, after SET LLQ, within its depth, no host ring. */
        bool dev_bad = dev && (m->llq_refuse_create || !m->llq_enabled || dir != ENA_SQ_DIR_TX || c->depth > m->llq_offer.max_llq_depth ||
                               (uint32_t)c->depth * em_llq_entry(m) > 0x8000u || base);
        if ((dir == 1 || dir == 2) && em_count_sq(m, dir) >= m->max_queues) {
            m->sq_refused_over_max++;
            r.status = 5;
            break;
        }
        if ((dir == 1 || dir == 2) && m->sq_limit && em_count_sq(m, dir) >= m->sq_limit) {
            r.status = 5;
            break;
        }
        if (i == EM_QUEUES || c->cq_idx >= EM_QUEUES || !m->cq[c->cq_idx].used || (dir != 1 && dir != 2) ||
            (place != ENA_PLACEMENT_HOST && !dev) || dev_bad || !c->depth || (c->depth & (c->depth - 1))) {
            r.status = 5;
            break;
        }
        struct em_sq *q = &m->sq[i];
        memset(q, 0, sizeof(*q));
        q->used = true;
        q->dir = dir;
        q->cq = c->cq_idx;
        q->depth = c->depth;
        q->phase = 1;
        q->base = base;
        q->llq = dev;
        q->llq_off = EM_LLQ_OFF(i);
        if (dev)
            memset(m->devmem + q->llq_off, 0, 0x8000u);
        struct ena_resp_create_sq sr;
        memcpy(&sr, &r, sizeof(sr));
        sr.sq_idx = i;
        sr.doorbell_offset = EM_SQ_DB(i);
        if (dev)
            sr.llq_desc_offset = m->llq_bad_offset ? m->llq_bad_offset : q->llq_off;
        memcpy(&r, &sr, sizeof(sr));
        break;
    }
    case ENA_ADMIN_DESTROY_SQ: {
        const struct ena_cmd_destroy_sq *c = (const void *)e;
        if (c->sq_idx >= EM_QUEUES || !m->sq[c->sq_idx].used)
            r.status = 5;
        else
            m->sq[c->sq_idx].used = false;
        break;
    }
    case ENA_ADMIN_DESTROY_CQ: {
        const struct ena_cmd_destroy_cq *c = (const void *)e;
        if (c->cq_idx >= EM_QUEUES || !m->cq[c->cq_idx].used)
            r.status = 5;
        else
            m->cq[c->cq_idx].used = false;
        break;
    }
    default:
        r.status = 2;
    }
    respond(m, &r);
}

static void admin_doorbell(struct ena_model *m, uint32_t db)
{
    uint16_t depth = (uint16_t)(m->aq_caps & 0xffff);
    if (!depth || !m->aq_base || !m->acq_base)
        return;
    struct ena_aq_entry *q = P(m->aq_base);
    /* The doorbell is the driver's free-running tail; take what is new. */
    while ((uint16_t)(m->aq_db) != (uint16_t)db) {
        struct ena_aq_entry e = q[m->aq_head];
        if ((e.flags & 1) != m->aq_phase) {
            m->protocol_errors++;
            break;
        }
        if (++m->aq_head == depth) {
            m->aq_head = 0;
            m->aq_phase ^= 1;
        }
        m->aq_db++;
        admin_command(m, &e);
    }
}

static void cq_write(struct em_cq *q, const void *entry, size_t len, bool wrong_phase)
{
    uint8_t *base = P(q->base);
    size_t size = q->words * 4u;
    uint8_t buf[32];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, entry, len);
    uint8_t phase = wrong_phase ? q->phase ^ 1 : q->phase;
    if (q->words == 2)
        buf[3] = phase; /* tx: flags byte */
    else
        buf[3] = (uint8_t)((buf[3] & ~1u) | phase); /* rx: status bit 24 */
    memcpy(base + (size_t)q->tail * size, buf, size);
    if (wrong_phase)
        return;
    if (++q->tail == q->depth) {
        q->tail = 0;
        q->phase ^= 1;
    }
}

int em_find_sq_n(struct ena_model *m, unsigned dir, unsigned n)
{
    for (int i = 0; i < EM_QUEUES; i++)
        if (m->sq[i].used && m->sq[i].dir == dir && n-- == 0)
            return i;
    return -1;
}

int em_find_sq(struct ena_model *m, unsigned dir) { return em_find_sq_n(m, dir, 0); }

unsigned em_count_sq(const struct ena_model *m, unsigned dir)
{
    unsigned n = 0;
    for (int i = 0; i < EM_QUEUES; i++)
        n += m->sq[i].used && m->sq[i].dir == dir;
    return n;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* One LLQ entry as the device reads it from its memory: the descriptor,
 * the unused descriptor slots (zero), the inline header, zero to the end;
 * the frame is the header then the descriptor's buffer. False: refused. */
static bool llq_entry(struct ena_model *m, struct em_sq *s, struct ena_tx_desc *d)
{
    unsigned es = em_llq_entry(m), nd = m->llq_set.descs_before_header_enabled;
    const uint8_t *e = m->devmem + s->llq_off + (size_t)s->head * es;
    memcpy(d, e, sizeof(*d));
    if (!!(d->len_ctrl & ENA_TXD_PHASE) != s->phase)
        return false;
    uint32_t hdr = d->addr_hi_hdr >> 24, len = d->len_ctrl & 0xffff;
    unsigned room = es - nd * 16u;
    uint64_t a = d->addr_lo | ((uint64_t)(d->addr_hi_hdr & 0xffff) << 32);
    if (hdr > room || hdr + len > sizeof(m->last_tx) || !all_zero(e + 16, nd * 16u - 16) ||
        !all_zero(e + nd * 16u + hdr, room - hdr) || (len && !a) || (!len && a) || (!hdr && !len)) {
        m->protocol_errors++;
        return true;
    }
    memcpy(m->last_tx, e + nd * 16u, hdr);
    if (len)
        memcpy(m->last_tx + hdr, P(a), len);
    m->last_tx_len = hdr + len;
    m->last_tx_hdr_len = hdr;
    m->llq_frames++;
    d->len_ctrl = (d->len_ctrl & ~0xffffu) | (hdr + len); /* as if one buffer */
    return true;
}

static void tx_doorbell(struct ena_model *m, struct em_sq *s, uint32_t db)
{
    /* A burst limit the driver agreed to: entries written between two doorbells. */
    if (s->llq && (m->llq_set.accel_flags & ENA_LLQ_ACCEL_LIMIT_TX_BURST) && m->llq_offer.accel_max_burst &&
        (uint32_t)(uint16_t)(db - s->db) * em_llq_entry(m) > m->llq_offer.accel_max_burst)
        m->protocol_errors++;
    struct ena_tx_desc *ring = P(s->base);
    struct em_cq *cq = &m->cq[s->cq];
    while ((uint16_t)s->db != (uint16_t)db) {
        struct ena_tx_desc d;
        if (s->llq) {
            unsigned before = m->protocol_errors;
            if (!llq_entry(m, s, &d)) {
                m->protocol_errors++;
                return;
            }
            if (m->protocol_errors != before) {
                if (++s->head == s->depth) {
                    s->head = 0;
                    s->phase ^= 1;
                }
                s->db++;
                continue;
            }
        } else {
            d = ring[s->head];
        }
        if (!s->llq && !!(d.len_ctrl & ENA_TXD_PHASE) != s->phase) {
            m->protocol_errors++;
            return;
        }
        if (++s->head == s->depth) {
            s->head = 0;
            s->phase ^= 1;
        }
        s->db++;
        uint16_t id = (uint16_t)(((d.len_ctrl >> 16) & 0x3f) << 10 | (d.meta_ctrl >> 22));
        uint32_t len = d.len_ctrl & 0xffff;
        uint64_t a = d.addr_lo | ((uint64_t)(d.addr_hi_hdr & 0xffff) << 32);
        if (!(d.len_ctrl & ENA_TXD_FIRST) || !(d.len_ctrl & ENA_TXD_LAST) || len > sizeof(m->last_tx)) {
            m->protocol_errors++;
            continue;
        }
        if (!s->llq) {
            if (d.addr_hi_hdr >> 24)
                m->protocol_errors++; /* an inline header in a host-memory ring */
            memcpy(m->last_tx, P(a), len);
            m->last_tx_len = len;
            m->last_tx_hdr_len = 0;
        }
        m->tx_frames++;
        s->frames++;
        struct ena_tx_cdesc c;
        memset(&c, 0, sizeof(c));
        c.req_id = id;
        if (m->tx_complete_wrong_id) {
            c.req_id = (uint16_t)(id + 1);
            m->tx_complete_wrong_id = false;
        }
        if (d.len_ctrl & ENA_TXD_COMP_REQ)
            cq_write(cq, &c, sizeof(c), false);
    }
}

void em_tx_raw(struct ena_model *m, uint16_t req_id, bool wrong_phase) { em_tx_raw_q(m, 0, req_id, wrong_phase); }

void em_tx_raw_q(struct ena_model *m, unsigned n, uint16_t req_id, bool wrong_phase)
{
    int i = em_find_sq_n(m, ENA_SQ_DIR_TX, n);
    if (i < 0)
        return;
    struct ena_tx_cdesc c;
    memset(&c, 0, sizeof(c));
    c.req_id = req_id;
    cq_write(&m->cq[m->sq[i].cq], &c, sizeof(c), wrong_phase);
}

void em_rx_raw(struct ena_model *m, uint16_t req_id, uint16_t len, uint32_t flags, bool wrong_phase)
{
    int i = em_find_sq(m, ENA_SQ_DIR_RX);
    if (i < 0)
        return;
    struct ena_rx_cdesc c;
    memset(&c, 0, sizeof(c));
    c.status = flags;
    c.length = len;
    c.req_id = req_id;
    cq_write(&m->cq[m->sq[i].cq], &c, sizeof(c), wrong_phase);
}

bool em_rx_frame(struct ena_model *m, const uint8_t *frame, uint32_t len)
{
    return em_rx_frame_q(m, 0, frame, len, 0);
}

bool em_rx_frame_q(struct ena_model *m, unsigned n_q, const uint8_t *frame, uint32_t len, uint32_t extra)
{
    int i = em_find_sq_n(m, ENA_SQ_DIR_RX, n_q);
    if (i < 0)
        return false;
    struct em_sq *s = &m->sq[i];
    struct ena_rx_desc *ring = P(s->base);
    uint32_t done = 0;
    bool first = true;
    while (done < len || first) {
        /* Only what the doorbell announced, and only with the right phase. */
        if ((uint16_t)(s->db - s->taken) == 0)
            return false;
        struct ena_rx_desc d = ring[s->head];
        if ((d.ctrl & ENA_RXD_PHASE) != s->phase) {
            m->protocol_errors++;
            return false;
        }
        s->taken++;
        if (++s->head == s->depth) {
            s->head = 0;
            s->phase ^= 1;
        }
        uint32_t cap = d.length ? d.length : 65536;
        uint32_t n = len - done < cap ? len - done : cap;
        uint64_t a = d.addr_lo | ((uint64_t)d.addr_hi << 32);
        memcpy(P(a), frame + done, n);
        done += n;
        uint32_t fl = (first ? ENA_RXC_FIRST : 0) | (done == len ? ENA_RXC_LAST : 0) | (1u << 30);
        struct ena_rx_cdesc c;
        memset(&c, 0, sizeof(c));
        c.status = fl | extra;
        c.length = (uint16_t)n;
        c.req_id = d.req_id;
        cq_write(&m->cq[s->cq], &c, sizeof(c), false);
        first = false;
        if (done == len)
            break;
    }
    return true;
}

bool em_aenq_post_data(struct ena_model *m, uint16_t group, uint16_t syndrome, const void *d, size_t len,
                       bool ignore_head)
{
    uint16_t depth = (uint16_t)(m->aenq_caps & 0xffff);
    if (!depth || !m->aenq_base)
        return false;
    if (!ignore_head && (uint16_t)(m->aenq_head_db - m->aenq_tail) == 0)
        return false; /* full: the driver has not given entries back */
    if (!ignore_head && !(m->enabled_groups & (1u << group)))
        return false;
    struct ena_aenq_entry *q = P(m->aenq_base);
    struct ena_aenq_entry e;
    memset(&e, 0, sizeof(e));
    e.group = group;
    e.syndrome = syndrome;
    memcpy(e.data, d, len < sizeof(e.data) ? len : sizeof(e.data));
    unsigned i = m->aenq_tail % depth;
    e.flags = (uint8_t)(((m->aenq_tail / depth) & 1) ? 1 : 0); /* not yet the driver's */
    q[i] = e;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    q[i].flags = (uint8_t)(((m->aenq_tail / depth) & 1) ? 0 : 1);
    m->aenq_tail++;
    return true;
}

bool em_aenq_post(struct ena_model *m, uint16_t group, uint32_t d0, bool ignore_head)
{
    return em_aenq_post_data(m, group, 0, &d0, sizeof(d0), ignore_head);
}

static void em_write(void *ctx, unsigned off, uint32_t v)
{
    struct ena_model *m = ctx;
    switch (off) {
    case ENA_REG_AQ_BASE_LO: m->aq_base = (m->aq_base & ~0xffffffffull) | v; return;
    case ENA_REG_AQ_BASE_HI: m->aq_base = (m->aq_base & 0xffffffffull) | ((uint64_t)v << 32); return;
    case ENA_REG_ACQ_BASE_LO: m->acq_base = (m->acq_base & ~0xffffffffull) | v; return;
    case ENA_REG_ACQ_BASE_HI: m->acq_base = (m->acq_base & 0xffffffffull) | ((uint64_t)v << 32); return;
    case ENA_REG_AENQ_BASE_LO: m->aenq_base = (m->aenq_base & ~0xffffffffull) | v; return;
    case ENA_REG_AENQ_BASE_HI: m->aenq_base = (m->aenq_base & 0xffffffffull) | ((uint64_t)v << 32); return;
    case ENA_REG_AQ_CAPS:
        m->aq_caps = v;
        m->aq_head = 0;
        m->aq_phase = 1;
        m->aq_db = 0;
        return;
    case ENA_REG_ACQ_CAPS:
        m->acq_caps = v;
        m->acq_tail = 0;
        m->acq_phase = 1;
        return;
    case ENA_REG_AENQ_CAPS:
        m->aenq_caps = v;
        m->aenq_tail = 0;
        return;
    case ENA_REG_AENQ_HEAD_DB: m->aenq_head_db = v; return;
    case ENA_REG_AQ_DB: admin_doorbell(m, v); return;
    case ENA_REG_MMIO_RESP_LO: m->mmio_resp = (m->mmio_resp & ~0xffffffffull) | v; return;
    case ENA_REG_MMIO_RESP_HI: m->mmio_resp = (m->mmio_resp & 0xffffffffull) | ((uint64_t)v << 32); return;
    case ENA_REG_MMIO_REG_READ: {
        if (!m->readless || !m->mmio_resp || m->readless_silent)
            return;
        struct ena_mmio_resp *r = P(m->mmio_resp);
        unsigned reg = v >> 16;
        r->reg_val = reg_value(m, reg);
        r->reg_off = (uint16_t)(m->readless_wrong_off ? reg + 4 : reg);
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
        r->req_id = (uint16_t)v;
        return;
    }
    case ENA_REG_DEV_CTL:
        if (v & ENA_DEV_CTL_RESET) {
            m->resets++;
            m->last_reset_reason = v >> ENA_DEV_CTL_REASON_SHIFT;
            full_reset(m);
            if (!m->reset_stuck)
                m->dev_sts |= ENA_DEV_STS_RESET_IN_PROGRESS;
            m->ctl_reset_seen = true;
        } else if (m->ctl_reset_seen) {
            m->dev_sts = ENA_DEV_STS_READY;
            m->ctl_reset_seen = false;
        }
        m->dev_ctl = v;
        return;
    case ENA_REG_INTR_MASK: m->intr_mask = v; return;
    }
    for (int i = 0; i < EM_QUEUES; i++) {
        if (off == EM_SQ_DB(i) && m->sq[i].used) {
            if (m->sq[i].dir == ENA_SQ_DIR_TX)
                tx_doorbell(m, &m->sq[i], v);
            else
                m->sq[i].db = v; /* receive buffers posted up to here */
            return;
        }
        if (off == EM_CQ_HEAD(i) && m->cq[i].used) {
            m->cq[i].head_db = v;
            return;
        }
        if (off == EM_CQ_UNMASK(i) && m->cq[i].used) {
            if (v & ENA_INTR_UNMASK)
                m->cq[i].unmasks++;
            return;
        }
    }
    m->protocol_errors++;
}

/* Writes to BAR 2: whole 64-bit words, whole entries, inside a queue's window. */
static void em_write_mem(void *ctx, unsigned off, const void *src, size_t len)
{
    struct ena_model *m = ctx;
    m->devmem_writes++;
    unsigned es = em_llq_entry(m);
    bool ok = false;
    for (int i = 0; i < EM_QUEUES && es; i++) {
        struct em_sq *s = &m->sq[i];
        if (s->used && s->llq && off >= s->llq_off && (uint64_t)off + len <= s->llq_off + (uint64_t)s->depth * es &&
            (off - s->llq_off) % es == 0 && len == es)
            ok = true;
    }
    if (!ok || (off & 7) || (len & 7) || (uint64_t)off + len > EM_DEVMEM) {
        m->protocol_errors++;
        return;
    }
    memcpy(m->devmem + off, src, len);
}

static uint64_t em_now(void *ctx) { return ((struct ena_model *)ctx)->clock_ns; }
static void em_relax(void *ctx) { ((struct ena_model *)ctx)->clock_ns += 1000000; }
static uint64_t em_dma(void *ctx, const volatile void *p)
{
    (void)ctx;
    return (uint64_t)(uintptr_t)p;
}

struct ena_bus em_bus(struct ena_model *m)
{
    struct ena_bus b = { em_read, em_write, em_now, em_relax, em_dma, em_write_mem, m };
    return b;
}
