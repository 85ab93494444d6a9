/* VMware tools' TCLO channel (include/vmw_tclo.h): the host's commands,
 * the replies, and the reports sent over RPCI. Pure protocol over the
 * rpci_port the caller gives; every command from the host is bounded and
 * matched whole, anything else gets an ERROR reply. */
#include <stdio.h>
#include <string.h>
#include "errno.h"
#include "vmw_tclo.h"

#define NIC_INFO_V3 3
#define IAT_IPV4 1
#define IAO_MANUAL 2
#define IAO_DHCP 4
#define IAS_PREFERRED 1
#define XDR_ABSENT 0
#define XDR_PRESENT 1

struct command {
    const char *name;
    enum tclo_state state;
};

/* Power operations (open-vm-tools' state change table), plus OS_PowerOff,
 * which some hosts name instead of OS_Halt. */
static const struct command power_ops[] = {
    { "OS_Halt", TCLO_STATE_HALT },       { "OS_PowerOff", TCLO_STATE_HALT },
    { "OS_Reboot", TCLO_STATE_REBOOT },   { "OS_PowerOn", TCLO_STATE_POWERON },
    { "OS_Resume", TCLO_STATE_RESUME },   { "OS_Suspend", TCLO_STATE_SUSPEND },
};

static size_t set_reply(char *reply, size_t cap, const char *text)
{
    size_t n = strlen(text);
    if (n >= cap)
        n = cap - 1;
    memcpy(reply, text, n);
    reply[n] = 0;
    return n;
}

/* Set_Option NAME VALUE: broadcastIP asks for the addresses again; the
 * options that steer open-vm-tools' plugins mean nothing here. */
static size_t set_option(const char *args, char *reply, size_t cap, struct tclo_action *act)
{
    const char *sp = strchr(args, ' ');
    if (!sp || sp == args || !sp[1] || strchr(sp + 1, ' '))
        return set_reply(reply, cap, "ERROR Invalid arguments");
    size_t nlen = (size_t)(sp - args);
    if (nlen == strlen("broadcastIP") && memcmp(args, "broadcastIP", nlen) == 0) {
        act->publish_addresses = strcmp(sp + 1, "1") == 0;
        return set_reply(reply, cap, "OK ");
    }
    return set_reply(reply, cap, "ERROR Unknown or invalid option");
}

size_t tclo_dispatch(const char *cmd, size_t len, char *reply, size_t cap, struct tclo_action *act)
{
    char buf[TCLO_MAX + 1];
    memset(act, 0, sizeof(*act));
    if (len > TCLO_MAX)
        return set_reply(reply, cap, "ERROR Command too long");
    for (size_t i = 0; i < len; i++) {
        if ((unsigned char)cmd[i] < 0x20 || (unsigned char)cmd[i] > 0x7e)
            return set_reply(reply, cap, "ERROR Unknown Command");
    }
    memcpy(buf, cmd, len);
    buf[len] = 0;
    char *args = strchr(buf, ' ');
    if (args)
        *args++ = 0;
    if (strcmp(buf, "reset") == 0 && !args)
        return set_reply(reply, cap, "OK ATR toolbox");
    if (strcmp(buf, "ping") == 0 && !args)
        return set_reply(reply, cap, "OK ");
    if (strcmp(buf, "Capabilities_Register") == 0) {
        act->register_caps = true;
        return set_reply(reply, cap, "OK ");
    }
    if (strcmp(buf, "Set_Option") == 0)
        return set_option(args ? args : "", reply, cap, act);
    for (size_t i = 0; i < sizeof(power_ops) / sizeof(power_ops[0]); i++) {
        if (strcmp(buf, power_ops[i].name) == 0 && !args) {
            act->state_change = power_ops[i].state;
            return set_reply(reply, cap, "OK ");
        }
    }
    return set_reply(reply, cap, "ERROR Unknown Command");
}

/* ---- XDR (RFC 4506): big-endian words, opaque data padded to 4 ---- */

struct xdr {
    uint8_t *buf;
    size_t cap, len;
    bool overflow;
};

static void put_bytes(struct xdr *x, const void *p, size_t n)
{
    if (x->overflow || n > x->cap - x->len) {
        x->overflow = true;
        return;
    }
    memcpy(x->buf + x->len, p, n);
    x->len += n;
}

static void put_u32(struct xdr *x, uint32_t v)
{
    uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put_bytes(x, b, 4);
}

static void put_opaque(struct xdr *x, const void *p, uint32_t n)
{
    static const uint8_t zero[3];
    put_u32(x, n);
    put_bytes(x, p, n);
    put_bytes(x, zero, (4 - n % 4) % 4);
}

static void put_nic(struct xdr *x, const struct tclo_nic *n)
{
    char mac[18];
    snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
             n->mac[4], n->mac[5]);
    put_opaque(x, mac, 17);
    put_u32(x, 1); /* one IpAddressEntry */
    put_u32(x, IAT_IPV4);
    uint8_t a[4] = { (uint8_t)(n->addr >> 24), (uint8_t)(n->addr >> 16), (uint8_t)(n->addr >> 8), (uint8_t)n->addr };
    put_opaque(x, a, 4);
    put_u32(x, n->prefix_len);
    put_u32(x, XDR_PRESENT);
    put_u32(x, n->dhcp ? IAO_DHCP : IAO_MANUAL);
    put_u32(x, XDR_PRESENT);
    put_u32(x, IAS_PREFERRED);
    for (int i = 0; i < 4; i++) /* no per-NIC DNS, WINS, DHCPv4, DHCPv6 config */
        put_u32(x, XDR_ABSENT);
}

