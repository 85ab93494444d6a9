/* The kernel's sys/types.h: the POSIX integer types the file calls use. */
#ifndef KESTREL_SYS_TYPES_H
#define KESTREL_SYS_TYPES_H
#include <stddef.h>
#include <stdint.h>

#ifndef KESTREL_SSIZE_T
#define KESTREL_SSIZE_T
typedef long ssize_t;
#endif
typedef int64_t off_t;
typedef uint32_t mode_t;
typedef uint64_t ino_t;
typedef uint64_t dev_t;
typedef uint32_t nlink_t;
typedef uint32_t uid_t;
typedef uint32_t gid_t;
typedef int64_t time_t;
typedef int64_t blkcnt_t;
typedef long blksize_t;

#endif
