/* The gVNIC driver's pure logic (drivers/gve/gve_aq.c, gve_ring.c,
 * gve_dev.c) against the device model (gve_model.c): bring-up through the
 * admin queue on both register layouts, frames each way through several
 * laps of the rings, and a hostile device: wrong sequence numbers, lengths
 * past the buffer, error flags, error statuses, a command that never
 * completes (timeout, then reset), absurd descriptors and options, indices
 * out of range, completion counters past what was posted. Several queue
 * pairs: planned from CPUs, queue counts, vectors and the page limit, each
 * queue on its own block and page list, traffic kept to its pair. */
#include <string.h>
#include "check.h"
#include "errno.h"
#include "gve.h"
#include "gve_model.h"

static struct gve_model model;
static struct gve_dev dev;

static void setup(unsigned revision)
{
    gvm_free(&model);
    gvm_init(&model, revision);
    memset(&dev, 0, sizeof(dev));
    dev.io = &model.io;
    dev.revision = revision;
    dev.db_limit = GVM_DBS;
    dev.msix_vectors = 3;
}

static int bring_up(void)
{
    int err = gve_dev_probe(&dev);
    return err ? err : gve_dev_up(&dev);
}

/* Received frames land here. */
static uint8_t got[8][2048];
static size_t got_len[8];
static unsigned ngot;
static void on_rx(void *arg __attribute__((unused)), const uint8_t *frame, size_t len)
{
    if (ngot < 8) {
        memcpy(got[ngot], frame, len);
        got_len[ngot] = len;
    }
    ngot++;
}

static void make_frame(uint8_t *f, size_t len, unsigned tag)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(tag * 31 + i);
}

static void test_bring_up(unsigned revision)
{
    setup(revision);
    CHECK_EQ(bring_up(), 0);
    static const uint32_t order[] = { GVE_AQ_DESCRIBE_DEVICE, GVE_AQ_CONFIGURE_DEVICE_RESOURCES,
                                      GVE_AQ_REGISTER_PAGE_LIST, GVE_AQ_REGISTER_PAGE_LIST,
                                      GVE_AQ_CREATE_TX_QUEUE, GVE_AQ_CREATE_RX_QUEUE };
    CHECK_EQ(model.ncmds, 6);
    for (unsigned i = 0; i < 6 && i < model.ncmds; i++)
        CHECK_EQ(model.cmds[i], order[i]);
    /* The queue page went where the register layout says. */
    if (revision < 1) {
        CHECK_EQ((uint64_t)model.aq_pfn * GVE_PAGE, (uint64_t)(uintptr_t)dev.aq.ring);
    } else {
        CHECK_EQ((uint64_t)model.aq_hi << 32 | model.aq_lo, (uint64_t)(uintptr_t)dev.aq.ring);
        CHECK_EQ(model.aq_len, GVE_PAGE);
        CHECK(model.driver_status & GVE_DRV_STATUS_RUN);
    }
    CHECK(strcmp(model.version, "kestrel-gve 1\n") == 0);
    CHECK_EQ(dev.info.mtu, 1460);
    CHECK_EQ(dev.plan.mtu, 1460);
    CHECK(!dev.plan.set_mtu);
    CHECK_EQ(dev.info.mac[0], 0x42);
    CHECK_EQ(dev.info.mac[5], 0x02);
    CHECK_EQ(model.format, GVE_FMT_GQI_QPL);
    CHECK_EQ(model.ncounters, 64);
    CHECK_EQ(model.nblocks, 2);
    CHECK_EQ(model.stride, GVE_IRQ_DB_STRIDE);
    /* Page lists: tx 64 pages as id 0, rx one page per descriptor as id 1. */
    CHECK_EQ(model.qpl[0].id, 0);
    CHECK_EQ(model.qpl[0].npages, 64);
    CHECK_EQ(model.qpl[0].page[1], (uint64_t)(uintptr_t)dev.txm[0].qpl + GVE_PAGE);
    CHECK_EQ(model.qpl[1].id, 1);
    CHECK_EQ(model.qpl[1].npages, 128);
    CHECK_EQ(model.txq[0].size, 256);
    CHECK_EQ(model.rxq[0].size, 128);
    CHECK_EQ(model.rxq[0].buf_size, GVE_BUF_SIZE);
    /* Doorbells from the queue resources; receive buffers all handed out;
     * both notification blocks unmasked (0); mask and ack as the reference writes them. */
    CHECK_EQ(dev.tx_db[0], 1);
    CHECK_EQ(dev.rx_db[0], 2);
    CHECK_EQ(dev.rx_counter[0], 1);
    CHECK_EQ(model.db[2], 128);
    CHECK_EQ(model.db[16], 0);
    CHECK_EQ(model.db[17], 0);
    CHECK_EQ(model.db[18], GVM_DB_UNWRITTEN);
    gve_dev_irq_mask(&dev, 1);
    CHECK_EQ(model.db[17], GVE_IRQ_MASK);
    gve_dev_irq_ack(&dev, 1);
    CHECK_EQ(model.db[17], GVE_IRQ_ACK | GVE_IRQ_EVENT);
    CHECK(gve_dev_link_up(&dev));
    model.device_status &= ~GVE_DEV_STATUS_LINK;
    CHECK(!gve_dev_link_up(&dev));
}

