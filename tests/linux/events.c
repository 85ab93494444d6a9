/* tests/linux/events.c: poll, select, epoll, eventfd and timerfd over
 * pipes, eventfds and timerfds, printed as a transcript (results, events,
 * errno values; elapsed times only as "in range" verdicts against the
 * clock): the boot test compares the guest's transcript with the same
 * binary's on the host. Mode "hostile" instead feeds the calls bad
 * pointers, huge counts and bad time-outs. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static int failures;

static const char *res(long rc)
{
    static char buf[4][64];
    static int k;
    char *b = buf[k++ % 4];
    if (rc >= 0)
        snprintf(b, 64, "ok %ld", rc);
    else
        snprintf(b, 64, "errno %d", errno);
    return b;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A waited time against what was asked: at least lo ms (never early), at
 * most hi ms (TCG is slow: generous). */
static void took(const char *what, uint64_t t0, unsigned lo, unsigned hi)
{
    uint64_t ms = (now_ns() - t0) / 1000000;
    bool ok = ms >= lo && ms <= hi;
    printf("%s: time %s\n", what, ok ? "in range" : "OUT OF RANGE");
    if (!ok) {
        fprintf(stderr, "%s: %llu ms, want %u..%u\n", what, (unsigned long long)ms, lo, hi);
        failures++;
    }
}

static void ewait(const char *what, int ep, int max, int timeout)
{
    struct epoll_event ev[8];
    memset(ev, 0, sizeof ev);
    int n = epoll_wait(ep, ev, max, timeout);
    printf("%s: %s", what, res(n));
    for (int i = 0; i < n; i++)
        printf(" [data %llu events %#x]", (unsigned long long)ev[i].data.u64, ev[i].events);
    printf("\n");
}

static int ectl(int ep, int op, int fd, unsigned events, uint64_t data)
{
    struct epoll_event ev = { .events = events, .data.u64 = data };
    return epoll_ctl(ep, op, fd, &ev);
}

static void epoll_pipes(void)
{
    int p[2];
    pipe2(p, O_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    printf("epoll_create1 cloexec: %d\n", fcntl(ep, F_GETFD) & FD_CLOEXEC);
    printf("add rd: %s\n", res(ectl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1)));
    printf("add rd again: %s\n", res(ectl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN, 1)));
    ewait("lt empty", ep, 8, 0);
    write(p[1], "ab", 2);
    ewait("lt data", ep, 8, 0);
    ewait("lt data again", ep, 8, 0);
    char b[8];
    int fionread = -1;
    ioctl(p[0], FIONREAD, &fionread);
    printf("FIONREAD: %d\n", fionread);
    read(p[0], b, sizeof b);
    ewait("lt drained", ep, 8, 0);

    printf("mod et: %s\n", res(ectl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLET, 2)));
    ewait("et empty", ep, 8, 0);
    write(p[1], "a", 1);
    ewait("et edge", ep, 8, 0);
    ewait("et no new edge", ep, 8, 0);
    write(p[1], "a", 1);
    ewait("et second edge", ep, 8, 0);
    read(p[0], b, sizeof b);

    printf("mod oneshot: %s\n", res(ectl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 3)));
    write(p[1], "a", 1);
    ewait("oneshot first", ep, 8, 0);
    write(p[1], "a", 1);
    ewait("oneshot disabled", ep, 8, 0);
    printf("mod rearm: %s\n", res(ectl(ep, EPOLL_CTL_MOD, p[0], EPOLLIN | EPOLLONESHOT, 4)));
    ewait("oneshot rearmed", ep, 8, 0);
    read(p[0], b, sizeof b);

    printf("add wr: %s\n", res(ectl(ep, EPOLL_CTL_ADD, p[1], EPOLLOUT, 5)));
    printf("del rd: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    printf("del rd again: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL)));
    ewait("writable", ep, 8, 0);
    close(p[0]);
    ewait("reader gone", ep, 8, 0);
    close(p[1]);
    ewait("all closed", ep, 8, 0);

    /* hang-up on the read end */
    pipe2(p, O_NONBLOCK);
    printf("add rd: %s\n", res(ectl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLRDHUP, 6)));
    write(p[1], "x", 1);
    close(p[1]);
    ewait("data then hup", ep, 8, 0);
    close(p[0]);

    /* a blocking wait a writer thread ends */
    pipe2(p, O_NONBLOCK);
    ectl(ep, EPOLL_CTL_ADD, p[0], EPOLLIN | EPOLLET, 7);
    printf("maxevents 0: %s\n", res(epoll_wait(ep, (struct epoll_event[1]){}, 0, 0)));
    close(p[0]);
    close(p[1]);
    close(ep);
}

