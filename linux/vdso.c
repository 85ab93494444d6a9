/* Maps the vDSO into a program: a read-only data page (struct vdso_data,
 * include/vdso_data.h) and, right above it, the image linux/vdso_image.S
 * embeds, read+exec. Its address goes to the program as AT_SYSINFO_EHDR.
 * The data is filled when the program starts: the TSC formula's terms do
 * not change after boot (the clock source, its rate and the RTC anchor are
 * fixed), so no later update is needed; the seqlock is there for one. */
#include <string.h>
#include "abi.h"
#include "clock.h"
#include "log.h"
#include "vdso_data.h"

extern const uint8_t vdso_image_start[], vdso_image_end[];

/* Below the stack, with a gap, where Linux puts its vDSO too. */
#define VDSO_GAP (16ull << 20)

struct mem_src {
    const void *p;
    size_t n;
};

static long read_mem(void *ctx, void *buf, size_t len, uint64_t off)
{
    const struct mem_src *m = ctx;
    if (off >= m->n)
        return 0;
    if (len > m->n - off)
        len = m->n - off;
    memcpy(buf, (const uint8_t *)m->p + off, len);
    return (long)len;
}

static void fill_data(struct vdso_data *d)
{
    memset(d, 0, sizeof(*d));
    d->mode = VDSO_MODE_SYSCALL;
    if (clock_user_tsc(&d->tsc_base, &d->mult, &d->rt_base_ns, &d->rt_base_mono) == 0)
        d->mode = VDSO_MODE_TSC;
}

int vdso_map(struct lmm *mm, uint64_t *ehdr)
{
    size_t image = (size_t)(vdso_image_end - vdso_image_start);
    uint64_t image_len = (image + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    uint64_t base = LINUX_USER_STACK_TOP - LINUX_STACK_SIZE - VDSO_GAP - image_len;
    uint64_t data = base - PAGE_SIZE;
    if (image == 0 || mm_range_free(mm, data, PAGE_SIZE + image_len) < 0)
        return -ENOMEM;
    static struct vdso_data d;
    fill_data(&d);
    struct mem_src ds = { &d, sizeof(d) }, is = { vdso_image_start, image };
    int rc = mm_map(mm, data, PAGE_SIZE, LINUX_PROT_READ, VMA_VVAR, read_mem, NULL, &ds, 0, sizeof(d));
    if (rc < 0)
        return rc;
    rc = mm_map(mm, base, image_len, LINUX_PROT_READ | LINUX_PROT_EXEC, VMA_VDSO, read_mem, NULL, &is, 0, image);
    if (rc < 0) {
        mm_unmap(mm, data, PAGE_SIZE);
        return rc;
    }
    pr_debug("linux: vDSO at %#llx (%s)\n", (unsigned long long)base,
             d.mode == VDSO_MODE_TSC ? "TSC" : "system calls");
    *ehdr = base;
    return 0;
}
