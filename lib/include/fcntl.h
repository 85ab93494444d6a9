/* The kernel's fcntl.h: open() and its flags (Linux's values). */
#ifndef KESTREL_FCNTL_H
#define KESTREL_FCNTL_H
#include <sys/types.h>

#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_ACCMODE 3
#define O_CREAT 0100
#define O_EXCL 0200
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000 /* accepted, meaningless without exec */

int open(const char *path, int flags, ...);

#endif
