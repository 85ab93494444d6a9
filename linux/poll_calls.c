/* poll, ppoll, select and pselect6: one core that attaches a waiter to
 * every file named, checks each file's readiness, and sleeps until a file
 * says it changed, the time-out, or a signal. */
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "linux_consts.h"
#include "poll_sets.h"
#include "poll_wait.h"
#include "signal_frame.h"
#include "uaccess.h"

#define NS_PER_S 1000000000ull

/* The entries' readiness, waiting as the time-out says (deadline 0: none;
 * immediate: do not wait). The number of entries with events, -EBADF
 * (select: a descriptor not open), -ENOMEM or -EINTR. */
static long poll_core(struct lx_pollfd *p, unsigned n, bool select_mode, uint64_t deadline, bool immediate)
{
    struct lfile **files = calloc(n ? n : 1, sizeof(*files));
    struct lpoll_waiter *w = immediate ? NULL : calloc(n ? n : 1, sizeof(*w));
    if (!files || (!immediate && !w)) {
        free(files);
        free(w);
        return -ENOMEM;
    }
    long rc = 0;
    for (unsigned i = 0; i < n; i++) {
        p[i].revents = 0;
        if (p[i].fd < 0)
            continue;
        files[i] = fd_get(p[i].fd);
        if (!files[i] && select_mode) {
            rc = -EBADF;
            goto out;
        }
    }
    struct lpoll_sleep sleep = LPOLL_SLEEP_INIT;
    if (!immediate) {
        for (unsigned i = 0; i < n; i++) {
            if (!files[i])
                continue;
            lpoll_waiter_init_sleep(&w[i], &sleep);
            lfile_poll_add(files[i], &w[i]);
        }
    }
    for (;;) {
        unsigned seen = lpoll_sleep_gen(&sleep);
        long count = 0;
        for (unsigned i = 0; i < n; i++) {
            if (p[i].fd < 0)
                continue;
            unsigned ready = files[i] ? lfile_poll(files[i]) : LX_POLLNVAL;
            p[i].revents = poll_revents(select_mode, p[i].events, ready);
            count += p[i].revents != 0;
        }
        if (count || immediate) {
            rc = count;
            break;
        }
        int e = lpoll_sleep_wait(&sleep, seen, deadline);
        if (e == -ETIMEDOUT) {
            rc = 0;
            break;
        }
        if (e == -EINTR) {
            rc = -EINTR;
            break;
        }
    }
    if (!immediate)
        for (unsigned i = 0; i < n; i++)
            if (files[i])
                lfile_poll_del(files[i], &w[i]);
out:
    for (unsigned i = 0; i < n; i++)
        lfile_put(files[i]);
    free(files);
    free(w);
    return rc;
}

struct lx_timespec {
    int64_t sec, nsec;
};

/* A timespec time-out: -EINVAL when malformed, else *deadline (0: wait
 * forever) and *immediate for a zero one. */
static int timespec_timeout(const void *uts, uint64_t *deadline, bool *immediate)
{
    *deadline = 0;
    *immediate = false;
    if (!uts)
        return 0;
    struct lx_timespec ts;
    if (copy_from_user(&ts, uts, sizeof ts))
        return -EFAULT;
    if (ts.sec < 0 || ts.nsec < 0 || ts.nsec >= (int64_t)NS_PER_S)
        return -EINVAL;
    if (!ts.sec && !ts.nsec) {
        *immediate = true;
        return 0;
    }
    uint64_t ns = (uint64_t)ts.sec > UINT64_MAX / NS_PER_S - 1 ? UINT64_MAX : (uint64_t)ts.sec * NS_PER_S + (uint64_t)ts.nsec;
    *deadline = lpoll_deadline_after(ns);
    return 0;
}

/* ppoll and pselect6 write back what is left of the time-out (Linux does,
 * so a restarted call waits only the rest). usec: as a timeval (select). */
static void write_left(void *ut, uint64_t deadline, bool usec)
{
    if (!ut || !deadline)
        return;
    uint64_t left = lpoll_left(deadline);
    struct lx_timespec ts = { (int64_t)(left / NS_PER_S), (int64_t)(left % NS_PER_S) };
    if (usec)
        ts.nsec /= 1000;
    copy_to_user(ut, &ts, sizeof ts); /* a fault here is ignored, as Linux does */
}

/* poll and ppoll: the entries in, the revents out. */
static long do_poll(void *ufds, unsigned long nfds, uint64_t deadline, bool immediate)
{
    if (nfds > lproc_nofile()) /* Linux: past RLIMIT_NOFILE's soft limit */
        return -EINVAL;
    size_t bytes = nfds * sizeof(struct lx_pollfd);
    struct lx_pollfd *p = malloc(bytes ? bytes : 1);
    if (!p)
        return -ENOMEM;
    long rc = copy_from_user(p, ufds, bytes);
    if (rc == 0)
        rc = poll_core(p, (unsigned)nfds, false, deadline, immediate);
    if (rc >= 0) {
        for (unsigned long i = 0; i < nfds; i++) /* only revents changes */
            if (copy_to_user((uint8_t *)ufds + i * sizeof(*p) + 6, &p[i].revents, 2)) {
                rc = -EFAULT;
                break;
            }
    }
    free(p);
    return rc;
}

