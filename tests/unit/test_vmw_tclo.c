/* The TCLO channel (drivers/vmw/tclo.c) against a model of a vSphere host:
 * the host queues TCLO commands (reset, ping, Capabilities_Register,
 * Set_Option, OS_Halt, ...) and reads the guest's replies on the TCLO
 * channel and its reports on RPCI channels (version, capabilities, state
 * change status, guestinfo.ip, the XDR NIC list, which it decodes). Then
 * malformed, unknown and oversized commands, and a host without TCLO. */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "errno.h"
#include "vmw_tclo.h"

#define MAX_CHANNELS 4
#define MAX_LOG 32

struct channel {
    bool open;
    uint32_t protocol;
    uint8_t in[4096]; /* guest to host */
    uint32_t in_len, in_have;
    uint8_t out[8192]; /* host to guest */
    uint32_t out_len, out_sent;
    bool out_pending;
};

struct host {
    bool tclo;             /* offers the TCLO protocol */
    const char *cmds[16];  /* TCLO commands to send, in order */
    size_t cmd_len[16];    /* 0: strlen */
    unsigned ncmds, next_cmd;
    char replies[MAX_LOG][256]; /* the guest's TCLO replies (non-empty ones) */
    unsigned nreplies, empty_polls;
    uint8_t rpci[MAX_LOG][1024]; /* the guest's RPCI requests */
    uint32_t rpci_len[MAX_LOG];
    unsigned nrpci;
    struct channel ch[MAX_CHANNELS];
};

static const uint32_t COOKIE_HI = 0xaabbccdd, COOKIE_LO = 0x01020304;

static void host_received(struct host *h, struct channel *c)
{
    if (c->protocol == TCLO_PROTOCOL) {
        if (c->in_len == 0)
            h->empty_polls++;
        else if (h->nreplies < MAX_LOG) {
            memcpy(h->replies[h->nreplies], c->in, c->in_len < 255 ? c->in_len : 255);
            h->replies[h->nreplies++][c->in_len < 255 ? c->in_len : 255] = 0;
        }
        c->out_pending = false;
        if (h->next_cmd < h->ncmds) {
            const char *cmd = h->cmds[h->next_cmd];
            size_t n = h->cmd_len[h->next_cmd] ? h->cmd_len[h->next_cmd] : strlen(cmd);
            h->next_cmd++;
            memcpy(c->out, cmd, n);
            c->out_len = (uint32_t)n;
            c->out_sent = 0;
            c->out_pending = true;
        }
        return;
    }
    if (h->nrpci < MAX_LOG) {
        memcpy(h->rpci[h->nrpci], c->in, c->in_len);
        h->rpci_len[h->nrpci++] = c->in_len;
    }
    memcpy(c->out, "1 ", 2);
    c->out_len = 2;
    c->out_sent = 0;
    c->out_pending = true;
}

