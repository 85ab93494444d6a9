/* ENA control path (pure): register reads, reset, the admin queue,
 * features and I/O queue creation. Ownership of admin entries moves by
 * phase bits: an entry is new when its
 * phase matches the one expected, which flips each time the index wraps.
 * Every completion is matched to a command id we have outstanding; every
 * value a device reports is range-checked before it is used. */
#include <string.h>
#include "ena_com.h"
#include "errno.h"
#include "log.h"

static void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
static uint64_t now(struct ena_com *c) { return c->bus.now_ns(c->bus.ctx); }
static void wr(struct ena_com *c, unsigned off, uint32_t v) { c->bus.write32(c->bus.ctx, off, v); }
static uint64_t dma(struct ena_com *c, const volatile void *p) { return c->bus.dma(c->bus.ctx, p); }

void ena_readless_setup(struct ena_com *c)
{
    if (!c->readless)
        return;
    uint64_t a = dma(c, c->mmio_resp);
    wr(c, ENA_REG_MMIO_RESP_LO, (uint32_t)a);
    wr(c, ENA_REG_MMIO_RESP_HI, (uint32_t)(a >> 32));
}

uint32_t ena_reg_read(struct ena_com *c, unsigned off)
{
    if (!c->readless)
        return c->bus.read32(c->bus.ctx, off);
    /* Read-less: ask for the register by (offset, request id); the device
     * writes both back with the value. A stale or foreign answer is not ours. */
    uint16_t id = ++c->mmio_req_id;
    c->mmio_resp->req_id = (uint16_t)(id - 1);
    barrier();
    wr(c, ENA_REG_MMIO_REG_READ, ((uint32_t)off << 16) | id);
    uint64_t deadline = now(c) + (c->reg_read_timeout_ns ? c->reg_read_timeout_ns : ENA_REG_READ_TIMEOUT_NS);
    for (;;) {
        barrier();
        if (c->mmio_resp->req_id == id)
            break;
        if (now(c) > deadline) {
            pr_warn("ena: read-less read of register %#x: no answer\n", off);
            return ENA_REG_READ_FAIL;
        }
        c->bus.relax(c->bus.ctx);
    }
    barrier();
    if (c->mmio_resp->reg_off != off) {
        pr_warn("ena: read-less read of register %#x answered for %#x\n", off, c->mmio_resp->reg_off);
        return ENA_REG_READ_FAIL;
    }
    return c->mmio_resp->reg_val;
}

/* Waits until (DEV_STS & mask) == want; -ETIMEDOUT after timeout_ns. */
static int wait_sts(struct ena_com *c, uint32_t mask, uint32_t want, uint64_t timeout_ns)
{
    uint64_t deadline = now(c) + timeout_ns;
    for (;;) {
        uint32_t sts = ena_reg_read(c, ENA_REG_DEV_STS);
        if (sts != ENA_REG_READ_FAIL && (sts & mask) == want)
            return 0;
        if (now(c) > deadline)
            return -ETIMEDOUT;
        c->bus.relax(c->bus.ctx);
    }
}

