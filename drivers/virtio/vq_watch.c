/* The watchdog of a virtqueue whose requests the device may stop taking.
 *
 * Notification suppression (event index, or the NO_NOTIFY flag) is a
 * store-then-load handshake on each side, correct only if both sides'
 * fences are real. QEMU's TCG with one vCPU makes the guest's fences no-ops,
 * so now and then the device's "tell me past N" and the driver's "I
 * published N+1" cross unseen: the kick is skipped, and every later one
 * too, since the device still waits at N (a Redis pipeline stopped for good
 * with 15 frames on virtio-net's transmit ring; tests/README.md, run 14).
 * The same crossing can lose an interrupt. So while requests are on the
 * ring the watchdog looks every period: it runs the driver's interrupt
 * handler, and if nothing completed for a whole period it notifies the
 * device again. A device that is merely slow gets a spare notification,
 * which the specification allows; only a queue still for a second is
 * reported. */
#include <stdlib.h>
#include "clock.h"
#include "cmdline.h"
#include "log.h"
#include "virtio.h"

#define WATCH_NS (10 * 1000 * 1000ull) /* a lost notification costs at most two of these */
#define STUCK_PERIODS 100               /* a second without progress: worth a line */

static void fire(struct timer *t, void *arg)
{
    struct vq_watch *w = arg;
    (void)t;
    w->drain(w->drain_arg);
    uint64_t f = spin_lock_irqsave(w->lock);
    if (w->q->in_flight == 0 || w->q->last_used != w->seen) {
        w->quiet = 0;
        if (w->q->in_flight == 0) {
            w->armed = false;
            spin_unlock_irqrestore(w->lock, f);
            return;
        }
    } else {
        /* Said only under virtio.lose_kick, for the tests (before the
         * notification, so before what it frees can finish): a slow device
         * on a loaded host often looks stalled for a period. */
        if (w->lose_kick && w->rekicks++ == 0)
            pr_info("virtio: %s: queue %u: nothing completed for %u ms; notifying the device again\n", w->name,
                    w->index, (unsigned)(WATCH_NS / 1000000));
        else if (!w->lose_kick)
            w->rekicks++;
        if (++w->quiet == STUCK_PERIODS)
            pr_warn("virtio: %s: queue %u: nothing completed in %u ms with %u requests out; notifying the "
                    "device every %u ms\n", w->name, w->index, STUCK_PERIODS * (unsigned)(WATCH_NS / 1000000),
                    w->q->in_flight, (unsigned)(WATCH_NS / 1000000));
        w->v->ops->notify(w->v, w->index);
    }
    w->seen = w->q->last_used;
    timer_arm(&w->timer, clock_monotonic_ns() + WATCH_NS);
    spin_unlock_irqrestore(w->lock, f);
}

void vq_watch_init(struct vq_watch *w, struct virtio_dev *v, unsigned index, struct virtqueue *q,
                   struct spinlock *lock, void (*drain)(void *), void *drain_arg, const char *name)
{
    *w = (struct vq_watch){ .v = v, .q = q, .index = index, .lock = lock, .drain = drain, .drain_arg = drain_arg,
                            .name = name };
    timer_setup(&w->timer, fire, w);
    /* virtio.lose_kick=N: the Nth notification this queue would send is
     * withheld, as TCG loses one, so a test can prove the recovery. */
    const char *opt = cmdline_param(kernel_options(), "virtio.lose_kick", 0);
    if (!opt)
        return;
    char *end;
    unsigned long n = strtoul(opt, &end, 0);
    if (*end || end == opt)
        pr_warn("virtio: virtio.lose_kick=%s is not a number; ignored\n", opt);
    else
        w->lose_kick = n;
}

void vq_watch_kick(struct vq_watch *w)
{
    if (vq_kick_prepare(w->q)) {
        if (++w->kicks != w->lose_kick)
            w->v->ops->notify(w->v, w->index);
        else
            pr_info("virtio: %s: queue %u: notification %lu withheld (virtio.lose_kick)\n", w->name, w->index,
                    w->kicks);
    }
    if (w->armed)
        return;
    w->armed = true;
    w->seen = w->q->last_used;
    timer_arm(&w->timer, clock_monotonic_ns() + WATCH_NS);
}
