/* The RPCI message channel over the backdoor (command 30): open, send a
 * request, receive the reply, close. Pure protocol: the port accessors come
 * from the caller (drivers/vmw/backdoor.c in the kernel, a model of the
 * channel in tests/unit/test_vmw_rpci.c). Every size and status the
 * hypervisor returns is checked before a byte is copied. A step cut short by
 * a checkpoint is retried from the message's start (RPCI_TRIES). */
#include <string.h>
#include "errno.h"
#include "vmw_backdoor.h"

/* A checkpoint (snapshot, suspend, vMotion) can cut a message short: the
 * host then answers a step without SUCCESS but with the checkpoint bit,
 * and the whole message has to go again from its size (a reply, be asked
 * for again from its size). VMware's guests allow 3 tries; after that the
 * caller gets -EAGAIN and may try later. */
#define RPCI_TRIES 3

static uint16_t status_of(uint32_t reg) { return (uint16_t)(reg >> 16); }

/* A step that did not succeed: worth another try, or broken. */
static int failed(uint16_t st) { return (st & MSG_ST_CPT) ? -EAGAIN : -EIO; }

static void prepare(const struct rpci_channel *ch, struct bdoor_regs *r, unsigned type, uint32_t ebx)
{
    memset(r, 0, sizeof(*r));
    r->ebx = ebx;
    r->ecx = ((uint32_t)type << 16) | BDOOR_CMD_MESSAGE;
    r->edx = (uint32_t)ch->id << 16;
    r->esi = ch->cookie_hi;
    r->edi = ch->cookie_lo;
}

/* A low-bandwidth step; its status word (0 when the call faulted). */
static uint16_t step(struct rpci_channel *ch, unsigned type, uint32_t ebx, struct bdoor_regs *r)
{
    prepare(ch, r, type, ebx);
    if (!ch->port->call(ch->port->ctx, r))
        return 0;
    return status_of(r->ecx);
}

int rpci_open(struct rpci_channel *ch, const struct rpci_port *port)
{
    return rpci_open_protocol(ch, port, RPCI_PROTOCOL);
}

int rpci_open_protocol(struct rpci_channel *ch, const struct rpci_port *port, uint32_t protocol)
{
    memset(ch, 0, sizeof(*ch));
    ch->port = port;
    struct bdoor_regs r;
    if (!(step(ch, MSG_TYPE_OPEN, protocol | GUESTMSG_FLAG_COOKIE, &r) & MSG_ST_SUCCESS))
        return -ENODEV;
    ch->id = (uint16_t)(r.edx >> 16);
    ch->cookie_hi = r.esi;
    ch->cookie_lo = r.edi;
    ch->open = true;
    return 0;
}

void rpci_close(struct rpci_channel *ch)
{
    if (!ch->open)
        return;
    struct bdoor_regs r;
    step(ch, MSG_TYPE_CLOSE, 0, &r);
    ch->open = false;
}

static int send_bytewise(struct rpci_channel *ch, const uint8_t *msg, size_t len)
{
    for (size_t off = 0; off < len; off += 4) {
        uint32_t word = 0;
        memcpy(&word, msg + off, len - off < 4 ? len - off : 4);
        struct bdoor_regs r;
        uint16_t st = step(ch, MSG_TYPE_SENDPAYLOAD, word, &r);
        if (!(st & MSG_ST_SUCCESS))
            return failed(st);
    }
    return 0;
}

static int send_once(struct rpci_channel *ch, const void *msg, size_t len)
{
    struct bdoor_regs r;
    uint16_t st = step(ch, MSG_TYPE_SENDSIZE, (uint32_t)len, &r);
    if (!(st & MSG_ST_SUCCESS))
        return failed(st);
    if (len == 0)
        return 0;
    if (!(st & MSG_ST_HB) || !ch->port->hb_out)
        return send_bytewise(ch, msg, len);
    memset(&r, 0, sizeof(r));
    r.ebx = ((uint32_t)MSG_ST_SUCCESS << 16) | BDOORHB_CMD_MESSAGE;
    r.ecx = (uint32_t)len;
    r.edx = (uint32_t)ch->id << 16;
    r.edi = ch->cookie_lo;
    r.ebp = ch->cookie_hi;
    if (!ch->port->hb_out(ch->port->ctx, &r, msg))
        return -EIO;
    st = status_of(r.ebx);
    return (st & MSG_ST_SUCCESS) ? 0 : failed(st);
}