int ena_dev_reset(struct ena_com *c, unsigned reason)
{
    if (!c->reset_timeout_ns)
        c->reset_timeout_ns = ENA_DEFAULT_RESET_TIMEOUT_NS;
    if (!c->admin_timeout_ns)
        c->admin_timeout_ns = ENA_DEFAULT_ADMIN_TIMEOUT_NS;
    if (!c->hints_applied && !c->tx_stall_ns)
        c->tx_stall_ns = ENA_DEFAULT_TX_STALL_NS;
    ena_readless_setup(c);
    if (wait_sts(c, ENA_DEV_STS_READY, ENA_DEV_STS_READY, c->reset_timeout_ns) < 0) {
        pr_err("ena: device not ready\n");
        return -ENODEV;
    }
    uint32_t caps = ena_reg_read(c, ENA_REG_CAPS);
    if (caps == ENA_REG_READ_FAIL)
        return -EIO;
    if (ENA_CAPS_RESET_TIMEOUT(caps))
        c->reset_timeout_ns = ENA_CAPS_RESET_TIMEOUT(caps) * 100000000ull;
    if (ENA_CAPS_ADMIN_CMD_TO(caps))
        c->admin_timeout_ns = ENA_CAPS_ADMIN_CMD_TO(caps) * 100000000ull;
    wr(c, ENA_REG_DEV_CTL, ENA_DEV_CTL_RESET | ((reason & 0xfu) << ENA_DEV_CTL_REASON_SHIFT));
    /* A reset forgets where read-less answers go. */
    ena_readless_setup(c);
    if (wait_sts(c, ENA_DEV_STS_RESET_IN_PROGRESS, ENA_DEV_STS_RESET_IN_PROGRESS, c->reset_timeout_ns) < 0) {
        pr_err("ena: reset did not start\n");
        return -ETIMEDOUT;
    }
    wr(c, ENA_REG_DEV_CTL, 0);
    if (wait_sts(c, ENA_DEV_STS_RESET_IN_PROGRESS, 0, c->reset_timeout_ns) < 0) {
        pr_err("ena: reset did not finish\n");
        return -ETIMEDOUT;
    }
    c->admin_dead = false;
    c->reset_wanted = false;
    c->reset_reason = 0;
    return 0;
}

int ena_admin_init(struct ena_com *c)
{
    uint32_t sts = ena_reg_read(c, ENA_REG_DEV_STS);
    if (sts == ENA_REG_READ_FAIL || !(sts & ENA_DEV_STS_READY))
        return -ENODEV;
    struct ena_aq *q = &c->aq;
    memset((void *)q->sq, 0, ENA_AQ_DEPTH * sizeof(*q->sq));
    memset((void *)q->cq, 0, ENA_AQ_DEPTH * sizeof(*q->cq));
    memset(q->slot, 0, sizeof(q->slot));
    q->sq_tail = q->cq_head = q->in_flight = 0;
    q->sq_phase = q->cq_phase = 1;
    memset((void *)c->aenq.q, 0, ENA_AENQ_DEPTH * sizeof(*c->aenq.q));
    c->aenq.phase = 1;
    c->aenq.head = ENA_AENQ_DEPTH;
    uint64_t a = dma(c, q->sq);
    wr(c, ENA_REG_AQ_BASE_LO, (uint32_t)a);
    wr(c, ENA_REG_AQ_BASE_HI, (uint32_t)(a >> 32));
    a = dma(c, q->cq);
    wr(c, ENA_REG_ACQ_BASE_LO, (uint32_t)a);
    wr(c, ENA_REG_ACQ_BASE_HI, (uint32_t)(a >> 32));
    wr(c, ENA_REG_AQ_CAPS, ENA_QCAPS(ENA_AQ_DEPTH, sizeof(struct ena_aq_entry)));
    wr(c, ENA_REG_ACQ_CAPS, ENA_QCAPS(ENA_AQ_DEPTH, sizeof(struct ena_acq_entry)));
    a = dma(c, c->aenq.q);
    wr(c, ENA_REG_AENQ_BASE_LO, (uint32_t)a);
    wr(c, ENA_REG_AENQ_BASE_HI, (uint32_t)(a >> 32));
    wr(c, ENA_REG_AENQ_CAPS, ENA_QCAPS(ENA_AENQ_DEPTH, sizeof(struct ena_aenq_entry)));
    /* Every AENQ entry is the device's to fill. */
    wr(c, ENA_REG_AENQ_HEAD_DB, c->aenq.head);
    c->admin_dead = false;
    return 0;
}

