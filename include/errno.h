/* Named error codes (Linux values), returned negated: -EIO. Apps also get
 * errno (lib/posix_file.c) with the same numbering. */
#ifndef KESTREL_ERRNO_H
#define KESTREL_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define ENXIO 6
#define E2BIG 7
#define EBADF 9
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EFAULT 14
#define EBUSY 16
#define EEXIST 17
#define ENODEV 19
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENFILE 23
#define EMFILE 24
#define EFBIG 27
#define ENOSPC 28
#define ESPIPE 29
#define EROFS 30
#define ERANGE 34
#define ENAMETOOLONG 36
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define EPROTO 71
#define EOVERFLOW 75
#define EMSGSIZE 90
#define EOPNOTSUPP 95
#define ETIMEDOUT 110
#define ENOTSUP EOPNOTSUPP

#ifndef HOST_TEST
/* One errno for the whole kernel: apps are single-process. */
extern int errno;
#endif

#endif
