/* ktest: the boot-test harness's app. Each subcommand exercises one kernel
 * service and prints what it measured so tests/boot can check it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "arch/x86.h"
#include "block.h"
#include "device.h"
#include "insn_mark.h"
#include "memory.h"
#include "panic.h"
#include "pci.h"
#include "clock.h"
#include "netdev.h"
#include "random.h"
#include "cpu.h"
#include "sched.h"
#include "sync.h"

int ktest_xen(int argc, char **argv);
int ktest_blklarge(int argc, char **argv);
int ktest_blkthreads(int argc, char **argv);
int ktest_cpus(int argc, char **argv);

static int cmd_exit(int argc, char **argv) { return argc > 2 ? atoi(argv[2]) : 0; }

static int cmd_pagefault(int argc, char **argv)
{
    uintptr_t addr = argc > 2 ? strtoul(argv[2], NULL, 0) : 0xdeadbeef000ul;
    printf("ktest: writing to %#lx\n", (unsigned long)addr);
    *(volatile uint32_t *)addr = 0x1234;
    printf("ktest: the write did not fault\n");
    return 1;
}

static int cmd_wx(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* Code must not be writable: this write has to fault. */
    volatile uint8_t *text = (volatile uint8_t *)(uintptr_t)cmd_exit;
    printf("ktest: writing to kernel text at %p\n", (void *)text);
    *text = 0xc3;
    printf("ktest: text was writable\n");
    return 1;
}

static volatile int recursion_limit = 1 << 30;

static int recurse(int depth)
{
    volatile char pad[512];
    pad[0] = (char)depth;
    if (depth >= recursion_limit)
        return 0;
    return recurse(depth + 1) + pad[0];
}

static int cmd_stack_overflow(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("ktest: recursing without end\n");
    return recurse(0);
}

/* threads N M: N threads add 1 to a shared counter M times each under a
 * mutex; each also hands M tokens through a one-slot buffer guarded by a
 * condition variable to a consumer, and signals a semaphore when done. */
static struct mutex counter_lock = MUTEX_INIT;
static long counter;
static struct mutex slot_lock = MUTEX_INIT;
static struct condvar slot_cv = CONDVAR_INIT;
static long slot = -1;
static long consumed_sum;
static struct semaphore done = SEMAPHORE_INIT(0);
static long per_thread;
static uint64_t cpus_used; /* bit per CPU a worker was seen on */

static void *worker(void *arg)
{
    long id = (long)(intptr_t)arg;
    for (long i = 0; i < per_thread; i++) {
        __atomic_fetch_or(&cpus_used, 1ull << (this_cpu()->id & 63), __ATOMIC_RELAXED);
        mutex_lock(&counter_lock);
        long v = counter;
        if (i % 64 == 0)
            thread_yield(); /* hold the lock across a switch: contention */
        counter = v + 1;
        mutex_unlock(&counter_lock);
        if (i % 16 == 0) {
            mutex_lock(&slot_lock);
            while (slot != -1)
                condvar_wait(&slot_cv, &slot_lock);
            slot = id + 1;
            condvar_broadcast(&slot_cv);
            mutex_unlock(&slot_lock);
        }
    }
    sem_up(&done);
    return (void *)(intptr_t)(id * 2);
}

static void *consumer(void *arg)
{
    long expected = (long)(intptr_t)arg;
    for (long n = 0; n < expected; n++) {
        mutex_lock(&slot_lock);
        while (slot == -1)
            condvar_wait(&slot_cv, &slot_lock);
        consumed_sum += slot;
        slot = -1;
        condvar_broadcast(&slot_cv);
        mutex_unlock(&slot_lock);
    }
    return NULL;
}

static int cmd_threads(int argc, char **argv)
{
    int n = argc > 2 ? atoi(argv[2]) : 4;
    per_thread = argc > 3 ? atol(argv[3]) : 10000;
    if (n < 1 || n > 64 || per_thread < 1)
        return 2;
    long tokens_each = (per_thread + 15) / 16;
    struct thread *t[64];
    struct thread *cons = thread_create("consumer", consumer, (void *)(intptr_t)(tokens_each * n), 0);
    for (int i = 0; i < n; i++)
        t[i] = thread_create("worker", worker, (void *)(intptr_t)i, 0);
    for (int i = 0; i < n; i++)
        sem_down(&done);
    int bad_ret = 0;
    for (int i = 0; i < n; i++)
        bad_ret += (long)(intptr_t)thread_join(t[i]) != i * 2;
    thread_join(cons);
    long expect_sum = 0;
    for (int i = 0; i < n; i++)
        expect_sum += (i + 1) * tokens_each;
    unsigned used = 0;
    for (int c = 0; c < 64; c++)
        used += (cpus_used >> c) & 1;
    printf("threads: total=%ld expected=%ld tokens=%ld expected_tokens=%ld join_errors=%d live=%u cpus_used=%u "
           "cpus=%u\n",
           counter, (long)n * per_thread, consumed_sum, expect_sum, bad_ret, sched_thread_count(), used, ncpus);
    return counter == (long)n * per_thread && consumed_sum == expect_sum && bad_ret == 0 ? 0 : 1;
}