int ena_aq_submit(struct ena_aq *q, const void *cmd, uint16_t *db)
{
    if (q->in_flight >= ENA_AQ_DEPTH)
        return -EBUSY;
    uint16_t id = q->next_id & ENA_CMD_ID_MASK;
    unsigned s = id % ENA_AQ_DEPTH;
    if (q->slot[s].busy)
        return -EBUSY;
    q->next_id = (uint16_t)((q->next_id + 1) & ENA_CMD_ID_MASK);
    struct ena_aq_entry e;
    memcpy(&e, cmd, sizeof(e));
    e.command_id = id;
    e.flags = (uint8_t)((e.flags & ~ENA_AQ_FLAG_PHASE) | (q->sq_phase ? ENA_AQ_FLAG_PHASE : 0));
    q->slot[s].busy = true;
    q->slot[s].done = false;
    q->slot[s].id = id;
    unsigned i = q->sq_tail % ENA_AQ_DEPTH;
    /* The phase bit lives in the first word: write the body first. */
    memcpy((void *)((volatile uint8_t *)&q->sq[i] + 4), (const uint8_t *)&e + 4, sizeof(e) - 4);
    barrier();
    uint32_t w0;
    memcpy(&w0, &e, 4);
    *(volatile uint32_t *)&q->sq[i] = w0;
    q->sq_tail++;
    if (q->sq_tail % ENA_AQ_DEPTH == 0)
        q->sq_phase ^= 1;
    q->in_flight++;
    if (db)
        *db = q->sq_tail;
    return id;
}

unsigned ena_aq_poll(struct ena_aq *q)
{
    unsigned n = 0;
    /* At most one lap: a device rewriting entries cannot hold us here. */
    while (n < ENA_AQ_DEPTH) {
        volatile struct ena_acq_entry *c = &q->cq[q->cq_head];
        if ((c->flags & ENA_ACQ_FLAG_PHASE) != q->cq_phase)
            break;
        barrier();
        struct ena_acq_entry e;
        memcpy(&e, (const void *)c, sizeof(e));
        if (++q->cq_head == ENA_AQ_DEPTH) {
            q->cq_head = 0;
            q->cq_phase ^= 1;
        }
        n++;
        uint16_t id = e.command & ENA_CMD_ID_MASK;
        unsigned s = id % ENA_AQ_DEPTH;
        if (!q->slot[s].busy || q->slot[s].done || q->slot[s].id != id) {
            q->bad++;
            pr_warn("ena: admin completion for command id %u, which is not outstanding\n", id);
            continue;
        }
        q->slot[s].resp = e;
        q->slot[s].done = true;
    }
    return n;
}

int ena_aq_result(struct ena_aq *q, uint16_t id, struct ena_acq_entry *resp)
{
    unsigned s = id % ENA_AQ_DEPTH;
    if (!q->slot[s].busy || q->slot[s].id != id)
        return -EINVAL;
    if (!q->slot[s].done)
        return -EAGAIN;
    q->slot[s].busy = false;
    q->in_flight--;
    if (resp)
        *resp = q->slot[s].resp;
    return q->slot[s].resp.status == ENA_ADMIN_SUCCESS ? 0 : -EIO;
}

int ena_admin_exec(struct ena_com *c, const void *cmd, struct ena_acq_entry *resp)
{
    if (c->admin_dead)
        return -EIO;
    uint16_t db;
    int id = ena_aq_submit(&c->aq, cmd, &db);
    if (id < 0)
        return id;
    wr(c, ENA_REG_AQ_DB, db);
    uint64_t deadline = now(c) + c->admin_timeout_ns;
    for (;;) {
        ena_aq_poll(&c->aq);
        int r = ena_aq_result(&c->aq, (uint16_t)id, resp);
        if (r != -EAGAIN) {
            if (r == -EIO)
                pr_debug("ena: admin opcode %u refused, status %u\n", ((const uint8_t *)cmd)[2],
                         resp ? resp->status : 0);
            return r;
        }
        if (now(c) > deadline) {
            pr_err("ena: admin command (opcode %u) not completed in %llu ms; the device needs a reset\n",
                   ((const uint8_t *)cmd)[2], (unsigned long long)(c->admin_timeout_ns / 1000000));
            c->admin_dead = true;
            ena_request_reset(c, ENA_RESET_ADMIN_TO);
            return -ETIMEDOUT;
        }
        c->bus.relax(c->bus.ctx);
    }
}

