/* blkthreads START THREADS ROUNDS: on the first block device, each thread
 * owns 8 sectors from START + 8 * its index and, ROUNDS times, writes its
 * pattern for the round, reads it back and compares, so requests from
 * every CPU are in flight together (a multi-queue driver's queues and locks
 * all get used). A starved vCPU (a busy host) may not have run a worker
 * by the last round: workers then repeat the last round, for up to 20 s,
 * until every CPU has submitted. Prints the CPUs that submitted; the
 * harness checks the last round's pattern on the image. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include "block.h"
#include "clock.h"
#include "cpu.h"
#include "sched.h"

int ktest_blkthreads(int argc, char **argv);

struct blk_worker {
    struct block_dev *b;
    uint64_t first;
    unsigned rounds;
    long errors;
    uint64_t cpus; /* bit per CPU id seen at submit time */
};

#define SPREAD_NS 20000000000ull

static uint64_t seen_cpus; /* every worker's submissions, bit per CPU id */
static uint64_t spread_deadline;

static bool every_cpu_seen(void)
{
    uint64_t all = ncpus >= 64 ? ~0ull : (1ull << ncpus) - 1;
    return (__atomic_load_n(&seen_cpus, __ATOMIC_RELAXED) & all) == all;
}

static void note_cpu(struct blk_worker *w)
{
    uint64_t bit = 1ull << (this_cpu()->id & 63);
    w->cpus |= bit;
    __atomic_fetch_or(&seen_cpus, bit, __ATOMIC_RELAXED);
}

static uint8_t round_pattern(uint64_t sector, unsigned k, unsigned round)
{
    return (uint8_t)(sector * 31 + k * 7 + round * 13 + 3);
}

static void *blk_worker(void *arg)
{
    struct blk_worker *w = arg;
    uint32_t ss = w->b->sector_size;
    uint8_t *wb = aligned_alloc(4096, 8 * ss), *rb = aligned_alloc(4096, 8 * ss);
    if (!wb || !rb) {
        w->errors++;
        return NULL;
    }
    for (unsigned i = 0;; i++) {
        unsigned r = i < w->rounds ? i : w->rounds - 1;
        for (unsigned s = 0; s < 8; s++)
            for (unsigned k = 0; k < ss; k++)
                wb[s * ss + k] = round_pattern(w->first + s, k, r);
        note_cpu(w);
        struct block_request wr = { BLOCK_WRITE, w->first, 8, wb, NULL, NULL, 0 };
        w->errors += block_sync(w->b, &wr) != 0;
        note_cpu(w);
        struct block_request rd = { BLOCK_READ, w->first, 8, rb, NULL, NULL, 0 };
        w->errors += block_sync(w->b, &rd) != 0;
        for (unsigned k = 0; k < 8 * ss; k++)
            w->errors += rb[k] != wb[k];
        if (i + 1 >= w->rounds && (every_cpu_seen() || clock_monotonic_ns() > spread_deadline))
            break;
    }
    free(wb);
    free(rb);
    return NULL;
}

int ktest_blkthreads(int argc, char **argv)
{
    uint64_t start = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
    unsigned n = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 4;
    unsigned rounds = argc > 4 ? (unsigned)strtoul(argv[4], NULL, 0) : 16;
    struct block_dev *b = block_get(0);
    if (!b || n == 0 || n > 32 || rounds == 0 || start + 8ull * n > b->sectors)
        return 2;
    seen_cpus = 0;
    spread_deadline = clock_monotonic_ns() + SPREAD_NS;
    struct blk_worker w[32];
    struct thread *t[32];
    for (unsigned i = 0; i < n; i++) {
        w[i] = (struct blk_worker){ b, start + 8ull * i, rounds, 0, 0 };
        t[i] = thread_create("blk-worker", blk_worker, &w[i], 0);
    }
    long errors = 0;
    uint64_t cpus = 0;
    for (unsigned i = 0; i < n; i++) {
        if (t[i])
            thread_join(t[i]);
        errors += t[i] ? w[i].errors : 1;
        cpus |= w[i].cpus;
    }
    unsigned used = 0;
    for (; cpus; cpus &= cpus - 1)
        used++;
    printf("blkthreads: %s threads=%u rounds=%u errors=%ld cpus_used=%u cpus=%u\n", b->name, n, rounds, errors, used,
           ncpus);
    return errors ? 1 : 0;
}
