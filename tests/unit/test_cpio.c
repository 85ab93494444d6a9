/* The cpio newc walker, ramfs filled from it and the VFS over ramfs, on the
 * host: an archive made by the cpio tool, archives built here with hostile
 * fields (truncations at every byte, bad hex, names and data past the end,
 * ".." components, duplicates), then path lookup and errno semantics. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../fs/cpio.h"
#include "../../fs/ramfs.h"
#include "check.h"
#include "sync.h"
#include "vfs.h"

/* The VFS lock has nothing to guard in a single-threaded test. */
void mutex_lock(struct mutex *m) { (void)m; }
void mutex_unlock(struct mutex *m) { (void)m; }

static char arc[1 << 16];
static size_t arc_len;

static void add(const char *name, unsigned mode, const char *data, size_t size)
{
    size_t nl = strlen(name) + 1;
    arc_len += (size_t)sprintf(arc + arc_len, "070701%08x%08x%08x%08x%08x%08x%08zx%08x%08x%08x%08x%08zx%08x", 1u,
                               mode, 0u, 0u, 1u, 0u, size, 0u, 0u, 0u, 0u, nl, 0u);
    memcpy(arc + arc_len, name, nl);
    arc_len += nl;
    while (arc_len % 4)
        arc[arc_len++] = 0;
    memcpy(arc + arc_len, data, size);
    arc_len += size;
    while (arc_len % 4)
        arc[arc_len++] = 0;
}

static int count_cb(void *ctx, const struct cpio_entry *e)
{
    (*(int *)ctx)++;
    (void)e;
    return 0;
}

static void build_good(void)
{
    arc_len = 0;
    add(".", 040755, "", 0);
    add("./etc", 040755, "", 0);
    add("./etc/conf", 0100644, "key=value\n", 10);
    add("www/a/b/index.html", 0100644, "<h1>hi</h1>", 11); /* parents not listed */
    add("www/link", 0120777, "a/b/index.html", 14);
    add("www/up", 0120777, "../etc/conf", 11);
    add("/abs/file", 0100600, "x", 1);
    add("dev/null", 020666, "", 0); /* a device: skipped */
    add("bad/../escape", 0100644, "no", 2);
    add("etc/conf", 0100644, "dup", 3); /* a duplicate: skipped */
    add("TRAILER!!!", 0, "", 0);
}

static void check_walk(void)
{
    build_good();
    int n = 0;
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), 10);
    CHECK_EQ(n, 10);
    /* Every truncation fails cleanly (ASan watches the reads). */
    for (size_t cut = 0; cut < arc_len - 4; cut++) {
        uint8_t *copy = malloc(cut + 1);
        memcpy(copy, arc, cut);
        n = 0;
        CHECK_EQ(cpio_walk(copy, cut, count_cb, &n), -EIO);
        free(copy);
    }
    char save = arc[8];
    arc[8] = 'g'; /* not hex */
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), -EIO);
    arc[8] = save;
    memcpy(arc, "070707", 6); /* old binary/odc magic */
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), -EIO);
    memcpy(arc, "070701", 6);
    memcpy(arc + 6 + 11 * 8, "ffffffff", 8); /* namesize */
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), -EIO);
    memcpy(arc + 6 + 11 * 8, "00000000", 8);
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), -EIO);
    memcpy(arc + 6 + 11 * 8, "00000002", 8); /* "." plus NUL */
    memcpy(arc + 6 + 6 * 8, "7fffffff", 8); /* filesize */
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), -EIO);
    memcpy(arc + 6 + 6 * 8, "00000000", 8);
    CHECK_EQ(cpio_walk((uint8_t *)arc, arc_len, count_cb, &n), 10);
}

static int mount_ramfs(const char *src, void *data, struct vnode **root)
{
    (void)src;
    int rc = ramfs_new(root);
    if (rc == 0 && data)
        ramfs_load_cpio(*root, ((struct ramfs_image *)data)->buf, ((struct ramfs_image *)data)->len);
    return rc;
}

/* The host has no linker script: the VFS finds this table through the
 * section's __start_/__stop_ symbols, which the host linker provides. */
static const struct fs_type test_ramfs = { "testfs", mount_ramfs };
static const struct fs_type *const test_ramfs_entry __attribute__((used, section("kestrel_fstypes"))) = &test_ramfs;

