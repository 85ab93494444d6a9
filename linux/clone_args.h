/* Pure logic of clone(2) (linux/clone.c): which flag sets Kestrel runs (a
 * thread of the one process, as pthread_create and the Go runtime ask), which
 * it refuses and why, and the thread cap. */
#ifndef KESTREL_LINUX_CLONE_ARGS_H
#define KESTREL_LINUX_CLONE_ARGS_H
#include <stdbool.h>
#include <stdint.h>

#define CSIGNAL 0x000000ffull
#define CLONE_VM 0x00000100ull
#define CLONE_FS 0x00000200ull
#define CLONE_FILES 0x00000400ull
#define CLONE_SIGHAND 0x00000800ull
#define CLONE_PIDFD 0x00001000ull
#define CLONE_PTRACE 0x00002000ull
#define CLONE_VFORK 0x00004000ull
#define CLONE_PARENT 0x00008000ull
#define CLONE_THREAD 0x00010000ull
#define CLONE_NEWNS 0x00020000ull
#define CLONE_SYSVSEM 0x00040000ull
#define CLONE_SETTLS 0x00080000ull
#define CLONE_PARENT_SETTID 0x00100000ull
#define CLONE_CHILD_CLEARTID 0x00200000ull
#define CLONE_DETACHED 0x00400000ull
#define CLONE_UNTRACED 0x00800000ull
#define CLONE_CHILD_SETTID 0x01000000ull

/* A thread: what must be set. */
#define CLONE_THREAD_NEEDS (CLONE_VM | CLONE_SIGHAND | CLONE_THREAD)
/* What may come with it (CLONE_DETACHED and CLONE_UNTRACED are ignored by
 * Linux too). */
#define CLONE_THREAD_MAY (CLONE_THREAD_NEEDS | CLONE_FS | CLONE_FILES | CLONE_SYSVSEM | \
                          CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |      \
                          CLONE_CHILD_SETTID | CLONE_DETACHED | CLONE_UNTRACED)

struct clone_req {
    uint64_t flags;
    uint64_t stack;      /* the child's rsp; 0: the parent's */
    uint64_t parent_tid; /* user address (PARENT_SETTID) */
    uint64_t child_tid;  /* user address (CHILD_SETTID / CHILD_CLEARTID) */
    uint64_t tls;        /* the child's FS base (SETTLS) */
};

/* clone(flags, stack, parent_tid, child_tid, tls) checked: 0 for a thread
 * Kestrel runs; -EINVAL for what Linux refuses too (SIGHAND without VM,
 * THREAD without SIGHAND, an exit signal out of range); -ENOSYS for a new
 * process (no CLONE_VM: fork; CLONE_VFORK; VM without THREAD) or a flag
 * Kestrel lacks (namespaces, pidfd, ptrace). *why names the reason for the
 * log when it is not 0. */
int clone_check(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                uint64_t tls, struct clone_req *r, const char **why);

/* May another thread be made? live: Linux threads now; free_bytes: free
 * memory; cost: what one thread takes (stacks, context). Keeps a reserve so
 * the kernel itself is never starved: EAGAIN comes first. */
bool clone_may_create(unsigned live, uint64_t free_bytes, uint64_t cost, unsigned max_threads);

#endif
