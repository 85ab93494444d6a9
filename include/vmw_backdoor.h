/* The VMware backdoor: I/O port 0x5658 (and 0x5659 for bulk transfers) with
 * magic 0x564D5868 in EAX; the command number goes in ECX. Command numbers
 * are those of open-vm-tools' backdoor_def.h. Also the RPCI message channel
 * (command 30) as pure protocol over a caller-given port, so host tests can
 * drive it against a model of the channel. */
#ifndef KESTREL_VMW_BACKDOOR_H
#define KESTREL_VMW_BACKDOOR_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BDOOR_MAGIC 0x564D5868u
#define BDOOR_PORT 0x5658
#define BDOOR_HB_PORT 0x5659
#define BDOOR_CMD_GETVERSION 10
#define BDOOR_CMD_GETBIOSUUID 19
#define BDOOR_CMD_GETMEMSIZE 20
#define BDOOR_CMD_MESSAGE 30
#define BDOOR_CMD_GETHZ 45

struct bdoor_regs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
};

/* One backdoor call: the caller sets ebx, ecx, edx's high half, esi, edi;
 * the magic and the port are filled in. Returns false (registers as they
 * went in) when the `in` faulted. Only call when another signal says
 * VMware: elsewhere the port may be anything. */
bool vmw_bdoor_call(struct bdoor_regs *r);
/* The backdoor's version (GETVERSION), or -1 when the port does not answer
 * with the magic. */
int64_t vmw_bdoor_version(void);
/* TSC and APIC bus rates from GETHZ; -1 when not offered. */
int vmw_bdoor_gethz(uint64_t *tsc_hz, uint64_t *apic_hz);
/* Logs GETBIOSUUID and GETMEMSIZE at debug level. */
void vmw_bdoor_log_info(void);

/* The real channel through the backdoor (kernel only). */
struct rpci_port;
extern const struct rpci_port vmw_rpci_port;

/* ---- RPCI message channel (pure protocol) ---- */
#define RPCI_PROTOCOL 0x49435052u /* "RPCI" */
#define GUESTMSG_FLAG_COOKIE 0x80000000u
#define MSG_TYPE_OPEN 0
#define MSG_TYPE_SENDSIZE 1
#define MSG_TYPE_SENDPAYLOAD 2
#define MSG_TYPE_RECVSIZE 3
#define MSG_TYPE_RECVPAYLOAD 4
#define MSG_TYPE_RECVSTATUS 5
#define MSG_TYPE_CLOSE 6
#define MSG_ST_SUCCESS 0x0001
#define MSG_ST_DORECV 0x0002
#define MSG_ST_CPT 0x0010
#define MSG_ST_HB 0x0080
#define BDOORHB_CMD_MESSAGE 0

/* How the channel reaches the hypervisor: a low-bandwidth call (port
 * 0x5658, `in`) and the high-bandwidth transfers (port 0x5659, `rep outsb`
 * from buf / `rep insb` into buf, ECX bytes). Each returns false when the
 * instruction faulted. */
struct rpci_port {
    bool (*call)(void *ctx, struct bdoor_regs *r);
    bool (*hb_out)(void *ctx, struct bdoor_regs *r, const void *buf);
    bool (*hb_in)(void *ctx, struct bdoor_regs *r, void *buf);
    void *ctx;
};

struct rpci_channel {
    const struct rpci_port *port;
    uint16_t id;
    uint32_t cookie_hi, cookie_lo;
    bool open;
};

#define RPCI_REPLY_MAX 4096

/* 0, or a negative error: -ENODEV (no channel), -EIO (protocol error),
 * -EAGAIN (a checkpoint interrupted every one of the tries). */
int rpci_open(struct rpci_channel *ch, const struct rpci_port *port);
/* The same with another protocol (TCLO_PROTOCOL: include/vmw_tclo.h). */
int rpci_open_protocol(struct rpci_channel *ch, const struct rpci_port *port, uint32_t protocol);
int rpci_send(struct rpci_channel *ch, const void *msg, size_t len);
/* Receives one reply into buf (NUL-terminated); its length, or <0. A reply
 * longer than cap - 1 is refused (-E2BIG) after being drained. */
long rpci_receive(struct rpci_channel *ch, char *buf, size_t cap);
void rpci_close(struct rpci_channel *ch);
/* "info-get guestinfo.KEY": the value (NUL-terminated) in out, its length;
 * -ENOENT when the key has no value, other <0 errors as above. */
long rpci_guestinfo(const struct rpci_port *port, const char *key, char *out, size_t cap);

#endif