int ena_get_feature(struct ena_com *c, uint8_t id, void *out, size_t len)
{
    struct ena_cmd_get_set_feature cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_GET_FEATURE;
    cmd.select = 1;
    cmd.feature_id = id;
    struct ena_acq_entry r;
    int rc = ena_admin_exec(c, &cmd, &r);
    if (rc < 0)
        return rc;
    if (len > sizeof(r.data))
        len = sizeof(r.data);
    memcpy(out, r.data, len);
    return 0;
}

int ena_set_feature(struct ena_com *c, uint8_t id, const void *data, size_t len)
{
    struct ena_cmd_get_set_feature cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_SET_FEATURE;
    cmd.feature_id = id;
    if (len > sizeof(cmd.data))
        return -EINVAL;
    memcpy(cmd.data, data, len);
    return ena_admin_exec(c, &cmd, NULL);
}

/* A register offset the device handed us: aligned, past the fixed
 * registers, inside the BAR. */
static bool reg_ok(const struct ena_com *c, uint32_t off)
{
    return !(off & 3) && off >= ENA_REG_BAR_SIZE && (!c->bar_size || off <= c->bar_size - 4);
}

static uint16_t pow2_floor(uint32_t v, uint16_t cap)
{
    if (v > cap)
        v = cap;
    uint16_t p = 1;
    while ((uint32_t)p * 2 <= v)
        p = (uint16_t)(p * 2);
    return v ? p : 0;
}

int ena_query_device(struct ena_com *c)
{
    c->version = ena_reg_read(c, ENA_REG_VERSION);
    c->controller_version = ena_reg_read(c, ENA_REG_CONTROLLER_VERSION);
    struct ena_feat_dev_attr a;
    int rc = ena_get_feature(c, ENA_FEAT_DEVICE_ATTRIBUTES, &a, sizeof(a));
    if (rc < 0)
        return rc;
    c->supported_features = a.supported_features;
    memcpy(c->mac, a.mac, 6);
    /* 576 is the least any IPv4 host must take; ENA's own ceiling is ~9 KiB. */
    if (a.max_mtu < 576 || a.max_mtu > 16384) {
        pr_warn("ena: device says its largest MTU is %u; not believed\n", a.max_mtu);
        return -EIO;
    }
    c->max_mtu = a.max_mtu;
    if ((c->mac[0] & 1) || !(c->mac[0] | c->mac[1] | c->mac[2] | c->mac[3] | c->mac[4] | c->mac[5])) {
        pr_warn("ena: device gave no usable unicast MAC\n");
        return -EIO;
    }
    if (c->supported_features & (1u << ENA_FEAT_HW_HINTS)) {
        struct ena_hw_hints h;
        rc = ena_get_feature(c, ENA_FEAT_HW_HINTS, &h, sizeof(h));
        if (rc == -ETIMEDOUT)
            return rc;
        if (rc == 0)
            ena_apply_hints(c, &h);
    }
    c->offload_tx = c->offload_rx = 0;
    if (c->supported_features & (1u << ENA_FEAT_STATELESS_OFFLOAD)) {
        struct ena_feat_offload o;
        rc = ena_get_feature(c, ENA_FEAT_STATELESS_OFFLOAD, &o, sizeof(o));
        if (rc == -ETIMEDOUT)
            return rc;
        if (rc == 0) {
            c->offload_tx = o.tx;
            c->offload_rx = o.rx_supported;
        }
    }
    struct ena_feat_max_queues m;
    rc = ena_get_feature(c, ENA_FEAT_MAX_QUEUES_NUM, &m, sizeof(m));
    if (rc == -ETIMEDOUT)
        return rc;
    if (rc < 0) {
        /* Newer devices may answer only the extended query; every ENA
         * takes one queue pair of 256 entries. */
        m.max_sq_num = m.max_cq_num = 1;
        m.max_sq_depth = m.max_cq_depth = 256;
    }
    /* Counted per direction: one means one transmit and one receive queue. */
    uint32_t nq = m.max_sq_num < m.max_cq_num ? m.max_sq_num : m.max_cq_num;
    c->max_queues = (uint16_t)(nq > 128 ? 128 : nq);
    c->max_header = rc < 0 ? 0 : m.max_header_size;
    c->max_sq_depth = pow2_floor(m.max_sq_depth, ENA_RING_MAX);
    c->max_cq_depth = pow2_floor(m.max_cq_depth, ENA_RING_MAX);
    if (c->max_queues < 1 || c->max_sq_depth < 8 || c->max_cq_depth < 8) {
        pr_warn("ena: device offers %u queues of %u/%u entries; too few\n", nq, m.max_sq_depth, m.max_cq_depth);
        return -EIO;
    }
    return 0;
}

