/* The xenstore client: requests go one at a time through the ring page
 * (HVM_PARAM_STORE_PFN/EVTCHN); a reader thread, woken by the event
 * channel, hands replies to the waiting caller (matched by request id) and
 * watch events to a watch thread, which runs the callbacks so that they may
 * issue requests of their own. A reply that does not come in time fails
 * the request instead of hanging the caller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "log.h"
#include "memory.h"
#include "sched.h"
#include "spinlock.h"
#include "sync.h"
#include "timer.h"
#include "xen.h"
#include "xs_wire.h"

#define REPLY_TIMEOUT_NS 10000000000ull
#define MAX_WATCHES 16
#define WATCH_QUEUE 32
#define PATH_MAX_LEN 256

static volatile struct xenstore_domain_interface *ring;
static unsigned port;
static char home[32];
static struct semaphore ring_event = SEMAPHORE_INIT(0);  /* the channel fired */
static struct semaphore reply_ready = SEMAPHORE_INIT(0); /* a reply (or a timeout) for the caller */
static struct semaphore watch_ready = SEMAPHORE_INIT(0);
static struct mutex request_lock = MUTEX_INIT;
static struct spinlock lock = SPINLOCK_INIT; /* reply, watch queue */
static struct xs_reader reader;
static struct xs_reader reply;
static bool reply_valid;
static uint32_t next_req_id = 1;
static struct {
    char path[PATH_MAX_LEN];
    xs_watch_fn fn;
    void *arg;
} watches[MAX_WATCHES];
static struct {
    char path[PATH_MAX_LEN];
    unsigned slot;
} events[WATCH_QUEUE];
static unsigned events_head, events_tail, events_dropped;

const char *xs_home(void) { return home; }
bool xenstore_ready(void) { return ring != NULL; }

static void ring_irq(unsigned p, void *arg)
{
    (void)p;
    (void)arg;
    sem_up(&ring_event);
}

static void queue_watch_event(const struct xs_reader *m)
{
    const char *parts[2];
    char copy[XENSTORE_PAYLOAD_MAX + 1];
    memcpy(copy, m->body, m->hdr.len + 1);
    if (xs_split(copy, m->hdr.len, parts, 2) < 2)
        return;
    unsigned slot = (unsigned)strtoul(parts[1], NULL, 16);
    if (slot >= MAX_WATCHES || !watches[slot].fn)
        return; /* a watch we dropped; events may trail an unwatch */
    uint64_t f = spin_lock_irqsave(&lock);
    if (events_head - events_tail == WATCH_QUEUE) {
        events_dropped++;
    } else {
        strlcpy(events[events_head % WATCH_QUEUE].path, parts[0], PATH_MAX_LEN);
        events[events_head % WATCH_QUEUE].slot = slot;
        events_head++;
    }
    spin_unlock_irqrestore(&lock, f);
    sem_up(&watch_ready);
}

static void *reader_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sem_down(&ring_event);
        int r;
        while ((r = xs_reader_feed(&reader, ring)) == 1) {
            if (reader.hdr.type == XS_WATCH_EVENT) {
                queue_watch_event(&reader);
            } else {
                uint64_t f = spin_lock_irqsave(&lock);
                memcpy(&reply, &reader, sizeof(reply));
                reply_valid = true;
                spin_unlock_irqrestore(&lock, f);
                sem_up(&reply_ready);
            }
            reader.have = 0;
            evtchn_notify(port); /* room in the response ring */
        }
        if (r < 0) {
            pr_err("xenstore: corrupt response ring (indices or a %u-byte message); giving up on it\n",
                   reader.hdr.len);
            return NULL;
        }
    }
}

static void *watch_thread(void *arg)
{
    (void)arg;
    for (;;) {
        sem_down(&watch_ready);
        uint64_t f = spin_lock_irqsave(&lock);
        if (events_head == events_tail) {
            spin_unlock_irqrestore(&lock, f);
            continue;
        }
        char path[PATH_MAX_LEN];
        strlcpy(path, events[events_tail % WATCH_QUEUE].path, sizeof(path));
        unsigned slot = events[events_tail % WATCH_QUEUE].slot;
        events_tail++;
        spin_unlock_irqrestore(&lock, f);
        xs_watch_fn fn = watches[slot].fn;
        if (fn)
            fn(path, watches[slot].arg);
    }
    return NULL;
}

