/* errno lives in the running thread, so blocking calls on several threads
 * (sockets above all) each see their own. */
#include <errno.h>
#include "sched.h"

int *__errno_location(void) { return &thread_current()->err_no; }
