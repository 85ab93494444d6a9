/* Kestrel test program: 10,000 threads made and joined in batches, then as
 * many alive at once as the kernel allows (EAGAIN is an answer, a hang or a
 * panic is not). Prints the counts; the boot test checks them. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define TOTAL 10000
#define BATCH 100

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int release;
static long ran;

static void *quick(void *arg)
{
    __atomic_add_fetch(&ran, 1, __ATOMIC_RELAXED);
    return arg;
}

static void *hold(void *arg)
{
    pthread_mutex_lock(&mu);
    while (!release)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    return arg;
}

static pthread_t th[TOTAL];

int main(void)
{
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 64 * 1024);
    long made = 0, joined_ok = 0;
    for (int b = 0; b < TOTAL / BATCH; b++) {
        int n = 0;
        for (; n < BATCH; n++) {
            int e = pthread_create(&th[n], &at, quick, (void *)(long)(b * BATCH + n));
            if (e) {
                printf("manythreads: batch create failed: %s\n", strerror(e));
                break;
            }
        }
        made += n;
        for (int i = 0; i < n; i++) {
            void *r;
            pthread_join(th[i], &r);
            joined_ok += (long)r == b * BATCH + i;
        }
    }
    printf("manythreads: batches made=%ld joined_ok=%ld ran=%ld\n", made, joined_ok, ran);
    int alive = 0, err = 0;
    for (; alive < TOTAL; alive++) {
        err = pthread_create(&th[alive], &at, hold, NULL);
        if (err)
            break;
    }
    pthread_mutex_lock(&mu);
    release = 1;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    for (int i = 0; i < alive; i++)
        pthread_join(th[i], NULL);
    printf("manythreads: at_once=%d stopped_by=%s\n", alive, err == EAGAIN ? "EAGAIN" : err ? strerror(err) : "none");
    return !(made == TOTAL && joined_ok == TOTAL && (err == 0 || err == EAGAIN));
}