int rpci_send(struct rpci_channel *ch, const void *msg, size_t len)
{
    if (!ch->open || len > RPCI_REPLY_MAX)
        return -EINVAL;
    int rc = -EAGAIN;
    for (int i = 0; i < RPCI_TRIES && rc == -EAGAIN; i++)
        rc = send_once(ch, msg, len);
    return rc;
}

static int receive_bytewise(struct rpci_channel *ch, uint8_t *buf, size_t len)
{
    for (size_t off = 0; off < len; off += 4) {
        struct bdoor_regs r;
        uint16_t st = step(ch, MSG_TYPE_RECVPAYLOAD, MSG_ST_SUCCESS, &r);
        if (!(st & MSG_ST_SUCCESS))
            return failed(st);
        if (status_of(r.edx) != MSG_TYPE_SENDPAYLOAD)
            return -EPROTO;
        memcpy(buf + off, &r.ebx, len - off < 4 ? len - off : 4);
    }
    return 0;
}

static int receive_hb(struct rpci_channel *ch, uint8_t *buf, size_t len)
{
    struct bdoor_regs r;
    memset(&r, 0, sizeof(r));
    r.ebx = ((uint32_t)MSG_ST_SUCCESS << 16) | BDOORHB_CMD_MESSAGE;
    r.ecx = (uint32_t)len;
    r.edx = (uint32_t)ch->id << 16;
    r.esi = ch->cookie_hi;
    r.ebp = ch->cookie_lo;
    if (!ch->port->hb_in(ch->port->ctx, &r, buf))
        return -EIO;
    uint16_t st = status_of(r.ebx);
    return (st & MSG_ST_SUCCESS) ? 0 : failed(st);
}

static long receive_once(struct rpci_channel *ch, char *buf, size_t cap)
{
    struct bdoor_regs r;
    buf[0] = 0;
    uint16_t st = step(ch, MSG_TYPE_RECVSIZE, 0, &r);
    if (!(st & MSG_ST_SUCCESS))
        return failed(st);
    if (!(st & MSG_ST_DORECV))
        return 0; /* nothing to receive */
    if (status_of(r.edx) != MSG_TYPE_SENDSIZE)
        return -EPROTO;
    uint32_t len = r.ebx;
    if (len > RPCI_REPLY_MAX || len >= cap)
        return -E2BIG; /* left unread: closing the channel drops it */
    int rc = 0;
    if (len)
        rc = (st & MSG_ST_HB) && ch->port->hb_in ? receive_hb(ch, (uint8_t *)buf, len)
                                                 : receive_bytewise(ch, (uint8_t *)buf, len);
    if (rc < 0) {
        buf[0] = 0; /* a reply cut short by a checkpoint is not handed on */
        return rc;
    }
    buf[len] = 0;
    st = step(ch, MSG_TYPE_RECVSTATUS, MSG_ST_SUCCESS, &r);
    if (!(st & MSG_ST_SUCCESS)) {
        buf[0] = 0;
        return failed(st);
    }
    return (long)len;
}

long rpci_receive(struct rpci_channel *ch, char *buf, size_t cap)
{
    if (!ch->open || cap == 0)
        return -EINVAL;
    long rc = -EAGAIN;
    for (int i = 0; i < RPCI_TRIES && rc == -EAGAIN; i++)
        rc = receive_once(ch, buf, cap);
    return rc;
}

long rpci_guestinfo(const struct rpci_port *port, const char *key, char *out, size_t cap)
{
    static const char prefix[] = "info-get guestinfo.";
    char req[128];
    size_t klen = strlen(key);
    if (cap == 0 || klen + sizeof(prefix) > sizeof(req))
        return -EINVAL;
    memcpy(req, prefix, sizeof(prefix) - 1);
    memcpy(req + sizeof(prefix) - 1, key, klen);
    size_t rlen = sizeof(prefix) - 1 + klen;
    struct rpci_channel ch;
    int rc = rpci_open(&ch, port);
    if (rc < 0)
        return rc;
    static char reply[RPCI_REPLY_MAX + 1];
    long n = rpci_send(&ch, req, rlen);
    if (n == 0)
        n = rpci_receive(&ch, reply, sizeof(reply));
    rpci_close(&ch);
    if (n < 0)
        return n;
    /* "1 value" on success, "0 reason" when the key has no value. */
    if (n >= 1 && reply[0] == '0')
        return -ENOENT;
    if (n < 2 || reply[0] != '1' || reply[1] != ' ')
        return -EPROTO;
    size_t vlen = (size_t)n - 2;
    if (vlen >= cap)
        return -E2BIG;
    memcpy(out, reply + 2, vlen);
    out[vlen] = 0;
    return (long)vlen;
}
