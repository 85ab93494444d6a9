/* ENA asynchronous events and health (pure): the AENQ drained within a
 * budget (a device writing past the head it was given cannot hold the
 * driver), the device's time-out hints checked and applied, and the
 * decision to reset: an admin time-out, a missed keep-alive, a fatal
 * error, or a ring's complaint. */
#include <string.h>
#include "ena_com.h"

static void barrier(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

/* ms from the device, or 0 when it is 0 or outside [lo, hi] ms. */
static uint64_t hint_ns(uint16_t ms, unsigned lo, unsigned hi)
{
    if (ms == 0 || ms < lo || ms > hi)
        return 0;
    return ms * 1000000ull;
}

void ena_apply_hints(struct ena_com *c, const struct ena_hw_hints *h)
{
    uint64_t v;
    if ((v = hint_ns(h->admin_completion_timeout, 10, 60000)))
        c->admin_timeout_ns = v;
    if ((v = hint_ns(h->mmio_read_timeout, 1, 10000)))
        c->reg_read_timeout_ns = v;
    if (h->missing_tx_completion_timeout == ENA_HINT_NO_TIMEOUT)
        c->tx_stall_ns = 0;
    else if ((v = hint_ns(h->missing_tx_completion_timeout, 1000, 60000)))
        c->tx_stall_ns = v;
    if (h->driver_watchdog_timeout == ENA_HINT_NO_TIMEOUT)
        c->keepalive_off = true;
    else if ((v = hint_ns(h->driver_watchdog_timeout, 1000, 60000))) {
        c->keepalive_off = false;
        c->keepalive_timeout_ns = v;
    }
    c->hints_applied++;
}

void ena_aenq_drain(struct ena_com *c, unsigned budget, struct ena_aenq_events *ev)
{
    struct ena_aenq *a = &c->aenq;
    unsigned taken = 0;
    ev->more = false;
    for (;;) {
        unsigned i = a->head % ENA_AENQ_DEPTH;
        volatile struct ena_aenq_entry *e = &a->q[i];
        if ((e->flags & 1) != a->phase)
            break;
        if (taken == budget) {
            ev->more = true;
            break;
        }
        barrier();
        uint16_t group = e->group;
        uint32_t d0 = e->data[0];
        a->head++;
        if (a->head % ENA_AENQ_DEPTH == 0)
            a->phase ^= 1;
        taken++;
        switch (group) {
        case ENA_AENQ_KEEP_ALIVE:
            ev->keep_alives++;
            c->last_keepalive_ns = c->bus.now_ns(c->bus.ctx);
            break;
        case ENA_AENQ_LINK_CHANGE:
            ev->link_changes++;
            ev->link_up = d0 & 1;
            break;
        case ENA_AENQ_FATAL_ERROR:
            ev->fatal++;
            ena_request_reset(c, ENA_RESET_GENERIC);
            break;
        case ENA_AENQ_WARNING:
            ev->warnings++;
            break;
        case ENA_AENQ_NOTIFICATION:
            ev->notifications++;
            if (e->syndrome == ENA_NOTIFY_UPDATE_HINTS) {
                struct ena_hw_hints h;
                memcpy(&h, (const void *)e->data, sizeof(h));
                ena_apply_hints(c, &h);
                ev->hints++;
            }
            break;
        default:
            ev->unknown++;
            break;
        }
    }
    if (taken) {
        barrier();
        c->bus.write32(c->bus.ctx, ENA_REG_AENQ_HEAD_DB, a->head);
    }
}

void ena_request_reset(struct ena_com *c, unsigned reason)
{
    if (!c->reset_wanted) {
        c->reset_wanted = true;
        c->reset_reason = reason;
    }
}

bool ena_health_check(struct ena_com *c, uint64_t now_ns)
{
    if (c->reset_wanted)
        return true;
    if ((c->aenq_groups & (1u << ENA_AENQ_KEEP_ALIVE)) && !c->keepalive_off && c->keepalive_timeout_ns &&
        now_ns > c->last_keepalive_ns + c->keepalive_timeout_ns) {
        ena_request_reset(c, ENA_RESET_KEEP_ALIVE_TO);
        return true;
    }
    return false;
}