static void *late_write(void *arg)
{
    usleep(50000);
    uint64_t one = 1;
    write(*(int *)arg, &one, sizeof one);
    return NULL;
}

static void closing_and_nesting(void)
{
    int ep = epoll_create(1);
    printf("epoll_create 0: %s\n", res(epoll_create(0)));
    printf("epoll_create1 bad flag: %s\n", res(epoll_create1(1)));
    int e = eventfd(0, EFD_NONBLOCK);
    printf("add efd: %s\n", res(ectl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 10)));
    int e2 = dup(e);
    close(e);
    uint64_t one = 1;
    write(e2, &one, sizeof one);
    ewait("dup keeps it", ep, 8, 0);
    printf("del closed fd: %s\n", res(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL)));
    close(e2);
    ewait("last close drops it", ep, 8, 0);
    int e3 = eventfd(1, EFD_NONBLOCK);
    printf("same number: %d\n", e3 == e);
    printf("add again: %s\n", res(ectl(ep, EPOLL_CTL_ADD, e3, EPOLLIN, 11)));
    ewait("new file", ep, 8, 0);

    int outer = epoll_create1(0);
    printf("add self: %s\n", res(ectl(ep, EPOLL_CTL_ADD, ep, EPOLLIN, 0)));
    printf("nest: %s\n", res(ectl(outer, EPOLL_CTL_ADD, ep, EPOLLIN, 12)));
    printf("loop: %s\n", res(ectl(ep, EPOLL_CTL_ADD, outer, EPOLLIN, 13)));
    ewait("outer sees inner", outer, 8, 0);
    uint64_t v;
    read(e3, &v, sizeof v);
    ewait("outer after drain", outer, 8, 0);
    struct pollfd pf = { .fd = ep, .events = POLLIN };
    int pn = poll(&pf, 1, 0);
    printf("poll epoll: %s revents %#x\n", res(pn), pf.revents);
    write(e3, &one, sizeof one);
    pn = poll(&pf, 1, 0);
    printf("poll epoll ready: %s revents %#x\n", res(pn), pf.revents);
    read(e3, &v, sizeof v);

    /* blocking: another thread's write wakes the outer instance */
    pthread_t th;
    uint64_t t0 = now_ns(); /* before the thread: its 50 ms start here at the earliest */
    pthread_create(&th, NULL, late_write, &e3);
    ewait("outer woken", outer, 8, 5000);
    took("outer woken", t0, 40, 4000);
    pthread_join(th, NULL);

    int f = open("/proc/self/exe", O_RDONLY);
    printf("add regular file: %s\n", res(ectl(ep, EPOLL_CTL_ADD, f, EPOLLIN, 0)));
    printf("ctl on non-epoll: %s\n", res(ectl(e3, EPOLL_CTL_ADD, f, EPOLLIN, 0)));
    printf("ctl bad op: %s\n", res(ectl(ep, 99, e3, EPOLLIN, 0)));
    int e4 = eventfd(0, 0);
    printf("exclusive: %s\n", res(ectl(ep, EPOLL_CTL_ADD, e4, EPOLLIN | EPOLLEXCLUSIVE, 0)));
    printf("exclusive mod: %s\n", res(ectl(ep, EPOLL_CTL_MOD, e4, EPOLLIN, 0)));
    printf("exclusive epoll: %s\n", res(ectl(ep, EPOLL_CTL_ADD, outer, EPOLLIN | EPOLLEXCLUSIVE, 0)));
    close(e4);
    close(f);
    char link[64], target[64];
    int fds[2] = { outer, e3 };
    for (int i = 0; i < 2; i++) {
        snprintf(link, sizeof link, "/proc/self/fd/%d", fds[i]);
        long len = readlink(link, target, sizeof target - 1);
        target[len > 0 ? len : 0] = 0;
        printf("fd link: %s\n", target);
    }
    close(e3);
    close(outer);
    close(ep);
}

