/* stdio streams: reads go through a 4 KiB buffer, writes straight to the
 * file (so there is nothing to lose at exit); stdout and stderr write to
 * the console. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "console.h"
#include "vfs.h"

struct file_stream {
    int fd;        /* -1: the console */
    int eof, err;
    size_t pos, len; /* unread bytes are buf[pos, len) */
    int unget;       /* a pushed-back byte, or EOF */
    unsigned char buf[BUFSIZ];
};

static struct file_stream console_stream = { .fd = -1, .unget = EOF };
FILE *const stdout = &console_stream;
FILE *const stderr = &console_stream;

static int mode_flags(const char *m)
{
    int plus = strchr(m, '+') != NULL;
    switch (m[0]) {
    case 'r':
        return plus ? VFS_O_RDWR : VFS_O_RDONLY;
    case 'w':
        return (plus ? VFS_O_RDWR : VFS_O_WRONLY) | VFS_O_CREAT | VFS_O_TRUNC;
    case 'a':
        return (plus ? VFS_O_RDWR : VFS_O_WRONLY) | VFS_O_CREAT | VFS_O_APPEND;
    default:
        return -1;
    }
}

FILE *fopen(const char *path, const char *mode)
{
    int flags = mode_flags(mode);
    if (flags < 0) {
        errno = EINVAL;
        return NULL;
    }
    int fd = vfs_open(path, flags, 0644);
    if (fd < 0) {
        errno = -fd;
        return NULL;
    }
    FILE *f = calloc(1, sizeof(*f));
    if (!f) {
        vfs_close(fd);
        errno = ENOMEM;
        return NULL;
    }
    f->fd = fd;
    f->unget = EOF;
    return f;
}

int fclose(FILE *f)
{
    if (f->fd < 0)
        return 0;
    int rc = vfs_close(f->fd);
    free(f);
    if (rc < 0) {
        errno = -rc;
        return EOF;
    }
    return 0;
}

/* Gives the file offset back the bytes read ahead but not consumed. */
static int drop_buffer(FILE *f)
{
    int64_t ahead = (int64_t)(f->len - f->pos) + (f->unget != EOF);
    f->pos = f->len = 0;
    f->unget = EOF;
    if (ahead && vfs_lseek(f->fd, -ahead, VFS_SEEK_CUR) < 0)
        return -1;
    return 0;
}

static int refill(FILE *f)
{
    long n = vfs_read(f->fd, f->buf, sizeof(f->buf));
    if (n < 0) {
        errno = (int)-n;
        f->err = 1;
        return -1;
    }
    if (n == 0) {
        f->eof = 1;
        return -1;
    }
    f->pos = 0;
    f->len = (size_t)n;
    return 0;
}

size_t fread(void *buf, size_t size, size_t n, FILE *f)
{
    if (f->fd < 0 || !size || !n)
        return 0;
    size_t want = size * n, got = 0;
    unsigned char *out = buf;
    if (f->unget != EOF && want) {
        out[got++] = (unsigned char)f->unget;
        f->unget = EOF;
    }
    while (got < want) {
        if (f->pos == f->len) {
            /* Long reads skip the buffer. */
            if (want - got >= sizeof(f->buf)) {
                long r = vfs_read(f->fd, out + got, want - got);
                if (r <= 0) {
                    f->eof |= r == 0;
                    f->err |= r < 0;
                    break;
                }
                got += (size_t)r;
                continue;
            }
            if (refill(f) < 0)
                break;
        }
        size_t c = f->len - f->pos < want - got ? f->len - f->pos : want - got;
        memcpy(out + got, f->buf + f->pos, c);
        f->pos += c;
        got += c;
    }
    return got / size;
}

size_t fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
    if (!size || !n)
        return 0;
    size_t want = size * n;
    if (f->fd < 0) {
        console_write(buf, want);
        return n;
    }
    if (drop_buffer(f) < 0) {
        f->err = 1;
        return 0;
    }
    long r = vfs_write(f->fd, buf, want);
    if (r < 0) {
        errno = (int)-r;
        f->err = 1;
        return 0;
    }
    return (size_t)r / size;
}

int fgetc(FILE *f)
{
    unsigned char c;
    return fread(&c, 1, 1, f) == 1 ? c : EOF;
}

int ungetc(int c, FILE *f)
{
    if (c == EOF || f->unget != EOF)
        return EOF;
    f->unget = c & 0xff;
    f->eof = 0;
    return f->unget;
}

char *fgets(char *s, int n, FILE *f)
{
    int i = 0;
    while (i < n - 1) {
        int c = fgetc(f);
        if (c == EOF)
            break;
        s[i++] = (char)c;
        if (c == '\n')
            break;
    }
    if (i == 0 || n <= 0)
        return NULL;
    s[i] = 0;
    return s;
}

int fputc(int c, FILE *f)
{
    unsigned char b = (unsigned char)c;
    return fwrite(&b, 1, 1, f) == 1 ? b : EOF;
}

int fputs(const char *s, FILE *f)
{
    size_t n = strlen(s);
    return fwrite(s, 1, n, f) == n ? 0 : EOF;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    char small[256];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    if (n < 0) {
        va_end(ap2);
        return n;
    }
    char *buf = small;
    if ((size_t)n >= sizeof(small)) {
        buf = malloc((size_t)n + 1);
        if (!buf) {
            va_end(ap2);
            return -1;
        }
        vsnprintf(buf, (size_t)n + 1, fmt, ap2);
    }
    va_end(ap2);
    size_t w = fwrite(buf, 1, (size_t)n, f);
    if (buf != small)
        free(buf);
    return w == (size_t)n ? n : -1;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int fseek(FILE *f, long off, int whence)
{
    if (f->fd < 0 || drop_buffer(f) < 0)
        return -1;
    int64_t rc = vfs_lseek(f->fd, off, whence);
    if (rc < 0) {
        errno = (int)-rc;
        return -1;
    }
    f->eof = 0;
    return 0;
}

long ftell(FILE *f)
{
    if (f->fd < 0)
        return -1;
    int64_t cur = vfs_lseek(f->fd, 0, VFS_SEEK_CUR);
    if (cur < 0) {
        errno = (int)-cur;
        return -1;
    }
    return (long)(cur - (int64_t)(f->len - f->pos) - (f->unget != EOF));
}

void rewind(FILE *f)
{
    fseek(f, 0, SEEK_SET);
    f->err = 0;
}

int feof(FILE *f) { return f->eof; }
int ferror(FILE *f) { return f->err; }
void clearerr(FILE *f) { f->eof = f->err = 0; }
int fflush(FILE *f) { (void)f; return 0; }
int fileno(FILE *f) { return f->fd; }