static void test_transmit(void)
{
    setup(1);
    CHECK_EQ(bring_up(), 0);
    uint8_t f[1514];
    /* 600 frames through a 256-entry ring: a few laps, the slot reuse included. */
    unsigned sent = 0, checked = 0;
    for (unsigned i = 0; i < 600; i++) {
        size_t len = 60 + (i * 37) % 1414;
        make_frame(f, len, i);
        CHECK_EQ(gve_dev_transmit(&dev, 0, f, len), 0);
        sent++;
        if (i % 50 == 49) {
            model.nframes = 0;
            CHECK_EQ(gvm_tx_pull(&model), 50);
            CHECK_EQ(model.nframes, 50);
            for (unsigned k = 0; k < model.nframes; k++) {
                unsigned tag = i - 49 + k;
                size_t l = 60 + (tag * 37) % 1414;
                make_frame(f, l, tag);
                if (model.frame_len[k] == l && memcmp(model.frames[k], f, l) == 0)
                    checked++;
            }
        }
    }
    CHECK_EQ(checked, sent);
    CHECK_EQ(model.tx_bad, 0);
    CHECK_EQ(gve_dev_tx_reap(&dev, 0), 50); /* the last pull's: earlier ones were reaped by transmit */
    CHECK_EQ(dev.tx[0].done, 600);
    /* Full: the device takes nothing; 128 slots (64 pages x 2) bound it, not the 256 descriptors. */
    unsigned ok = 0;
    int r = 0;
    while ((r = gve_dev_transmit(&dev, 0, f, 100)) == 0)
        ok++;
    CHECK_EQ(r, -EBUSY);
    CHECK_EQ(ok, 128);
    CHECK_EQ(gvm_tx_pull(&model), 128);
    CHECK_EQ(gve_dev_transmit(&dev, 0, f, 100), 0);
    /* Lengths: too short, longer than the MTU. */
    CHECK_EQ(gve_dev_transmit(&dev, 0, f, 10), -EINVAL);
    CHECK_EQ(gve_dev_transmit(&dev, 0, f, 1475), -EINVAL);
    /* A completion counter past what was posted is refused, not believed. */
    gve_put32(model.counters, dev.tx[0].req + 5);
    CHECK_EQ(gve_dev_tx_reap(&dev, 0), -EIO);
    CHECK_EQ(dev.tx[0].bad, 1);
    CHECK_EQ(dev.tx[0].done, 728); /* unchanged by the lie */
}

static void test_receive(void)
{
    setup(1);
    CHECK_EQ(bring_up(), 0);
    uint8_t f[1514];
    unsigned good = 0;
    /* 1000 frames through a 128-entry ring, 5 at a time: 7 laps and more of
     * sequence numbers, every buffer handed back. */
    for (unsigned i = 0; i < 1000; i += 5) {
        for (unsigned k = 0; k < 5; k++) {
            make_frame(f, 64 + (i + k) % 1400, i + k);
            CHECK(gvm_rx_push(&model, f, 64 + (i + k) % 1400, 0, 0, 0));
        }
        ngot = 0;
        CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 5);
        for (unsigned k = 0; k < 5 && k < ngot; k++) {
            size_t l = 64 + (i + k) % 1400;
            make_frame(f, l, i + k);
            if (got_len[k] == l && memcmp(got[k], f, l) == 0)
                good++;
        }
        CHECK_EQ(model.db[2], dev.rx[0].cnt + 128);
    }
    CHECK_EQ(good, 1000);
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 0);
    /* The driver hands out no more than it has: 128 pushes, then refusal. */
    unsigned pushed = 0;
    while (gvm_rx_push(&model, f, 100, 0, 0, 0))
        pushed++;
    CHECK_EQ(pushed, 128);
    ngot = 0;
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 128);
}

