/* The kernel's unistd.h: descriptor I/O (sockets today, files with fs/). */
#ifndef KESTREL_UNISTD_H
#define KESTREL_UNISTD_H
#include <stddef.h>

#ifndef KESTREL_SSIZE_T
#define KESTREL_SSIZE_T
typedef long ssize_t;
#endif

int close(int fd);
ssize_t read(int fd, void *buf, size_t len);
ssize_t write(int fd, const void *buf, size_t len);

#endif
