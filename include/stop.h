/* Stopping the machine on request: one path for every source (ACPI power
 * button and GED, i8042 Ctrl-Alt-Del, Xen control/shutdown, VMware tools).
 * A request tells the program (the linked-in app's app_on_stop(), and every
 * registered notifier: linux/ sends SIGTERM through one), waits up to
 * --stop-timeout seconds for it to exit, then powers off (or reboots); a
 * second request ends the wait at once. */
#ifndef KESTREL_STOP_H
#define KESTREL_STOP_H
#include <stdbool.h>

enum stop_kind { STOP_POWEROFF, STOP_REBOOT };

/* Exit statuses when the program did not end by itself (below 128, so that
 * QEMU's isa-debug-exit carries them, next to PANIC_EXIT_STATUS 125): a
 * program without any stop handler is ended at once (122); one that
 * outlived the time-out or a second request is ended then (123). */
#define STOP_STATUS_TERM 122
#define STOP_STATUS_KILL 123

#define STOP_TIMEOUT_DEFAULT_S 10

/* Any context, interrupt handlers included: records the request and wakes
 * the stop thread, which logs source (a static string) and does the rest. */
void stop_request(enum stop_kind kind, const char *source);

/* A listener told of the first request, from the stop thread (it may take
 * locks, not block for long). It returns true when it passed the request
 * to a program that will exit (so the kernel waits for it), false when it
 * had nobody to tell. linux/ registers one that sends SIGTERM to the Linux
 * program and, when that program exits, calls stop_program_exited(). The
 * struct must stay alive; registration happens before the program starts. */
struct stop_notifier {
    bool (*notify)(enum stop_kind kind, void *arg);
    void *arg;
    struct stop_notifier *next;
};
void stop_register_notifier(struct stop_notifier *n);

/* The program ended with status: powers off with it, or reboots when a
 * reboot was requested. Called by the app's main thread (core/main.c) and
 * by linux/ when the Linux program exits. */
void stop_program_exited(int status) __attribute__((noreturn));

/* Whether a stop was requested (and of which kind), for programs that poll. */
bool stop_requested(enum stop_kind *kind);

/* Starts the stop thread (core/main.c, once the scheduler runs). */
void stop_init(unsigned timeout_s);

#endif