static void eventfds(void)
{
    int e = eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC);
    uint64_t v = 0;
    for (int i = 0; i < 4; i++) {
        v = 0;
        long n = read(e, &v, sizeof v);
        printf("semaphore read: %s value %llu\n", res(n), (unsigned long long)v);
    }
    close(e);
    e = eventfd(0, EFD_NONBLOCK);
    v = 5;
    write(e, &v, sizeof v);
    v = 7;
    write(e, &v, sizeof v);
    long rd = read(e, &v, sizeof v);
    printf("read: %s value %llu\n", res(rd), (unsigned long long)v);
    v = UINT64_MAX;
    printf("write max: %s\n", res(write(e, &v, sizeof v)));
    printf("short read: %s\n", res(read(e, &v, 4)));
    v = 0xfffffffffffffffeull;
    printf("write to the top: %s\n", res(write(e, &v, sizeof v)));
    v = 1;
    printf("write past: %s\n", res(write(e, &v, sizeof v)));
    struct pollfd pf = { .fd = e, .events = POLLIN | POLLOUT };
    rd = poll(&pf, 1, 0);
    printf("poll full: %s revents %#x\n", res(rd), pf.revents);
    read(e, &v, sizeof v);
    rd = poll(&pf, 1, 0);
    printf("poll empty: %s revents %#x\n", res(rd), pf.revents);
    printf("eventfd2 bad flag: %s\n", res(syscall(SYS_eventfd2, 0, 0x10)));
    close(e);

    /* a blocking read another thread's write ends */
    e = eventfd(0, 0);
    pthread_t th;
    uint64_t t0 = now_ns();
    pthread_create(&th, NULL, late_write, &e);
    printf("blocking read: %s\n", res(read(e, &v, sizeof v)));
    took("blocking read", t0, 40, 4000);
    pthread_join(th, NULL);
    close(e);
}

static void timerfds(void)
{
    printf("timerfd bad clock: %s\n", res(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0)));
    int t = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    uint64_t n = 0;
    printf("read unarmed: %s\n", res(read(t, &n, sizeof n)));
    struct itimerspec its = { .it_value = { 0, 50000000 }, .it_interval = { 0, 20000000 } };
    uint64_t t0 = now_ns(); /* before arming: the 50 ms count from here at the earliest */
    printf("settime: %s\n", res(timerfd_settime(t, 0, &its, NULL)));
    struct itimerspec cur;
    timerfd_gettime(t, &cur);
    printf("gettime: interval %ld.%09ld value<=50ms %d\n", (long)cur.it_interval.tv_sec,
           cur.it_interval.tv_nsec, cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 50000000 &&
           cur.it_value.tv_nsec > 0);
    int ep = epoll_create1(0);
    ectl(ep, EPOLL_CTL_ADD, t, EPOLLIN, 20);
    ewait("timer fires", ep, 8, 5000);
    took("timer fires", t0, 45, 4000);
    usleep(100000);
    long r = read(t, &n, sizeof n);
    printf("interval expirations: %s at least 5 %d\n", res(r), n >= 5);
    r = read(t, &n, sizeof n);
    printf("read again: %s\n", res(r));
    /* disarm */
    struct itimerspec zero = { 0 }, old;
    printf("disarm: %s\n", res(timerfd_settime(t, 0, &zero, &old)));
    printf("old interval %ld\n", old.it_interval.tv_nsec);
    timerfd_gettime(t, &cur);
    printf("disarmed: %ld %ld\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
    close(t);
    close(ep);

    /* absolute, on both clocks, blocking reads */
    int clocks[2] = { CLOCK_MONOTONIC, CLOCK_REALTIME };
    for (int i = 0; i < 2; i++) {
        t = timerfd_create(clocks[i], 0);
        struct timespec ts;
        t0 = now_ns();
        clock_gettime(clocks[i], &ts);
        ts.tv_nsec += 60000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        struct itimerspec abs = { .it_value = ts };
        printf("abstime %d: %s\n", i, res(timerfd_settime(t, TFD_TIMER_ABSTIME, &abs, NULL)));
        r = read(t, &n, sizeof n);
        printf("abstime %d read: %s value %llu\n", i, res(r), (unsigned long long)n);
        took(i ? "abstime realtime" : "abstime monotonic", t0, 45, 4000);
        close(t);
    }
    t = timerfd_create(CLOCK_MONOTONIC, 0);
    struct itimerspec badv = { .it_value = { 0, 1000000000 } };
    printf("settime bad nsec: %s\n", res(timerfd_settime(t, 0, &badv, NULL)));
    printf("settime bad flags: %s\n", res(timerfd_settime(t, 8, &its, NULL)));
    printf("write timerfd: %s\n", res(write(t, &n, sizeof n)));
    close(t);
}

