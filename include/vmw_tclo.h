/* VMware tools' TCLO channel, guest side: the host's commands arrive as
 * replies to the guest's polls over a message channel opened with the
 * "TCLO" protocol; the guest's own reports go out over RPCI. Pure protocol
 * (drivers/vmw/tclo.c) over a caller-given rpci_port, so that a host test
 * can play vSphere (tests/unit/test_vmw_tclo.c). Message forms and numbers
 * are those of open-vm-tools (rpcin, powerOps plugin, guestInfo, nicinfo.x). */
#ifndef KESTREL_VMW_TCLO_H
#define KESTREL_VMW_TCLO_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmw_backdoor.h"

#define TCLO_PROTOCOL 0x4f4c4354u /* "TCLO" */
/* tools.set.version for tools the VM's owner manages (open-vm-tools'
 * TOOLS_VERSION_UNMANAGED): vSphere shows "guestManaged", never "outdated". */
#define TOOLS_VERSION_GUEST_MANAGED 0x7fffffffu
#define TCLO_MAX 1024 /* longest host command we take; longer ones are refused */
/* open-vm-tools' rpcin back-off: poll again at once after a command, else
 * 10 ms more per idle poll up to 100 ms. */
#define TCLO_POLL_STEP_MS 10
#define TCLO_POLL_MAX_MS 100
#define INFO_IPADDRESS_V3 10 /* SetGuestInfo type of the NIC list (guestInfo.h) */

/* GuestOsState numbers in tools.os.statechange.status. */
enum tclo_state {
    TCLO_STATE_NONE = 0,
    TCLO_STATE_HALT = 1,
    TCLO_STATE_REBOOT = 2,
    TCLO_STATE_POWERON = 3,
    TCLO_STATE_RESUME = 4,
    TCLO_STATE_SUSPEND = 5,
};

/* What a host command asks of the guest beyond its TCLO reply. */
struct tclo_action {
    enum tclo_state state_change; /* report it, then halt or reboot */
    bool register_caps;           /* send capabilities and the version */
    bool publish_addresses;       /* Set_Option broadcastIP 1 */
};

/* One command (cmd[0..len), any bytes): writes the NUL-terminated TCLO
 * reply into reply[cap >= 64] and returns its length. */
size_t tclo_dispatch(const char *cmd, size_t len, char *reply, size_t cap, struct tclo_action *act);

/* An interface to publish. */
struct tclo_nic {
    uint8_t mac[6];
    uint32_t addr; /* host order */
    uint8_t prefix_len;
    bool dhcp;
};
#define TCLO_MAX_NICS 8

/* Builds "SetGuestInfo  10 " + the XDR GuestNicProto (NIC_INFO_V3) for
 * n NICs: its length, or -E2BIG when cap is too small. */
long tclo_nicinfo_msg(uint8_t *buf, size_t cap, const struct tclo_nic *nics, unsigned n);

/* The guest's side of a session. */
struct tclo_session {
    const struct rpci_port *port;
    struct rpci_channel in; /* TCLO */
    char reply[128];        /* the TCLO reply owed with the next poll */
    size_t reply_len;
    unsigned delay_ms;      /* current poll interval */
    bool caps_sent;
};

/* What one poll did. */
struct tclo_poll {
    bool command;                 /* a command came (and was answered next time) */
    enum tclo_state state_change; /* the host asked for this (after reporting it) */
    bool publish_addresses;       /* the host asked for the addresses again */
};

/* Opens the TCLO channel: 0 or -ENODEV (no channel: not VMware). */
int tclo_open(struct tclo_session *s, const struct rpci_port *port);
/* One round: sends the owed reply, receives a command, dispatches it and
 * sends the reports it calls for over RPCI. 0, or <0 when the channel
 * broke (the caller reopens later). s->delay_ms says when to poll again. */
int tclo_poll(struct tclo_session *s, struct tclo_poll *out);
void tclo_close(struct tclo_session *s);

/* One RPCI request and its reply ("1 ..." success, "0 reason" failure):
 * 0 on "1", -EPROTO on "0" or garbage, other <0 from the channel. */
int tclo_rpci(const struct rpci_port *port, const void *msg, size_t len);
/* The reports: version, capabilities, state change status, addresses. */
int tclo_send_version(const struct rpci_port *port);
int tclo_send_capabilities(const struct rpci_port *port);
int tclo_send_state(const struct rpci_port *port, bool success, enum tclo_state st);
/* info-set guestinfo.ip (the first NIC's address) and the NIC list. */
int tclo_send_addresses(const struct rpci_port *port, const struct tclo_nic *nics, unsigned n);

#endif