static long cat(const char *path, char *buf, size_t len)
{
    int fd = vfs_open(path, VFS_O_RDONLY, 0);
    if (fd < 0)
        return fd;
    long n = vfs_read(fd, buf, len);
    vfs_close(fd);
    return n;
}

static void check_vfs(void)
{
    build_good();
    struct ramfs_image img = { (uint8_t *)arc, arc_len };
    CHECK(fs_type_find("ramfs") != NULL); /* ramfs.c registered its own */
    CHECK_EQ(vfs_mount("testfs", "initrd", "/", &img), 0);
    char b[64] = { 0 };
    CHECK_EQ(cat("/etc/conf", b, sizeof(b)), 10);
    CHECK(memcmp(b, "key=value\n", 10) == 0);
    CHECK_EQ(cat("/www/link", b, sizeof(b)), 11);
    CHECK(memcmp(b, "<h1>hi</h1>", 11) == 0);
    CHECK_EQ(cat("/www/up", b, sizeof(b)), 10);
    CHECK_EQ(cat("/abs/file", b, sizeof(b)), 1);
    CHECK_EQ(cat("/www/a/../a/./b//index.html", b, sizeof(b)), 11);
    CHECK_EQ(cat("/../../etc/conf", b, sizeof(b)), 10);
    CHECK_EQ(cat("/dev/null", b, sizeof(b)), -ENOENT);
    CHECK_EQ(cat("/escape", b, sizeof(b)), -ENOENT);
    CHECK_EQ(cat("/bad/escape", b, sizeof(b)), -ENOENT);
    CHECK_EQ(cat("/etc/conf/x", b, sizeof(b)), -ENOTDIR);
    CHECK_EQ(cat("/etc", b, sizeof(b)), -EISDIR);
    CHECK_EQ(cat("relative", b, sizeof(b)), -ENOENT);
    CHECK_EQ(cat("", b, sizeof(b)), -ENOENT);
    CHECK_EQ(vfs_open("/etc", VFS_O_WRONLY, 0), -EISDIR);
    CHECK_EQ(vfs_open("/etc/conf", VFS_O_RDONLY | VFS_O_DIRECTORY, 0), -ENOTDIR);
    CHECK_EQ(vfs_symlink("l2", "/l1"), 0);
    CHECK_EQ(vfs_symlink("l1", "/l2"), 0);
    CHECK_EQ(cat("/l1", b, sizeof(b)), -ELOOP);
    CHECK_EQ(vfs_symlink("/etc", "/etclink"), 0);
    CHECK_EQ(cat("/etclink/conf", b, sizeof(b)), 10);
    CHECK_EQ(vfs_open("/etclink", VFS_O_RDONLY | VFS_O_NOFOLLOW, 0), -ELOOP);
    /* A chain of 40 links resolves; 41 is a loop. */
    char name[32], target[32];
    for (int i = 0; i < 41; i++) {
        snprintf(name, sizeof(name), "/c%d", i);
        snprintf(target, sizeof(target), i ? "c%d" : "etc/conf", i - 1);
        CHECK_EQ(vfs_symlink(target, name), 0);
    }
    CHECK_EQ(cat("/c39", b, sizeof(b)), 10);
    CHECK_EQ(cat("/c40", b, sizeof(b)), -ELOOP);
    char longname[300];
    memset(longname, 'x', sizeof(longname));
    longname[0] = '/';
    longname[299] = 0;
    CHECK_EQ(cat(longname, b, sizeof(b)), -ENAMETOOLONG);
    CHECK_EQ(vfs_mkdir(longname, 0755), -ENAMETOOLONG);
    char *longpath = malloc(VFS_PATH_MAX + 2);
    memset(longpath, '/', VFS_PATH_MAX + 1);
    longpath[VFS_PATH_MAX + 1] = 0;
    CHECK_EQ(cat(longpath, b, sizeof(b)), -ENAMETOOLONG);
    free(longpath);
    /* Writes, holes, appends, truncation. */
    CHECK_EQ(vfs_mkdir("/new", 0755), 0);
    CHECK_EQ(vfs_mkdir("/new", 0755), -EEXIST);
    int fd = vfs_open("/new/f", VFS_O_RDWR | VFS_O_CREAT, 0644);
    CHECK(fd >= 0);
    CHECK_EQ(vfs_pwrite(fd, "end", 3, 10000), 3);
    CHECK_EQ(vfs_pread(fd, b, 4, 9998), 4);
    CHECK(memcmp(b, "\0\0en", 4) == 0);
    CHECK_EQ(vfs_lseek(fd, 0, VFS_SEEK_END), 10003);
    CHECK_EQ(vfs_lseek(fd, -1, VFS_SEEK_SET), -EINVAL);
    CHECK_EQ(vfs_close(fd), 0);
    CHECK_EQ(vfs_close(fd), -EBADF);
    fd = vfs_open("/etc/conf", VFS_O_WRONLY | VFS_O_APPEND, 0);
    CHECK_EQ(vfs_write(fd, "more\n", 5), 5);
    vfs_close(fd);
    CHECK_EQ(cat("/etc/conf", b, sizeof(b)), 15);
    CHECK(memcmp(arc, "070701", 6) == 0); /* the archive itself untouched */
    fd = vfs_open("/etc/conf", VFS_O_WRONLY | VFS_O_TRUNC, 0);
    vfs_close(fd);
    CHECK_EQ(cat("/etc/conf", b, sizeof(b)), 0);
    /* readdir sees each child once. */
    fd = vfs_open("/www", VFS_O_RDONLY | VFS_O_DIRECTORY, 0);
    struct vfs_dirent d;
    int n = 0;
    while (vfs_readdir(fd, &d) == 1)
        n++;
    CHECK_EQ(n, 3);
    vfs_close(fd);
    /* A second ramfs mounted on a directory, and ".." back out of it. */
    CHECK_EQ(vfs_mount("testfs", "none", "/new", NULL), 0);
    CHECK_EQ(cat("/new/f", b, sizeof(b)), -ENOENT);
    struct vfs_stat st;
    CHECK_EQ(vfs_stat("/new/../etc/conf", &st), 0);
    CHECK_EQ(vfs_mount("testfs", "none", "/etc/conf", NULL), -ENOTDIR);
    CHECK_EQ(vfs_mount("nosuchfs", "none", "/etc", NULL), -ENODEV);
    /* Descriptors run out cleanly. */
    int fds[VFS_MAX_FILES + 1], opened = 0;
    for (int i = 0; i <= VFS_MAX_FILES; i++) {
        fds[i] = vfs_open("/etc", VFS_O_RDONLY, 0);
        opened += fds[i] >= 0;
    }
    CHECK_EQ(fds[VFS_MAX_FILES], -EMFILE);
    for (int i = 0; i < opened; i++)
        vfs_close(fds[i]);
    CHECK_EQ(opened, VFS_MAX_FILES);
}