static void polls(void)
{
    int p[2];
    pipe(p);
    struct pollfd pf[4] = { { p[0], POLLIN, 0 }, { p[1], POLLOUT, 0 }, { -1, POLLIN, 0 }, { 999, POLLIN, 0 } };
    int n = poll(pf, 4, 0);
    printf("poll: %s revents %#x %#x %#x %#x\n", res(n), pf[0].revents, pf[1].revents, pf[2].revents, pf[3].revents);
    write(p[1], "x", 1);
    n = poll(pf, 2, -1);
    printf("poll data: %s revents %#x %#x\n", res(n), pf[0].revents, pf[1].revents);
    char c;
    read(p[0], &c, 1);
    uint64_t t0 = now_ns();
    n = poll(pf, 1, 100);
    printf("poll timeout: %s revents %#x\n", res(n), pf[0].revents);
    took("poll timeout", t0, 95, 4000);
    t0 = now_ns();
    printf("poll nothing: %s\n", res(poll(NULL, 0, 50)));
    took("poll nothing", t0, 45, 4000);
    struct timespec ts = { 0, 30000000 };
    t0 = now_ns();
    printf("ppoll timeout: %s\n", res(ppoll(pf, 1, &ts, NULL)));
    took("ppoll timeout", t0, 25, 4000);

    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(p[0], &r);
    FD_SET(p[1], &w);
    struct timeval tv = { 0, 0 };
    n = select(p[1] + 1, &r, &w, NULL, &tv);
    printf("select: %s r %d w %d\n", res(n), FD_ISSET(p[0], &r), FD_ISSET(p[1], &w));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(p[1], &r);
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    tv.tv_sec = 5;
    n = select(p[1] + 1, &r, &w, NULL, &tv);
    printf("select data: %s r %d %d w %d\n", res(n), FD_ISSET(p[0], &r), FD_ISSET(p[1], &r), FD_ISSET(p[1], &w));
    read(p[0], &c, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    tv.tv_sec = 0;
    tv.tv_usec = 60000;
    t0 = now_ns();
    n = select(p[0] + 1, &r, NULL, NULL, &tv);
    printf("select timeout: %s r %d left %ld.%06ld\n", res(n), FD_ISSET(p[0], &r), (long)tv.tv_sec, (long)tv.tv_usec);
    took("select timeout", t0, 55, 4000);
    FD_ZERO(&r);
    FD_SET(40, &r);
    tv.tv_usec = 0;
    printf("select closed fd: %s\n", res(select(41, &r, NULL, NULL, &tv)));
    tv.tv_usec = 1000000;
    printf("select usec past a second: %s\n", res(select(1, NULL, NULL, NULL, &tv)));
    printf("select negative nfds: %s\n", res(select(-1, NULL, NULL, NULL, NULL)));
    struct timespec pts = { 0, 20000000 };
    t0 = now_ns();
    printf("pselect timeout: %s\n", res(pselect(0, NULL, NULL, NULL, &pts, NULL)));
    took("pselect timeout", t0, 15, 4000);

    close(p[0]);
    pf[1].events = POLLOUT;
    n = poll(&pf[1], 1, 0);
    printf("poll reader gone: %s revents %#x\n", res(n), pf[1].revents);
    close(p[1]);
    pipe(p);
    close(p[1]);
    pf[0].fd = p[0];
    pf[0].events = POLLIN;
    n = poll(&pf[0], 1, 0);
    printf("poll writer gone: %s revents %#x\n", res(n), pf[0].revents);
    close(p[0]);
    int f = open("/proc/self/exe", O_RDONLY);
    pf[0].fd = f;
    pf[0].events = POLLIN | POLLOUT;
    n = poll(&pf[0], 1, 0);
    printf("poll regular file: %s revents %#x\n", res(n), pf[0].revents);
    close(f);
}

static volatile int got_usr1;
static void on_usr1(int sig) { got_usr1++; }

static pthread_t main_thread;
static void *late_signal(void *arg)
{
    usleep(50000);
    pthread_kill(main_thread, SIGUSR1);
    return NULL;
}

static void signals(void)
{
    main_thread = pthread_self();
    struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
    sigaction(SIGUSR1, &sa, NULL);
    int ep = epoll_create1(0);
    pthread_t th;
    pthread_create(&th, NULL, late_signal, NULL);
    struct epoll_event ev;
    long n = epoll_wait(ep, &ev, 1, 10000);
    printf("epoll_wait signal (SA_RESTART): %s handler %d\n", res(n), got_usr1);
    pthread_join(th, NULL);

    /* SIGUSR1 blocked; ppoll's mask lets it in for the wait only */
    sigset_t block, during, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&during);
    got_usr1 = 0;
    pthread_create(&th, NULL, late_signal, NULL);
    struct pollfd pf = { -1, 0, 0 };
    n = ppoll(&pf, 1, NULL, &during);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("ppoll sigmask: %s handler %d blocked after %d\n", res(n), got_usr1, sigismember(&now, SIGUSR1));
    pthread_join(th, NULL);

    got_usr1 = 0;
    pthread_create(&th, NULL, late_signal, NULL);
    n = epoll_pwait(ep, &ev, 1, 10000, &during);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("epoll_pwait sigmask: %s handler %d blocked after %d\n", res(n), got_usr1, sigismember(&now, SIGUSR1));
    pthread_join(th, NULL);

    got_usr1 = 0;
    pthread_create(&th, NULL, late_signal, NULL);
    struct timespec ts = { 10, 0 };
    n = pselect(0, NULL, NULL, NULL, &ts, &during);
    printf("pselect sigmask: %s handler %d\n", res(n), got_usr1);
    pthread_join(th, NULL);

    /* a mask that keeps it blocked: the time-out ends the wait */
    got_usr1 = 0;
    pthread_create(&th, NULL, late_signal, NULL);
    uint64_t t0 = now_ns();
    n = epoll_pwait(ep, &ev, 1, 150, &block);
    printf("epoll_pwait blocked: %s handler %d\n", res(n), got_usr1);
    took("epoll_pwait blocked", t0, 145, 4000);
    pthread_join(th, NULL);
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("pending delivered: %d\n", got_usr1);
    close(ep);
}