static uint16_t msg_step(struct host *h, unsigned type, struct bdoor_regs *r)
{
    unsigned id = r->edx >> 16;
    if (type == MSG_TYPE_OPEN) {
        uint32_t proto = r->ebx & ~GUESTMSG_FLAG_COOKIE;
        if (proto != RPCI_PROTOCOL && !(proto == TCLO_PROTOCOL && h->tclo))
            return 0;
        for (unsigned i = 0; i < MAX_CHANNELS; i++) {
            if (h->ch[i].open)
                continue;
            memset(&h->ch[i], 0, sizeof(h->ch[i]));
            h->ch[i].open = true;
            h->ch[i].protocol = proto;
            r->edx = i << 16;
            r->esi = COOKIE_HI;
            r->edi = COOKIE_LO + i;
            return MSG_ST_SUCCESS;
        }
        return 0;
    }
    if (id >= MAX_CHANNELS || !h->ch[id].open || r->esi != COOKIE_HI || r->edi != COOKIE_LO + id)
        return 0;
    struct channel *c = &h->ch[id];
    switch (type) {
    case MSG_TYPE_SENDSIZE:
        if (r->ebx > sizeof(c->in))
            return 0;
        c->in_len = r->ebx;
        c->in_have = 0;
        if (c->in_len == 0)
            host_received(h, c);
        return MSG_ST_SUCCESS;
    case MSG_TYPE_SENDPAYLOAD: {
        uint32_t n = c->in_len - c->in_have < 4 ? c->in_len - c->in_have : 4;
        memcpy(c->in + c->in_have, &r->ebx, n);
        c->in_have += n;
        if (c->in_have == c->in_len)
            host_received(h, c);
        return MSG_ST_SUCCESS;
    }
    case MSG_TYPE_RECVSIZE:
        if (!c->out_pending)
            return MSG_ST_SUCCESS;
        r->ebx = c->out_len;
        r->edx = (uint32_t)MSG_TYPE_SENDSIZE << 16;
        return MSG_ST_SUCCESS | MSG_ST_DORECV;
    case MSG_TYPE_RECVPAYLOAD: {
        uint32_t w = 0, n = c->out_len - c->out_sent < 4 ? c->out_len - c->out_sent : 4;
        memcpy(&w, c->out + c->out_sent, n);
        c->out_sent += n;
        r->ebx = w;
        r->edx = (uint32_t)MSG_TYPE_SENDPAYLOAD << 16;
        return MSG_ST_SUCCESS;
    }
    case MSG_TYPE_RECVSTATUS:
        c->out_pending = false;
        return MSG_ST_SUCCESS;
    case MSG_TYPE_CLOSE:
        c->open = false;
        return MSG_ST_SUCCESS;
    }
    return 0;
}

static bool host_call(void *ctx, struct bdoor_regs *r)
{
    struct host *h = ctx;
    if ((r->ecx & 0xffff) != BDOOR_CMD_MESSAGE) {
        r->eax = 0xffffffffu;
        return true;
    }
    r->ecx = (uint32_t)msg_step(h, r->ecx >> 16, r) << 16;
    return true;
}

static struct host host;
static const struct rpci_port port = { host_call, NULL, NULL, &host };

static void host_reset(bool tclo)
{
    memset(&host, 0, sizeof(host));
    host.tclo = tclo;
}

static void queue(const char *cmd) { host.cmds[host.ncmds++] = cmd; }

/* Polls until the host has nothing more queued and the last reply is in. */
static enum tclo_state run(struct tclo_session *s, int max_polls, int *bad_polls)
{
    enum tclo_state st = TCLO_STATE_NONE;
    *bad_polls = 0;
    for (int i = 0; i < max_polls; i++) {
        struct tclo_poll p;
        if (tclo_poll(s, &p) < 0) {
            (*bad_polls)++;
            tclo_close(s);
            CHECK_EQ(tclo_open(s, &port), 0);
            continue;
        }
        if (p.state_change)
            st = p.state_change;
        if (host.next_cmd == host.ncmds && !p.command && s->reply_len == 0)
            break;
    }
    return st;
}

static int rpci_has(const char *text)
{
    for (unsigned i = 0; i < host.nrpci; i++) {
        if (host.rpci_len[i] == strlen(text) && memcmp(host.rpci[i], text, host.rpci_len[i]) == 0)
            return 1;
    }
    return 0;
}

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | p[2] << 8 | p[3]; }

