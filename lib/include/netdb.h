/* The kernel's <netdb.h>: getaddrinfo and friends over lwIP's DNS resolver. */
#ifndef KESTREL_NETDB_H
#define KESTREL_NETDB_H
#include "lwip/netdb.h"
#endif
