/* Private to linux/: what poll, select, epoll, eventfd and timerfd share
 * to wait for readiness: a sleeper a file's wake-up can kick from any
 * context, the timeouts in their three shapes, and the temporary signal
 * mask of ppoll, pselect6 and epoll_pwait. */
#ifndef KESTREL_LINUX_POLL_WAIT_H
#define KESTREL_LINUX_POLL_WAIT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "abi.h"
#include "sched.h"

/* Threads waiting for "something changed". The generation is read before
 * the check, so a change between the check and the sleep is never lost. */
struct lpoll_sleep {
    struct waitq wq;
    unsigned gen;
};
#define LPOLL_SLEEP_INIT { WAITQ_INIT, 0 }
unsigned lpoll_sleep_gen(struct lpoll_sleep *s);
/* Wakes every sleeper: safe with interrupts off, under a file's poll lock. */
void lpoll_sleep_wake(struct lpoll_sleep *s);
/* Sleeps unless the generation moved past seen: 0 (woken or moved),
 * -ETIMEDOUT at the monotonic deadline (0: none), -EINTR on a signal. */
int lpoll_sleep_wait(struct lpoll_sleep *s, unsigned seen, uint64_t deadline);
/* A waiter whose wake kicks the lpoll_sleep in its ctx. */
void lpoll_waiter_init_sleep(struct lpoll_waiter *w, struct lpoll_sleep *s);

/* A relative timeout of ns from now as a monotonic deadline (never 0). */
uint64_t lpoll_deadline_after(uint64_t ns);
/* ns left until deadline (0 once passed). */
uint64_t lpoll_left(uint64_t deadline);

/* ppoll/pselect6/epoll_pwait's mask: installs the mask at umask (NULL:
 * none) for the wait, as rt_sigsuspend does. 0, -EINVAL (size), -EFAULT. */
int lpoll_sigmask_enter(const void *umask, size_t size);
/* After the wait: rc -EINTR (or a restart) leaves the mask for the signal
 * delivery (the handler's frame saves the caller's); else it goes now. */
void lpoll_sigmask_leave(bool entered, long rc);

/* Whether the file is an epoll instance (nesting checks), an eventfd, a
 * timerfd, a signalfd. */
bool lfile_is_epoll(const struct lfile *f);
bool lfile_is_eventfd(const struct lfile *f);
bool lfile_is_timerfd(const struct lfile *f);
bool lfile_is_signalfd(const struct lfile *f);
/* The anonymous inode's name of such a file ("eventpoll", "eventfd",
 * "timerfd", "signalfd": /proc/self/fd links read anon_inode:[NAME]), or
 * NULL for other files. */
const char *lfile_anon_name(const struct lfile *f);
/* fstat of such a file: an anonymous inode (mode 0600, no type bits, as
 * Linux's), its number from the file's private data. */
int lfile_anon_fstat(struct lfile *f, struct vfs_stat *st);

#endif
