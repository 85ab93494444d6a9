/* The page cache over block devices: a fixed pool of 4 KiB pages, found by
 * hash on (device, page index), recycled least recently used. Writes go
 * through to the device at once (in order, in requests of up to 256 KiB)
 * and update the pages they cover; bcache_flush asks the device to make
 * them durable. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "bcache.h"
#include "log.h"
#include "sync.h"

#define NPAGES 512          /* 2 MiB */
#define NBUCKETS 256
#define DIRECT_MIN (16 * BCACHE_PAGE)  /* sector-aligned spans this long skip the cache */
#define BOUNCE_BYTES (256 * 1024)      /* one device request at most */

struct cpage {
    struct block_dev *dev;
    uint64_t index;
    uint8_t *data;
    struct cpage *hnext;
    struct cpage *prev, *next; /* LRU, most recent first */
};

static struct mutex lock = MUTEX_INIT;
static struct cpage pages[NPAGES];
static struct cpage *buckets[NBUCKETS];
static struct cpage lru = { .prev = &lru, .next = &lru };
static uint8_t *bounce;
static int ready;
static uint64_t hits, misses;

static unsigned bucket(const struct block_dev *d, uint64_t index)
{
    return (unsigned)(((uintptr_t)d >> 4) ^ index ^ (index >> 8)) % NBUCKETS;
}

static void lru_unlink(struct cpage *p)
{
    p->prev->next = p->next;
    p->next->prev = p->prev;
}

static void lru_front(struct cpage *p)
{
    p->next = lru.next;
    p->prev = &lru;
    lru.next->prev = p;
    lru.next = p;
}

static int init_locked(void)
{
    if (ready)
        return 0;
    uint8_t *mem = aligned_alloc(BCACHE_PAGE, (size_t)NPAGES * BCACHE_PAGE);
    bounce = aligned_alloc(BCACHE_PAGE, BOUNCE_BYTES);
    if (!mem || !bounce) {
        free(mem);
        free(bounce);
        return -ENOMEM;
    }
    for (unsigned i = 0; i < NPAGES; i++) {
        pages[i].data = mem + (size_t)i * BCACHE_PAGE;
        lru_front(&pages[i]);
    }
    ready = 1;
    return 0;
}

static void unhash(struct cpage *p)
{
    if (!p->dev)
        return;
    struct cpage **pp = &buckets[bucket(p->dev, p->index)];
    while (*pp && *pp != p)
        pp = &(*pp)->hnext;
    if (*pp)
        *pp = p->hnext;
    p->dev = NULL;
}

/* Reads [sector, sector + count) into buf in requests the drivers accept. */
static int dev_read(struct block_dev *dev, uint64_t sector, uint64_t count, uint8_t *buf)
{
    uint64_t max = BOUNCE_BYTES / dev->sector_size;
    while (count) {
        uint32_t n = (uint32_t)(count < max ? count : max);
        struct block_request r = { .op = BLOCK_READ, .sector = sector, .count = n, .buf = bounce };
        int rc = block_sync(dev, &r);
        if (rc < 0) {
            pr_err("bcache: %s: read of %u sectors at %llu failed (%d)\n", dev->name, n,
                   (unsigned long long)sector, rc);
            return -EIO;
        }
        memcpy(buf, bounce, (size_t)n * dev->sector_size);
        buf += (size_t)n * dev->sector_size;
        sector += n;
        count -= n;
    }
    return 0;
}

static struct cpage *get_page(struct block_dev *dev, uint64_t index, int *rc)
{
    for (struct cpage *p = buckets[bucket(dev, index)]; p; p = p->hnext) {
        if (p->dev == dev && p->index == index) {
            hits++;
            lru_unlink(p);
            lru_front(p);
            return p;
        }
    }
    misses++;
    struct cpage *p = lru.prev;
    unhash(p);
    uint64_t per = BCACHE_PAGE / dev->sector_size;
    uint64_t first = index * per;
    uint64_t n = dev->sectors - first < per ? dev->sectors - first : per;
    memset(p->data, 0, BCACHE_PAGE);
    if ((*rc = dev_read(dev, first, n, p->data)) < 0)
        return NULL;
    p->dev = dev;
    p->index = index;
    unsigned b = bucket(dev, index);
    p->hnext = buckets[b];
    buckets[b] = p;
    lru_unlink(p);
    lru_front(p);
    return p;
}

