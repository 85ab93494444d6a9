/* clone(2) flag checks and the thread cap (pure logic; see clone_args.h). */
#include <stddef.h>
#include "clone_args.h"
#include "errno.h"

/* Memory kept back from threads for the kernel's own needs. */
#define CLONE_RESERVE (4ull << 20)

static int refuse(int err, const char *reason, const char **why)
{
    *why = reason;
    return err;
}

int clone_check(uint64_t flags, uint64_t stack, uint64_t parent_tid, uint64_t child_tid,
                uint64_t tls, struct clone_req *r, const char **why)
{
    *why = NULL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return refuse(-EINVAL, "CLONE_SIGHAND without CLONE_VM", why);
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return refuse(-EINVAL, "CLONE_THREAD without CLONE_SIGHAND", why);
    if (!(flags & CLONE_VM))
        return refuse(-ENOSYS, "fork (no CLONE_VM): one process only", why);
    if (flags & CLONE_VFORK)
        return refuse(-ENOSYS, "vfork: one process only", why);
    if (!(flags & CLONE_THREAD))
        return refuse(-ENOSYS, "a new process sharing memory (no CLONE_THREAD)", why);
    if (flags & ~(CLONE_THREAD_MAY | CSIGNAL))
        return refuse(-ENOSYS, "flags Kestrel does not have (namespaces, pidfd, ptrace...)", why);
    /* A thread has no exit signal; Linux ignores it, but out of range is EINVAL. */
    if ((flags & CSIGNAL) > 64)
        return refuse(-EINVAL, "exit signal out of range", why);
    r->flags = flags;
    r->stack = stack;
    r->parent_tid = parent_tid;
    r->child_tid = child_tid;
    r->tls = tls;
    return 0;
}

bool clone_may_create(unsigned live, uint64_t free_bytes, uint64_t cost, unsigned max_threads)
{
    if (live >= max_threads)
        return false;
    if (free_bytes < CLONE_RESERVE)
        return false;
    return free_bytes - CLONE_RESERVE >= cost;
}