static int cmd_sleep(int argc, char **argv)
{
    long ms = argc > 2 ? atol(argv[2]) : 500;
    uint64_t t0 = clock_monotonic_ns();
    printf("sleep-start\n");
    thread_sleep_ns((uint64_t)ms * 1000000);
    uint64_t t1 = clock_monotonic_ns();
    printf("sleep-end guest_elapsed_us=%llu\n", (unsigned long long)((t1 - t0) / 1000));
    return 0;
}

static int cmd_time(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t rt = clock_realtime_ns();
    printf("time: realtime_ns=%llu monotonic_ns=%llu source=%s\n", (unsigned long long)rt,
           (unsigned long long)clock_monotonic_ns(), clock_current()->name);
    return rt ? 0 : 1;
}

/* clockbench N: the cost of one read of the current clock, in TSC cycles. */
static int cmd_clockbench(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 100000;
    uint64_t prev = clock_monotonic_ns(), backwards = 0;
    uint64_t t0 = rdtsc();
    insn_mark(INSN_MARK_START);
    for (long i = 0; i < n; i++) {
        uint64_t now = clock_monotonic_ns();
        backwards += now < prev;
        prev = now;
    }
    insn_mark(INSN_MARK_END);
    uint64_t cycles = rdtsc() - t0;
    printf("clockbench: source=%s reads=%ld cycles_per_read=%llu backwards=%llu\n", clock_current()->name, n,
           (unsigned long long)(cycles / (uint64_t)n), (unsigned long long)backwards);
    return backwards ? 1 : 0;
}

/* clockcross T N: T threads on all CPUs read the clock N times each; a read
 * smaller than a value another CPU published before it counts as backwards.
 * N reads take milliseconds: on a busy host the other vCPUs may not have
 * woken by then and one CPU would run every thread. Workers then go on
 * reading, for up to 20 s, until a second CPU has read too. */
static uint64_t published;
static long cross_reads;
static uint64_t cross_backwards, cross_cpus, cross_deadline;

#define CROSS_SPREAD_NS 20000000000ull

static bool cross_spread(void)
{
    uint64_t c = __atomic_load_n(&cross_cpus, __ATOMIC_RELAXED);
    return (c & (c - 1)) != 0 || clock_monotonic_ns() > cross_deadline;
}