static void test_receive_hostile(void)
{
    setup(1);
    CHECK_EQ(bring_up(), 0);
    uint8_t f[2100];
    make_frame(f, sizeof(f), 1);
    /* A length past the 2 KiB buffer, then one below a header: dropped, the
     * frames after them still arrive. */
    CHECK(gvm_rx_push(&model, f, 100, 0, 0, 2100));
    CHECK(gvm_rx_push(&model, f, 100, 0, 0, 5));
    CHECK(gvm_rx_push(&model, f, 100, GVE_RXF_ERR, 0, 0));
    CHECK(gvm_rx_push(&model, f, 100, GVE_RXF_PKT_CONT, 0, 0));
    CHECK(gvm_rx_push(&model, f, 100, 0, 0, 0)); /* the end of that multi-buffer frame: dropped too */
    CHECK(gvm_rx_push(&model, f, 200, 0, 0, 0));
    ngot = 0;
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 1);
    CHECK_EQ(ngot, 1);
    CHECK_EQ(got_len[0], 200);
    CHECK_EQ(dev.rx[0].dropped, 5);
    CHECK_EQ(model.db[2], 6 + 128); /* dropped buffers go back too */
    /* A sequence number out of order: nothing delivered, nothing consumed,
     * the ring reported broken. */
    CHECK(gvm_rx_push(&model, f, 100, 0, 5, 0));
    ngot = 0;
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), -EIO);
    CHECK_EQ(ngot, 0);
    CHECK_EQ(dev.rx[0].cnt, 6);
    CHECK(dev.why && strstr(dev.why, "sequence"));
    /* The reset brings the queues back, and frames flow again. */
    CHECK_EQ(gve_dev_reset(&dev), 0);
    CHECK(!model.configured && !model.rx_created);
    CHECK_EQ(bring_up(), 0);
    CHECK(gvm_rx_push(&model, f, 300, 0, 0, 0));
    ngot = 0;
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 1);
    CHECK_EQ(got_len[0], 300);

    /* A stale number (the zeroed ring) is "nothing yet", not an error;
     * after a lap the previous lap's number is stale too. */
    setup(0);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 0);
    for (unsigned i = 0; i < 128; i++)
        CHECK(gvm_rx_push(&model, f, 80, 0, 0, 0));
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 128);
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 0);
    CHECK_EQ(dev.rx[0].bad, 0);
    /* Sequence 0 after the first lap is neither expected nor stale. */
    CHECK(gvm_rx_push(&model, f, 80, 0, 0, 0));
    gve_put16(model.rxq[0].desc + 62, 0);
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), -EIO);
}

