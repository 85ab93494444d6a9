#define _GNU_SOURCE
/* Kestrel test program: how a program dies of a signal. argv[1] says how:
 * "term" raise(SIGTERM) with the default action; "nested" a SIGSEGV inside
 * the SIGSEGV handler (the signal is blocked there: the kernel kills);
 * "abort" abort(); "badreturn" a handler returning through a forged
 * context (a kernel RIP, ring-0 selectors, IOPL bits); "garbage"
 * rt_sigreturn with a stack of junk instead of a frame. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

static void nested(int sig)
{
    (void)sig;
    printf("in handler\n");
    fflush(stdout);
    *(volatile int *)0x40 = 1;
}

static void forge(int sig, siginfo_t *si, void *ucv)
{
    (void)sig;
    (void)si;
    ucontext_t *uc = ucv;
    uc->uc_mcontext.gregs[REG_CSGSFS] = 0x0008; /* kernel CS */
    uc->uc_mcontext.gregs[REG_EFL] |= 3 << 12;  /* IOPL 3 */
    uc->uc_mcontext.gregs[REG_RIP] = 0xffff800000100000ull; /* the kernel half */
    memset(uc->uc_mcontext.fpregs, 0xff, 512);  /* MXCSR reserved bits set */
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "term";
    printf("sigfatal: %s\n", how);
    fflush(stdout);
    if (!strcmp(how, "term"))
        raise(SIGTERM);
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "nested")) {
        signal(SIGSEGV, nested);
        *(volatile int *)0x30 = 1;
    }
    if (!strcmp(how, "badreturn")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = forge;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, NULL);
        raise(SIGUSR1);
    }
    if (!strcmp(how, "garbage")) {
        /* rt_sigreturn with no frame: the stack holds 0x41 bytes. */
        static char junk[4096] __attribute__((aligned(16)));
        memset(junk, 0x41, sizeof junk);
        __asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall" ::"r"(junk + 2048) : "memory");
    }
    printf("sigfatal: still alive\n");
    return 0;
}
