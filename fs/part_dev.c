/* Partition block devices: each partition found on a disk becomes a block
 * device of its own ("vblk0p1"), translating sectors to the parent's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "block.h"
#include "log.h"
#include "part.h"
#include "part_dev.h"

struct part_dev {
    struct block_dev b;
    struct block_dev *parent;
    uint64_t start;
};

struct part_req {
    struct block_request r;
    struct block_request *orig;
};

static void part_done(struct block_request *r)
{
    struct part_req *pr = (struct part_req *)r;
    pr->orig->status = r->status;
    struct block_request *orig = pr->orig;
    free(pr);
    orig->done(orig);
}

static int part_submit(struct block_dev *b, struct block_request *r)
{
    struct part_dev *p = b->priv;
    if (r->op != BLOCK_FLUSH && (r->count == 0 || r->sector >= b->sectors || r->count > b->sectors - r->sector))
        return -EINVAL;
    struct part_req *pr = malloc(sizeof(*pr));
    if (!pr)
        return -ENOMEM;
    pr->r = *r;
    pr->r.sector = r->op == BLOCK_FLUSH ? 0 : r->sector + p->start;
    pr->r.done = part_done;
    pr->orig = r;
    int rc = p->parent->submit(p->parent, &pr->r);
    if (rc < 0)
        free(pr);
    return rc;
}

static int disk_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
    struct block_dev *d = ctx;
    struct block_request r = { .op = BLOCK_READ, .sector = sector, .count = count, .buf = buf };
    if (sector >= d->sectors || count > d->sectors - sector)
        return -EINVAL;
    return block_sync(d, &r);
}

int part_dev_scan(struct block_dev *disk)
{
    struct part_io io = { disk_read, disk, disk->sector_size, disk->sectors };
    struct part_entry found[PART_MAX];
    int n = part_scan(&io, disk->name, found, PART_MAX);
    for (int i = 0; i < n; i++) {
        struct part_dev *p = calloc(1, sizeof(*p));
        if (!p)
            return -ENOMEM;
        snprintf(p->b.name, sizeof(p->b.name), "%sp%d", disk->name, i + 1);
        p->b.sector_size = disk->sector_size;
        p->b.sectors = found[i].count;
        p->b.read_only = disk->read_only;
        p->b.can_flush = disk->can_flush;
        p->b.queue_depth = disk->queue_depth;
        p->b.submit = part_submit;
        p->b.priv = p;
        p->parent = disk;
        p->start = found[i].start;
        pr_info("part: %s: sectors %llu-%llu, %s %#x\n", p->b.name, (unsigned long long)found[i].start,
                (unsigned long long)(found[i].start + found[i].count - 1), found[i].mbr_type ? "MBR type" : "GPT",
                found[i].mbr_type ? found[i].mbr_type : found[i].type_guid[0]);
        if (block_register(&p->b) < 0) {
            pr_warn("part: no room for %s in the block-device table\n", p->b.name);
            free(p);
            return -ENOSPC;
        }
    }
    return n;
}
