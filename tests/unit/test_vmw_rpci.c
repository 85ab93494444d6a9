/* The RPCI message channel (drivers/vmw/rpci.c) against a model of the
 * hypervisor's side: open with cookies, a request by the byte-wise and the
 * high-bandwidth paths, the reply back by both, close; then a hypervisor
 * without the channel (QEMU's vmport), one that lies about sizes, types and
 * cookies, one that refuses halfway, and checkpoints (snapshot, vMotion)
 * interrupting each step once, twice and every time. */
#include <string.h>
#include "check.h"
#include "errno.h"
#include "vmw_backdoor.h"

struct model {
    bool present, hb, wrong_cookie_ok;
    int fail_at_call;     /* the n-th call fails (status 0); 0 = never */
    uint32_t lie_size;    /* reply size announced instead of the real one */
    uint16_t lie_type;    /* edx high half on RECVSIZE instead of SENDSIZE */
    const char *value;    /* guestinfo value; NULL = unset */
    unsigned cpt_step;    /* the step a checkpoint interrupts (MSG_TYPE_*, or HB_OUT/HB_IN) */
    int cpt_times;        /* how many times (-1: every time) */
    int cpts, sendsizes, recvsizes;
    /* channel state */
    bool open;
    char req[512];
    uint32_t req_len, req_have;
    char reply[8192];
    uint32_t reply_len, reply_sent;
    int calls, hb_calls, lb_payload_calls;
    bool closed;
};

static const uint32_t COOKIE_HI = 0x11223344, COOKIE_LO = 0x55667788;
enum { HB_OUT = 100, HB_IN = 101 };

/* A checkpoint at this step: the host drops the message in flight (a
 * request half sent, a reply half taken, which it offers again) and answers
 * with the checkpoint bit and no success. */
static bool checkpoint(struct model *m, unsigned step)
{
    if (m->cpt_step != step || m->cpt_times == 0)
        return false;
    if (m->cpt_times > 0)
        m->cpt_times--;
    m->cpts++;
    m->req_have = 0;
    m->reply_sent = 0;
    return true;
}

static void make_reply(struct model *m)
{
    static const char prefix[] = "info-get guestinfo.";
    m->req[m->req_have] = 0;
    if (strncmp(m->req, prefix, sizeof(prefix) - 1) != 0)
        strcpy(m->reply, "0 Unknown command");
    else if (!m->value)
        strcpy(m->reply, "0 No value found");
    else
        snprintf(m->reply, sizeof(m->reply), "1 %s", m->value);
    m->reply_len = (uint32_t)strlen(m->reply);
    m->reply_sent = 0;
}

static bool model_call(void *ctx, struct bdoor_regs *r)
{
    struct model *m = ctx;
    m->calls++;
    if (r->eax != BDOOR_MAGIC && r->eax != 0)
        return true;
    if ((r->ecx & 0xffff) != BDOOR_CMD_MESSAGE || !m->present) {
        r->eax = 0xffffffffu; /* QEMU: unknown command, the rest untouched */
        return true;
    }
    unsigned type = r->ecx >> 16;
    m->sendsizes += type == MSG_TYPE_SENDSIZE; /* tries, whatever their answer */
    m->recvsizes += type == MSG_TYPE_RECVSIZE;
    uint32_t fail = m->fail_at_call && m->calls == m->fail_at_call;
    if (type != MSG_TYPE_OPEN && !m->wrong_cookie_ok &&
        (r->esi != COOKIE_HI || r->edi != COOKIE_LO || (r->edx >> 16) != 7))
        fail = 1;
    if (fail) {
        r->ecx = 0;
        return true;
    }
    if (type != MSG_TYPE_OPEN && type != MSG_TYPE_CLOSE && checkpoint(m, type)) {
        r->ecx = (uint32_t)MSG_ST_CPT << 16;
        return true;
    }
    uint16_t st = MSG_ST_SUCCESS;
    switch (type) {
    case MSG_TYPE_OPEN:
        CHECK_EQ(r->ebx, RPCI_PROTOCOL | GUESTMSG_FLAG_COOKIE);
        m->open = true;
        r->edx = 7u << 16;
        r->esi = COOKIE_HI;
        r->edi = COOKIE_LO;
        break;
    case MSG_TYPE_SENDSIZE:
        if (r->ebx > sizeof(m->req) - 1) {
            st = 0;
            break;
        }
        m->req_len = r->ebx;
        m->req_have = 0;
        if (m->hb)
            st |= MSG_ST_HB;
        if (m->req_len == 0)
            make_reply(m);
        break;
    case MSG_TYPE_SENDPAYLOAD: {
        m->lb_payload_calls++;
        uint32_t n = m->req_len - m->req_have < 4 ? m->req_len - m->req_have : 4;
        memcpy(m->req + m->req_have, &r->ebx, n);
        m->req_have += n;
        if (m->req_have == m->req_len)
            make_reply(m);
        break;
    }
    case MSG_TYPE_RECVSIZE:
        st |= MSG_ST_DORECV;
        if (m->hb)
            st |= MSG_ST_HB;
        r->ebx = m->lie_size ? m->lie_size : m->reply_len;
        r->edx = (uint32_t)(m->lie_type ? m->lie_type : MSG_TYPE_SENDSIZE) << 16;
        break;
    case MSG_TYPE_RECVPAYLOAD: {
        m->lb_payload_calls++;
        uint32_t w = 0;
        uint32_t n = m->reply_len - m->reply_sent < 4 ? m->reply_len - m->reply_sent : 4;
        memcpy(&w, m->reply + m->reply_sent, n);
        m->reply_sent += n;
        r->ebx = w;
        r->edx = (uint32_t)MSG_TYPE_SENDPAYLOAD << 16;
        break;
    }
    case MSG_TYPE_RECVSTATUS:
        break;
    case MSG_TYPE_CLOSE:
        m->open = false;
        m->closed = true;
        break;
    default:
        st = 0;
    }
    r->ecx = (uint32_t)st << 16;
    return true;
}

