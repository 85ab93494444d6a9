/* The graceful stop reaching a Linux program (tests/boot/test_stop.py):
 * "handler" catches SIGTERM, checks what the kernel says about it and exits
 * 42; "default" leaves SIGTERM's default action; "ignore" ignores it. Each
 * prints its ready line, then waits in pause() until the stop comes. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got, code;

static void on_term(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    code = si->si_code;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "handler";
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    if (!strcmp(mode, "handler")) {
        sa.sa_sigaction = on_term;
        sa.sa_flags = SA_SIGINFO;
    } else if (!strcmp(mode, "ignore")) {
        sa.sa_handler = SIG_IGN;
    } else {
        sa.sa_handler = SIG_DFL;
    }
    if (sigaction(SIGTERM, &sa, NULL) != 0) {
        perror("sigaction");
        return 1;
    }
    printf("sigterm: ready (%s)\n", mode);
    fflush(stdout);
    for (;;) {
        pause();
        if (got) {
            /* SI_KERNEL (0x80): sent by the kernel, not by a process */
            printf("sigterm: got signal %d, si_code %#x\n", (int)got, (unsigned)code);
            fflush(stdout);
            return got == SIGTERM && code == 0x80 ? 42 : 2;
        }
    }
}
