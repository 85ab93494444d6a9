/* bench/insn: a QEMU TCG plugin that counts the guest's instructions, so a
 * bench can report instructions per operation, a figure the host's load
 * cannot move. Built against QEMU 7.2's plugin API (see bench/insn/README.md).
 *
 * Arguments (-plugin libinsn.so,out=FILE[,sock=PATH]):
 *   out=FILE   gets "mark ID COUNT" each time the guest executes a mark
 *              (include/insn_mark.h: nopl 0x4b49XXXX(%rax), ID = XXXX) and
 *              "exit COUNT" when QEMU exits. COUNT: instructions executed
 *              on all vCPUs since QEMU started, up to and including the mark.
 *   sock=PATH  a Unix socket: each connection is answered "count COUNT\n",
 *              so a host harness can take counts around work it drives.
 *   prof=PREFIX (with sock) a profile: every answer on the socket first
 *              writes PREFIX.N (N = 1, 2, ...: the answer's number), one
 *              line per translated block's guest address: "ADDR INSNS HEX",
 *              INSNS the instructions executed in blocks starting there
 *              since QEMU started, HEX up to the first 16 bytes of the
 *              block's code (to find which library a user address is in).
 *              The difference of two files is where the instructions
 *              between the two answers went (bench/insn/profile). */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

#define MAX_VCPUS 64
#define MARK_LEN 7
#define MARK_MAGIC 0x4b49u /* "KI" in the high half of the displacement */

/* One counter per vCPU, each on its own cache line. */
static struct {
    volatile uint64_t n;
    char pad[56];
} counts[MAX_VCPUS];
static int n_vcpus = 1;
static FILE *out;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

/* The profile: one record per translation of a block (a block translated
 * again gets a new record; the dump sums them by address). Its execs are
 * added inline, without atomicity across vCPUs: exact with one vCPU. */
#define PROF_BYTES 16
struct prof_tb {
    uint64_t vaddr;
    volatile uint64_t execs;
    uint32_t n_insns;
    uint8_t n_bytes;
    uint8_t bytes[PROF_BYTES];
};
#define PROF_CHUNK 4096
static struct prof_tb **prof_chunks;
static size_t prof_n, prof_cap_chunks;
static const char *prof_prefix;
static unsigned prof_dumps;
static pthread_mutex_t prof_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t total(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < n_vcpus; i++)
        sum += counts[i].n;
    return sum;
}

static void put_line(const char *what, unsigned id, uint64_t count, int with_id)
{
    pthread_mutex_lock(&out_lock);
    if (with_id)
        fprintf(out, "%s %u %" PRIu64 "\n", what, id, count);
    else
        fprintf(out, "%s %" PRIu64 "\n", what, count);
    fflush(out);
    pthread_mutex_unlock(&out_lock);
}

/* More than one vCPU: the inline add is not atomic across vCPU threads, so
 * each vCPU adds to its own counter from a callback. */
static void tb_exec(unsigned int vcpu, void *udata)
{
    if (vcpu < MAX_VCPUS)
        counts[vcpu].n += (uintptr_t)udata;
}

/* udata: the mark's ID in the low 16 bits, and above them how many of its
 * block's instructions follow it (the block's count was added on entry). */
static void mark_exec(unsigned int vcpu, void *udata)
{
    (void)vcpu;
    uintptr_t u = (uintptr_t)udata;
    put_line("mark", (unsigned)(u & 0xffff), total() - (u >> 16), 1);
}

/* The mark: nopl disp32(%rax) = 0f 1f 80 disp32, disp32 = 0x4b49XXXX. */
static int mark_id(struct qemu_plugin_insn *insn)
{
    if (qemu_plugin_insn_size(insn) != MARK_LEN)
        return -1;
    const uint8_t *b = qemu_plugin_insn_data(insn);
    if (b[0] != 0x0f || b[1] != 0x1f || b[2] != 0x80)
        return -1;
    uint32_t disp = (uint32_t)b[3] | (uint32_t)b[4] << 8 | (uint32_t)b[5] << 16 | (uint32_t)b[6] << 24;
    return disp >> 16 == MARK_MAGIC ? (int)(disp & 0xffff) : -1;
}

/* A new record for a block being translated, or NULL (out of memory: the
 * block goes unprofiled, the counts stay right). */
static struct prof_tb *prof_new(void)
{
    pthread_mutex_lock(&prof_lock);
    struct prof_tb *r = NULL;
    if (prof_n / PROF_CHUNK >= prof_cap_chunks) {
        size_t cap = prof_cap_chunks ? prof_cap_chunks * 2 : 64;
        struct prof_tb **c = realloc(prof_chunks, cap * sizeof(*c));
        if (!c)
            goto out;
        prof_chunks = c;
        prof_cap_chunks = cap;
    }
    if (prof_n % PROF_CHUNK == 0) {
        prof_chunks[prof_n / PROF_CHUNK] = calloc(PROF_CHUNK, sizeof(struct prof_tb));
        if (!prof_chunks[prof_n / PROF_CHUNK])
            goto out;
    }
    r = &prof_chunks[prof_n / PROF_CHUNK][prof_n % PROF_CHUNK];
    prof_n++;
out:
    pthread_mutex_unlock(&prof_lock);
    return r;
}

