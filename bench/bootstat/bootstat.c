/* bench/bootstat: a QEMU TCG plugin giving two deterministic figures of a
 * boot that the host's load cannot move, both costs QEMU pays once per boot:
 *   - blocks: how many translation blocks QEMU translated (each is code the
 *     guest ran for the first time, or again after its block was flushed);
 *   - regions: which 2 MiB regions of guest RAM the host backs by exit. QEMU
 *     madvises guest RAM for transparent huge pages, so the first write to a
 *     2 MiB region (by the guest, the firmware, QEMU's loader or a DMA) costs
 *     the host a 2 MiB clear. Read from /proc/self/smaps at exit: every
 *     writer counts, not only the guest's stores.
 * Arguments (-plugin libbootstat.so,out=FILE[,ram=BYTES]):
 *   tbs=FILE   gets one line per translated block at exit: "VADDR NINSNS EXECS"
 *              (hex, then decimal: instructions in it, times it ran).
 *   out=FILE   gets "blocks N", "blocks_kernel N" (vaddr at or above
 *              0xffff800000000000), "blocks_user N", then
 *              "ram_mapping START-END rss_kb K anon_huge_kb H" for the guest
 *              RAM mapping (the anonymous mapping of exactly BYTES, default
 *              256 MiB) and "regions N: i j ..." (the 2 MiB indexes present,
 *              from /proc/self/pagemap when readable, else rss/2048).
 * Built like bench/insn (make bootstat-plugin). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t blocks, blocks_kernel;
static FILE *tb_log; /* tbs=FILE: one line per translated block at exit, "vaddr ninsns execs" */
#define MAX_TBS 200000
static struct {
    uint64_t vaddr, execs;
    size_t n;
} *tbs;
static uint64_t ram_bytes = 256ull << 20;
static char out_path[512];

static void tb_trans(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    blocks++;
    if (qemu_plugin_tb_vaddr(tb) >= 0xffff800000000000ull)
        blocks_kernel++;
    if (tbs && blocks <= MAX_TBS) {
        tbs[blocks - 1].vaddr = qemu_plugin_tb_vaddr(tb);
        tbs[blocks - 1].n = qemu_plugin_tb_n_insns(tb);
        qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &tbs[blocks - 1].execs, 1);
    }
}

/* Which 2 MiB regions of [start, start+len) have a page present. */
static void regions(FILE *f, uint64_t start, uint64_t len)
{
    int fd = open("/proc/self/pagemap", O_RDONLY);
    if (fd < 0) {
        fprintf(f, "regions ?: pagemap unreadable\n");
        return;
    }
    long page = sysconf(_SC_PAGESIZE);
    uint64_t n = 0;
    char list[4096] = "";
    size_t used = 0;
    for (uint64_t off = 0; off < len; off += 2ull << 20) {
        uint64_t present = 0;
        for (uint64_t p = off; p < off + (2ull << 20) && p < len; p += (uint64_t)page) {
            uint64_t e;
            if (pread(fd, &e, 8, (off_t)(((start + p) / (uint64_t)page) * 8)) != 8)
                break;
            if (e & (1ull << 63)) {
                present = 1;
                break;
            }
        }
        if (present) {
            n++;
            if (used < sizeof(list) - 16)
                used += (size_t)snprintf(list + used, sizeof(list) - used, " %" PRIu64, off >> 21);
        }
    }
    close(fd);
    fprintf(f, "regions %" PRIu64 ":%s\n", n, list);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    for (uint64_t i = 0; tb_log && i < blocks && i < MAX_TBS; i++)
        fprintf(tb_log, "%" PRIx64 " %zu %" PRIu64 "\n", tbs[i].vaddr, tbs[i].n, tbs[i].execs);
    if (tb_log)
        fclose(tb_log);
    FILE *f = fopen(out_path, "w");
    if (!f)
        return;
    fprintf(f, "blocks %" PRIu64 "\nblocks_kernel %" PRIu64 "\nblocks_user %" PRIu64 "\n", blocks,
            blocks_kernel, blocks - blocks_kernel);
    FILE *m = fopen("/proc/self/smaps", "r");
    char line[512];
    uint64_t s = 0, e = 0;
    int in_ram = 0;
    while (m && fgets(line, sizeof(line), m)) {
        uint64_t a, b;
        if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &a, &b) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            in_ram = (b - a == ram_bytes);
            if (in_ram) {
                s = a;
                e = b;
            }
            continue;
        }
        if (in_ram && (!strncmp(line, "Rss:", 4) || !strncmp(line, "AnonHugePages:", 14)))
            fprintf(f, "ram_mapping %" PRIx64 "-%" PRIx64 " %s", s, e, line);
    }
    if (m)
        fclose(m);
    if (e)
        regions(f, s, e - s);
    fclose(f);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                                           char **argv)
{
    (void)info;
    for (int i = 0; i < argc; i++) {
        if (!strncmp(argv[i], "out=", 4))
            snprintf(out_path, sizeof(out_path), "%s", argv[i] + 4);
        else if (!strncmp(argv[i], "tbs=", 4))
        {
            tb_log = fopen(argv[i] + 4, "w");
            tbs = calloc(MAX_TBS, sizeof(*tbs));
        }
        else if (!strncmp(argv[i], "ram=", 4))
            ram_bytes = strtoull(argv[i] + 4, NULL, 0);
    }
    if (!out_path[0])
        return -1;
    qemu_plugin_register_vcpu_tb_trans_cb(id, tb_trans);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
