/* xenbus: the devices the toolstack put under device/<type>/<id> in
 * xenstore, bound to frontend drivers by type (a XENBUS_DRIVER table like
 * PCI's), and the toolstack's control/shutdown requests (`xl shutdown`,
 * `xl reboot`), which we announce we handle with control/feature-*. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "arch/x86.h"
#include "clock.h"
#include "log.h"
#include "platform.h"
#include "power.h"
#include "sched.h"
#include "stop.h"
#include "xen.h"

#define MAX_XENBUS_DEVICES 16

extern const struct xenbus_driver *const __start_kestrel_xenbus[], *const __stop_kestrel_xenbus[];

static struct xenbus_device devices[MAX_XENBUS_DEVICES];
static unsigned ndevices;

static void control_shutdown(const char *path, void *arg)
{
    (void)path;
    (void)arg;
    char what[32];
    if (xs_read(XS_NO_TX, "control/shutdown", what, sizeof(what)) < 0 || !what[0])
        return;
    xs_write(XS_NO_TX, "control/shutdown", ""); /* acknowledged: the toolstack waits for this */
    pr_info("xen: the toolstack asks for %s\n", what);
    if (strcmp(what, "poweroff") == 0 || strcmp(what, "halt") == 0)
        return stop_request(STOP_POWEROFF, "Xen control/shutdown");
    if (strcmp(what, "reboot") == 0)
        return stop_request(STOP_REBOOT, "Xen control/shutdown");
    pr_warn("xen: shutdown request '%s' not supported\n", what);
}

int xenbus_switch_state(struct xenbus_device *dev, enum xenbus_state state)
{
    char path[96], value[4];
    snprintf(path, sizeof(path), "%s/state", dev->nodename);
    snprintf(value, sizeof(value), "%d", state);
    return xs_write(XS_NO_TX, path, value);
}

static int publish_once(struct xenbus_device *dev, const struct xenbus_key *keys, unsigned n,
                        enum xenbus_state state)
{
    xs_tx tx;
    char path[96], value[4];
    if (xs_transaction_start(&tx) < 0)
        return -1;
    int r = 0;
    for (unsigned i = 0; i < n && r == 0; i++) {
        snprintf(path, sizeof(path), "%s/%s", dev->nodename, keys[i].name);
        r = xs_write(tx, path, keys[i].value);
    }
    snprintf(path, sizeof(path), "%s/state", dev->nodename);
    snprintf(value, sizeof(value), "%d", state);
    if (r == 0)
        r = xs_write(tx, path, value);
    int e = xs_transaction_end(tx, r != 0);
    return r ? -1 : e;
}

int xenbus_publish(struct xenbus_device *dev, const struct xenbus_key *keys, unsigned n, enum xenbus_state state)
{
    for (int attempt = 0; attempt < 10; attempt++) {
        int r = publish_once(dev, keys, n, state);
        if (r != -EAGAIN)
            return r == 0 ? 0 : -1;
    }
    return -1;
}

int xenbus_wait_backend(struct xenbus_device *dev, unsigned mask, uint64_t timeout_ns)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/state", dev->backend);
    uint64_t deadline = clock_monotonic_ns() + timeout_ns;
    for (;;) {
        long state;
        if (xs_read_int(XS_NO_TX, path, &state) == 0 && state >= 0 && state < 32 && (mask & (1u << state)))
            return (int)state;
        if (clock_monotonic_ns() > deadline)
            return -110;
        thread_sleep_ns(2000000);
    }
}

static const struct xenbus_driver *driver_for(const char *type)
{
    for (const struct xenbus_driver *const *d = __start_kestrel_xenbus; d < __stop_kestrel_xenbus; d++) {
        if (strcmp((*d)->type, type) == 0)
            return *d;
    }
    return NULL;
}

static void add_device(const char *type, const char *id)
{
    if (ndevices == MAX_XENBUS_DEVICES)
        return;
    struct xenbus_device *d = &devices[ndevices];
    memset(d, 0, sizeof(*d));
    strlcpy(d->type, type, sizeof(d->type));
    snprintf(d->nodename, sizeof(d->nodename), "device/%s/%s", type, id);
    char path[96];
    long backend_id;
    snprintf(path, sizeof(path), "%s/backend", d->nodename);
    if (xs_read(XS_NO_TX, path, d->backend, sizeof(d->backend)) < 0 || d->backend[0] != '/')
        return;
    snprintf(path, sizeof(path), "%s/backend-id", d->nodename);
    if (xs_read_int(XS_NO_TX, path, &backend_id) < 0 || backend_id < 0 || backend_id >= 0x7ff0)
        return;
    d->backend_id = (int)backend_id;
    ndevices++;
    const struct xenbus_driver *drv = driver_for(type);
    pr_info("xenbus: %s (backend %s, domain %d)%s\n", d->nodename, d->backend, d->backend_id,
            drv ? "" : ", no driver");
    if (drv && drv->attach(d) < 0)
        pr_warn("xenbus: %s: %s driver failed\n", d->nodename, type);
}

/* The device model's unplug protocol (Xen's hvm-emulated-unplug): port
 * 0x10 answers a magic number on HVM; writing a mask there removes the
 * emulated IDE disks and NICs that shadow the PV ones. Nothing on PVH. */
#define UNPLUG_PORT 0x10
#define UNPLUG_MAGIC 0x49d2
#define UNPLUG_IDE_DISKS 1
#define UNPLUG_NICS 2

static void unplug_emulated(bool disks, bool nics)
{
    if (!(disks || nics) || inw(UNPLUG_PORT) != UNPLUG_MAGIC)
        return;
    uint16_t mask = (uint16_t)((disks ? UNPLUG_IDE_DISKS : 0) | (nics ? UNPLUG_NICS : 0));
    outw(UNPLUG_PORT, mask);
    pr_info("xen: emulated %s unplugged in favour of PV devices\n",
            disks && nics ? "disks and NICs" : disks ? "disks" : "NICs");
}

int xenbus_probe(void)
{
    if (xenstore_init() < 0)
        return -1;
    if (gnttab_init() < 0)
        pr_warn("xen: no grant table: front-ends cannot work\n");
    xs_write(XS_NO_TX, "control/feature-poweroff", "1");
    xs_write(XS_NO_TX, "control/feature-reboot", "1");
    xs_watch("control/shutdown", control_shutdown, NULL);
    static char types[512], ids[512];
    int nt = xs_directory(XS_NO_TX, "device", types, sizeof(types));
    const char *t = types;
    for (int i = 0; i < nt; i++, t += strlen(t) + 1) {
        char path[64];
        snprintf(path, sizeof(path), "device/%s", t);
        int ni = xs_directory(XS_NO_TX, path, ids, sizeof(ids));
        const char *id = ids;
        for (int j = 0; j < ni; j++, id += strlen(id) + 1)
            add_device(t, id);
    }
    bool vbd = false, vif = false;
    for (unsigned i = 0; i < ndevices; i++) {
        vbd |= strcmp(devices[i].type, "vbd") == 0 && devices[i].priv;
        vif |= strcmp(devices[i].type, "vif") == 0 && devices[i].priv;
    }
    unplug_emulated(vbd, vif);
    return (int)ndevices;
}