/* Decodes the NIC list the way the host does; the first NIC's address. */
static int decode_nicinfo(const uint8_t *m, uint32_t len, char mac[18], uint32_t *addr, uint32_t *prefix,
                          uint32_t *origin, uint32_t *nnics)
{
    static const char head[] = "SetGuestInfo  10 ";
    size_t o = sizeof(head) - 1;
    if (len < o + 12 || memcmp(m, head, o) != 0)
        return -1;
    if (be32(m + o) != 3 || be32(m + o + 4) != 1) /* NIC_INFO_V3, pointer present */
        return -1;
    *nnics = be32(m + o + 8);
    o += 12;
    if (*nnics == 0 || len < o + 4 + 20)
        return -1;
    uint32_t mlen = be32(m + o);
    if (mlen != 17)
        return -1;
    memcpy(mac, m + o + 4, 17);
    mac[17] = 0;
    o += 4 + 20; /* 17 bytes padded to 20 */
    if (len < o + 4 * 12 || be32(m + o) != 1 || be32(m + o + 4) != 1 || be32(m + o + 8) != 4)
        return -1; /* one address, IPv4, 4 bytes */
    *addr = be32(m + o + 12);
    *prefix = be32(m + o + 16);
    if (be32(m + o + 20) != 1)
        return -1;
    *origin = be32(m + o + 24);
    if (be32(m + o + 28) != 1 || be32(m + o + 32) != 1) /* status present, preferred */
        return -1;
    return 0;
}

static void test_vsphere_session(void)
{
    host_reset(true);
    queue("reset");
    queue("ping");
    queue("Capabilities_Register");
    queue("Set_Option synctime 0");
    queue("Set_Option broadcastIP 1");
    queue("OS_Halt");
    struct tclo_session s;
    CHECK_EQ(tclo_open(&s, &port), 0);
    int bad;
    enum tclo_state st = run(&s, 50, &bad);
    CHECK_EQ(bad, 0);
    CHECK_EQ(st, TCLO_STATE_HALT);
    CHECK_EQ(host.nreplies, 6);
    CHECK(strcmp(host.replies[0], "OK ATR toolbox") == 0);
    CHECK(strcmp(host.replies[1], "OK ") == 0);
    CHECK(strcmp(host.replies[2], "OK ") == 0);
    CHECK(strcmp(host.replies[3], "ERROR Unknown or invalid option") == 0);
    CHECK(strcmp(host.replies[4], "OK ") == 0);
    CHECK(strcmp(host.replies[5], "OK ") == 0);
    /* Reports over RPCI: capabilities, the guest-managed version, the halt's status. */
    CHECK(rpci_has("tools.capability.statechange "));
    CHECK(rpci_has("tools.capability.softpowerop_retry "));
    CHECK(rpci_has("tools.set.version 2147483647"));
    CHECK(rpci_has("tools.os.statechange.status 1 1"));
    /* Every RPCI channel was closed again. */
    for (unsigned i = 0; i < MAX_CHANNELS; i++)
        CHECK(!host.ch[i].open || host.ch[i].protocol == TCLO_PROTOCOL);
    /* Idle polls back off to open-vm-tools' 100 ms. */
    CHECK_EQ(s.delay_ms, TCLO_POLL_STEP_MS);
    struct tclo_poll p;
    for (int i = 0; i < 20; i++)
        CHECK_EQ(tclo_poll(&s, &p), 0);
    CHECK_EQ(s.delay_ms, TCLO_POLL_MAX_MS);
    tclo_close(&s);

    host_reset(true);
    queue("OS_Reboot");
    CHECK_EQ(tclo_open(&s, &port), 0);
    CHECK_EQ(run(&s, 10, &bad), TCLO_STATE_REBOOT);
    CHECK(rpci_has("tools.os.statechange.status 1 2"));
    tclo_close(&s);
}