static void test_admin_errors(void)
{
    /* An error status: the errno, what failed, the status kept. */
    setup(1);
    model.fail_opcode = GVE_AQ_CREATE_RX_QUEUE;
    model.fail_status = 0xfffffff7u; /* invalid argument */
    CHECK_EQ(bring_up(), -EINVAL);
    CHECK(dev.why && strstr(dev.why, "receive queue"));
    CHECK_EQ(dev.aq.last_opcode, GVE_AQ_CREATE_RX_QUEUE);
    CHECK_EQ(dev.aq.last_status, 0xfffffff7u);
    CHECK_EQ(gve_aq_status_errno(0xfffffffcu), -ENOMEM);
    CHECK_EQ(gve_aq_status_errno(0xfffffffeu), -EOPNOTSUPP);
    CHECK_EQ(gve_aq_status_errno(0xfffffff0u), -EAGAIN);
    CHECK_EQ(gve_aq_status_errno(0x12345678u), -EINVAL);
    CHECK_EQ(gve_aq_status_errno(GVE_AQ_STATUS_UNSET), -EIO);

    /* A command that never completes: a bounded wait, the queue marked
     * broken (no further command is sent), a reset clears it. */
    setup(1);
    model.stall_opcode = GVE_AQ_REGISTER_PAGE_LIST;
    CHECK_EQ(bring_up(), -ETIMEDOUT);
    CHECK(dev.aq.broken);
    CHECK_EQ(dev.aq.timeouts, 1);
    CHECK(model.slept_ms >= 2000 && model.slept_ms <= 2100);
    unsigned cmds = model.ncmds;
    uint8_t c[GVE_AQ_CMD_SIZE];
    gve_cmd_describe(c, (uint64_t)(uintptr_t)dev.desc_page, GVE_PAGE);
    CHECK_EQ(gve_aq_exec(&dev.aq, c), -ETIMEDOUT);
    CHECK_EQ(model.ncmds, cmds);
    model.stall_opcode = 0;
    CHECK_EQ(gve_dev_reset(&dev), 0);
    CHECK(!dev.aq.broken);
    CHECK_EQ(bring_up(), 0);
    CHECK(model.tx_created && model.rx_created);

    /* The same on revision 0 (the PFN register). */
    setup(0);
    model.stall_opcode = GVE_AQ_CREATE_TX_QUEUE;
    CHECK_EQ(bring_up(), -ETIMEDOUT);
    model.stall_opcode = 0;
    CHECK_EQ(gve_dev_reset(&dev), 0);
    CHECK_EQ(model.aq_pfn, 0);
    CHECK_EQ(bring_up(), 0);

    /* A reset the device never confirms: reported, bounded. */
    setup(1);
    CHECK_EQ(bring_up(), 0);
    model.never_reset = true;
    model.slept_ms = 0;
    CHECK_EQ(gve_dev_reset(&dev), -ETIMEDOUT);
    CHECK(model.slept_ms >= 10000 && model.slept_ms <= 10100);

    /* An event counter past the doorbell. */
    setup(1);
    model.counter_jump = true;
    CHECK_EQ(bring_up(), -EIO);
    CHECK_EQ(model.ncmds, 1);

    /* A device that refuses GQI-QPL (only DQO): said so. */
    setup(1);
    model.refuse_gqi = true;
    CHECK_EQ(bring_up(), -EAGAIN);
    CHECK(dev.why && strstr(dev.why, "GQI-QPL"));

    /* Indices out of range in what the device writes back. */
    setup(1);
    model.bad_db_index = GVM_DBS + 7;
    CHECK_EQ(bring_up(), -EIO);
    CHECK(dev.why && strstr(dev.why, "transmit queue resources"));
    setup(1);
    model.bad_irq_db_index = 0x7fffffff;
    CHECK_EQ(bring_up(), -EIO);
    CHECK(dev.why && strstr(dev.why, "notification-block"));
}