static int read_locked(struct block_dev *dev, uint64_t off, uint8_t *buf, size_t len)
{
    int rc = init_locked();
    if (rc < 0)
        return rc;
    if (!dev->sector_size || dev->sector_size > BCACHE_PAGE || BCACHE_PAGE % dev->sector_size) {
        pr_err("bcache: %s: sector size %u is not supported\n", dev->name, dev->sector_size);
        return -EINVAL;
    }
    uint64_t size = dev->sectors * dev->sector_size;
    if (off > size || len > size - off)
        return -EINVAL;
    while (len) {
        uint64_t index = off / BCACHE_PAGE;
        size_t poff = (size_t)(off % BCACHE_PAGE);
        /* Sector alignment is enough: 1 KiB-block file systems put extents
         * at any 1 KiB boundary. */
        if (off % dev->sector_size == 0 && len >= DIRECT_MIN) {
            size_t n = len - len % dev->sector_size;
            if ((rc = dev_read(dev, off / dev->sector_size, n / dev->sector_size, buf)) < 0)
                return rc;
            off += n, buf += n, len -= n;
            continue;
        }
        struct cpage *p = get_page(dev, index, &rc);
        if (!p)
            return rc;
        size_t n = BCACHE_PAGE - poff < len ? BCACHE_PAGE - poff : len;
        memcpy(buf, p->data + poff, n);
        off += n, buf += n, len -= n;
    }
    return 0;
}

int bcache_read(struct block_dev *dev, uint64_t off, void *buf, size_t len)
{
    mutex_lock(&lock);
    int rc = read_locked(dev, off, buf, len);
    mutex_unlock(&lock);
    return rc;
}

void bcache_stats(uint64_t *h, uint64_t *m)
{
    *h = hits;
    *m = misses;
}

static struct cpage *find_page(struct block_dev *dev, uint64_t index)
{
    for (struct cpage *p = buckets[bucket(dev, index)]; p; p = p->hnext) {
        if (p->dev == dev && p->index == index)
            return p;
    }
    return NULL;
}

static int write_locked(struct block_dev *dev, uint64_t off, const uint8_t *buf, size_t len)
{
    int rc = init_locked();
    if (rc < 0)
        return rc;
    if (dev->read_only)
        return -EROFS;
    uint32_t ss = dev->sector_size;
    uint64_t size = dev->sectors * ss;
    if (!ss || off % ss || len % ss || off > size || len > size - off)
        return -EINVAL;
    while (len) {
        size_t n = len < BOUNCE_BYTES ? len : BOUNCE_BYTES;
        memcpy(bounce, buf, n);
        struct block_request r = { .op = BLOCK_WRITE, .sector = off / ss, .count = (uint32_t)(n / ss), .buf = bounce };
        rc = block_sync(dev, &r);
        if (rc < 0) {
            pr_err("bcache: %s: write of %zu bytes at %llu failed (%d)\n", dev->name, n, (unsigned long long)off, rc);
            return -EIO;
        }
        /* Pages holding these bytes take the new ones. */
        for (uint64_t pos = off; pos < off + n;) {
            uint64_t index = pos / BCACHE_PAGE;
            size_t poff = (size_t)(pos % BCACHE_PAGE);
            size_t m = BCACHE_PAGE - poff < off + n - pos ? BCACHE_PAGE - poff : (size_t)(off + n - pos);
            struct cpage *p = find_page(dev, index);
            if (p)
                memcpy(p->data + poff, buf + (pos - off), m);
            pos += m;
        }
        off += n, buf += n, len -= n;
    }
    return 0;
}

int bcache_write(struct block_dev *dev, uint64_t off, const void *buf, size_t len)
{
    mutex_lock(&lock);
    int rc = write_locked(dev, off, buf, len);
    mutex_unlock(&lock);
    return rc;
}

int bcache_flush(struct block_dev *dev)
{
    if (!dev->can_flush)
        return 0; /* a device without a volatile cache: writes are durable once done */
    struct block_request r = { .op = BLOCK_FLUSH };
    mutex_lock(&lock);
    int rc = block_sync(dev, &r);
    mutex_unlock(&lock);
    if (rc < 0)
        pr_err("bcache: %s: flush failed (%d)\n", dev->name, rc);
    return rc < 0 ? -EIO : 0;
}
