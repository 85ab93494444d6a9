/* The block-device registry and the synchronous wrapper over async requests. */
#include "block.h"
#include "log.h"
#include "sync.h"

#define MAX_BLOCK_DEVS 16

static struct block_dev *devs[MAX_BLOCK_DEVS];
static unsigned ndevs;

int block_register(struct block_dev *b)
{
    if (ndevs == MAX_BLOCK_DEVS)
        return -1;
    devs[ndevs++] = b;
    pr_info("block: %s, %llu sectors of %u bytes%s\n", b->name, (unsigned long long)b->sectors, b->sector_size,
            b->read_only ? ", read-only" : "");
    return 0;
}

unsigned block_count(void) { return ndevs; }
struct block_dev *block_get(unsigned i) { return i < ndevs ? devs[i] : NULL; }

static void sync_done(struct block_request *r) { sem_up(r->arg); }

int block_sync(struct block_dev *b, struct block_request *r)
{
    struct semaphore done = SEMAPHORE_INIT(0);
    r->done = sync_done;
    r->arg = &done;
    int rc = b->submit(b, r);
    if (rc < 0)
        return rc;
    sem_down(&done);
    return r->status;
}
