/* httpd's files: those under --root in the file system (fs/: the initrd
 * or an ext4 disk), or, when that directory holds nothing (a VM booted
 * without files), a built-in page and generated files of known content
 * that tests and benchmarks check byte for byte. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "content.h"

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><title>Kestrel</title></head>\n"
    "<body><h1>Kestrel httpd</h1>\n"
    "<p>Served by a Kestrel unikernel over lwIP.</p>\n"
    "</body></html>\n";

static long read_static(const struct content *c, uint64_t off, void *buf, size_t len)
{
    if (off >= c->size)
        return 0;
    size_t n = c->size - off < len ? (size_t)(c->size - off) : len;
    memcpy(buf, (const char *)c->priv + off, n);
    return (long)n;
}

static long read_pattern(const struct content *c, uint64_t off, void *buf, size_t len)
{
    if (off >= c->size)
        return 0;
    size_t n = c->size - off < len ? (size_t)(c->size - off) : len;
    uint8_t *p = buf;
    for (size_t i = 0; i < n; i++)
        p[i] = content_pattern_byte(off + i);
    return (long)n;
}

static const struct {
    const char *path;
    uint64_t size;
    const void *data; /* NULL: generated */
} files[] = {
    { "/index.html", sizeof(index_html) - 1, index_html },
    { "/data.bin", 1024 * 1024, NULL },
    { "/small.txt", 1000, NULL },
    { "/large.bin", 64ull * 1024 * 1024, NULL },
};

static long read_file(const struct content *c, uint64_t off, void *buf, size_t len)
{
    long n = (long)pread(c->fd, buf, len, (off_t)off);
    return n < 0 ? -errno : n;
}

/* Built-in files only where the root has no entry at all: a server given
 * files never answers with generated ones. Decided once: the root is an
 * initrd or a read-only disk that httpd does not change. */
static int root_is_empty(const char *root)
{
    static int state = -1;
    if (state >= 0)
        return state;
    DIR *d = opendir(root);
    int empty = 1;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            empty = 0;
            break;
        }
    }
    if (d)
        closedir(d);
    state = empty;
    return state;
}

/* root + path, and root + path + "/index.html" for a directory. */
static int open_from_fs(const char *root, const char *path, struct content *c)
{
    char full[1024];
    const char *sep = root[0] && root[strlen(root) - 1] == '/' ? "" : "/";
    int n = snprintf(full, sizeof(full), "%s%s%s", root, sep, path[0] == '/' ? path + 1 : path);
    if (n < 0 || (size_t)n >= sizeof(full) - sizeof("/index.html"))
        return -ENAMETOOLONG;
    struct stat st;
    if (stat(full, &st) < 0)
        return -errno;
    const char *name = path;
    if (S_ISDIR(st.st_mode)) {
        const char *index = full[n - 1] == '/' ? "index.html" : "/index.html";
        memcpy(full + n, index, strlen(index) + 1);
        if (stat(full, &st) < 0)
            return -errno;
        name = "/index.html"; /* for its content type */
    }
    if (!S_ISREG(st.st_mode))
        return -ENOENT;
    int fd = open(full, O_RDONLY);
    if (fd < 0)
        return -errno;
    c->size = (uint64_t)st.st_size;
    c->name = name;
    c->priv = NULL;
    c->fd = fd;
    c->read_at = read_file;
    return 0;
}

int content_open(const char *root, const char *path, struct content *c)
{
    c->fd = -1;
    if (!root_is_empty(root))
        return open_from_fs(root, path, c);
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        if (strcmp(files[i].path, path) != 0)
            continue;
        c->size = files[i].size;
        c->name = files[i].path;
        c->priv = files[i].data;
        c->read_at = files[i].data ? read_static : read_pattern;
        return 0;
    }
    return -ENOENT;
}

void content_close(struct content *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    c->priv = NULL;
}