static void *late_usr2(void *arg)
{
    usleep(50000);
    pthread_kill(main_thread, SIGUSR2);
    return NULL;
}

static void signalfds(void)
{
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGUSR2);
    sigprocmask(SIG_BLOCK, &m, NULL);
    int sfd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
    printf("signalfd: %d cloexec %d\n", sfd >= 0, fcntl(sfd, F_GETFD) & FD_CLOEXEC);
    struct signalfd_siginfo si[2];
    printf("read none: %s\n", res(read(sfd, si, sizeof si)));
    printf("read short: %s\n", res(read(sfd, si, 100)));
    int ep = epoll_create1(0);
    ectl(ep, EPOLL_CTL_ADD, sfd, EPOLLIN, 30);
    ewait("signalfd quiet", ep, 8, 0);
    raise(SIGUSR2);
    ewait("signalfd pending", ep, 8, 0);
    memset(si, 0, sizeof si);
    long n = read(sfd, si, sizeof si);
    printf("read: %s signo %u code %d pid ok %d\n", res(n), si[0].ssi_signo, si[0].ssi_code,
           si[0].ssi_pid == (uint32_t)getpid());
    ewait("signalfd taken", ep, 8, 0);
    /* blocking: another thread raises it at this one */
    int fl = fcntl(sfd, F_GETFL);
    fcntl(sfd, F_SETFL, fl & ~O_NONBLOCK);
    pthread_t th;
    main_thread = pthread_self();
    uint64_t t0 = now_ns();
    pthread_create(&th, NULL, late_usr2, NULL);
    n = read(sfd, si, sizeof si);
    printf("blocking read: %s signo %u\n", res(n), si[0].ssi_signo);
    took("signalfd blocking read", t0, 40, 4000);
    pthread_join(th, NULL);
    sigaddset(&m, SIGKILL);
    printf("update mask: %d\n", signalfd(sfd, &m, 0) == sfd);
    printf("update non-signalfd: %s\n", res(signalfd(ep, &m, 0)));
    printf("bad size: %s\n", res(syscall(SYS_signalfd4, -1, &m, 4, 0)));
    close(ep);
    close(sfd);
    sigprocmask(SIG_UNBLOCK, &m, NULL);
}