static void reply_timeout(struct timer *t, void *arg)
{
    (void)t;
    (void)arg;
    sem_up(&reply_ready);
}

static int put_all(const void *data, size_t len)
{
    const uint8_t *d = data;
    uint64_t deadline = clock_monotonic_ns() + REPLY_TIMEOUT_NS;
    while (len) {
        long n = xs_ring_put(ring, d, len);
        if (n < 0)
            return -5;
        d += n;
        len -= (size_t)n;
        evtchn_notify(port);
        if (len && clock_monotonic_ns() > deadline)
            return -5;
        if (len)
            thread_sleep_ns(1000000);
    }
    return 0;
}

/* One request; the reply payload (NUL-terminated) goes to out if given.
 * Returns the payload length, or a negative errno. */
static int request(enum xsd_sockmsg_type type, xs_tx tx, const void *a, size_t alen, const void *b, size_t blen,
                   char *out, size_t out_len)
{
    if (!ring)
        return -19; /* ENODEV */
    if (alen + blen > XENSTORE_PAYLOAD_MAX)
        return -7;
    mutex_lock(&request_lock);
    struct xsd_sockmsg h = { type, next_req_id++, tx, (uint32_t)(alen + blen) };
    int r = put_all(&h, sizeof(h));
    if (!r)
        r = put_all(a, alen);
    if (!r && blen)
        r = put_all(b, blen);
    if (r) {
        mutex_unlock(&request_lock);
        return r;
    }
    struct timer t;
    timer_setup(&t, reply_timeout, NULL);
    uint64_t deadline = clock_monotonic_ns() + REPLY_TIMEOUT_NS;
    timer_arm(&t, deadline);
    r = -110; /* ETIMEDOUT */
    for (;;) {
        sem_down(&reply_ready);
        uint64_t f = spin_lock_irqsave(&lock);
        int match = reply_valid ? xs_reply_check(&reply.hdr, (const char *)reply.body, h.req_id, type) : 1;
        if (reply_valid && match <= 0) {
            reply_valid = false;
            if (match < 0) {
                r = match;
            } else {
                r = (int)reply.hdr.len;
                if (out && out_len) {
                    size_t n = reply.hdr.len < out_len - 1 ? reply.hdr.len : out_len - 1;
                    memcpy(out, reply.body, n);
                    out[n] = 0;
                    if (reply.hdr.len >= out_len)
                        r = -7; /* E2BIG: the caller's buffer is too small */
                }
            }
            spin_unlock_irqrestore(&lock, f);
            break;
        }
        if (reply_valid) {
            pr_warn("xenstore: reply for request %u while waiting for %u, dropped\n", reply.hdr.req_id, h.req_id);
            reply_valid = false;
        }
        spin_unlock_irqrestore(&lock, f);
        if (clock_monotonic_ns() >= deadline) {
            pr_err("xenstore: no reply to request %u (type %u)\n", h.req_id, type);
            break;
        }
    }
    timer_cancel(&t);
    mutex_unlock(&request_lock);
    return r;
}

/* Relative paths are sent as they are: xenstored resolves them against the
 * domain's home. Watches are matched by the absolute path of events. */
static const char *full_path(const char *path, char *buf, size_t len)
{
    if (path[0] == '/' || !home[0])
        return path;
    snprintf(buf, len, "%s/%s", home, path);
    return buf;
}

int xs_read(xs_tx tx, const char *path, char *buf, size_t len)
{
    char p[PATH_MAX_LEN];
    path = full_path(path, p, sizeof(p));
    return request(XS_READ, tx, path, strlen(path) + 1, NULL, 0, buf, len);
}

int xs_read_int(xs_tx tx, const char *path, long *value)
{
    char buf[32], *end;
    int r = xs_read(tx, path, buf, sizeof(buf));
    if (r < 0)
        return r;
    *value = strtol(buf, &end, 10);
    return end == buf || *end ? -22 : 0;
}

int xs_write(xs_tx tx, const char *path, const char *value)
{
    char p[PATH_MAX_LEN];
    path = full_path(path, p, sizeof(p));
    int r = request(XS_WRITE, tx, path, strlen(path) + 1, value, strlen(value), NULL, 0);
    return r < 0 ? r : 0;
}

