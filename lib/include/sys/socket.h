/* The kernel's <sys/socket.h>: lwIP's socket API under the POSIX names (net/). */
#ifndef KESTREL_SYS_SOCKET_H
#define KESTREL_SYS_SOCKET_H
#include "lwip/sockets.h"
#include "lwip/inet.h"
#endif