/* Threads on both CPUs: writers bump an eventfd and fill a pipe while the
 * main thread drains both through edge-triggered epoll; a churner makes,
 * registers and closes eventfds on the same instance meanwhile (a
 * registration's file going while epoll_wait looks at it). */
#define WRITERS 3
#define PER_WRITER 300
static int stress_efd, stress_pipe[2], stress_ep;
static volatile int churn_stop;

static void *stress_writer(void *arg)
{
    for (int i = 0; i < PER_WRITER; i++) {
        uint64_t one = 1;
        write(stress_efd, &one, sizeof one);
        if (i % 3 == 0) {
            char c = 'x';
            while (write(stress_pipe[1], &c, 1) != 1)
                sched_yield();
        }
    }
    return NULL;
}

static void *stress_churner(void *arg)
{
    int made = 0;
    while (!churn_stop || made < 50) { /* some churn whatever the timing */
        int e = eventfd(1, EFD_NONBLOCK);
        ectl(stress_ep, EPOLL_CTL_ADD, e, EPOLLIN | EPOLLET, 99);
        if (made++ % 2)
            epoll_ctl(stress_ep, EPOLL_CTL_DEL, e, NULL);
        close(e);
    }
    return (void *)(long)made;
}

static void stress(void)
{
    stress_efd = eventfd(0, EFD_NONBLOCK);
    pipe2(stress_pipe, O_NONBLOCK);
    stress_ep = epoll_create1(0);
    ectl(stress_ep, EPOLL_CTL_ADD, stress_efd, EPOLLIN | EPOLLET, 1);
    ectl(stress_ep, EPOLL_CTL_ADD, stress_pipe[0], EPOLLIN | EPOLLET, 2);
    pthread_t w[WRITERS], ch;
    pthread_create(&ch, NULL, stress_churner, NULL);
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, stress_writer, NULL);
    uint64_t count = 0, bytes = 0, want_bytes = WRITERS * ((PER_WRITER + 2) / 3);
    int stuck = 0;
    while ((count < WRITERS * PER_WRITER || bytes < want_bytes) && stuck < 20) {
        struct epoll_event ev[8];
        int n = epoll_wait(stress_ep, ev, 8, 500);
        stuck = n == 0 ? stuck + 1 : 0;
        for (int i = 0; i < n; i++) {
            if (ev[i].data.u64 == 1) {
                uint64_t v;
                while (read(stress_efd, &v, sizeof v) == sizeof v)
                    count += v;
            } else if (ev[i].data.u64 == 2) {
                char b[256];
                long r;
                while ((r = read(stress_pipe[0], b, sizeof b)) > 0)
                    bytes += (uint64_t)r;
            }
        }
    }
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    churn_stop = 1;
    void *made;
    pthread_join(ch, &made);
    printf("stress: eventfd total %llu pipe bytes %llu churned %d\n", (unsigned long long)count,
           (unsigned long long)bytes, (long)made >= 50);
    close(stress_ep);
    close(stress_efd);
    close(stress_pipe[0]);
    close(stress_pipe[1]);
}

