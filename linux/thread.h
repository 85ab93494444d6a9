/* Private to linux/: a Linux thread (a Kestrel thread with a user context,
 * thread->uctx->lthread) as clone, futex and the signal code see it, and the
 * interruptible wait every blocking call uses so a signal can cut it short. */
#ifndef KESTREL_LINUX_THREAD_H
#define KESTREL_LINUX_THREAD_H
#include <stdbool.h>
#include <stdint.h>
#include "irq.h"
#include "sched.h"
#include "abi.h"
#include "signal_frame.h"

/* The thread with this tid in the process, or NULL (scheduler lock held). */
struct lthread *lthread_find_locked(int tid);
/* The first of the process's threads (then ->next), lock held. */
struct lthread *lthread_list_locked(void);

/* Blocks on wq (the caller queued nothing there: this does) with the
 * scheduler lock held, until a wake, the monotonic deadline (0: none) or a
 * signal for this thread: 0, -ETIMEDOUT or -EINTR. A signal pending already
 * returns -EINTR without blocking. Lock held on return. */
int lthread_block_locked(struct waitq *wq, uint64_t deadline_ns);
/* Sleeps ns (nanosleep's core): 0, or -EINTR when a signal came. */
int lthread_sleep_ns(uint64_t ns);

/* linux/signal.c */
/* Is a signal pending that this thread does not block? (lock held) */
bool signal_pending_locked(const struct lthread *t);
/* Raises sig at thread t (tgkill, faults) or at the process (kill: t NULL);
 * wakes a thread blocked interruptibly. Ignored signals are dropped. */
void signal_send(struct lthread *t, int sig, const struct lsig_info *info);
/* signalfd: takes a signal of mask pending for the calling thread (its
 * own or the process's, blocked or not): its number and info, or 0. */
int signal_take(lsigset_t mask, struct lsig_info *info);
/* Is a signal of mask pending for the calling thread? */
bool signal_pending_in(lsigset_t mask);
/* linux/signalfd.c: a signal was raised; signalfds re-check (not under
 * the scheduler lock). */
void signalfd_notify(void);
/* Cuts t's interruptible wait short, or kicks it out of user mode (exit_group). */
void signal_interrupt_locked(struct lthread *t);
/* A CPU fault in user mode becomes a signal for the running thread; with
 * no handler (or blocked) it ends the program. */
void signal_fault(struct int_frame *f, int sig, int code, uint64_t addr);
/* On every return to user mode: delivers what is pending (frame or
 * default action). */
void signal_deliver(struct int_frame *f);
/* The graceful stop (SIGTERM to the program). */
void signal_process(int sig);

/* linux/clone.c */
/* The program's first thread (linux/exec.c's; tid = pid) joins the list. */
void lthread_register_main(struct lthread *t, struct thread *th);
/* linux/process.c: the machine powers off with the program's status. */
void program_exit(int status) __attribute__((noreturn));
/* The running thread leaves (exit): CHILD_CLEARTID cleared and woken. */
void lthread_exit(int code) __attribute__((noreturn));
/* The whole program ends with status (exit_group, fatal signal). */
void lproc_exit_group(int status) __attribute__((noreturn));

/* linux/futex.c: wakes up to nr waiters on uaddr (thread exit). */
long futex_wake_addr(uintptr_t uaddr, int nr);

#endif
