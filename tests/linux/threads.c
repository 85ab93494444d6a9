/* tests/linux/threads.c: 8 POSIX threads sharing a mutex-protected
 * counter, a condition-variable hand-off ring and a barrier, each with its
 * own thread-local storage, all joined; prints results that depend only on
 * the program, so the boot test can compare with the host's run. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NTHREADS 8
#define ROUNDS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_changed = PTHREAD_COND_INITIALIZER;
static pthread_barrier_t barrier;
static unsigned long counter;
static int turn;          /* whose turn it is in the ring */
static unsigned long ring_log[NTHREADS * 50];
static int ring_len;
static __thread unsigned long tls_value = 5; /* initialised TLS (.tdata) */
static __thread char tls_name[16];           /* zeroed TLS (.tbss) */


static void *worker(void *arg)
{
    int id = (int)(long)arg;
    snprintf(tls_name, sizeof(tls_name), "worker-%d", id);
    for (int i = 0; i < ROUNDS; i++) {
        pthread_mutex_lock(&lock);
        counter += (unsigned long)id + 1;
        pthread_mutex_unlock(&lock);
        tls_value += (unsigned long)id;
    }
    pthread_barrier_wait(&barrier);
    for (int lap = 0; lap < 50; lap++) {
        pthread_mutex_lock(&lock);
        while (turn != id)
            pthread_cond_wait(&turn_changed, &lock);
        ring_log[ring_len++] = (unsigned long)id * 1000 + (unsigned long)lap;
        turn = (turn + 1) % NTHREADS;
        pthread_cond_broadcast(&turn_changed);
        pthread_mutex_unlock(&lock);
    }
    char want[16];
    snprintf(want, sizeof(want), "worker-%d", id);
    unsigned long expect = 5 + (unsigned long)id * ROUNDS;
    return (void *)(long)(strcmp(tls_name, want) == 0 && tls_value == expect);
}

int main(void)
{
    pthread_t t[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    int tls_ok = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        tls_ok += ret != NULL;
    }
    int ring_ok = ring_len == NTHREADS * 50;
    for (int i = 0; ring_ok && i < ring_len; i++)
        ring_ok = ring_log[i] == (unsigned long)(i % NTHREADS) * 1000 + (unsigned long)(i / NTHREADS);
    printf("threads=%d counter=%lu tls_ok=%d ring=%d/%d main_tls=%lu '%s'\n", NTHREADS, counter, tls_ok,
           ring_ok, ring_len, tls_value, tls_name);
    return counter == (unsigned long)ROUNDS * NTHREADS * (NTHREADS + 1) / 2 && tls_ok == NTHREADS && ring_ok ? 0 : 1;
}