/* ---- hostile ---- */

static const unsigned long bad[] = { 1, 0xfff, 0x0000800000000000UL, 0xffff800000000000UL, 0xffffffff81000000UL };
#define NBAD (sizeof(bad) / sizeof(bad[0]))

static void hostile(void)
{
    struct rlimit rl = { 1024, 1024 };
    setrlimit(RLIMIT_NOFILE, &rl);
    int ep = epoll_create1(0);
    int e = eventfd(1, EFD_NONBLOCK);
    int t = timerfd_create(CLOCK_MONOTONIC, 0);
    ectl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 1);
    for (unsigned i = 0; i < NBAD; i++) {
        void *b = (void *)bad[i];
        /* e readable: a read to a bad buffer fails before or after taking
         * the count (Linux: after), and an epoll_wait has an event to copy */
        uint64_t one = 1;
        write(e, &one, sizeof one);
        printf("%#lx poll: %s\n", bad[i], res(syscall(SYS_poll, b, 1, 0)));
        printf("%#lx ppoll fds: %s\n", bad[i], res(syscall(SYS_ppoll, b, 1, NULL, NULL, 8)));
        struct pollfd pf = { e, POLLIN, 0 };
        printf("%#lx ppoll ts: %s\n", bad[i], res(syscall(SYS_ppoll, &pf, 1, b, NULL, 8)));
        printf("%#lx ppoll mask: %s\n", bad[i], res(syscall(SYS_ppoll, &pf, 1, NULL, b, 8)));
        printf("%#lx select r: %s\n", bad[i], res(syscall(SYS_select, e + 1, b, NULL, NULL, NULL)));
        printf("%#lx select tv: %s\n", bad[i], res(syscall(SYS_select, 1, NULL, NULL, NULL, b)));
        printf("%#lx pselect6 sig: %s\n", bad[i], res(syscall(SYS_pselect6, 0, NULL, NULL, NULL, NULL, b)));
        printf("%#lx epoll_wait: %s\n", bad[i], res(syscall(SYS_epoll_wait, ep, b, 4, 0)));
        printf("%#lx epoll_pwait mask: %s\n", bad[i], res(syscall(SYS_epoll_pwait, ep, &(struct epoll_event){}, 1, 0, b, 8)));
        printf("%#lx epoll_ctl: %s\n", bad[i], res(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_MOD, e, b)));
        printf("%#lx epoll_ctl del: %s\n", bad[i], res(syscall(SYS_epoll_ctl, ep, EPOLL_CTL_DEL, e, b)));
        ectl(ep, EPOLL_CTL_ADD, e, EPOLLIN, 1);
        printf("%#lx eventfd read: %s\n", bad[i], res(syscall(SYS_read, e, b, 8)));
        printf("%#lx eventfd write: %s\n", bad[i], res(syscall(SYS_write, e, b, 8)));
        printf("%#lx timerfd_settime: %s\n", bad[i], res(syscall(SYS_timerfd_settime, t, 0, b, NULL)));
        struct itimerspec its = { .it_value = { 100, 0 } };
        printf("%#lx timerfd_settime old: %s\n", bad[i], res(syscall(SYS_timerfd_settime, t, 0, &its, b)));
        printf("%#lx timerfd_gettime: %s\n", bad[i], res(syscall(SYS_timerfd_gettime, t, b)));
        printf("%#lx signalfd4: %s\n", bad[i], res(syscall(SYS_signalfd4, -1, b, 8, 0)));
    }
    struct epoll_event evs[4];
    uint64_t one = 1;
    write(e, &one, sizeof one); /* ready: the calls without a time-out return */
    printf("maxevents huge: %s\n", res(syscall(SYS_epoll_wait, ep, evs, 0x7fffffff, 0)));
    printf("maxevents past the end: %s\n", res(syscall(SYS_epoll_wait, ep, evs, 0x10000000, 0)));
    printf("maxevents negative: %s\n", res(syscall(SYS_epoll_wait, ep, evs, -1, 0)));
    printf("epoll_wait not epoll: %s\n", res(syscall(SYS_epoll_wait, e, evs, 1, 0)));
    printf("epoll_wait bad fd: %s\n", res(syscall(SYS_epoll_wait, 900, evs, 1, 0)));
    printf("epoll_wait negative timeout: %s\n", res(syscall(SYS_epoll_wait, ep, evs, 4, -5)));
    struct pollfd pf = { e, POLLIN, 0 };
    printf("poll negative timeout: %s\n", res(syscall(SYS_poll, &pf, 1, -7)));
    printf("poll nfds > RLIMIT_NOFILE: %s\n", res(syscall(SYS_poll, &pf, 1025, 0)));
    printf("poll nfds huge: %s\n", res(syscall(SYS_poll, &pf, 0xffffffffUL, 0)));
    struct timespec neg = { -1, 0 };
    printf("ppoll negative ts: %s\n", res(syscall(SYS_ppoll, &pf, 1, &neg, NULL, 8)));
    printf("ppoll mask size: %s\n", res(syscall(SYS_ppoll, &pf, 1, NULL, &neg, 16)));
    struct timeval ntv = { 0, -1 };
    printf("select negative tv: %s\n", res(syscall(SYS_select, 1, NULL, NULL, NULL, &ntv)));
    printf("select nfds huge: %s\n", res(syscall(SYS_select, 0x7fffffff, NULL, NULL, NULL, &(struct timeval){})));
    printf("pselect6 negative ts: %s\n", res(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &neg, NULL)));
    printf("epoll_pwait mask size: %s\n", res(syscall(SYS_epoll_pwait, ep, evs, 1, 0, &neg, 4)));
    struct itimerspec bad_its = { .it_value = { -1, 0 } };
    printf("timerfd_settime negative: %s\n", res(syscall(SYS_timerfd_settime, t, 0, &bad_its, NULL)));
    printf("timerfd_settime not timerfd: %s\n", res(syscall(SYS_timerfd_settime, e, 0, &bad_its, NULL)));
    printf("timerfd_gettime bad fd: %s\n", res(syscall(SYS_timerfd_gettime, 900, evs)));
    printf("timerfd_create bad flags: %s\n", res(syscall(SYS_timerfd_create, CLOCK_MONOTONIC, 0x40)));
    printf("epoll_ctl bad op, bad event: %s\n", res(syscall(SYS_epoll_ctl, ep, 99, e, 1)));
    printf("epoll_ctl bad op, bad fd: %s\n", res(ectl(ep, 99, 900, EPOLLIN, 0)));
    printf("epoll_ctl bad fd: %s\n", res(ectl(ep, EPOLL_CTL_ADD, 900, EPOLLIN, 0)));
    printf("epoll_ctl bad epfd: %s\n", res(ectl(900, EPOLL_CTL_ADD, e, EPOLLIN, 0)));
    printf("hostile done\n");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "hostile")) {
        hostile();
        return 0;
    }
    epoll_pipes();
    closing_and_nesting();
    eventfds();
    timerfds();
    polls();
    signals();
    signalfds();
    stress();
    printf("events done, failures %d\n", failures);
    return failures ? 1 : 0;
}