static void check_tool_archive(void)
{
    /* An archive made by the cpio tool (GNU cpio -H newc). */
    if (system("rm -rf build/host/cpio-t && mkdir -p build/host/cpio-t/a/b && printf abc > build/host/cpio-t/a/b/f && "
               "ln -sf b/f build/host/cpio-t/a/l && cd build/host/cpio-t && find . | cpio --quiet -o -H newc > ../t.cpio") != 0) {
        CHECK(0);
        return;
    }
    FILE *f = fopen("build/host/t.cpio", "rb");
    static uint8_t buf[1 << 16];
    size_t len = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    int n = 0;
    CHECK_EQ(cpio_walk(buf, len, count_cb, &n), 5);
    static struct vnode *root; /* ramfs lives as long as the program */
    CHECK_EQ(ramfs_new(&root), 0);
    CHECK_EQ(ramfs_load_cpio(root, buf, len), 5);
    struct vnode *a, *l;
    CHECK_EQ(root->ops->lookup(root, "a", 1, &a), 0);
    CHECK_EQ(a->ops->lookup(a, "l", 1, &l), 0);
    char t[8];
    CHECK_EQ(l->ops->readlink(l, t, sizeof(t)), 3);
    CHECK(memcmp(t, "b/f", 3) == 0);
}

/* scripts/kestrel_initrd.py's archive with page-aligned data (made and
 * read back by GNU cpio in tests/unit/cpio_aligned.py): the walk finds
 * every name (NUL-padded name fields) and the bytes, ELF and large files'
 * data lie at a multiple of 4096 from the start, and ramfs hands out those
 * pages (fs_ops.page) but not a partial last page followed by the next
 * header, a small unaligned file's, or a file's once written. */
struct aligned_seen {
    const uint8_t *base;
    int files, aligned, bytes_ok;
};

