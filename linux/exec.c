/* Starting the program: the ELF image from the VFS at its link address
 * (ET_EXEC) or at LINUX_ET_DYN_BASE (PIE), the break after it, an 8 MiB
 * stack below LINUX_USER_STACK_TOP with argv, the environment from --env
 * and the auxiliary vector, then ring 3 on the calling thread. A dynamic
 * program (PT_INTERP) gets its own dynamic linker from the image loaded at
 * the mmap base, AT_BASE naming it, and ring 3 starts there: the linker
 * maps the libraries with mmap and jumps to AT_ENTRY, the program's. */
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

static uint64_t page_vfs(void *ctx, uint64_t off) { return vfs_page(*(int *)ctx, off); }

static unsigned seg_prot(unsigned pf)
{
    return ((pf & ELF_PF_R) ? LINUX_PROT_READ : 0) | ((pf & ELF_PF_W) ? LINUX_PROT_WRITE : 0) |
           ((pf & ELF_PF_X) ? LINUX_PROT_EXEC : 0);
}

/* What exec loaded: the program, and its interpreter when it has one. */
struct loaded {
    struct elf_info e;
    uint64_t bias;
    bool has_interp;
    uint64_t interp_base, interp_entry; /* the interpreter's load address and entry */
};

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
        int rc = mm_map(mm, start, end - start, seg_prot(s->flags), 0, read_vfs, page_vfs, &fd,
                        s->offset - head, s->filesz + head);
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

static int build_stack(struct lmm *mm, const struct kernel_options *o, const struct loaded *l, uint64_t *sp)
{
    const struct elf_info *e = &l->e;
    uint64_t bias = l->bias;
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
    /* Without a vDSO the entry says nothing (AT_IGNORE): C libraries and Go
     * then make the system calls. */
    uint64_t vdso = 0;
    bool has_vdso = vdso_map(mm, &vdso) == 0;
    const uint64_t aux[][2] = {
        { AT_PHDR, e->phdr_vaddr ? e->phdr_vaddr + bias : 0 },
        { AT_PHENT, ELF_PHENT },
        { AT_PHNUM, e->phnum },
        { AT_PAGESZ, PAGE_SIZE },
        { AT_BASE, l->has_interp ? l->interp_base : 0 },
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
        { has_vdso ? AT_SYSINFO_EHDR : AT_IGNORE, vdso },
    };
    a.naux = sizeof(aux) / sizeof(aux[0]);
    memcpy(a.aux, aux, sizeof(aux));
    uint64_t top = LINUX_USER_STACK_TOP;
    int rc = mm_map(mm, top - LINUX_STACK_SIZE, LINUX_STACK_SIZE, LINUX_PROT_READ | LINUX_PROT_WRITE, VMA_STACK,
                    NULL, NULL, NULL, 0, 0);
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

/* Opens path and checks its headers; *e describes it. interp (ELF_INTERP_MAX
 * bytes, or NULL when path is itself an interpreter) gets the program's
 * interpreter path, "" for a static program. role names the file in errors. */
static int open_elf(const char *path, const char *role, struct elf_info *e, char *interp, int *fd_out)
{
    int fd = vfs_open(path, VFS_O_RDONLY, 0);
    if (fd < 0)
        return fd; /* the caller says what was missing */
    struct vfs_stat st;
    uint8_t *hdr = malloc(HEADER_BYTES);
    int rc = hdr ? vfs_fstat(fd, &st) : -ENOMEM;
    long n = rc < 0 ? rc : vfs_pread(fd, hdr, HEADER_BYTES, 0);
    const char *why = NULL;
    if (n < 0) {
        rc = (int)n;
    } else if ((st.mode & VFS_S_IFMT) != VFS_S_IFREG) {
        pr_err("app: %s %s: not a regular file\n", role, path);
        rc = -EACCES;
    } else if (elf_parse(hdr, (size_t)n, st.size, USER_VA_END, e, &why) < 0) {
        pr_err("app: %s %s: %s\n", role, path, why);
        rc = -ENOEXEC;
    } else if (interp) {
        interp[0] = '\0';
        if (e->interp)
            strlcpy(interp, e->interp_path, ELF_INTERP_MAX);
    } else if (e->interp || e->type != ELF_ET_DYN) {
        /* Linux would take an ET_EXEC one; no loader Kestrel meets is one,
         * and a fixed address could land on the program. */
        pr_err("app: %s %s: %s\n", role, path,
               e->interp ? "has an interpreter itself" : "is not position-independent (ET_DYN)");
        rc = -ENOEXEC;
    }
    e->interp_path = NULL; /* it pointed into hdr */
    free(hdr);
    if (rc < 0)
        vfs_close(fd);
    else
        *fd_out = fd;
    return rc;
}

static int load(const char *path, struct loaded *l)
{
    static char interp[ELF_INTERP_MAX];
    int fd;
    int rc = open_elf(path, "program", &l->e, interp, &fd);
    if (rc < 0)
        return rc;
    l->bias = l->e.type == ELF_ET_DYN ? LINUX_ET_DYN_BASE - l->e.lo : 0;
    rc = load_segments(&proc.mm, fd, &l->e, l->bias);
    vfs_close(fd);
    l->has_interp = interp[0] != '\0';
    if (rc < 0 || !l->has_interp)
        return rc;
    /* The dynamic linker goes where mmap's search starts, and its own
     * mappings follow it, as Linux puts it among the mmap regions. */
    struct elf_info ie;
    rc = open_elf(interp, "interpreter", &ie, NULL, &fd);
    if (rc < 0) {
        if (rc != -ENOEXEC && rc != -EACCES)
            pr_err("app: %s needs its interpreter %s: %s (error %d)\n", path, interp,
                   rc == -ENOENT ? "not in the image" : rc == -EISDIR ? "a directory, not a file" : "cannot open it",
                   -rc);
        return rc == -ENOENT ? -ENOEXEC : rc;
    }
    uint64_t ibias = proc.mm.mmap_base - ie.lo;
    rc = load_segments(&proc.mm, fd, &ie, ibias);
    vfs_close(fd);
    if (rc < 0)
        return rc;
    l->interp_base = ie.lo + ibias;
    l->interp_entry = ie.entry + ibias;
    return 0;
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
    static struct loaded l;
    uint64_t sp = 0;
    int rc = lproc_files_init(&proc, proc.cwd);
    if (rc < 0)
        pr_err("app: working directory %s: error %d\n", proc.cwd, -rc);
    if (rc == 0) {
        linux_resolv_start(o);
        rc = load(path, &l);
    }
    if (rc == 0) {
        proc.mm.brk_start = proc.mm.brk = l.e.hi + l.bias;
        rc = build_stack(&proc.mm, o, &l, &sp);
    }
    /* With an interpreter, it runs first and jumps to AT_ENTRY itself. */
    uint64_t entry = l.has_interp ? l.interp_entry : l.e.entry + l.bias;
    if (rc == 0 && proc.strace)
        kprintf("strace: exec %s: entry %#llx%s, sp %#llx, break %#llx, fpu state by %s (%zu bytes)\n", path,
                (unsigned long long)entry, l.has_interp ? " (the interpreter's)" : "", (unsigned long long)sp,
                (unsigned long long)proc.mm.brk, user_has_xsave() ? "xsave" : "fxsave", user_xsave_size());
    struct thread *t = thread_current();
    if (rc == 0) {
        struct user_ctx *u = user_ctx_create();
        if (u)
            user_ctx_attach(u);
        else
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
    f.rip = entry;
    f.rsp = sp;
    f.rflags = 0x202;
    user_enter(&f);
}