static void *cross_worker(void *arg)
{
    (void)arg;
    uint64_t back = 0;
    for (long i = 0; i < cross_reads || !cross_spread(); i++) {
        __atomic_fetch_or(&cross_cpus, 1ull << (this_cpu()->id & 63), __ATOMIC_RELAXED);
        uint64_t seen = __atomic_load_n(&published, __ATOMIC_ACQUIRE);
        uint64_t now = clock_monotonic_ns();
        if (now < seen)
            back++;
        uint64_t cur = __atomic_load_n(&published, __ATOMIC_RELAXED);
        while (now > cur && !__atomic_compare_exchange_n(&published, &cur, now, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            ;
    }
    __atomic_fetch_add(&cross_backwards, back, __ATOMIC_RELAXED);
    return NULL;
}

static int cmd_clockcross(int argc, char **argv)
{
    int t = argc > 2 ? atoi(argv[2]) : 4;
    cross_reads = argc > 3 ? atol(argv[3]) : 100000;
    struct thread *th[64];
    if (t < 1 || t > 64)
        return 2;
    cross_deadline = clock_monotonic_ns() + (t > 1 && ncpus > 1 ? CROSS_SPREAD_NS : 0);
    for (int i = 0; i < t; i++)
        th[i] = thread_create("clockcross", cross_worker, NULL, 0);
    for (int i = 0; i < t; i++)
        thread_join(th[i]);
    unsigned used = 0;
    for (int c = 0; c < 64; c++)
        used += (cross_cpus >> c) & 1;
    printf("clockcross: source=%s threads=%d reads=%ld backwards=%llu cpus_used=%u\n", clock_current()->name, t,
           cross_reads, (unsigned long long)cross_backwards, used);
    return cross_backwards ? 1 : 0;
}

/* preempt: a thread spins without ever yielding; on one CPU the main
 * thread only runs again if the timer preempts the spinner. */
static volatile int spin_stop;
static volatile uint64_t spins;

static void *spinner(void *arg)
{
    (void)arg;
    while (!spin_stop)
        spins++;
    return NULL;
}

static int cmd_preempt(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    struct thread *a = thread_create("spin-a", spinner, NULL, 0);
    struct thread *b = thread_create("spin-b", spinner, NULL, 0);
    uint64_t t0 = clock_monotonic_ns();
    thread_sleep_ns(100000000);
    uint64_t late = clock_monotonic_ns() - t0;
    spin_stop = 1;
    thread_join(a);
    thread_join(b);
    printf("preempt: woke after %llu us with two spinners, spins=%llu\n", (unsigned long long)(late / 1000),
           (unsigned long long)spins);
    return spins > 0 ? 0 : 1;
}

/* blk N [PER]: on every block device, sectors [0, N) must hold the harness's
 * pattern; sectors [N, 2N) get ours, written 8 requests at a time, then a
 * flush. Requests are PER sectors (default 8; N a multiple of PER). The harness checks the image files after the VM exits. */
static uint8_t pattern(unsigned disk, uint64_t sector, unsigned k, unsigned gen)
{
    return (uint8_t)(sector * 31 + k * 7 + disk * 101 + gen * 57);
}

struct inflight {
    struct block_request r;
    struct semaphore *all;
};

static void inflight_done(struct block_request *r) { sem_up(((struct inflight *)r)->all); }

static int blk_disk(unsigned disk, struct block_dev *b, uint64_t n, unsigned per)
{
    const unsigned depth = 8;
    uint32_t ss = b->sector_size;
    uint8_t *buf = malloc((size_t)n * ss);
    if (!buf || 2 * n > b->sectors) {
        printf("blk: %s too small (%llu sectors)\n", b->name, (unsigned long long)b->sectors);
        return 1;
    }
    long bad = 0;
    for (uint64_t s = 0; s < n; s += per) {
        struct block_request r = { BLOCK_READ, s, per, buf + s * ss, NULL, NULL, 0 };
        if (block_sync(b, &r) < 0)
            bad += 1000000;
    }
    for (uint64_t s = 0; s < n; s++)
        for (unsigned k = 0; k < ss; k++)
            bad += buf[s * ss + k] != pattern(disk, s, k, 0);
    /* Our pattern: all requests submitted before any is awaited. */
    for (uint64_t s = 0; s < n; s++)
        for (unsigned k = 0; k < ss; k++)
            buf[s * ss + k] = pattern(disk, n + s, k, 1);
    struct semaphore all = SEMAPHORE_INIT(0);
    struct inflight *req = calloc(n / per, sizeof(*req));
    unsigned submitted = 0;
    int write_errors = 0;
    for (uint64_t s = 0; s < n; s += per) {
        struct inflight *q = &req[s / per];
        q->r = (struct block_request){ BLOCK_WRITE, n + s, per, buf + s * ss, inflight_done, NULL, 0 };
        q->all = &all;
        if (b->submit(b, &q->r) == 0)
            submitted++;
        else
            write_errors++;
    }
    for (unsigned i = 0; i < submitted; i++)
        sem_down(&all);
    for (unsigned i = 0; i < n / per; i++)
        write_errors += req[i].r.status != 0;
    struct block_request fl = { BLOCK_FLUSH, 0, 0, NULL, NULL, NULL, 0 };
    int flush = b->can_flush ? block_sync(b, &fl) : 0;
    printf("blk: %s sectors=%llu size=%u depth=%u read_mismatches=%ld writes=%u write_errors=%d flush=%d\n",
           b->name, (unsigned long long)b->sectors, ss, depth, bad, submitted, write_errors, flush);
    free(req);
    free(buf);
    return bad || write_errors || flush ? 1 : 0;
}

static int cmd_blk(int argc, char **argv)
{
    uint64_t n = argc > 2 ? strtoul(argv[2], NULL, 0) : 64;
    unsigned per = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 0) : 8;
    if (per == 0 || n % per)
        return 2;
    int rc = 0;
    printf("blk: %u device(s)\n", block_count());
    for (unsigned i = 0; i < block_count(); i++)
        rc |= blk_disk(i, block_get(i), n, per);
    return block_count() ? rc : 1;
}

/* netecho N: echo the next N frames received on the first NIC back
 * unchanged. Frames are copied out of the receive callback (interrupt
 * context) into a small ring that the main thread drains. */
#define ECHO_SLOTS 64
static struct {
    uint8_t data[1514];
    size_t len;
} echo_ring[ECHO_SLOTS];
static unsigned echo_head, echo_tail;
static struct semaphore echo_ready = SEMAPHORE_INIT(0);
static unsigned echo_dropped;

static void echo_rx(struct netdev *n, const void *frame, size_t len, void *arg)
{
    (void)n;
    (void)arg;
    if (echo_head - echo_tail == ECHO_SLOTS || len > sizeof(echo_ring[0].data)) {
        echo_dropped++;
        return;
    }
    memcpy(echo_ring[echo_head % ECHO_SLOTS].data, frame, len);
    echo_ring[echo_head % ECHO_SLOTS].len = len;
    __atomic_store_n(&echo_head, echo_head + 1, __ATOMIC_RELEASE);
    sem_up(&echo_ready);
}

/* Echoes frames from n until want have gone back (want < 0: for ever);
 * swap_macs sends each back to its source (needed on a bridge). */
int ktest_echo_frames(struct netdev *n, long want, bool swap_macs)
{
    netdev_set_receive(n, echo_rx, NULL);
    long echoed = 0, errors = 0;
    while (want < 0 || echoed < want) {
        sem_down(&echo_ready);
        unsigned t = echo_tail % ECHO_SLOTS;
        uint8_t *d = echo_ring[t].data, mac[6];
        if (swap_macs) {
            memcpy(mac, d, 6);
            memcpy(d, d + 6, 6);
            memcpy(d + 6, mac, 6);
        }
        errors += n->transmit(n, d, echo_ring[t].len) != 0;
        __atomic_store_n(&echo_tail, echo_tail + 1, __ATOMIC_RELEASE);
        echoed++;
    }
    return (int)errors;
}

static int cmd_netecho(int argc, char **argv)
{
    long want = argc > 2 ? atol(argv[2]) : 100;
    struct netdev *n = netdev_get(0);
    if (!n) {
        printf("netecho: no network device\n");
        return 1;
    }
    printf("netecho: ready on %s mac %02x:%02x:%02x:%02x:%02x:%02x link %s\n", n->name, n->mac[0], n->mac[1],
           n->mac[2], n->mac[3], n->mac[4], n->mac[5], n->link_up ? "up" : "down");
    long errors = ktest_echo_frames(n, want, false);
    thread_sleep_ns(20000000); /* let the last transmissions leave */
    printf("netecho: echoed=%ld tx_errors=%ld dropped=%u rx=%llu tx=%llu rx_dropped=%llu\n", want, errors,
           echo_dropped, (unsigned long long)n->rx_frames, (unsigned long long)n->tx_frames,
           (unsigned long long)n->rx_dropped);
    return errors || echo_dropped ? 1 : 0;
}

/* random: waits (up to 2 s) for device entropy, then prints what the
 * kernel's source gives, so the harness can check it is not constant. */
static int cmd_random(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    for (int i = 0; i < 200 && random_entropy_bits() == 0; i++)
        thread_sleep_ns(10000000);
    uint8_t b[32];
    random_bytes(b, sizeof(b));
    printf("random: entropy_bits=%llu bytes=", (unsigned long long)random_entropy_bits());
    for (unsigned i = 0; i < sizeof(b); i++)
        printf("%02x", b[i]);
    printf("\n");
    return random_entropy_bits() ? 0 : 1;
}

/* blkbench [MS]: the first block device at queue depth 1, as bench/blk's
 * Linux guest does it: sequential 128 KiB reads, pass after pass over the
 * disk, for MS milliseconds (default 2000), then random 4 KiB reads for as
 * long. Passes last seconds so that the figure measures the device path, not
 * the clock's granularity; bench/blk --quick asks for less. Each phase sits
 * between insn marks (bench/insn counts its instructions). */
static int cmd_blkbench(int argc, char **argv)
{
    long ms = argc > 2 ? atol(argv[2]) : 2000;
    uint64_t bench_ns = (uint64_t)(ms > 0 ? ms : 2000) * 1000000ull;
    struct block_dev *b = block_get(0);
    if (!b || b->sector_size != 512 || b->sectors < 256)
        return 1;
    uint8_t *buf = aligned_alloc(4096, 131072);
    insn_mark(INSN_MARK_START);
    uint64_t done = 0, s = 0, t0 = clock_monotonic_ns(), seq;
    while ((seq = clock_monotonic_ns() - t0) < bench_ns) {
        if (s + 256 > b->sectors)
            s = 0;
        struct block_request r = { BLOCK_READ, s, 256, buf, NULL, NULL, 0 };
        done += block_sync(b, &r) == 0 ? 131072 : 0;
        s += 256;
    }
    insn_mark(INSN_MARK_END);
    uint64_t x = 88172645463325252ull, ios = 0, rnd;
    insn_mark(INSN_MARK_START2);
    t0 = clock_monotonic_ns();
    while ((rnd = clock_monotonic_ns() - t0) < bench_ns) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        struct block_request r = { BLOCK_READ, (x % (b->sectors / 8)) * 8, 8, buf, NULL, NULL, 0 };
        ios += block_sync(b, &r) == 0;
    }
    insn_mark(INSN_MARK_END2);
    printf("kestrel-blkbench: bytes=%llu seq_mbps=%llu.%llu iops=%llu rand_reads=%llu\n", (unsigned long long)done,
           (unsigned long long)(done * 1000 / seq), (unsigned long long)(done * 10000 / seq % 10),
           (unsigned long long)(ios * 1000000000ull / rnd), (unsigned long long)ios);
    free(buf);
    return 0;
}

