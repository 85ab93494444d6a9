/* The Xen rig's log reader (tests/xen/xenrig-lines.h): a guest's ready line
 * caught half-written in xenconsoled's log must not be parsed until its
 * newline lands; complete lines before it are kept, and a file that grows
 * between reads yields the whole line the second time. */
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "../xen/xenrig-lines.h"

static const char ready[] = "KESTREL-XEN-READY platform=xen-hvm clock=xen domid=3 realtime=1796000000\n";

static void test_len(void)
{
    CHECK_EQ(complete_lines_len("", 0), 0);
    CHECK_EQ(complete_lines_len("KESTREL-XEN-READY platform", 26), 0);
    CHECK_EQ(complete_lines_len("boot\nKESTREL-XEN-READY platform", 31), 5);
    CHECK_EQ(complete_lines_len(ready, strlen(ready)), strlen(ready));
    CHECK_EQ(complete_lines_len("\n\n", 2), 2);
}

/* Reads path's complete lines into out (NUL-terminated). */
static long read_lines(const char *path, char *out, size_t cap)
{
    FILE *m = fmemopen(out, cap, "w");
    long n = copy_complete_lines(path, m);
    fclose(m);
    out[n > 0 ? n : 0] = 0;
    return n;
}

static void test_growing_file(void)
{
    char path[] = "/tmp/test_xenrig_lines.XXXXXX", got[512];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *log = fdopen(fd, "w");
    const char first[] = "[2026-12-02 18:00:00] xen: version 4.17\n";
    fputs(first, log);
    fwrite(ready, 1, 26, log); /* the guest's line, half written */
    fflush(log);
    CHECK_EQ(read_lines(path, got, sizeof(got)), (long)strlen(first));
    CHECK(strstr(got, "KESTREL-XEN-READY") == NULL);
    fputs(ready + 26, log); /* the rest lands */
    fflush(log);
    CHECK_EQ(read_lines(path, got, sizeof(got)), (long)(strlen(first) + strlen(ready)));
    CHECK(strstr(got, ready) != NULL);
    fclose(log);
    unlink(path);
    CHECK_EQ(read_lines(path, got, sizeof(got)), 0); /* gone: no lines */
}

/* Longer than the first buffer: the reader grows it and keeps every line. */
static void test_large_file(void)
{
    char path[] = "/tmp/test_xenrig_lines.XXXXXX";
    int fd = mkstemp(path);
    FILE *log = fdopen(fd, "w");
    long want = 0;
    for (int i = 0; i < 5000; i++)
        want += fprintf(log, "line %05d of a long console log\n", i);
    fputs("half", log);
    fclose(log);
    FILE *sink = fopen("/dev/null", "w");
    CHECK_EQ(copy_complete_lines(path, sink), want);
    fclose(sink);
    unlink(path);
}

int main(void)
{
    test_len();
    test_growing_file();
    test_large_file();
    return check_report("test_xenrig_lines");
}
