/* bench/http's Linux guest: the few Kestrel thread calls apps/httpd makes,
 * over pthreads, so the Linux server runs httpd's own request handling. */
#ifndef HTTPD_LINUX_SCHED_H
#define HTTPD_LINUX_SCHED_H
#include <pthread.h>
#include <stdint.h>
#include <time.h>

struct thread;
typedef void *(*thread_fn)(void *arg);

static inline struct thread *thread_create(const char *name, thread_fn fn, void *arg, size_t stack_size)
{
    (void)name;
    (void)stack_size; /* glibc wants more than Kestrel's 16 KiB */
    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 128 * 1024);
    pthread_t t;
    int rc = pthread_create(&t, &a, fn, arg);
    pthread_attr_destroy(&a);
    return rc ? NULL : (struct thread *)t;
}

static inline void thread_detach(struct thread *t) { pthread_detach((pthread_t)t); }

static inline void thread_sleep_ns(uint64_t ns)
{
    struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
    nanosleep(&ts, NULL);
}

#endif