int ena_config_aenq(struct ena_com *c)
{
    struct ena_feat_aenq g;
    int rc = ena_get_feature(c, ENA_FEAT_AENQ_CONFIG, &g, sizeof(g));
    if (rc < 0)
        return rc;
    g.enabled_groups = g.supported_groups & ENA_AENQ_GROUPS_WANTED;
    c->aenq_groups = g.enabled_groups;
    rc = ena_set_feature(c, ENA_FEAT_AENQ_CONFIG, &g, sizeof(g));
    if (rc < 0)
        return rc;
    c->last_keepalive_ns = now(c);
    if (!c->keepalive_timeout_ns)
        c->keepalive_timeout_ns = ENA_DEFAULT_KEEPALIVE_NS;
    return 0;
}

/* The lowest bit of mask that is also in pref order, or 0. */
static uint16_t pick(uint16_t mask, const uint16_t *pref, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (mask & pref[i])
            return pref[i];
    return 0;
}

int ena_llq_choose(const struct ena_feat_llq *offer, uint32_t dev_max_header, struct ena_feat_llq *set,
                   struct ena_llq *out)
{
    memset(out, 0, sizeof(*out));
    memset(set, 0, sizeof(*set));
    if (!offer->max_llq_num || !(offer->header_location_supported & ENA_LLQ_HEADER_INLINE))
        return -ENOTSUP;
    /* The device's recommendation first when it is one we can use, then
     * the smallest entry: one frame takes one entry. */
    static const uint16_t sizes[] = { ENA_LLQ_ENTRY_128, ENA_LLQ_ENTRY_192, ENA_LLQ_ENTRY_256 };
    uint16_t es = 0;
    if (offer->entry_size_recommended && (offer->entry_size_supported & offer->entry_size_recommended) &&
        pick(offer->entry_size_recommended, sizes, 3) == offer->entry_size_recommended)
        es = offer->entry_size_recommended;
    else
        es = pick(offer->entry_size_supported, sizes, 3);
    static const uint16_t descs[] = { 1, 2, 4, 8 };
    uint16_t nd = pick(offer->descs_before_header_supported, descs, 4);
    static const uint16_t strides[] = { ENA_LLQ_STRIDE_MULTI, ENA_LLQ_STRIDE_SINGLE };
    uint16_t st = pick(offer->stride_supported, strides, 2);
    if (!es || !nd || !st)
        return -ENOTSUP;
    uint16_t bytes = es == ENA_LLQ_ENTRY_128 ? 128 : es == ENA_LLQ_ENTRY_192 ? 192 : 256;
    uint32_t room = bytes - nd * (uint32_t)sizeof(struct ena_tx_desc);
    /* The descriptor's header-length field is 8 bits wide. */
    if (room > 255)
        room = 255;
    if (dev_max_header && dev_max_header < room)
        room = dev_max_header;
    uint16_t depth = pow2_floor(offer->max_llq_depth, ENA_RING_MAX);
    /* An Ethernet header must fit inline; fewer than 8 entries is no queue. */
    if (room < 14 || depth < 8)
        return -ENOTSUP;
    /* One entry per doorbell keeps any burst limit of at least one entry;
     * metadata caching is left on (no metadata descriptors are sent), so
     * that requirement is not taken on. */
    if ((offer->accel_flags & ENA_LLQ_ACCEL_LIMIT_TX_BURST) && offer->accel_max_burst) {
        if (offer->accel_max_burst < bytes)
            return -ENOTSUP;
        set->accel_flags = ENA_LLQ_ACCEL_LIMIT_TX_BURST;
    }
    set->header_location_enabled = ENA_LLQ_HEADER_INLINE;
    set->entry_size_enabled = es;
    set->descs_before_header_enabled = nd;
    set->stride_enabled = st;
    set->feature_version = ENA_LLQ_FEATURE_VERSION;
    out->on = true;
    out->entry_size = bytes;
    out->descs_before = nd;
    out->max_header = (uint16_t)room;
    out->max_depth = depth;
    out->max_queues = (uint16_t)(offer->max_llq_num > ENA_QP_MAX ? ENA_QP_MAX : offer->max_llq_num);
    return 0;
}