static void prof_tb(struct qemu_plugin_tb *tb, size_t n)
{
    struct prof_tb *r = prof_new();
    if (!r)
        return;
    r->vaddr = qemu_plugin_tb_vaddr(tb);
    r->n_insns = (uint32_t)n;
    for (size_t i = 0; i < n && r->n_bytes < PROF_BYTES; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        const uint8_t *b = qemu_plugin_insn_data(insn);
        size_t len = qemu_plugin_insn_size(insn);
        for (size_t j = 0; j < len && r->n_bytes < PROF_BYTES; j++)
            r->bytes[r->n_bytes++] = b[j];
    }
    qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, (void *)&r->execs, 1);
}

static int by_vaddr(const void *a, const void *b)
{
    const struct prof_tb *x = *(struct prof_tb *const *)a, *y = *(struct prof_tb *const *)b;
    return x->vaddr < y->vaddr ? -1 : x->vaddr > y->vaddr;
}

/* Writes PREFIX.N: the instructions executed so far, summed by block
 * address. Called from the socket's thread while the guest runs on: a
 * block executing meanwhile may or may not be in it. */
static void prof_dump(void)
{
    pthread_mutex_lock(&prof_lock);
    size_t n = prof_n;
    struct prof_tb **v = malloc((n ? n : 1) * sizeof(*v));
    if (v)
        for (size_t i = 0; i < n; i++)
            v[i] = &prof_chunks[i / PROF_CHUNK][i % PROF_CHUNK];
    unsigned id = ++prof_dumps;
    pthread_mutex_unlock(&prof_lock);
    if (!v)
        return;
    qsort(v, n, sizeof(*v), by_vaddr);
    char path[4096];
    snprintf(path, sizeof(path), "%s.%u", prof_prefix, id);
    FILE *f = fopen(path, "w");
    if (f) {
        for (size_t i = 0; i < n;) {
            uint64_t insns = 0;
            size_t j = i;
            for (; j < n && v[j]->vaddr == v[i]->vaddr; j++)
                insns += v[j]->execs * v[j]->n_insns;
            if (insns) {
                fprintf(f, "%" PRIx64 " %" PRIu64 " ", v[i]->vaddr, insns);
                for (unsigned k = 0; k < v[i]->n_bytes; k++)
                    fprintf(f, "%02x", v[i]->bytes[k]);
                fputc('\n', f);
            }
            i = j;
        }
        fclose(f);
    }
    free(v);
}

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (prof_prefix)
        prof_tb(tb, n);
    if (n_vcpus == 1)
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, (void *)&counts[0].n, n);
    else
        qemu_plugin_register_vcpu_tb_exec_cb(tb, tb_exec, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)n);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        int mark = mark_id(insn);
        if (mark < 0)
            continue;
        uintptr_t after = n - i - 1;
        qemu_plugin_register_vcpu_insn_exec_cb(insn, mark_exec, QEMU_PLUGIN_CB_NO_REGS,
                                               (void *)(after << 16 | (uintptr_t)mark));
    }
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    put_line("exit", 0, total(), 0);
    fclose(out);
}

static void *serve_counts(void *arg)
{
    int s = (int)(intptr_t)arg;
    for (;;) {
        int c = accept(s, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR)
                continue;
            return NULL;
        }
        if (prof_prefix)
            prof_dump();
        char line[64];
        int len = snprintf(line, sizeof(line), "count %" PRIu64 "\n", total());
        ssize_t w = write(c, line, (size_t)len);
        (void)w; /* a harness that went away needs no answer */
        close(c);
    }
}

static int start_socket(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(a.sun_path))
        return -ENAMETOOLONG;
    strcpy(a.sun_path, path);
    unlink(path);
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0 || bind(s, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(s, 4) < 0)
        return -errno;
    pthread_t t;
    if (pthread_create(&t, NULL, serve_counts, (void *)(intptr_t)s) != 0)
        return -EAGAIN;
    pthread_detach(t);
    return 0;
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    const char *out_path = NULL, *sock_path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0)
            out_path = argv[i] + 4;
        else if (strncmp(argv[i], "sock=", 5) == 0)
            sock_path = argv[i] + 5;
        else if (strncmp(argv[i], "prof=", 5) == 0)
            prof_prefix = argv[i] + 5;
        else {
            fprintf(stderr, "libinsn: unknown argument %s (want out=FILE, sock=PATH, prof=PREFIX)\n", argv[i]);
            return -1;
        }
    }
    if (!info->system_emulation || !out_path) {
        fprintf(stderr, "libinsn: needs system emulation and out=FILE\n");
        return -1;
    }
    n_vcpus = info->system.max_vcpus;
    if (n_vcpus < 1 || n_vcpus > MAX_VCPUS) {
        fprintf(stderr, "libinsn: %d vCPUs, at most %d counted\n", n_vcpus, MAX_VCPUS);
        return -1;
    }
    out = fopen(out_path, "w");
    if (!out) {
        fprintf(stderr, "libinsn: cannot write %s: %s\n", out_path, strerror(errno));
        return -1;
    }
    if (sock_path && start_socket(sock_path) < 0) {
        fprintf(stderr, "libinsn: cannot listen on %s\n", sock_path);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
