/* Starting the program: the ELF image from the VFS at its link address
 * (ET_EXEC) or at LINUX_ET_DYN_BASE (static PIE), the break after it, an
 * 8 MiB stack below LINUX_USER_STACK_TOP with argv, the environment from
 * --env and the auxiliary vector, then ring 3 on the calling thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "abi.h"
#include "thread.h"
#include "arch/x86.h"
#include "elf_parse.h"
#include "linux.h"
#include "log.h"
#include "random.h"
#include "sched.h"
#include "uaccess.h"
#include "user.h"
#include "user_stack.h"

#define HEADER_BYTES 65536
#define ARGS_BYTES (256 * 1024) /* what the strings and vectors may take */
#define EXIT_NOT_RUNNABLE 126
#define EXIT_NOT_FOUND 127
#define LINUX_PID 2

static struct lproc proc;
static struct lthread main_lthread;

struct lproc *lproc_current(void) { return proc.pid ? &proc : NULL; }

struct lthread *lthread_current(void)
{
    struct thread *t = thread_current();
    return t->uctx ? t->uctx->lthread : NULL;
}

struct int_frame *linux_user_regs(void)
{
    return (struct int_frame *)(uintptr_t)(thread_kstack_top(thread_current()) - sizeof(struct int_frame));
}

bool linux_exec_requested(const struct kernel_options *o) { return o->argc > 0 && o->argv[0][0] == '/'; }

static long read_vfs(void *ctx, void *buf, size_t len, uint64_t off)
{
    return vfs_pread(*(int *)ctx, buf, len, off);
}

static unsigned seg_prot(unsigned pf)
{
    return ((pf & ELF_PF_R) ? LINUX_PROT_READ : 0) | ((pf & ELF_PF_W) ? LINUX_PROT_WRITE : 0) |
           ((pf & ELF_PF_X) ? LINUX_PROT_EXEC : 0);
}