static void test_descriptor(void)
{
    /* Absurd descriptions are refused at probe. */
    struct {
        uint16_t tx, rx, mtu, counters, tx_pages, rx_pages;
        uint64_t max_pages;
        uint32_t max_tx, max_rx;
    } bad[] = {
        { 256, 128, 1460, 64, 64, 128, 1024, 0, 2 },           /* no transmit queues */
        { 256, 128, 1460, 64, 64, 128, 1024, 2, 1000000 },     /* a million receive queues */
        { 300, 128, 1460, 64, 64, 128, 1024, 2, 2 },           /* not a power of two */
        { 128, 128, 1460, 64, 64, 128, 1024, 2, 2 },           /* tx ring smaller than a page */
        { 256, 32768, 1460, 64, 64, 32768, 65535, 2, 2 },      /* rx ring beyond 4096 */
        { 256, 128, 0, 64, 64, 128, 1024, 2, 2 },              /* MTU 0 */
        { 256, 128, 1460, 0, 64, 128, 1024, 2, 2 },            /* no event counters */
        { 256, 128, 1460, 65535, 64, 128, 1024, 2, 2 },        /* 65535 counters */
        { 256, 128, 1460, 64, 64, 64, 1024, 2, 2 },            /* rx pages fewer than descriptors */
        { 256, 128, 1460, 64, 0, 128, 1024, 2, 2 },            /* no tx pages */
        { 256, 128, 1460, 64, 64, 128, 100, 2, 2 },            /* registered-page limit too small */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setup(1);
        gvm_describe(&model, bad[i].tx, bad[i].rx, bad[i].mtu, bad[i].counters, bad[i].tx_pages, bad[i].rx_pages,
                     bad[i].max_pages, NULL, 0, 0);
        model.max_tx = bad[i].max_tx;
        model.max_rx = bad[i].max_rx;
        int err = gve_dev_probe(&dev);
        CHECK(err == -EINVAL);
        CHECK(dev.why != NULL);
        if (err != -EINVAL)
            fprintf(stderr, "  descriptor case %u accepted\n", i);
    }
    setup(1);
    dev.msix_vectors = 2;
    CHECK_EQ(gve_dev_probe(&dev), -ENODEV);

    /* A jumbo-frame MTU: lwIP gets 1500, the device is told. */
    setup(1);
    gvm_describe(&model, 256, 128, 8896, 64, 64, 128, 1024, NULL, 0, 0);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(dev.plan.mtu, 1500);
    CHECK_EQ(model.set_mtu, 1500);

    /* Options: GQI-QPL and DQO-RDA offered, a jumbo option, one malformed
     * (a required-features mask) and one unknown: formats noted, the rest skipped. */
    uint8_t o[64] = { 0 };
    size_t n = 0;
    gve_put16(o + n, GVE_OPT_GQI_QPL); gve_put16(o + n + 2, 4); n += 12;
    gve_put16(o + n, GVE_OPT_DQO_RDA); gve_put16(o + n + 2, 8); n += 16;
    gve_put16(o + n, GVE_OPT_JUMBO_FRAMES); gve_put16(o + n + 2, 8); n += 16;
    gve_put16(o + n, GVE_OPT_GQI_RDA); gve_put16(o + n + 2, 4); gve_put32(o + n + 4, 1); n += 12;
    gve_put16(o + n, 0x77); gve_put16(o + n + 2, 0); n += 8;
    setup(1);
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 1024, o, n, 5);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(dev.info.options, 5);
    CHECK_EQ(dev.info.options_ignored, 3);
    CHECK_EQ(dev.info.formats, (1u << GVE_FMT_GQI_QPL) | (1u << GVE_FMT_DQO_RDA));

    /* An option running past the total length; a total past the buffer;
     * more options counted than there are bytes. */
    struct gve_dev_info info;
    const char *why = NULL;
    setup(1);
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 1024, o, n, 5);
    gve_put16(model.descriptor + GVE_DESC_SIZE + 2, 200);
    CHECK_EQ(gve_parse_descriptor(model.descriptor, GVE_PAGE, &info, &why), -EINVAL);
    gve_put16(model.descriptor + GVE_DESC_SIZE + 2, 4);
    gve_put16(model.descriptor + 32, 5000);
    CHECK_EQ(gve_parse_descriptor(model.descriptor, GVE_PAGE, &info, &why), -EINVAL);
    gve_put16(model.descriptor + 32, (uint16_t)(GVE_DESC_SIZE + n));
    gve_put16(model.descriptor + 30, 6);
    CHECK_EQ(gve_parse_descriptor(model.descriptor, GVE_PAGE, &info, &why), -EINVAL);
    CHECK_EQ(gve_parse_descriptor(model.descriptor, 20, &info, &why), -EINVAL);
    /* No options at all: GQI-QPL. */
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 1024, NULL, 0, 0);
    CHECK_EQ(gve_parse_descriptor(model.descriptor, GVE_PAGE, &info, &why), 0);
    CHECK_EQ(info.formats, 1u << GVE_FMT_GQI_QPL);
    /* A describe the device fails. */
    setup(1);
    model.fail_opcode = GVE_AQ_DESCRIBE_DEVICE;
    model.fail_status = 0xfffffffdu;
    CHECK_EQ(gve_dev_probe(&dev), -EAGAIN);

    /* A device that describes itself differently after a reset is refused. */
    setup(1);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(gve_dev_reset(&dev), 0);
    gvm_describe(&model, 512, 128, 1460, 64, 64, 128, 1024, NULL, 0, 0);
    CHECK_EQ(bring_up(), -EINVAL);
    /* The counter array too (found by fuzz_gve_dev: it was cleared at the new size). */
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 1024, NULL, 0, 0);
    CHECK_EQ(gve_dev_reset(&dev), 0);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(gve_dev_reset(&dev), 0);
    gvm_describe(&model, 256, 128, 1460, 2048, 64, 128, 1024, NULL, 0, 0);
    CHECK_EQ(bring_up(), -EINVAL);
    CHECK(dev.why && strstr(dev.why, "sizes across a reset"));
}

