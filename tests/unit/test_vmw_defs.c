/* Kestrel's VMware backdoor and RPCI constants (include/vmw_backdoor.h)
 * against the definitions they stand for in open-vm-tools. Debian's
 * open-vm-tools-dev ships none of these headers (only vmGuestLib and
 * libDeployPkg) and the source package's upstream tarball could not be
 * fetched here (docs/vmware.md), so the values are recorded below, each
 * with the open-vm-tools header and the name it has there (read in the
 * vmware/open-vm-tools repository: backdoor_def.h at commit 0073b6ae,
 * guest_msg_def.h and rpcout.h at 169623f7). A constant of ours that drifts
 * from its row fails. */
#include <string.h>
#include "check.h"
#include "vmw_backdoor.h"

#define OVT "open-vm-tools/lib/include/"
#define BACKDOOR OVT "backdoor_def.h"
#define GUESTMSG OVT "guest_msg_def.h"
#define RPCOUT OVT "rpcout.h"

struct row {
    const char *ours;
    unsigned long long value; /* ours */
    const char *theirs;       /* the open-vm-tools name */
    unsigned long long want;  /* its value there */
    const char *source;
};

#define ROW(ours, theirs, want, source) { #ours, (ours), theirs, (want), source }

static const struct row rows[] = {
    ROW(BDOOR_MAGIC, "BDOOR_MAGIC", 0x564D5868, BACKDOOR),
    ROW(BDOOR_PORT, "BDOOR_PORT", 0x5658, BACKDOOR),
    ROW(BDOOR_HB_PORT, "BDOORHB_PORT", 0x5659, BACKDOOR),
    ROW(BDOOR_CMD_GETVERSION, "BDOOR_CMD_GETVERSION", 10, BACKDOOR),
    ROW(BDOOR_CMD_GETBIOSUUID, "BDOOR_CMD_GETUUID", 19, BACKDOOR),
    ROW(BDOOR_CMD_GETMEMSIZE, "BDOOR_CMD_GETMEMSIZE", 20, BACKDOOR),
    ROW(BDOOR_CMD_MESSAGE, "BDOOR_CMD_MESSAGE", 30, BACKDOOR),
    ROW(BDOOR_CMD_GETHZ, "BDOOR_CMD_GETHZ", 45, BACKDOOR),
    ROW(BDOORHB_CMD_MESSAGE, "BDOORHB_CMD_MESSAGE", 0, BACKDOOR),
    ROW(RPCI_PROTOCOL, "RPCI_PROTOCOL_NUM", 0x49435052, RPCOUT),
    ROW(GUESTMSG_FLAG_COOKIE, "GUESTMSG_FLAG_COOKIE", 0x80000000, GUESTMSG),
    /* MessageType, an enum there: OPEN is 0 and the rest follow in order. */
    ROW(MSG_TYPE_OPEN, "MESSAGE_TYPE_OPEN", 0, GUESTMSG),
    ROW(MSG_TYPE_SENDSIZE, "MESSAGE_TYPE_SENDSIZE", 1, GUESTMSG),
    ROW(MSG_TYPE_SENDPAYLOAD, "MESSAGE_TYPE_SENDPAYLOAD", 2, GUESTMSG),
    ROW(MSG_TYPE_RECVSIZE, "MESSAGE_TYPE_RECVSIZE", 3, GUESTMSG),
    ROW(MSG_TYPE_RECVPAYLOAD, "MESSAGE_TYPE_RECVPAYLOAD", 4, GUESTMSG),
    ROW(MSG_TYPE_RECVSTATUS, "MESSAGE_TYPE_RECVSTATUS", 5, GUESTMSG),
    ROW(MSG_TYPE_CLOSE, "MESSAGE_TYPE_CLOSE", 6, GUESTMSG),
    ROW(MSG_ST_SUCCESS, "MESSAGE_STATUS_SUCCESS", 0x0001, GUESTMSG),
    ROW(MSG_ST_DORECV, "MESSAGE_STATUS_DORECV", 0x0002, GUESTMSG),
    ROW(MSG_ST_CPT, "MESSAGE_STATUS_CPT", 0x0010, GUESTMSG),
    ROW(MSG_ST_HB, "MESSAGE_STATUS_HB", 0x0080, GUESTMSG),
};

int main(void)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (r->value != r->want)
            fprintf(stderr, "%s = %#llx, but %s in %s is %#llx\n", r->ours, r->value, r->theirs, r->source, r->want);
        CHECK_EQ(r->value, r->want);
    }
    /* "RPCI" in memory, as the protocol number's comment in rpcout.h says. */
    uint32_t rpci = RPCI_PROTOCOL;
    CHECK(memcmp(&rpci, "RPCI", 4) == 0);
    return check_report("test_vmw_defs");
}
