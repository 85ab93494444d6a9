/* lwIP's OS types on Kestrel: semaphores and mutexes are the kernel's own
 * (include/sync.h), a mailbox is a ring between two counting semaphores. */
#ifndef KESTREL_LWIP_SYS_ARCH_H
#define KESTREL_LWIP_SYS_ARCH_H
#include <stdbool.h>
#include "spinlock.h"
#include "sync.h"

typedef struct {
    struct semaphore sem;
    bool valid;
} sys_sem_t;

typedef struct {
    struct mutex mutex;
    bool valid;
} sys_mutex_t;

typedef struct {
    struct semaphore items; /* messages waiting */
    struct semaphore space; /* free slots */
    struct spinlock lock;
    void **slots;
    unsigned size, head, tail;
    bool valid;
} sys_mbox_t;

typedef struct thread *sys_thread_t;
typedef uint64_t sys_prot_t;

#define sys_sem_valid(s) ((s)->valid)
#define sys_sem_set_invalid(s) ((s)->valid = false)
#define sys_mutex_valid(m) ((m)->valid)
#define sys_mutex_set_invalid(m) ((m)->valid = false)
#define sys_mbox_valid(m) ((m)->valid)
#define sys_mbox_set_invalid(m) ((m)->valid = false)

#endif