long tclo_nicinfo_msg(uint8_t *buf, size_t cap, const struct tclo_nic *nics, unsigned n)
{
    char head[32];
    int hl = snprintf(head, sizeof(head), "SetGuestInfo  %d ", INFO_IPADDRESS_V3);
    struct xdr x = { buf, cap, 0, false };
    if (n > TCLO_MAX_NICS)
        return -EINVAL;
    put_bytes(&x, head, (size_t)hl);
    put_u32(&x, NIC_INFO_V3);
    put_u32(&x, XDR_PRESENT);
    put_u32(&x, n);
    for (unsigned i = 0; i < n; i++)
        put_nic(&x, &nics[i]);
    put_u32(&x, 0); /* routes */
    for (int i = 0; i < 4; i++) /* no global DNS, WINS, DHCPv4, DHCPv6 config */
        put_u32(&x, XDR_ABSENT);
    return x.overflow ? -E2BIG : (long)x.len;
}

/* ---- reports over RPCI ---- */

int tclo_rpci(const struct rpci_port *port, const void *msg, size_t len)
{
    static char reply[RPCI_REPLY_MAX + 1];
    struct rpci_channel ch;
    int rc = rpci_open(&ch, port);
    if (rc < 0)
        return rc;
    long n = rpci_send(&ch, msg, len);
    if (n == 0)
        n = rpci_receive(&ch, reply, sizeof(reply));
    rpci_close(&ch);
    if (n < 0)
        return (int)n;
    return n >= 1 && reply[0] == '1' ? 0 : -EPROTO;
}

static int send_text(const struct rpci_port *port, const char *text) { return tclo_rpci(port, text, strlen(text)); }

int tclo_send_version(const struct rpci_port *port)
{
    char msg[48];
    snprintf(msg, sizeof(msg), "tools.set.version %u", TOOLS_VERSION_GUEST_MANAGED);
    return send_text(port, msg);
}

int tclo_send_capabilities(const struct rpci_port *port)
{
    static const char *const caps[] = { "tools.capability.statechange ", "tools.capability.softpowerop_retry " };
    int rc = 0;
    for (size_t i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
        int r = send_text(port, caps[i]);
        if (r < 0)
            rc = r;
    }
    return rc;
}

int tclo_send_state(const struct rpci_port *port, bool success, enum tclo_state st)
{
    char msg[48];
    snprintf(msg, sizeof(msg), "tools.os.statechange.status %d %d", success ? 1 : 0, (int)st);
    return send_text(port, msg);
}

int tclo_send_addresses(const struct rpci_port *port, const struct tclo_nic *nics, unsigned n)
{
    if (n == 0 || n > TCLO_MAX_NICS)
        return -EINVAL;
    char msg[64];
    uint32_t a = nics[0].addr;
    snprintf(msg, sizeof(msg), "info-set guestinfo.ip %u.%u.%u.%u", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff,
             a & 0xff);
    int rc = send_text(port, msg);
    static uint8_t info[1024];
    long len = tclo_nicinfo_msg(info, sizeof(info), nics, n);
    int rc2 = len < 0 ? (int)len : tclo_rpci(port, info, (size_t)len);
    return rc < 0 ? rc : rc2;
}

/* ---- the guest's polling session ---- */

int tclo_open(struct tclo_session *s, const struct rpci_port *port)
{
    memset(s, 0, sizeof(*s));
    s->port = port;
    return rpci_open_protocol(&s->in, port, TCLO_PROTOCOL);
}

void tclo_close(struct tclo_session *s) { rpci_close(&s->in); }

static void back_off(struct tclo_session *s)
{
    s->delay_ms += TCLO_POLL_STEP_MS;
    if (s->delay_ms > TCLO_POLL_MAX_MS)
        s->delay_ms = TCLO_POLL_MAX_MS;
}

int tclo_poll(struct tclo_session *s, struct tclo_poll *out)
{
    static char cmd[TCLO_MAX + 1];
    memset(out, 0, sizeof(*out));
    int rc = rpci_send(&s->in, s->reply, s->reply_len);
    if (rc < 0)
        return rc;
    s->reply_len = 0;
    long n = rpci_receive(&s->in, cmd, sizeof(cmd));
    if (n < 0)
        return (int)n; /* an oversized command breaks the channel: reopened */
    if (n == 0) {
        back_off(s);
        return 0;
    }
    struct tclo_action act;
    s->reply_len = tclo_dispatch(cmd, (size_t)n, s->reply, sizeof(s->reply), &act);
    s->delay_ms = 0;
    out->command = true;
    out->publish_addresses = act.publish_addresses;
    if (act.register_caps) {
        tclo_send_capabilities(s->port);
        tclo_send_version(s->port);
        s->caps_sent = true;
    }
    if (act.state_change != TCLO_STATE_NONE) {
        tclo_send_state(s->port, true, act.state_change);
        out->state_change = act.state_change;
    }
    return 0;
}