int ena_config_llq(struct ena_com *c)
{
    memset(&c->llq, 0, sizeof(c->llq));
    if (c->llq_off || !c->bus.write_mem || !c->mem_bar_size || !(c->supported_features & (1u << ENA_FEAT_LLQ)))
        return 0;
    struct ena_cmd_get_set_feature cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_GET_FEATURE;
    cmd.select = 1;
    cmd.feature_id = ENA_FEAT_LLQ;
    cmd.feature_version = ENA_LLQ_FEATURE_VERSION;
    struct ena_acq_entry r;
    int rc = ena_admin_exec(c, &cmd, &r);
    if (rc == -ETIMEDOUT)
        return rc;
    if (rc < 0) {
        pr_warn("ena: device lists LLQ but refuses to describe it; host-memory queues\n");
        return 0;
    }
    struct ena_feat_llq offer, set;
    memcpy(&offer, r.data, sizeof(offer));
    struct ena_llq l;
    if (ena_llq_choose(&offer, c->max_header, &set, &l) < 0) {
        pr_warn("ena: LLQ offered with no usable layout (headers %#x, entries %#x, descriptors %#x, strides %#x, "
                "depth %u); host-memory queues\n",
                offer.header_location_supported, offer.entry_size_supported, offer.descs_before_header_supported,
                offer.stride_supported, offer.max_llq_depth);
        return 0;
    }
    /* At least one queue of the smallest depth must fit in the BAR. */
    if ((uint64_t)8 * l.entry_size > c->mem_bar_size) {
        pr_warn("ena: memory BAR of %u bytes holds no LLQ; host-memory queues\n", c->mem_bar_size);
        return 0;
    }
    rc = ena_set_feature(c, ENA_FEAT_LLQ, &set, sizeof(set));
    if (rc == -ETIMEDOUT)
        return rc;
    if (rc < 0) {
        pr_warn("ena: device refused the LLQ layout; host-memory queues\n");
        return 0;
    }
    c->llq = l;
    return 0;
}

static void put_addr(struct ena_mem_addr *m, uint64_t a)
{
    m->lo = (uint32_t)a;
    m->hi = (uint16_t)(a >> 32);
    m->reserved = 0;
}

