/* Grant entries and their free list. Revoking races with the backend
 * mapping the grant, so it is one compare-and-swap of the flags that fails
 * while GTF_reading/GTF_writing are set. */
#include "grant_table.h"

void gnttab_setup(struct gnttab *g, volatile struct grant_entry_v1 *table, int *next_free, unsigned nrefs)
{
    g->table = table;
    g->next_free = next_free;
    g->nrefs = nrefs;
    g->in_use = 0;
    g->free_head = -1;
    for (unsigned r = nrefs; r-- > GNTTAB_NR_RESERVED_ENTRIES;) {
        next_free[r] = g->free_head;
        g->free_head = (int)r;
    }
}

int gnttab_take(struct gnttab *g, unsigned domid, uint64_t frame, bool readonly)
{
    if (g->free_head < 0 || frame > 0xffffffffu || domid > 0xffff)
        return -1;
    int ref = g->free_head;
    g->free_head = g->next_free[ref];
    g->next_free[ref] = -2; /* taken */
    g->in_use++;
    g->table[ref].domid = (uint16_t)domid;
    g->table[ref].frame = (uint32_t)frame;
    __atomic_store_n(&g->table[ref].flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    return ref;
}

int gnttab_release(struct gnttab *g, int ref)
{
    if (ref < GNTTAB_NR_RESERVED_ENTRIES || (unsigned)ref >= g->nrefs || g->next_free[ref] != -2)
        return -1;
    uint16_t flags = __atomic_load_n(&g->table[ref].flags, __ATOMIC_ACQUIRE);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return -1;
    } while (!__atomic_compare_exchange_n(&g->table[ref].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    g->next_free[ref] = g->free_head;
    g->free_head = ref;
    g->in_use--;
    return 0;
}