SYSCALL_DECL(poll)
{
    int timeout = (int)s->a[2];
    bool immediate = timeout == 0;
    uint64_t deadline = timeout > 0 ? lpoll_deadline_after((uint64_t)timeout * 1000000ull) : 0;
    long rc = do_poll((void *)s->a[0], s->a[1], deadline, immediate);
    /* A wait without an end restarts after a handler-less signal; a timed
     * one reports EINTR (Linux restarts it with the rest of the time). */
    if (rc == -EINTR && !deadline)
        return -ERESTARTNOHAND;
    return rc;
}

SYSCALL_DECL(ppoll)
{
    uint64_t deadline;
    bool immediate;
    int e = timespec_timeout((const void *)s->a[2], &deadline, &immediate);
    if (e)
        return e;
    e = lpoll_sigmask_enter((const void *)s->a[3], s->a[4]);
    if (e)
        return e;
    long rc = do_poll((void *)s->a[0], s->a[1], deadline, immediate);
    write_left((void *)s->a[2], deadline, false);
    if (rc == -EINTR)
        rc = -ERESTARTNOHAND;
    lpoll_sigmask_leave(s->a[3] != 0, rc);
    return rc;
}

/* select and pselect6: the sets in, the ready ones out. */
static long do_select(long nfds, void *uin, void *uout, void *uex, uint64_t deadline, bool immediate)
{
    if (nfds < 0 || nfds > INT32_MAX)
        return -EINVAL;
    if (nfds > LINUX_NOFILE) /* Linux clips to the descriptor table's size */
        nfds = LINUX_NOFILE;
    size_t bytes = LX_FDSET_WORDS(nfds) * sizeof(uint64_t);
    uint64_t *sets = calloc(3 * (bytes / 8) + 1, sizeof(uint64_t));
    struct lx_pollfd *p = malloc(((size_t)nfds + 1) * sizeof(*p));
    long rc = !sets || !p ? -ENOMEM : 0;
    void *user[3] = { uin, uout, uex };
    uint64_t *set[3] = { NULL, NULL, NULL };
    for (int i = 0; i < 3 && rc == 0; i++) {
        if (!user[i])
            continue;
        set[i] = sets + i * (bytes / 8);
        if (copy_from_user(set[i], user[i], bytes))
            rc = -EFAULT;
    }
    if (rc == 0) {
        unsigned n = fdsets_to_pollfds((int)nfds, set[0], set[1], set[2], p);
        rc = poll_core(p, n, true, deadline, immediate);
        if (rc >= 0) {
            rc = pollfds_to_fdsets(p, n, (int)nfds, set[0], set[1], set[2]);
            for (int i = 0; i < 3; i++)
                if (set[i] && copy_to_user(user[i], set[i], bytes))
                    rc = -EFAULT;
        }
    }
    free(sets);
    free(p);
    return rc;
}

SYSCALL_DECL(select)
{
    void *utv = (void *)s->a[4];
    uint64_t deadline = 0;
    bool immediate = false;
    if (utv) {
        struct lx_timespec tv; /* a timeval: sec, usec */
        if (copy_from_user(&tv, utv, sizeof tv))
            return -EFAULT;
        /* Linux carries whole seconds out of tv_usec before checking. */
        int64_t carry = tv.nsec / 1000000;
        if (carry > 0 && tv.sec > INT64_MAX - carry)
            tv.sec = INT64_MAX;
        else if (carry < 0 && tv.sec < INT64_MIN - carry)
            tv.sec = -1;
        else
            tv.sec += carry;
        tv.nsec %= 1000000;
        if (tv.sec < 0 || tv.nsec < 0)
            return -EINVAL;
        immediate = !tv.sec && !tv.nsec;
        if (!immediate) {
            uint64_t ns = (uint64_t)tv.sec > UINT64_MAX / NS_PER_S - 1 ? UINT64_MAX
                                                                        : (uint64_t)tv.sec * NS_PER_S + (uint64_t)tv.nsec * 1000;
            deadline = lpoll_deadline_after(ns);
        }
    }
    long rc = do_select((long)s->a[0], (void *)s->a[1], (void *)s->a[2], (void *)s->a[3], deadline, immediate);
    write_left(utv, deadline, true);
    return rc == -EINTR ? -ERESTARTNOHAND : rc;
}

SYSCALL_DECL(pselect6)
{
    uint64_t deadline;
    bool immediate;
    int e = timespec_timeout((const void *)s->a[4], &deadline, &immediate);
    if (e)
        return e;
    /* The sixth argument: { const sigset_t *ss; size_t ss_len; } or NULL. */
    struct { uint64_t ss, len; } sig = { 0, 0 };
    if (s->a[5] && copy_from_user(&sig, (const void *)s->a[5], sizeof sig))
        return -EFAULT;
    e = lpoll_sigmask_enter((const void *)sig.ss, sig.len);
    if (e)
        return e;
    long rc = do_select((long)s->a[0], (void *)s->a[1], (void *)s->a[2], (void *)s->a[3], deadline, immediate);
    write_left((void *)s->a[4], deadline, false);
    if (rc == -EINTR)
        rc = -ERESTARTNOHAND;
    lpoll_sigmask_leave(sig.ss != 0, rc);
    return rc;
}
