/* The rig's reader of logs that another process is still writing
 * (xenconsoled's guest logs, the drained Xen console, QEMU's serial file):
 * only complete lines count, so a line read half-written ("KESTREL-XEN-READY
 * platform" before "=xen-hvm ...\n" lands) is left for the next read instead
 * of being parsed. Shared by xenrig-tool (`lines`) and its host test. */
#ifndef XENRIG_LINES_H
#define XENRIG_LINES_H
#include <stdio.h>
#include <stdlib.h>

/* Bytes of buf that form complete lines: up to and including the last '\n'. */
static inline size_t complete_lines_len(const char *buf, size_t len)
{
    while (len > 0 && buf[len - 1] != '\n')
        len--;
    return len;
}

/* Writes the complete lines of the file at path to out; a missing file has
 * none. Returns the bytes written, or -1 on a read or write error. */
static inline long copy_complete_lines(const char *path, FILE *out)
{
    FILE *in = fopen(path, "rb");
    if (!in)
        return 0;
    size_t cap = 1 << 16, have = 0;
    char *buf = malloc(cap);
    long r = -1;
    for (size_t n; buf; have += n) {
        if (have == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                break;
            buf = bigger;
            cap *= 2;
        }
        n = fread(buf + have, 1, cap - have, in);
        if (n == 0) {
            if (!ferror(in)) {
                size_t keep = complete_lines_len(buf, have);
                r = fwrite(buf, 1, keep, out) == keep ? (long)keep : -1;
            }
            break;
        }
    }
    free(buf);
    fclose(in);
    return r;
}

#endif