static bool model_hb_out(void *ctx, struct bdoor_regs *r, const void *buf)
{
    struct model *m = ctx;
    m->hb_calls++;
    CHECK_EQ(r->edi, COOKIE_LO);
    CHECK_EQ(r->ebp, COOKIE_HI);
    CHECK_EQ(r->edx >> 16, 7);
    if (r->ecx != m->req_len) {
        r->ebx = 0;
        return true;
    }
    if (checkpoint(m, HB_OUT)) {
        r->ebx = (uint32_t)MSG_ST_CPT << 16;
        return true;
    }
    memcpy(m->req, buf, r->ecx);
    m->req_have = r->ecx;
    make_reply(m);
    r->ebx = (uint32_t)MSG_ST_SUCCESS << 16;
    return true;
}

static bool model_hb_in(void *ctx, struct bdoor_regs *r, void *buf)
{
    struct model *m = ctx;
    m->hb_calls++;
    CHECK_EQ(r->esi, COOKIE_HI);
    CHECK_EQ(r->ebp, COOKIE_LO);
    uint32_t n = r->ecx < m->reply_len ? r->ecx : m->reply_len;
    if (checkpoint(m, HB_IN)) {
        memset(buf, '?', n / 2); /* half a reply arrived before it */
        r->ebx = (uint32_t)MSG_ST_CPT << 16;
        return true;
    }
    memcpy(buf, m->reply, n); /* exactly what was asked, never more */
    m->reply_sent = n;
    r->ebx = (uint32_t)MSG_ST_SUCCESS << 16;
    return true;
}

static long get(struct model *m, char *out, size_t cap)
{
    struct rpci_port port = { model_call, model_hb_out, model_hb_in, m };
    return rpci_guestinfo(&port, "kestrel.cmdline", out, cap);
}

/* Checkpoints at each step: once and twice the message still arrives whole
 * (re-sent, or asked for again, from its size); every time, -EAGAIN after
 * 3 tries, not a half message. A failure without the checkpoint bit is not
 * retried. */
static void test_checkpoints(void)
{
    static const struct {
        unsigned step;
        bool hb;
        bool sending;
    } steps[] = {
        { MSG_TYPE_SENDSIZE, false, true },   { MSG_TYPE_SENDPAYLOAD, false, true },
        { HB_OUT, true, true },               { MSG_TYPE_RECVSIZE, false, false },
        { MSG_TYPE_RECVPAYLOAD, false, false }, { HB_IN, true, false },
        { MSG_TYPE_RECVSTATUS, false, false },
    };
    const char *value = "--verbose ktest exit 3";
    char out[256];
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
        for (int times = 1; times <= 2; times++) {
            struct model m = { .present = true, .hb = steps[i].hb, .value = value, .cpt_step = steps[i].step,
                               .cpt_times = times };
            memset(out, 0, sizeof(out));
            CHECK_EQ(get(&m, out, sizeof(out)), (long)strlen(value));
            CHECK(strcmp(out, value) == 0);
            CHECK(strcmp(m.req, "info-get guestinfo.kestrel.cmdline") == 0);
            CHECK_EQ(m.cpts, times);
            CHECK_EQ(m.sendsizes, steps[i].sending ? 1 + times : 1);
            CHECK_EQ(m.recvsizes, steps[i].sending ? 1 : 1 + times);
            CHECK(m.closed);
        }
        struct model m = { .present = true, .hb = steps[i].hb, .value = value, .cpt_step = steps[i].step,
                           .cpt_times = -1 };
        memset(out, 'z', sizeof(out));
        CHECK_EQ(get(&m, out, sizeof(out)), -EAGAIN);
        CHECK_EQ(m.cpts, 3);
        CHECK_EQ(m.sendsizes, steps[i].sending ? 3 : 1);
        CHECK_EQ(m.recvsizes, steps[i].sending ? 0 : 3); /* a request never sent gets no reply */
        CHECK_EQ(out[0], 'z'); /* nothing handed to the caller */
        CHECK(m.closed);
    }
    /* The channel-level calls: a reply interrupted is not returned in part. */
    struct model m = { .present = true, .hb = true, .value = "abcdefgh", .cpt_step = HB_IN, .cpt_times = -1 };
    struct rpci_port port = { model_call, model_hb_out, model_hb_in, &m };
    struct rpci_channel ch;
    char buf[64];
    CHECK_EQ(rpci_open(&ch, &port), 0);
    CHECK_EQ(rpci_send(&ch, "info-get guestinfo.x", 20), 0);
    CHECK_EQ(rpci_receive(&ch, buf, sizeof(buf)), -EAGAIN);
    CHECK_EQ(buf[0], 0);
    rpci_close(&ch);
    /* No checkpoint bit: one try only. */
    m = (struct model){ .present = true, .value = "value", .fail_at_call = 2 }; /* SENDSIZE */
    CHECK_EQ(get(&m, out, sizeof(out)), -EIO);
    CHECK_EQ(m.sendsizes, 1);
    CHECK_EQ(m.calls, 3); /* open, the failed SENDSIZE, close */
}

