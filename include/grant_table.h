/* Grant table v1 bookkeeping (pure logic, host-tested): entries and the
 * free list. drivers/xen/grant.c maps the frames and adds locking. */
#ifndef KESTREL_GRANT_TABLE_H
#define KESTREL_GRANT_TABLE_H
#include <stdbool.h>
#include <stdint.h>

#define GTF_PERMIT_ACCESS 1
#define GTF_READONLY 4
#define GTF_READING 8
#define GTF_WRITING 16
#define GNTTAB_RESERVED_REFS 8 /* the toolstack's (console, xenstore) */

struct grant_entry {
    uint16_t flags;
    uint16_t domid;
    uint32_t frame;
};

struct gnttab {
    volatile struct grant_entry *table;
    int *next_free;
    unsigned nrefs, in_use;
    int free_head;
};

void gnttab_setup(struct gnttab *g, volatile struct grant_entry *table, int *next_free, unsigned nrefs);
/* A ref granting frame to domid, or -1 when none is free or frame does not fit. */
int gnttab_take(struct gnttab *g, unsigned domid, uint64_t frame, bool readonly);
/* Revokes and frees ref; -1 (ref kept) while the remote side has it mapped
 * or for a ref that is not ours to free. */
int gnttab_release(struct gnttab *g, int ref);

#endif