/* More commands than the queue page holds: slots are reused in order, each
 * command's own status read back. */
static void test_admin_wrap(void)
{
    setup(1);
    CHECK_EQ(bring_up(), 0);
    uint8_t c[GVE_AQ_CMD_SIZE];
    unsigned ok = 0;
    for (unsigned i = 0; i < 3 * GVE_AQ_SLOTS + 5; i++) {
        gve_cmd_set_mtu(c, 1000 + i);
        if (gve_aq_exec(&dev.aq, c) == 0 && model.set_mtu == 1000 + i)
            ok++;
    }
    CHECK_EQ(ok, 3 * GVE_AQ_SLOTS + 5);
    CHECK_EQ(dev.aq.prod, 6 + 3 * GVE_AQ_SLOTS + 5);
    /* An opcode the device does not know: UNIMPLEMENTED, the queue still usable. */
    gve_cmd_destroy_queue(c, 0x42, 0);
    CHECK_EQ(gve_aq_exec(&dev.aq, c), -EOPNOTSUPP);
    gve_cmd_set_mtu(c, 1500);
    CHECK_EQ(gve_aq_exec(&dev.aq, c), 0);
}

/* More transmit slots than descriptors: the ring bounds what is in flight. */
static void test_transmit_ring_bound(void)
{
    setup(1);
    gvm_describe(&model, 256, 128, 1460, 64, 256, 128, 1024, NULL, 0, 0);
    CHECK_EQ(bring_up(), 0);
    CHECK_EQ(dev.tx[0].slots, 512);
    uint8_t f[64];
    make_frame(f, sizeof(f), 9);
    unsigned ok = 0;
    while (gve_dev_transmit(&dev, 0, f, sizeof(f)) == 0)
        ok++;
    CHECK_EQ(ok, 256);
    CHECK_EQ(gvm_tx_pull(&model), 256);
    CHECK_EQ(model.tx_bad, 0);
    CHECK_EQ(gve_dev_transmit(&dev, 0, f, sizeof(f)), 0);
}

static void test_qpl_helpers(void)
{
    CHECK(gve_qpl_contains(2, 0, 8192));
    CHECK(gve_qpl_contains(2, 8191, 1));
    CHECK(!gve_qpl_contains(2, 8191, 2));
    CHECK(!gve_qpl_contains(2, 8193, 0));
    CHECK(!gve_qpl_contains(2, 100, UINT64_MAX));
    uint8_t list[24];
    gve_qpl_fill_list(list, 0x100000, 3);
    CHECK_EQ(gve_be64(list + 16), 0x102000);
    uint8_t res[64] = { 0 };
    uint32_t db, ctr;
    gve_put32(res, 10);
    gve_put32(res + 4, 3);
    CHECK_EQ(gve_queue_resources(res, 11, 4, &db, &ctr), 0);
    CHECK_EQ(gve_queue_resources(res, 10, 4, &db, &ctr), -EIO);
    CHECK_EQ(gve_queue_resources(res, 11, 3, &db, &ctr), -EIO);
}


/* A device with queues for many CPUs: 8 queues each way, no default count,
 * room for 5 pairs of pages. */
static void setup_multi(unsigned cpus, unsigned vectors)
{
    setup(1);
    model.max_tx = model.max_rx = 8;
    gve_put16(model.descriptor + 14, 0); /* no default queue count */
    dev.ncpus = cpus;
    dev.msix_vectors = vectors;
}

/* n pairs as the device holds them: transmit q on block q, receive q on
 * block n + q, each queue its own page list (transmit q id q, receive q id
 * n + q) and doorbell, every block unmasked, none past them written. */
