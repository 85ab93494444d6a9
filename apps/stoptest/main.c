/* apps/stoptest: the stop path seen from an app (tests/boot/test_stop.py).
 *   stoptest hook STATUS   on a stop, main returns STATUS
 *   stoptest ignore        the hook is called but main never returns
 * It prints the guest's monotonic clock at each step, so the test measures
 * the time-out in guest time. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "app.h"
#include "clock.h"
#include "sync.h"

static struct semaphore stopped = SEMAPHORE_INIT(0);
static volatile enum stop_kind stop_kind_seen;
static volatile int ignore;

static unsigned long long now_ms(void) { return (unsigned long long)(clock_monotonic_ns() / 1000000ull); }

static const char *kind_name(enum stop_kind k) { return k == STOP_REBOOT ? "reboot" : "power-off"; }

void app_on_stop(enum stop_kind kind)
{
    stop_kind_seen = kind;
    printf("stoptest: stop hook: %s at %llu ms%s\n", kind_name(kind), now_ms(), ignore ? ", ignoring it" : "");
    if (!ignore)
        sem_up(&stopped);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "hook") == 0) {
        int status = atoi(argv[2]);
        printf("stoptest: ready at %llu ms\n", now_ms());
        sem_down(&stopped);
        printf("stoptest: exiting with status %d after the %s request at %llu ms\n", status,
               kind_name(stop_kind_seen), now_ms());
        return status;
    }
    if (argc == 2 && strcmp(argv[1], "ignore") == 0) {
        ignore = 1;
        printf("stoptest: ready at %llu ms\n", now_ms());
        for (;;)
            nanosleep_ns(1000000000ull);
    }
    printf("usage: stoptest hook STATUS | stoptest ignore\n");
    return 2;
}