int main(void)
{
    test_checkpoints();
    char out[256];
    /* Byte-wise both ways: a value whose length is not a multiple of 4. */
    struct model m = { .present = true, .value = "--verbose ktest exit 3" };
    CHECK_EQ(get(&m, out, sizeof(out)), 22);
    CHECK(strcmp(out, "--verbose ktest exit 3") == 0);
    CHECK(strcmp(m.req, "info-get guestinfo.kestrel.cmdline") == 0);
    CHECK_EQ(m.hb_calls, 0);
    CHECK(m.lb_payload_calls > 10);
    CHECK(m.closed);

    /* High bandwidth both ways. */
    m = (struct model){ .present = true, .hb = true, .value = "a=1 b=2" };
    CHECK_EQ(get(&m, out, sizeof(out)), 7);
    CHECK(strcmp(out, "a=1 b=2") == 0);
    CHECK_EQ(m.hb_calls, 2);
    CHECK_EQ(m.lb_payload_calls, 0);

    /* Empty value, unset key. */
    m = (struct model){ .present = true, .value = "" };
    CHECK_EQ(get(&m, out, sizeof(out)), 0);
    CHECK_EQ(out[0], 0);
    m = (struct model){ .present = true };
    CHECK_EQ(get(&m, out, sizeof(out)), -ENOENT);

    /* QEMU's vmport: no channel at all. */
    m = (struct model){ .present = false };
    CHECK_EQ(get(&m, out, sizeof(out)), -ENODEV);
    CHECK_EQ(m.calls, 1);

    /* A value longer than the caller's buffer, a reply longer than any. */
    char big[300];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    m = (struct model){ .present = true, .hb = true, .value = big };
    CHECK_EQ(get(&m, out, sizeof(out)), -E2BIG);
    m = (struct model){ .present = true, .value = "v", .lie_size = 0x10000000 };
    CHECK_EQ(get(&m, out, sizeof(out)), -E2BIG);
    CHECK(m.closed);

    /* A reply announced shorter than sent: only what was announced is read. */
    m = (struct model){ .present = true, .hb = true, .value = "abcdef", .lie_size = 4 };
    CHECK_EQ(get(&m, out, sizeof(out)), 2);
    CHECK(strcmp(out, "ab") == 0);

    /* Wrong message type on RECVSIZE; a failure at each step in turn. */
    m = (struct model){ .present = true, .value = "v", .lie_type = MSG_TYPE_RECVPAYLOAD };
    CHECK_EQ(get(&m, out, sizeof(out)), -EPROTO);
    for (int at = 1; at <= 6; at++) {
        m = (struct model){ .present = true, .value = "value", .fail_at_call = at };
        long n = get(&m, out, sizeof(out));
        CHECK(n < 0);
    }

    /* A reply that is neither "1 ..." nor "0 ...". */
    struct rpci_channel ch;
    m = (struct model){ .present = true, .value = "v" };
    struct rpci_port port = { model_call, NULL, NULL, &m };
    CHECK_EQ(rpci_open(&ch, &port), 0);
    CHECK_EQ(rpci_send(&ch, "x", 1), 0);
    char buf[64];
    CHECK_EQ(rpci_receive(&ch, buf, sizeof(buf)), 17);
    CHECK(strcmp(buf, "0 Unknown command") == 0);
    CHECK_EQ(rpci_receive(&ch, buf, 0), -EINVAL);
    rpci_close(&ch);
    CHECK(m.closed);
    CHECK_EQ(rpci_send(&ch, "x", 1), -EINVAL); /* closed */
    return check_report("test_vmw_rpci");
}