static void check_gve_pairs(unsigned n)
{
    CHECK_EQ(dev.nq, n);
    CHECK_EQ(dev.plan.nq, n);
    CHECK_EQ(model.nblocks, 2 * n);
    CHECK_EQ(model.tx_created, n);
    CHECK_EQ(model.rx_created, n);
    CHECK_EQ(model.refused, 0);
    for (unsigned q = 0; q < n; q++) {
        CHECK(model.txq[q].created && model.rxq[q].created);
        CHECK_EQ(model.txq[q].block, q);
        CHECK_EQ(model.rxq[q].block, n + q);
        CHECK_EQ(model.txq[q].qpl, q);
        CHECK_EQ(model.rxq[q].qpl, n + q);
        CHECK_EQ(dev.tx_db[q], GVM_TX_DB(q));
        CHECK_EQ(dev.rx_db[q], GVM_RX_DB(q));
        CHECK_EQ(model.db[GVM_RX_DB(q)], 128); /* every receive buffer handed out */
    }
    for (unsigned b = 0; b < 2 * n; b++)
        CHECK_EQ(model.db[16 + b], 0);
    CHECK_EQ(model.db[16 + 2 * n], GVM_DB_UNWRITTEN);
}

/* Frames each way on pair q only: out by q's transmit queue (only its
 * count moves), in by q's receive queue (the others' polls see nothing). */
static void gve_traffic_q(unsigned q, unsigned n)
{
    uint8_t f[1514];
    for (unsigned i = 0; i < n; i++) {
        size_t len = 60 + (i * 53 + q * 7) % 1400;
        make_frame(f, len, i + 10 * q);
        unsigned before[GVE_QMAX];
        for (unsigned o = 0; o < dev.nq; o++)
            before[o] = model.txq[o].frames;
        CHECK_EQ(gve_dev_transmit(&dev, q, f, len), 0);
        model.nframes = 0;
        CHECK_EQ(gvm_tx_pull(&model), 1);
        for (unsigned o = 0; o < dev.nq; o++)
            CHECK_EQ(model.txq[o].frames, before[o] + (o == q));
        CHECK_EQ(model.frame_len[0], len);
        CHECK(memcmp(model.frames[0], f, len) == 0);
        CHECK_EQ(gve_dev_tx_reap(&dev, q), 1);
        make_frame(f, len, i + 10 * q + 500);
        CHECK(gvm_rx_push_q(&model, q, f, len, 0, 0, 0));
        ngot = 0;
        for (unsigned o = 0; o < dev.nq; o++)
            if (o != q)
                CHECK_EQ(gve_dev_rx_poll(&dev, o, on_rx, NULL), 0);
        CHECK_EQ(ngot, 0);
        CHECK_EQ(gve_dev_rx_poll(&dev, q, on_rx, NULL), 1);
        CHECK_EQ(ngot, 1);
        CHECK_EQ(got_len[0], len);
        CHECK(memcmp(got[0], f, len) == 0);
    }
}

