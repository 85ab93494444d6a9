/* net/: the TCP/IP stack's glue to Kestrel — lwIP's OS layer (this file),
 * the netif bridge over net devices, configuration, and the socket extras.
 *
 * lwIP's sys_arch on Kestrel threads: semaphores and mutexes from sync.h,
 * mailboxes as a ring between two counting semaphores, time from the
 * monotonic clock, and a recursive interrupt-safe lock for SYS_ARCH_PROTECT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "clock.h"
#include "cpu.h"
#include "lwip/sys.h"
#include "panic.h"
#include "random.h"

#define NS_PER_MS 1000000ull

void sys_init(void) {}

u32_t sys_now(void) { return (u32_t)(clock_monotonic_ns() / NS_PER_MS); }

uint32_t kestrel_lwip_rand(void)
{
    uint32_t r;
    random_bytes(&r, sizeof(r));
    return r;
}

void kestrel_lwip_assert(const char *msg, const char *file, int line) { panic("lwip: %s (%s:%d)", msg, file, line); }

/* lwIP asks for a lock it may take again while holding it (pbuf_free from
 * inside a protected region), from threads and from interrupt handlers. */
static struct spinlock prot_lock = SPINLOCK_INIT;
static struct cpu *volatile prot_owner;
static unsigned prot_depth;

sys_prot_t sys_arch_protect(void)
{
    uint64_t flags = irq_save();
    struct cpu *me = this_cpu();
    if (prot_owner != me) {
        spin_lock_raw(&prot_lock);
        prot_owner = me;
    }
    prot_depth++;
    return flags;
}

void sys_arch_unprotect(sys_prot_t flags)
{
    if (--prot_depth == 0) {
        prot_owner = NULL;
        spin_unlock_raw(&prot_lock);
    }
    irq_restore(flags);
}

/* ---- semaphores ---- */

err_t sys_sem_new(sys_sem_t *s, u8_t count)
{
    sem_init(&s->sem, count);
    s->valid = true;
    return ERR_OK;
}

void sys_sem_free(sys_sem_t *s) { s->valid = false; }
void sys_sem_signal(sys_sem_t *s) { sem_up(&s->sem); }

/* Waits for the semaphore, at most timeout_ms (0: for ever); returns the
 * milliseconds it waited or SYS_ARCH_TIMEOUT. */
static u32_t timed_down(struct semaphore *sem, u32_t timeout_ms)
{
    uint64_t start = clock_monotonic_ns();
    if (timeout_ms == 0)
        sem_down(sem);
    else if (sem_down_timeout(sem, (uint64_t)timeout_ms * NS_PER_MS) < 0)
        return SYS_ARCH_TIMEOUT;
    uint64_t waited = (clock_monotonic_ns() - start) / NS_PER_MS;
    return waited >= SYS_ARCH_TIMEOUT ? SYS_ARCH_TIMEOUT - 1 : (u32_t)waited;
}

u32_t sys_arch_sem_wait(sys_sem_t *s, u32_t timeout_ms) { return timed_down(&s->sem, timeout_ms); }

/* ---- mutexes ---- */

err_t sys_mutex_new(sys_mutex_t *m)
{
    mutex_init(&m->mutex);
    m->valid = true;
    return ERR_OK;
}

void sys_mutex_lock(sys_mutex_t *m) { mutex_lock(&m->mutex); }
void sys_mutex_unlock(sys_mutex_t *m) { mutex_unlock(&m->mutex); }
void sys_mutex_free(sys_mutex_t *m) { m->valid = false; }

/* ---- mailboxes ---- */

err_t sys_mbox_new(sys_mbox_t *mb, int size)
{
    if (size <= 0)
        size = 64;
    mb->slots = calloc((size_t)size, sizeof(void *));
    if (!mb->slots)
        return ERR_MEM;
    mb->size = (unsigned)size;
    mb->head = mb->tail = 0;
    mb->lock = (struct spinlock)SPINLOCK_INIT;
    sem_init(&mb->items, 0);
    sem_init(&mb->space, size);
    mb->valid = true;
    return ERR_OK;
}

void sys_mbox_free(sys_mbox_t *mb)
{
    free(mb->slots);
    mb->slots = NULL;
    mb->valid = false;
}

static void put(sys_mbox_t *mb, void *msg)
{
    uint64_t flags = spin_lock_irqsave(&mb->lock);
    mb->slots[mb->tail] = msg;
    mb->tail = (mb->tail + 1) % mb->size;
    spin_unlock_irqrestore(&mb->lock, flags);
    sem_up(&mb->items);
}

static void *take(sys_mbox_t *mb)
{
    uint64_t flags = spin_lock_irqsave(&mb->lock);
    void *msg = mb->slots[mb->head];
    mb->head = (mb->head + 1) % mb->size;
    spin_unlock_irqrestore(&mb->lock, flags);
    sem_up(&mb->space);
    return msg;
}

void sys_mbox_post(sys_mbox_t *mb, void *msg)
{
    sem_down(&mb->space);
    put(mb, msg);
}

err_t sys_mbox_trypost(sys_mbox_t *mb, void *msg)
{
    if (!sem_trydown(&mb->space))
        return ERR_MEM;
    put(mb, msg);
    return ERR_OK;
}

err_t sys_mbox_trypost_fromisr(sys_mbox_t *mb, void *msg) { return sys_mbox_trypost(mb, msg); }

u32_t sys_arch_mbox_fetch(sys_mbox_t *mb, void **msg, u32_t timeout_ms)
{
    u32_t waited = timed_down(&mb->items, timeout_ms);
    if (waited == SYS_ARCH_TIMEOUT)
        return SYS_ARCH_TIMEOUT;
    void *m = take(mb);
    if (msg)
        *msg = m;
    return waited;
}

u32_t sys_arch_mbox_tryfetch(sys_mbox_t *mb, void **msg)
{
    if (!sem_trydown(&mb->items))
        return SYS_MBOX_EMPTY;
    void *m = take(mb);
    if (msg)
        *msg = m;
    return 0;
}

/* ---- threads ---- */

struct thread_start {
    lwip_thread_fn fn;
    void *arg;
};

static void *thread_entry(void *p)
{
    struct thread_start st = *(struct thread_start *)p;
    free(p);
    st.fn(st.arg);
    return NULL;
}

sys_thread_t sys_thread_new(const char *name, lwip_thread_fn fn, void *arg, int stacksize, int prio)
{
    (void)prio; /* one priority: the scheduler is round-robin */
    struct thread_start *st = malloc(sizeof(*st));
    if (!st)
        panic("lwip: no memory for thread %s", name);
    st->fn = fn;
    st->arg = arg;
    struct thread *t = thread_create(name, thread_entry, st, stacksize > 0 ? (size_t)stacksize : THREAD_STACK_DEFAULT);
    if (!t)
        panic("lwip: cannot create thread %s", name);
    thread_detach(t);
    return t;
}
