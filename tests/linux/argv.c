/* tests/linux/argv.c: prints what a Linux program is started with (argv,
 * envp, working directory, the auxiliary vector's fixed entries) in an
 * unambiguous form, so the boot test can compare it with what it passed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

extern char **environ;

/* Every byte outside printable ASCII (and the backslash) as \xNN. */
static void print_escaped(const char *label, int i, const char *s)
{
    printf("%s[%d]=", label, i);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p >= 0x7f || *p == '\\')
            printf("\\x%02x", *p);
        else
            putchar(*p);
    }
    putchar('\n');
}

static int random_bytes_ok(void)
{
    const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
    if (!r)
        return 0;
    for (int i = 0; i < 16; i++) {
        if (r[i])
            return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        print_escaped("argv", i, argv[i]);
    if (argv[argc] != NULL)
        printf("argv not NULL-terminated\n");
    for (int i = 0; environ[i]; i++)
        print_escaped("env", i, environ[i]);
    char cwd[4096];
    printf("cwd=%s\n", getcwd(cwd, sizeof(cwd)) ? cwd : "(error)");
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    printf("auxv pagesz=%lu phent=%lu phnum_nonzero=%d entry_nonzero=%d random=%d execfn=%s\n",
           getauxval(AT_PAGESZ), getauxval(AT_PHENT), getauxval(AT_PHNUM) != 0, getauxval(AT_ENTRY) != 0,
           random_bytes_ok(), execfn ? execfn : "(none)");
    printf("ids uid=%lu euid=%lu gid=%lu egid=%lu secure=%lu\n", getauxval(AT_UID), getauxval(AT_EUID),
           getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
    const char *status = getenv("ARGV_EXIT");
    return status ? atoi(status) : 0;
}