static void test_multiqueue(void)
{
    /* 4 CPUs, 9 vectors: 4 pairs on 8 blocks. */
    setup_multi(4, 9);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(4);
    /* Describe, configure, 4 + 4 page lists, 4 transmit, 4 receive queues. */
    CHECK_EQ(model.ncmds, 2 + 8 + 8);
    for (unsigned q = 0; q < 4; q++)
        gve_traffic_q(q, 130); /* past a lap of the 128-entry receive ring */
    CHECK_EQ(model.tx_bad, 0);
    /* A reset brings every pair back, and every pair carries. */
    CHECK_EQ(gve_dev_reset(&dev), 0);
    CHECK_EQ(dev.nq, 0);
    uint8_t f[100];
    make_frame(f, sizeof(f), 1);
    CHECK_EQ(gve_dev_transmit(&dev, 0, f, sizeof(f)), -EBUSY); /* down */
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(4);
    for (unsigned q = 0; q < 4; q++)
        gve_traffic_q(q, 3);
    /* A device that comes back from a reset with fewer queues changed its
     * sizes: refused, not half-used. */
    CHECK_EQ(gve_dev_reset(&dev), 0);
    model.max_tx = 2;
    CHECK(bring_up() < 0);
    CHECK_EQ(dev.nq, 0);

    /* The device's default count, when it gives one, is taken. */
    setup_multi(4, 9);
    gve_put16(model.descriptor + 14, 2);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(2);
    /* Fewer transmit queues than receive, or CPUs than queues. */
    setup_multi(4, 9);
    model.max_tx = 3;
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(3);
    setup_multi(2, 9);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(2);
    gve_traffic_q(1, 2);
    /* The registered-page limit: 400 pages hold 2 pairs of 64 + 128. */
    setup_multi(4, 9);
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 400, NULL, 0, 0);
    gve_put16(model.descriptor + 14, 0);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(2);
    /* Many CPUs and queues: the cap. */
    setup_multi(64, 2048);
    model.max_tx = model.max_rx = 1000;
    gvm_describe(&model, 256, 128, 1460, 64, 64, 128, 4096, NULL, 0, 0);
    gve_put16(model.descriptor + 14, 0);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(GVE_QMAX);
    gve_traffic_q(GVE_QMAX - 1, 2);
    /* Queue counts of 0 or past any device: refused. */
    setup_multi(4, 9);
    model.max_rx = 0;
    CHECK_EQ(bring_up(), -EINVAL);
    setup_multi(4, 9);
    model.max_tx = 5000;
    CHECK_EQ(bring_up(), -EINVAL);
}

static void test_fewer_vectors(void)
{
    /* 4 CPUs, 8 queues, but the MSI-X table is short: two blocks a pair
     * and the management vector decide. */
    static const struct { unsigned vectors, pairs; } cases[] = { { 8, 3 }, { 6, 2 }, { 5, 2 }, { 4, 1 }, { 3, 1 } };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        setup_multi(4, cases[i].vectors);
        CHECK_EQ(bring_up(), 0);
        check_gve_pairs(cases[i].pairs);
        CHECK(2 * dev.plan.nq + 1 <= cases[i].vectors);
    }
    setup_multi(4, 2);
    CHECK_EQ(bring_up(), -ENODEV);
    /* Queues the device does not hold (2 pairs; 3 and past asked for):
     * nothing is read or written for them. */
    setup_multi(4, 5);
    CHECK_EQ(bring_up(), 0);
    check_gve_pairs(2);
    uint8_t f[100];
    make_frame(f, sizeof(f), 2);
    ngot = 0;
    CHECK_EQ(gve_dev_transmit(&dev, 2, f, sizeof(f)), -EBUSY);
    CHECK_EQ(gve_dev_transmit(&dev, 1000, f, sizeof(f)), -EBUSY);
    CHECK_EQ(gve_dev_tx_reap(&dev, 3), 0);
    CHECK_EQ(gve_dev_rx_poll(&dev, 2, on_rx, NULL), 0);
    CHECK_EQ(gve_dev_rx_poll(&dev, 1000, on_rx, NULL), 0);
    CHECK_EQ(ngot, 0);
    /* Blocks past the planned ones are never rung. */
    gve_dev_irq_mask(&dev, 4);
    gve_dev_irq_ack(&dev, 9);
    CHECK_EQ(model.db[16 + 4], GVM_DB_UNWRITTEN);
    CHECK_EQ(model.db[16 + 9], GVM_DB_UNWRITTEN);
    /* The device writing a receive descriptor in the model's queue 2 (it
     * was never created) delivers nothing anywhere. */
    CHECK(!gvm_rx_push_q(&model, 2, f, sizeof(f), 0, 0, 0));
    CHECK_EQ(gve_dev_rx_poll(&dev, 0, on_rx, NULL), 0);
    CHECK_EQ(gve_dev_rx_poll(&dev, 1, on_rx, NULL), 0);
    CHECK_EQ(ngot, 0);
    gve_traffic_q(0, 2);
    gve_traffic_q(1, 2);
}

int main(void)
{
    test_bring_up(1);
    test_bring_up(0);
    test_transmit();
    test_receive();
    test_receive_hostile();
    test_admin_errors();
    test_descriptor();
    test_admin_wrap();
    test_transmit_ring_bound();
    test_qpl_helpers();
    test_multiqueue();
    test_fewer_vectors();
    gvm_free(&model);
    return check_report("test_gve");
}
