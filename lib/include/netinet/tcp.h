/* The kernel's <netinet/tcp.h>: lwIP's socket API under the POSIX names (net/). */
#ifndef KESTREL_NETINET_TCP_H
#define KESTREL_NETINET_TCP_H
#include "lwip/sockets.h"
#include "lwip/inet.h"
#endif
