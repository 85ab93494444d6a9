/* Pure logic of the futex calls (linux/futex.c): decoding of op and its
 * arguments, and the hash of waiters keyed by user address. No locking here:
 * the caller holds the lock that guards the table (the scheduler lock in the
 * kernel), so compare-and-block and wake are atomic against each other. */
#ifndef KESTREL_LINUX_FUTEX_TABLE_H
#define KESTREL_LINUX_FUTEX_TABLE_H
#include <stdbool.h>
#include <stdint.h>

#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_FD 2
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAKE_OP 5
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

enum futex_kind { FK_WAIT, FK_WAKE, FK_REQUEUE };

/* What one futex() call asks, after validation. */
struct futex_req {
    enum futex_kind kind;
    int cmd;            /* FUTEX_* without the flag bits */
    uintptr_t uaddr, uaddr2;
    uint32_t val;       /* WAIT: expected value; WAKE/REQUEUE: how many to wake */
    uint32_t val3;      /* CMP_REQUEUE: expected value */
    uint32_t bitset;
    int nr_requeue;
    bool cmp;           /* CMP_REQUEUE: compare val3 with *uaddr first */
    bool has_timeout;   /* WAIT: the timeout pointer was not NULL */
    bool timeout_absolute; /* WAIT_BITSET: absolute; WAIT: relative */
    bool clock_realtime;
};

/* Decodes futex(uaddr, op, val, timeout_or_val2, uaddr2, val3). 0, -EINVAL
 * (bad alignment, zero bitset, negative counts), or -ENOSYS (ops Kestrel
 * does not have: PI, FD, WAKE_OP; CLOCK_REALTIME with an op that has no
 * clock). */
int futex_decode(uintptr_t uaddr, int op, uint32_t val, uintptr_t timeout_or_val2,
                 uintptr_t uaddr2, uint32_t val3, struct futex_req *r);

/* A struct timespec as the program gave it, checked: -EINVAL if negative or
 * tv_nsec out of range. Sets *ns (saturating at UINT64_MAX). */
int futex_timespec_ns(int64_t sec, int64_t nsec, uint64_t *ns);

/* The monotonic deadline of a wait: relative timeouts count from mono_now;
 * absolute CLOCK_REALTIME ones are moved onto the monotonic clock with the
 * current offset (real_now - mono_now). Saturates; never below 0. */
uint64_t futex_deadline(const struct futex_req *r, uint64_t ts_ns, uint64_t mono_now,
                        uint64_t real_now);

/* One blocked thread. */
struct futex_waiter {
    struct futex_waiter *next, *prev;
    uintptr_t uaddr;
    uint32_t bitset;
    bool queued;  /* still in the table: not woken */
    void *owner;  /* the kernel's thread / wait queue; opaque here */
};

#define FUTEX_BUCKETS 256
struct futex_table {
    struct futex_waiter *head[FUTEX_BUCKETS];
    struct futex_waiter *tail[FUTEX_BUCKETS];
};

unsigned futex_hash(uintptr_t uaddr);
void futex_enqueue(struct futex_table *t, struct futex_waiter *w);
/* Takes w out if it is still queued (a timed-out or interrupted waiter). */
void futex_dequeue(struct futex_table *t, struct futex_waiter *w);

/* Called for each waiter taken out by a wake, after it is dequeued. */
typedef void (*futex_wake_fn)(struct futex_waiter *w, void *ctx);

/* Wakes up to nr waiters on uaddr whose bitset meets bitset, oldest first.
 * Returns how many. */
int futex_wake(struct futex_table *t, uintptr_t uaddr, uint32_t bitset, uint32_t nr,
               futex_wake_fn fn, void *ctx);
/* Wakes up to nr_wake waiters on uaddr, then moves up to nr_requeue of the
 * rest to uaddr2 (in order). Returns woken + moved, as Linux's CMP_REQUEUE. */
int futex_requeue(struct futex_table *t, uintptr_t uaddr, uintptr_t uaddr2, uint32_t nr_wake,
                  uint32_t nr_requeue, futex_wake_fn fn, void *ctx);
/* Waiters queued on uaddr (tests, debugging). */
int futex_count(const struct futex_table *t, uintptr_t uaddr);

#endif
