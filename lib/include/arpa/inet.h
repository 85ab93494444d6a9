/* The kernel's <arpa/inet.h>: lwIP's socket API under the POSIX names (net/). */
#ifndef KESTREL_ARPA_INET_H
#define KESTREL_ARPA_INET_H
#include "lwip/sockets.h"
#include "lwip/inet.h"
#endif