int xs_rm(xs_tx tx, const char *path)
{
    char p[PATH_MAX_LEN];
    path = full_path(path, p, sizeof(p));
    int r = request(XS_RM, tx, path, strlen(path) + 1, NULL, 0, NULL, 0);
    return r < 0 ? r : 0;
}

int xs_directory(xs_tx tx, const char *path, char *buf, size_t len)
{
    char p[PATH_MAX_LEN];
    path = full_path(path, p, sizeof(p));
    int r = request(XS_DIRECTORY, tx, path, strlen(path) + 1, NULL, 0, buf, len);
    if (r < 0)
        return r;
    return (int)xs_split(buf, (size_t)r, NULL, 0);
}

int xs_transaction_start(xs_tx *tx)
{
    char buf[16], *end;
    int r = request(XS_TRANSACTION_START, XS_NO_TX, "", 1, NULL, 0, buf, sizeof(buf));
    if (r < 0)
        return r;
    unsigned long id = strtoul(buf, &end, 10);
    if (end == buf || id == 0 || id > 0xffffffffu)
        return -5;
    *tx = (xs_tx)id;
    return 0;
}

int xs_transaction_end(xs_tx tx, bool abort)
{
    int r = request(XS_TRANSACTION_END, tx, abort ? "F" : "T", 2, NULL, 0, NULL, 0);
    return r < 0 ? r : 0;
}

int xs_watch(const char *path, xs_watch_fn fn, void *arg)
{
    char p[PATH_MAX_LEN], token[8];
    path = full_path(path, p, sizeof(p));
    for (unsigned i = 0; i < MAX_WATCHES; i++) {
        if (watches[i].fn)
            continue;
        strlcpy(watches[i].path, path, PATH_MAX_LEN);
        watches[i].arg = arg;
        __atomic_store_n(&watches[i].fn, fn, __ATOMIC_RELEASE);
        snprintf(token, sizeof(token), "%x", i);
        int r = request(XS_WATCH, XS_NO_TX, path, strlen(path) + 1, token, strlen(token) + 1, NULL, 0);
        if (r < 0)
            watches[i].fn = NULL;
        return r < 0 ? r : 0;
    }
    return -28;
}

int xs_unwatch(const char *path)
{
    char p[PATH_MAX_LEN], token[8];
    path = full_path(path, p, sizeof(p));
    for (unsigned i = 0; i < MAX_WATCHES; i++) {
        if (!watches[i].fn || strcmp(watches[i].path, path) != 0)
            continue;
        snprintf(token, sizeof(token), "%x", i);
        int r = request(XS_UNWATCH, XS_NO_TX, path, strlen(path) + 1, token, strlen(token) + 1, NULL, 0);
        watches[i].fn = NULL;
        return r < 0 ? r : 0;
    }
    return -2;
}

int xenstore_init(void)
{
    uint64_t pfn, evtchn;
    if (xen_hvm_get_param(HVM_PARAM_STORE_PFN, &pfn) || xen_hvm_get_param(HVM_PARAM_STORE_EVTCHN, &evtchn) ||
        pfn == 0 || evtchn == 0) {
        pr_warn("xenstore: not offered by the toolstack\n");
        return -1;
    }
    volatile struct xenstore_domain_interface *page = ioremap(pfn << 12, PAGE_SIZE);
    if (!page)
        return -1;
    port = (unsigned)evtchn;
    if (!thread_create("xenstore", reader_thread, NULL, 16384) || !thread_create("xenwatch", watch_thread, NULL, 16384))
        return -1;
    ring = page;
    evtchn_bind(port, ring_irq, NULL);
    sem_up(&ring_event); /* anything queued before we listened */
    /* xenstored resolves relative paths against the domain's home itself;
     * the absolute form is for callers that want to print or compare it. */
    char buf[16];
    int domid = xen_domid();
    if (xs_read(XS_NO_TX, "domid", buf, sizeof(buf)) >= 0)
        snprintf(home, sizeof(home), "/local/domain/%s", buf);
    else
        snprintf(home, sizeof(home), "/local/domain/%d", domid < 0 ? 0 : domid);
    pr_info("xenstore: ring at pfn %#llx, port %u, home %s\n", (unsigned long long)pfn, port, home);
    return 0;
}
