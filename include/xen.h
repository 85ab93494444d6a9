/* Xen guest support (drivers/xen/): hypercalls, shared info, event channels,
 * grant tables and the xenstore client, x86_64 HVM/PVH guests. Numbers and
 * layouts are Xen's public headers' (xen_abi.h); this is Kestrel's own API. */
#ifndef KESTREL_XEN_H
#define KESTREL_XEN_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "xen_abi.h"

/* Early: CPUID says Xen (sets up the debug-port console). Safe before memory. */
bool xen_detect(void);
bool xen_present(void);
/* Hypercall page, shared info, Xen clock, event delivery, PV console. */
int xen_init(void);
uint32_t xen_version(void); /* major << 16 | minor */
uint64_t xen_tsc_khz(void); /* 0 when Xen does not say */
uint32_t xen_hvm_features(void); /* CPUID leaf base+4 EAX */
void evtchn_cpu_init(void);        /* per-vCPU event delivery, on each vCPU */
int xen_domid(void);        /* from CPUID, or -1 */

long xen_hypercall(unsigned nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);
int xen_hvm_get_param(uint32_t index, uint64_t *value);
int xen_hvm_set_param(uint32_t index, uint64_t value);
/* XENMEM_add_to_physmap for this domain (space: XENMAPSPACE_shared_info, _grant_table). */
int xen_add_to_physmap(unsigned space, uint64_t idx, uint64_t gpfn);
void xen_shutdown(unsigned reason);
/* Platform hooks: SCHEDOP_shutdown, falling back to ACPI/reset if it returns. */
void xen_power_off(int status);
void xen_reboot(void);
void xen_crash(void);
volatile struct shared_info *xen_shared_info(void);

/* Event channels: handlers run in interrupt context on CPU 0. */
typedef void (*evtchn_handler_fn)(unsigned port, void *arg);
int evtchn_bind(unsigned port, evtchn_handler_fn fn, void *arg); /* and unmask */
int evtchn_bind_virq(unsigned virq, unsigned vcpu, evtchn_handler_fn fn, void *arg); /* port or <0 */
int evtchn_alloc_unbound(unsigned remote_domid);                                        /* port or <0 */
void evtchn_notify(unsigned port);
void evtchn_mask(unsigned port);
void evtchn_unmask(unsigned port);
unsigned long evtchn_upcalls(void);

/* Grant tables v1. */
int gnttab_init(void);
/* A grant of frame (a guest page frame number) to domid; ref or <0. */
int gnttab_grant(unsigned domid, uint64_t frame, bool readonly);
/* Ends a grant; -1 (and the ref stays taken) while the backend still maps it. */
int gnttab_end(int ref);
unsigned gnttab_in_use(void);

/* xenstore client. Paths not starting with '/' are relative to the domain's
 * home, /local/domain/<id>. Values are NUL-terminated text. */
typedef uint32_t xs_tx;
#define XS_NO_TX 0
int xenstore_init(void);
bool xenstore_ready(void);
int xs_read(xs_tx tx, const char *path, char *buf, size_t len);
int xs_read_int(xs_tx tx, const char *path, long *value);
int xs_write(xs_tx tx, const char *path, const char *value);
int xs_rm(xs_tx tx, const char *path);
/* Child names, NUL-separated, in buf; returns how many. */
int xs_directory(xs_tx tx, const char *path, char *buf, size_t len);
int xs_transaction_start(xs_tx *tx);
/* -EAGAIN: conflicting change, run the transaction again. */
int xs_transaction_end(xs_tx tx, bool abort);
/* fn runs in the watch thread with the path that changed (once at first). */
typedef void (*xs_watch_fn)(const char *path, void *arg);
int xs_watch(const char *path, xs_watch_fn fn, void *arg);
int xs_unwatch(const char *path);
/* The domain's home path, e.g. "/local/domain/5". */
const char *xs_home(void);

/* xenbus: frontends bound by device type through a table like PCI's. */
struct xenbus_device {
    char type[16];
    char nodename[64];  /* device/vif/0 */
    char backend[128];  /* /local/domain/0/backend/vif/5/0 */
    int backend_id;
    void *priv;
};
struct xenbus_driver {
    const char *type; /* "vif", "vbd", "console" */
    int (*attach)(struct xenbus_device *dev);
};
#define XENBUS_DRIVER(var)                                                                      \
    static const struct xenbus_driver var;                                                      \
    static const struct xenbus_driver *const var##_entry                                        \
        __attribute__((used, section(".kestrel.xenbus." #var))) = &var;                         \
    static const struct xenbus_driver var
/* States are io/xenbus.h's enum xenbus_state (XenbusStateInitWait, ...). */
int xenbus_probe(void);
int xenbus_switch_state(struct xenbus_device *dev, enum xenbus_state state);
/* A front-end's keys under its node, then its state, in one xenstore
 * transaction (run again when xenstored reports a conflict). */
struct xenbus_key {
    const char *name;
    char value[24];
};
int xenbus_publish(struct xenbus_device *dev, const struct xenbus_key *keys, unsigned n, enum xenbus_state state);
/* Waits (up to timeout_ns) for the backend to reach a state in mask (1 << state). */
int xenbus_wait_backend(struct xenbus_device *dev, unsigned mask, uint64_t timeout_ns);

#endif