static int pattern_ok(const uint8_t *d, size_t size, unsigned seed, int elf)
{
    for (size_t i = 0; i < size; i++) {
        uint8_t want = (uint8_t)((i * 7 + seed) & 255);
        if (elf && i < 4)
            want = (uint8_t) "\x7f" "ELF"[i];
        if (d[i] != want)
            return 0;
    }
    return 1;
}

static int aligned_cb(void *ctx, const struct cpio_entry *e)
{
    static const struct { const char *tail; size_t size; unsigned seed; int elf, aligned; } want[] = {
        { "lib/libone.so", 9000, 1, 1, 1 }, { "lib/small.txt", 10, 2, 0, 0 }, { "lib/page.so", 8192, 3, 1, 1 },
        { "big.dat", 70000, 4, 0, 1 },      { "/long.so", 5000, 6, 1, 1 },
    };
    struct aligned_seen *s = ctx;
    if ((e->mode & 0170000) != 0100000 || memchr(e->name, 0, e->name_len))
        return 0;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        size_t tl = strlen(want[i].tail);
        if (e->name_len < tl || memcmp(e->name + e->name_len - tl, want[i].tail, tl) != 0)
            continue;
        s->files++;
        s->aligned += want[i].aligned && (size_t)(e->data - s->base) % 4096 == 0;
        s->bytes_ok += e->size == want[i].size && pattern_ok(e->data, e->size, want[i].seed, want[i].elf);
    }
    return 0;
}

static struct vnode *walk2(struct vnode *root, const char *dir, const char *name)
{
    struct vnode *d, *f;
    if (root->ops->lookup(root, dir, strlen(dir), &d) != 0 || d->ops->lookup(d, name, strlen(name), &f) != 0)
        return NULL;
    return f;
}

static void check_aligned_archive(void)
{
    if (system("rm -rf build/host/cpio-al && mkdir -p build/host/cpio-al && "
               "python3 tests/unit/cpio_aligned.py build/host/cpio-al") != 0) {
        CHECK(0);
        return;
    }
    FILE *f = fopen("build/host/cpio-al/a.cpio", "rb");
    static uint8_t buf[1 << 18] __attribute__((aligned(4096)));
    size_t len = f ? fread(buf, 1, sizeof(buf), f) : 0;
    if (f)
        fclose(f);
    CHECK(len > 0 && len < sizeof(buf));
    struct aligned_seen s = { buf, 0, 0, 0 };
    CHECK(cpio_walk(buf, len, aligned_cb, &s) > 0);
    CHECK_EQ(s.files, 5);
    CHECK_EQ(s.aligned, 4);
    CHECK_EQ(s.bytes_ok, 5);
    static struct vnode *root; /* ramfs lives as long as the program */
    CHECK_EQ(ramfs_new(&root), 0);
    CHECK(ramfs_load_cpio(root, buf, len) > 0);
    struct vnode *one = walk2(root, "lib", "libone.so"), *page = walk2(root, "lib", "page.so");
    struct vnode *small = walk2(root, "lib", "small.txt");
    CHECK(one && page && small);
    if (!one || !page || !small)
        return;
    uint64_t p0 = vfs_vn_page(one, 0);
    CHECK(p0 != 0 && p0 % 4096 == 0 && p0 >= (uintptr_t)buf && p0 < (uintptr_t)buf + len);
    CHECK(p0 && pattern_ok((const uint8_t *)(uintptr_t)p0, 4096, 1, 1));
    CHECK_EQ(vfs_vn_page(one, 4096), p0 + 4096);
    CHECK_EQ(vfs_vn_page(one, 8192), 0); /* 808 bytes, then the next entry's header */
    CHECK_EQ(vfs_vn_page(one, 100), 0);
    CHECK_EQ(vfs_vn_page(one, 12288), 0);
    CHECK(vfs_vn_page(page, 4096) != 0);
    CHECK_EQ(vfs_vn_page(small, 0), 0);
    CHECK_EQ(vfs_vn_write(one, "x", 1, 0), 1);
    CHECK_EQ(vfs_vn_page(one, 0), 0);
    CHECK(pattern_ok((const uint8_t *)(uintptr_t)p0, 4096, 1, 1)); /* the archive is left as it was */
}

int main(void)
{
    check_walk();
    check_vfs();
    check_tool_archive();
    check_aligned_archive();
    return check_report("test_cpio");
}