int ena_create_cq(struct ena_com *c, uint16_t depth, unsigned entry_words, uint32_t msix, const volatile void *ring,
                  struct ena_cq_info *out)
{
    struct ena_cmd_create_cq cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_CREATE_CQ;
    cmd.caps1 = ENA_CQ_INTERRUPT_MODE;
    cmd.caps2 = (uint8_t)(entry_words & 0x1f);
    cmd.depth = depth;
    cmd.msix_vector = msix;
    put_addr(&cmd.base, dma(c, ring));
    struct ena_acq_entry r;
    int rc = ena_admin_exec(c, &cmd, &r);
    if (rc < 0)
        return rc;
    struct ena_resp_create_cq cr;
    memcpy(&cr, &r, sizeof(cr));
    /* The device may shrink the queue, never grow it past our memory. */
    if (cr.actual_depth != depth) {
        pr_warn("ena: completion queue created with %u entries, not %u\n", cr.actual_depth, depth);
        ena_destroy_cq(c, cr.cq_idx);
        return -EIO;
    }
    if ((cr.head_db_offset && !reg_ok(c, cr.head_db_offset)) || (cr.unmask_offset && !reg_ok(c, cr.unmask_offset))) {
        pr_warn("ena: completion queue registers at %#x/%#x; unusable\n", cr.head_db_offset, cr.unmask_offset);
        ena_destroy_cq(c, cr.cq_idx);
        return -EIO;
    }
    out->idx = cr.cq_idx;
    out->depth = cr.actual_depth;
    out->head_db = cr.head_db_offset;
    out->unmask = cr.unmask_offset;
    return 0;
}

int ena_create_sq(struct ena_com *c, unsigned dir, unsigned placement, uint16_t cq_idx, uint16_t depth,
                  const volatile void *ring, struct ena_sq_info *out)
{
    struct ena_cmd_create_sq cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_CREATE_SQ;
    cmd.identity = (uint8_t)(dir << ENA_SQ_DIR_SHIFT);
    bool dev = placement == ENA_PLACEMENT_DEV;
    if (dev && (!c->llq.on || dir != ENA_SQ_DIR_TX || depth > c->llq.max_depth))
        return -EINVAL;
    cmd.caps2 = (uint8_t)((dev ? ENA_PLACEMENT_DEV : ENA_PLACEMENT_HOST) | (ENA_COMPLETION_DESC << 4));
    cmd.caps3 = 1;
    cmd.cq_idx = cq_idx;
    cmd.depth = depth;
    if (!dev)
        put_addr(&cmd.base, dma(c, ring));
    struct ena_acq_entry r;
    int rc = ena_admin_exec(c, &cmd, &r);
    if (rc < 0)
        return rc;
    struct ena_resp_create_sq sr;
    memcpy(&sr, &r, sizeof(sr));
    if (!reg_ok(c, sr.doorbell_offset)) {
        pr_warn("ena: submission queue doorbell at %#x; unusable\n", sr.doorbell_offset);
        ena_destroy_sq(c, sr.sq_idx, dir);
        return -EIO;
    }
    if (dev) {
        /* Every entry we will write must land inside the memory BAR. */
        uint64_t end = (uint64_t)sr.llq_desc_offset + (uint64_t)depth * c->llq.entry_size;
        if ((sr.llq_desc_offset & 7) || end > c->mem_bar_size) {
            pr_warn("ena: LLQ ring at %#x (+%u entries of %u) is outside the %u-byte memory BAR\n",
                    sr.llq_desc_offset, depth, c->llq.entry_size, c->mem_bar_size);
            ena_destroy_sq(c, sr.sq_idx, dir);
            return -EIO;
        }
    }
    out->idx = sr.sq_idx;
    out->doorbell = sr.doorbell_offset;
    out->llq_desc = dev ? sr.llq_desc_offset : 0;
    return 0;
}

int ena_destroy_sq(struct ena_com *c, uint16_t idx, unsigned dir)
{
    struct ena_cmd_destroy_sq cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_DESTROY_SQ;
    cmd.sq_idx = idx;
    cmd.identity = (uint8_t)(dir << ENA_SQ_DIR_SHIFT);
    return ena_admin_exec(c, &cmd, NULL);
}

int ena_destroy_cq(struct ena_com *c, uint16_t idx)
{
    struct ena_cmd_destroy_cq cmd;
    memset(&cmd, 0, sizeof(cmd));
    cmd.opcode = ENA_ADMIN_DESTROY_CQ;
    cmd.cq_idx = idx;
    return ena_admin_exec(c, &cmd, NULL);
}
