/* Kestrel test program (built static with glibc and with musl): 8 threads
 * with a mutex, a condition variable that starts them together, __thread
 * values checked per thread, joins and a sum the boot test recomputes. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NT 8
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cv = PTHREAD_COND_INITIALIZER;
static int ready, go;
static long shared;
static __thread long tls_value = 7;
static __thread char tls_buf[64];
static int tids[NT];

static void *worker(void *arg)
{
    long id = (long)arg;
    if (tls_value != 7)
        return (void *)-1; /* a new thread sees the initial image */
    tls_value = 1000 + id;
    snprintf(tls_buf, sizeof tls_buf, "thread %ld", id);
    tids[id] = (int)syscall(SYS_gettid);
    pthread_mutex_lock(&lock);
    ready++;
    pthread_cond_signal(&ready_cv);
    while (!go)
        pthread_cond_wait(&go_cv, &lock);
    pthread_mutex_unlock(&lock);
    long mine = 0;
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        shared += id + 1;
        pthread_mutex_unlock(&lock);
        mine += id + 1;
        if (i % 1000 == 0)
            sched_yield();
    }
    char want[64];
    snprintf(want, sizeof want, "thread %ld", id);
    for (int i = 0; want[i] || tls_buf[i]; i++)
        if (want[i] != tls_buf[i])
            return (void *)-2;
    if (tls_value != 1000 + id)
        return (void *)-3;
    return (void *)mine;
}

int main(void)
{
    pthread_t th[NT];
    for (long i = 0; i < NT; i++)
        if (pthread_create(&th[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    pthread_mutex_lock(&lock);
    while (ready < NT)
        pthread_cond_wait(&ready_cv, &lock);
    go = 1;
    pthread_cond_broadcast(&go_cv);
    pthread_mutex_unlock(&lock);
    long sum = 0;
    int bad = 0;
    for (int i = 0; i < NT; i++) {
        void *r;
        pthread_join(th[i], &r);
        if ((long)r < 0) {
            printf("thread %d: check %ld failed\n", i, (long)r);
            bad++;
        }
        sum += (long)r;
    }
    int distinct = 1, pid = getpid();
    for (int i = 0; i < NT; i++)
        for (int j = 0; j < i; j++)
            if (tids[i] == tids[j] || tids[i] == pid)
                distinct = 0;
    printf("pthreads: threads=%d rounds=%d sum=%ld shared=%ld tls=%s tids=%s main_tls=%ld\n", NT, ROUNDS,
           sum, shared, bad ? "bad" : "ok", distinct ? "distinct" : "clash", tls_value);
    return bad || sum != shared || !distinct || tls_value != 7;
}
