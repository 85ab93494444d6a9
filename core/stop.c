/* The one stop path: sources call stop_request() (often from an interrupt
 * handler), a kernel thread tells the program, waits for it within the
 * time-out, and ends the machine. */
#include "app.h"
#include "clock.h"
#include "log.h"
#include "power.h"
#include "sched.h"
#include "stop.h"
#include "sync.h"

#define NS_PER_MS 1000000ull
#define NS_PER_S 1000000000ull

static struct semaphore wake = SEMAPHORE_INIT(0);
static volatile int requests;           /* how many have arrived */
static volatile enum stop_kind kind;    /* the first request's */
static const char *volatile sources[2]; /* first and second request's */
static struct stop_notifier *notifiers;
static unsigned timeout_s = STOP_TIMEOUT_DEFAULT_S;
static bool started;

void stop_request(enum stop_kind k, const char *source)
{
    int n = __atomic_fetch_add(&requests, 1, __ATOMIC_SEQ_CST);
    if (n == 0)
        kind = k;
    if (n < 2)
        sources[n] = source;
    if (n < 2)
        sem_up(&wake);
}

bool stop_requested(enum stop_kind *k)
{
    if (__atomic_load_n(&requests, __ATOMIC_SEQ_CST) == 0)
        return false;
    if (k)
        *k = kind;
    return true;
}

void stop_register_notifier(struct stop_notifier *n)
{
    n->next = notifiers;
    notifiers = n;
}

static const char *kind_name(enum stop_kind k) { return k == STOP_REBOOT ? "reboot" : "power-off"; }

static unsigned long long now_ms(void) { return (unsigned long long)(clock_monotonic_ns() / NS_PER_MS); }

static void finish(int status) __attribute__((noreturn));
static void finish(int status)
{
    if (kind == STOP_REBOOT) {
        pr_info("stop: rebooting at %llu ms\n", now_ms());
        power_reboot();
    }
    pr_info("stop: powering off at %llu ms, status %d\n", now_ms(), status);
    power_off(status);
}

void stop_program_exited(int status)
{
    if (!stop_requested(NULL))
        power_off(status);
    pr_info("stop: the program exited with status %d at %llu ms\n", status, now_ms());
    finish(status);
}

/* Tells the app and the notifiers; true when someone will exit. */
static bool tell_program(void)
{
    bool told = false;
    if (app_on_stop) {
        app_on_stop(kind);
        told = true;
    }
    for (struct stop_notifier *n = notifiers; n; n = n->next)
        told |= n->notify(kind, n->arg);
    return told;
}

static void *stop_thread(void *arg)
{
    (void)arg;
    sem_down(&wake);
    unsigned long long t0 = now_ms();
    pr_info("stop: %s requested by %s at %llu ms\n", kind_name(kind), sources[0], t0);
    if (!tell_program()) {
        pr_info("stop: the program has no stop handler: ending it now\n");
        finish(STOP_STATUS_TERM);
    }
    pr_info("stop: waiting up to %u s for the program to exit\n", timeout_s);
    if (sem_down_timeout(&wake, (uint64_t)timeout_s * NS_PER_S) == 0) {
        pr_info("stop: second request, by %s: not waiting any longer\n", sources[1]);
        finish(STOP_STATUS_KILL);
    }
    pr_info("stop: the program did not exit within %u s (%llu ms since the request)\n", timeout_s,
            now_ms() - t0);
    finish(STOP_STATUS_KILL);
}

void stop_init(unsigned timeout)
{
    if (started)
        return;
    timeout_s = timeout;
    if (!thread_create("stop", stop_thread, NULL, THREAD_STACK_DEFAULT))
        pr_warn("stop: no stop thread: stop requests will go unanswered\n");
    started = true;
}