/* pciirq msi|intx|any: QEMU's edu device (1234:11e8) raises an interrupt
 * carrying a value on request; each must arrive through the kind asked for,
 * once, with its value, and be acknowledged. */
#define EDU_ID 0x00
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
static volatile uint32_t *edu;
static volatile uint32_t edu_seen, edu_count, edu_spurious;

static void edu_irq(struct int_frame *f, void *arg)
{
    (void)f;
    (void)arg;
    uint32_t st = edu[EDU_IRQ_STATUS / 4];
    if (!st) {
        edu_spurious++;
        return;
    }
    edu[EDU_IRQ_ACK / 4] = st;
    edu_seen = st;
    edu_count++;
}

static int cmd_pciirq(int argc, char **argv)
{
    const char *want = argc > 2 ? argv[2] : "any";
    unsigned allowed = !strcmp(want, "msi") ? PCI_IRQ_MSI : !strcmp(want, "intx") ? PCI_IRQ_INTX : PCI_IRQ_ANY;
    struct device *d = device_list();
    while (d && !(d->bus == BUS_PCI && d->pci.vendor == 0x1234 && d->pci.device == 0x11e8))
        d = d->next;
    if (!d || d->pci.bars[0].io || d->pci.bars[0].size < 0x1000) {
        printf("pciirq: no edu device\n");
        return 1;
    }
    pci_enable(&d->pci);
    edu = ioremap(d->pci.bars[0].addr, 0x1000);
    if (!edu || (edu[EDU_ID / 4] & 0xff) != 0xed) {
        printf("pciirq: edu not answering\n");
        return 1;
    }
    enum pci_irq_kind kind;
    if (pci_attach_irq(&d->pci, allowed, edu_irq, NULL, &kind) != 0) {
        printf("pciirq: no interrupt\n");
        return 1;
    }
    unsigned ok = 0, rounds = 50;
    for (unsigned i = 1; i <= rounds; i++) {
        uint32_t value = i * 0x01010101u;
        uint32_t before = edu_count;
        edu[EDU_IRQ_RAISE / 4] = value;
        uint64_t deadline = clock_monotonic_ns() + 1000000000ull;
        while (edu_count == before && clock_monotonic_ns() < deadline)
            __asm__ volatile("pause");
        thread_sleep_ns(100000); /* a second delivery would show up here */
        ok += edu_count == before + 1 && edu_seen == value;
    }
    printf("pciirq: kind=%s delivered=%u/%u total=%u spurious=%u status=%#x\n", pci_irq_kind_name(kind), ok,
           rounds, (unsigned)edu_count, (unsigned)edu_spurious, (unsigned)edu[EDU_IRQ_STATUS / 4]);
    return ok == rounds && edu_count == rounds ? 0 : 1;
}