/* Maps each PT_LOAD: file bytes read in, the rest zero on demand. */
static int load_segments(struct lmm *mm, int fd, const struct elf_info *e, uint64_t bias)
{
    uint64_t prev_end = 0;
    for (unsigned i = 0; i < e->nseg; i++) {
        const struct elf_seg *s = &e->seg[i];
        uint64_t start = (s->vaddr + bias) & ~(PAGE_SIZE - 1);
        uint64_t end = (s->vaddr + bias + s->memsz + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        if (start < prev_end)
            return -ENOEXEC; /* two segments in one page: not produced by today's linkers */
        uint64_t head = s->vaddr + bias - start;
        int rc = mm_map(mm, start, end - start, seg_prot(s->flags), 0, read_vfs, &fd, s->offset - head,
                        s->filesz + head);
        if (rc < 0)
            return rc;
        prev_end = end;
    }
    return 0;
}

static void collect_env(const struct kernel_options *o, const char **envp, unsigned *envc)
{
    *envc = 0;
    for (unsigned i = 0; i < o->n_env; i++)
        envp[(*envc)++] = o->env[i];
}

static int build_stack(struct lmm *mm, const struct kernel_options *o, const struct elf_info *e, uint64_t bias,
                       uint64_t *sp)
{
    static struct ustack_args a;
    static const char *envp[CMDLINE_MAX_ENV];
    uint8_t rnd[16];
    random_bytes(rnd, sizeof(rnd));
    collect_env(o, envp, &a.envc);
    a.argv = (const char *const *)o->argv;
    a.argc = (unsigned)o->argc;
    a.envp = envp;
    a.execfn = o->argv[0];
    a.platform = "x86_64";
    a.random16 = rnd;
    const uint64_t aux[][2] = {
        { AT_PHDR, e->phdr_vaddr ? e->phdr_vaddr + bias : 0 },
        { AT_PHENT, ELF_PHENT },
        { AT_PHNUM, e->phnum },
        { AT_PAGESZ, PAGE_SIZE },
        { AT_BASE, 0 },
        { AT_FLAGS, 0 },
        { AT_ENTRY, e->entry + bias },
        { AT_UID, 0 },
        { AT_EUID, 0 },
        { AT_GID, 0 },
        { AT_EGID, 0 },
        { AT_SECURE, 0 },
        { AT_HWCAP, cpuid(1, 0).edx },
        { AT_HWCAP2, 0 },
        { AT_CLKTCK, 100 },
        { AT_RANDOM, 0 },
        { AT_EXECFN, 0 },
        { AT_PLATFORM, 0 },
    };
    a.naux = sizeof(aux) / sizeof(aux[0]);
    memcpy(a.aux, aux, sizeof(aux));
    uint64_t top = LINUX_USER_STACK_TOP;
    int rc = mm_map(mm, top - LINUX_STACK_SIZE, LINUX_STACK_SIZE, LINUX_PROT_READ | LINUX_PROT_WRITE, VMA_STACK,
                    NULL, NULL, 0, 0);
    if (rc < 0)
        return rc;
    uint8_t *buf = malloc(ARGS_BYTES);
    if (!buf)
        return -ENOMEM;
    if (ustack_build(buf, ARGS_BYTES, top, &a, sp) < 0) {
        free(buf);
        return -E2BIG;
    }
    rc = copy_to_user((void *)(uintptr_t)*sp, buf + (*sp - (top - ARGS_BYTES)), top - *sp);
    free(buf);
    return rc;
}

static int load(const char *path, struct elf_info *e, uint64_t *bias)
{
    int fd = vfs_open(path, VFS_O_RDONLY, 0);
    if (fd < 0)
        return fd;
    struct vfs_stat st;
    uint8_t *hdr = malloc(HEADER_BYTES);
    int rc = hdr ? vfs_fstat(fd, &st) : -ENOMEM;
    long n = rc < 0 ? rc : vfs_pread(fd, hdr, HEADER_BYTES, 0);
    const char *why = NULL;
    if (n < 0)
        rc = (int)n;
    else if ((st.mode & VFS_S_IFMT) != VFS_S_IFREG)
        rc = -EACCES;
    else if (elf_parse(hdr, (size_t)n, st.size, USER_VA_END, e, &why) < 0) {
        pr_err("app: %s: %s\n", path, why);
        rc = -ENOEXEC;
    } else if (e->interp) {
        pr_err("app: %s: dynamic programs need issue 21 (a PT_INTERP program)\n", path);
        rc = -ENOEXEC;
    }
    free(hdr);
    if (rc == 0) {
        *bias = e->type == ELF_ET_DYN ? LINUX_ET_DYN_BASE - e->lo : 0;
        rc = load_segments(&proc.mm, fd, e, *bias);
    }
    vfs_close(fd);
    return rc;
}

int linux_exec_main(const struct kernel_options *o)
{
    const char *path = o->argv[0];
    proc.pid = LINUX_PID;
    proc.exe_path = path;
    proc.strace = o->strace;
    mm_init(&proc.mm);
    strlcpy(proc.cwd, o->cwd[0] ? o->cwd : "/", sizeof(proc.cwd));
    struct vfs_stat cst;
    if (vfs_stat(proc.cwd, &cst) < 0 || (cst.mode & VFS_S_IFMT) != VFS_S_IFDIR) {
        pr_err("app: --cwd=%s is not a directory\n", proc.cwd);
        return EXIT_NOT_RUNNABLE;
    }
    struct elf_info e;
    uint64_t bias = 0, sp = 0;
    int rc = lproc_files_init(&proc, proc.cwd);
    if (rc < 0)
        pr_err("app: working directory %s: error %d\n", proc.cwd, -rc);
    if (rc == 0)
        rc = load(path, &e, &bias);
    if (rc == 0) {
        proc.mm.brk_start = proc.mm.brk = e.hi + bias;
        rc = build_stack(&proc.mm, o, &e, bias, &sp);
    }
    if (rc == 0 && proc.strace)
        kprintf("strace: exec %s: entry %#llx, sp %#llx, break %#llx, fpu state by %s (%zu bytes)\n", path,
                (unsigned long long)(e.entry + bias), (unsigned long long)sp, (unsigned long long)proc.mm.brk,
                user_has_xsave() ? "xsave" : "fxsave", user_xsave_size());
    struct thread *t = thread_current();
    if (rc == 0) {
        t->uctx = user_ctx_create();
        if (!t->uctx)
            rc = -ENOMEM;
    }
    if (rc < 0) {
        pr_err("app: cannot run %s: %s\n", path, rc == -ENOENT ? "no such file" : rc == -ENOEXEC ? "not a program Kestrel can run" : rc == -ENOMEM ? "out of memory (or a frame the kernel holds)" : "error");
        pr_debug("app: error %d\n", -rc);
        return rc == -ENOENT ? EXIT_NOT_FOUND : EXIT_NOT_RUNNABLE;
    }
    main_lthread.tid = proc.pid;
    strlcpy(main_lthread.name, strrchr(path, '/') + 1, sizeof(main_lthread.name));
    t->uctx->lthread = &main_lthread;
    lthread_register_main(&main_lthread, t);
    lproc_stop_register();
    struct int_frame f;
    memset(&f, 0, sizeof(f));
    f.rip = e.entry + bias;
    f.rsp = sp;
    f.rflags = 0x202;
    user_enter(&f);
}
