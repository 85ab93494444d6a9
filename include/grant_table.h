/* Grant table v1 bookkeeping (pure logic, host-tested): entries and the
 * free list. drivers/xen/grant.c maps the frames and adds locking. The
 * entry layout and flags are Xen's (grant_table.h: struct grant_entry_v1,
 * GTF_*); the first GNTTAB_NR_RESERVED_ENTRIES refs are the toolstack's. */
#ifndef KESTREL_GRANT_TABLE_H
#define KESTREL_GRANT_TABLE_H
#include <stdbool.h>
#include <stdint.h>
#include "xen_abi.h"

struct gnttab {
    volatile struct grant_entry_v1 *table;
    int *next_free;
    unsigned nrefs, in_use;
    int free_head;
};

void gnttab_setup(struct gnttab *g, volatile struct grant_entry_v1 *table, int *next_free, unsigned nrefs);
/* A ref granting frame to domid, or -1 when none is free or frame does not fit. */
int gnttab_take(struct gnttab *g, unsigned domid, uint64_t frame, bool readonly);
/* Revokes and frees ref; -1 (ref kept) while the remote side has it mapped
 * or for a ref that is not ours to free. */
int gnttab_release(struct gnttab *g, int ref);

#endif
