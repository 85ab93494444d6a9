/* Spinlocks that also disable interrupts on the local CPU while held. */
#ifndef KESTREL_SPINLOCK_H
#define KESTREL_SPINLOCK_H
#include <stdint.h>
#include "arch/x86.h"

struct spinlock {
    volatile uint32_t locked;
};

#define SPINLOCK_INIT { 0 }

static inline void spin_lock_raw(struct spinlock *l)
{
    while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
            cpu_relax();
    }
}

static inline void spin_unlock_raw(struct spinlock *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }

static inline uint64_t spin_lock_irqsave(struct spinlock *l)
{
    uint64_t flags = irq_save();
    spin_lock_raw(l);
    return flags;
}

static inline void spin_unlock_irqrestore(struct spinlock *l, uint64_t flags)
{
    spin_unlock_raw(l);
    irq_restore(flags);
}

#endif
