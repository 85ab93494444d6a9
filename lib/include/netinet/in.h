/* The kernel's <netinet/in.h>: lwIP's socket API under the POSIX names (net/). */
#ifndef KESTREL_NETINET_IN_H
#define KESTREL_NETINET_IN_H
#include "lwip/sockets.h"
#include "lwip/inet.h"
#endif