static int cmd_panic(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    panic("ktest: deliberate panic");
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct block {
    uint8_t *p;
    size_t size;
    uint8_t tag;
};

static int check_block(const struct block *b)
{
    for (size_t i = 0; i < b->size; i++) {
        if (b->p[i] != (uint8_t)(b->tag + i))
            return 0;
    }
    return 1;
}

static int fill_block(struct block *b, size_t size, size_t align)
{
    b->size = size;
    b->tag = (uint8_t)rnd();
    b->p = align ? aligned_alloc(align, size) : malloc(size);
    if (!b->p || (align && (uintptr_t)b->p % align))
        return 0;
    for (size_t i = 0; i < size; i++)
        b->p[i] = (uint8_t)(b->tag + i);
    return 1;
}

/* heap N: N allocations of mixed sizes and alignments, freed in random
 * order with reallocs in between; every byte is checked before release. */
static int cmd_heap(int argc, char **argv)
{
    long n = argc > 2 ? atol(argv[2]) : 5000;
    size_t bytes0, pages0, allocs0;
    heap_stats(&bytes0, &pages0, &allocs0);
    struct block *blocks = calloc((size_t)n, sizeof(*blocks));
    if (!blocks)
        return 1;
    size_t peak_pages = 0;
    long corrupt = 0, failed = 0;
    for (long i = 0; i < n; i++) {
        size_t size = rnd() % 16 == 0 ? 1 + rnd() % 32768 : 1 + rnd() % 1024;
        size_t align = rnd() % 8 == 0 ? (size_t)1 << (4 + rnd() % 9) : 0;
        failed += !fill_block(&blocks[i], size, align);
        if (i % 7 == 3) {
            long j = (long)(rnd() % (uint64_t)(i + 1));
            if (blocks[j].p) {
                corrupt += !check_block(&blocks[j]);
                size_t ns = 1 + rnd() % 8192;
                uint8_t *q = realloc(blocks[j].p, ns);
                size_t keep = ns < blocks[j].size ? ns : blocks[j].size;
                blocks[j].p = q;
                blocks[j].size = keep;
                corrupt += !q || !check_block(&blocks[j]);
            }
        }
    }
    size_t b, p, a;
    heap_stats(&b, &p, &a);
    peak_pages = p;
    /* Free in a random order (Fisher-Yates over indices). */
    long *order = malloc((size_t)n * sizeof(long));
    if (!order)
        return 1;
    for (long i = 0; i < n; i++)
        order[i] = i;
    for (long i = n - 1; i > 0; i--) {
        long j = (long)(rnd() % (uint64_t)(i + 1));
        long tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
    }
    for (long i = 0; i < n; i++) {
        struct block *bl = &blocks[order[i]];
        if (!bl->p)
            continue;
        corrupt += !check_block(bl);
        free(bl->p);
    }
    free(order);
    free(blocks);
    int consistent = heap_consistent();
    heap_stats(&b, &p, &a);
    printf("heap: allocs=%ld corrupt=%ld failed=%ld consistent=%d peak_pages=%zu live_before=%zu live_after=%zu "
           "bytes_before=%zu bytes_after=%zu\n",
           n, corrupt, failed, consistent, peak_pages, allocs0, a, bytes0, b);
    return corrupt == 0 && failed == 0 && consistent && a == allocs0 && b == bytes0 ? 0 : 1;
}

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
} commands[] = {
    { "exit", cmd_exit },       { "pagefault", cmd_pagefault }, { "wx", cmd_wx },
    { "stack-overflow", cmd_stack_overflow }, { "threads", cmd_threads }, { "sleep", cmd_sleep },
    { "heap", cmd_heap }, { "time", cmd_time }, { "clockbench", cmd_clockbench },
    { "clockcross", cmd_clockcross }, { "preempt", cmd_preempt },
    { "blk", cmd_blk }, { "netecho", cmd_netecho }, { "random", cmd_random },
    { "blkbench", cmd_blkbench }, { "pciirq", cmd_pciirq }, { "xen", ktest_xen },
    { "panic", cmd_panic },
    { "blklarge", ktest_blklarge }, { "blkthreads", ktest_blkthreads }, { "cpus", ktest_cpus },
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        printf("ktest: usage: ktest COMMAND [args]\n");
        return 2;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].fn(argc, argv);
    }
    printf("ktest: unknown command '%s'\n", argv[1]);
    return 2;
}