static void test_addresses(void)
{
    host_reset(true);
    struct tclo_nic nics[2] = {
        { { 0x00, 0x50, 0x56, 0x00, 0x00, 0x01 }, 0x0a00020f, 24, true },
        { { 0x00, 0x50, 0x56, 0xab, 0xcd, 0xef }, 0xc0a80105, 16, false },
    };
    CHECK_EQ(tclo_send_addresses(&port, nics, 2), 0);
    CHECK(rpci_has("info-set guestinfo.ip 10.0.2.15"));
    int found = 0;
    for (unsigned i = 0; i < host.nrpci; i++) {
        char mac[18];
        uint32_t addr, prefix, origin, n;
        if (decode_nicinfo(host.rpci[i], host.rpci_len[i], mac, &addr, &prefix, &origin, &n) < 0)
            continue;
        found = 1;
        CHECK(strcmp(mac, "00:50:56:00:00:01") == 0);
        CHECK_EQ(addr, 0x0a00020f);
        CHECK_EQ(prefix, 24);
        CHECK_EQ(origin, 4); /* DHCP */
        CHECK_EQ(n, 2);
    }
    CHECK(found);
    CHECK_EQ(tclo_send_addresses(&port, nics, 0), -EINVAL);
    /* A buffer too small for the list is refused, not overrun. */
    uint8_t small[40];
    CHECK_EQ(tclo_nicinfo_msg(small, sizeof(small), nics, 2), -E2BIG);
    uint8_t big[1024];
    long len = tclo_nicinfo_msg(big, sizeof(big), nics, 1);
    CHECK(len > 0);
    /* Every shorter buffer fails cleanly. */
    for (long cap = 0; cap < len; cap++) {
        uint8_t *b = malloc(cap ? (size_t)cap : 1);
        CHECK_EQ(tclo_nicinfo_msg(b, (size_t)cap, nics, 1), -E2BIG);
        free(b);
    }
}

static void test_hostile_commands(void)
{
    char reply[128];
    struct tclo_action a;
    CHECK_EQ(tclo_dispatch("OS_Halt", 7, reply, sizeof(reply), &a), 3);
    CHECK_EQ(a.state_change, TCLO_STATE_HALT);
    /* Prefixes, suffixes, arguments and embedded bytes are not commands. */
    const char *bad[] = { "OS_Hal", "OS_Halt2", "OS_Halt now", "os_halt", "", " ", "ping ", "reset x",
                          "Set_Option", "Set_Option x", "Set_Option  1", "Set_Option a b c", "\xff\xfe" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        tclo_dispatch(bad[i], strlen(bad[i]), reply, sizeof(reply), &a);
        CHECK(strncmp(reply, "ERROR ", 6) == 0);
        CHECK_EQ(a.state_change, TCLO_STATE_NONE);
        CHECK(!a.register_caps);
    }
    tclo_dispatch("OS_Halt\0junk", 12, reply, sizeof(reply), &a);
    CHECK(strncmp(reply, "ERROR ", 6) == 0 && a.state_change == TCLO_STATE_NONE);
    static char longcmd[TCLO_MAX + 2];
    memset(longcmd, 'A', sizeof(longcmd));
    tclo_dispatch(longcmd, sizeof(longcmd), reply, sizeof(reply), &a);
    CHECK(strcmp(reply, "ERROR Command too long") == 0);
    /* A tiny reply buffer truncates, NUL-terminated. */
    char tiny[4];
    CHECK_EQ(tclo_dispatch("reset", 5, tiny, sizeof(tiny), &a), 3);
    CHECK(tiny[3] == 0);

    /* Through the channel: an unknown command gets an ERROR reply; an
     * oversized one (over RPCI_REPLY_MAX) breaks the channel, which the
     * guest reopens, and the next command still works. */
    host_reset(true);
    static char huge[5000];
    memset(huge, 'x', sizeof(huge));
    host.cmds[0] = "Frobnicate";
    host.cmds[1] = huge;
    host.cmd_len[1] = sizeof(huge);
    host.cmds[2] = "OS_Halt";
    host.ncmds = 3;
    struct tclo_session s;
    CHECK_EQ(tclo_open(&s, &port), 0);
    int bad_polls;
    CHECK_EQ(run(&s, 20, &bad_polls), TCLO_STATE_HALT);
    CHECK_EQ(bad_polls, 1);
    CHECK(strcmp(host.replies[0], "ERROR Unknown Command") == 0);
    tclo_close(&s);
}

static void test_no_tclo(void)
{
    /* QEMU's vmport, or a host without the tools channel. */
    host_reset(false);
    struct tclo_session s;
    CHECK_EQ(tclo_open(&s, &port), -ENODEV);
}

int main(void)
{
    test_vsphere_session();
    test_addresses();
    test_hostile_commands();
    test_no_tclo();
    return check_report("test_vmw_tclo");
}
