/* Grant tables, version 1: frames of 8-byte entries (flags, domid, frame)
 * mapped over pages of our RAM with XENMEM_add_to_physmap. A grant is ended
 * only when the backend no longer has it mapped (GTF_reading/GTF_writing
 * clear); otherwise the ref stays taken so it cannot be handed out again. */
#include "grant_table.h"
#include "log.h"
#include "memory.h"
#include "spinlock.h"
#include "xen.h"

#define MAX_FRAMES 4
#define ENTRIES_PER_FRAME ((unsigned)(PAGE_SIZE / sizeof(struct grant_entry_v1)))

static struct gnttab g;
static struct spinlock lock = SPINLOCK_INIT;

unsigned gnttab_in_use(void) { return g.in_use; }

int gnttab_init(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    if (xen_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (uint64_t)(uintptr_t)&q, 1, 0, 0) ||
        q.status != GNTST_okay) {
        pr_err("xen: grant table size query failed\n");
        return -1;
    }
    unsigned frames = q.max_nr_frames < MAX_FRAMES ? q.max_nr_frames : MAX_FRAMES;
    uint8_t *pages = frames ? pages_alloc(frames, PAGE_SIZE) : NULL;
    int *next_free = pages_alloc((frames * ENTRIES_PER_FRAME * sizeof(int) + PAGE_SIZE - 1) / PAGE_SIZE, PAGE_SIZE);
    if (!pages || !next_free)
        return -1;
    for (unsigned i = 0; i < frames; i++) {
        int r = xen_add_to_physmap(XENMAPSPACE_grant_table, i, ((uint64_t)(uintptr_t)pages >> 12) + i);
        if (r) {
            pr_err("xen: cannot map grant frame %u (%d)\n", i, r);
            if (i == 0)
                return -1;
            frames = i;
            break;
        }
    }
    gnttab_setup(&g, (volatile struct grant_entry_v1 *)pages, next_free, frames * ENTRIES_PER_FRAME);
    pr_debug("xen: grant table of %u frames (%u refs)\n", frames, g.nrefs);
    return 0;
}

int gnttab_grant(unsigned domid, uint64_t frame, bool readonly)
{
    uint64_t f = spin_lock_irqsave(&lock);
    int ref = g.table ? gnttab_take(&g, domid, frame, readonly) : -1;
    spin_unlock_irqrestore(&lock, f);
    return ref;
}

int gnttab_end(int ref)
{
    uint64_t f = spin_lock_irqsave(&lock);
    int r = g.table ? gnttab_release(&g, ref) : -1;
    spin_unlock_irqrestore(&lock, f);
    return r;
}
