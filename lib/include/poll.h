/* The kernel's <poll.h>: poll() over sockets (lwIP's, net/). */
#ifndef KESTREL_POLL_H
#define KESTREL_POLL_H
#include "lwip/sockets.h"
#endif
