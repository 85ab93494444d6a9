/* Named error codes (Linux values), returned negated: -EIO. */
#ifndef KESTREL_ERRNO_H
#define KESTREL_ERRNO_H

#define EPERM 1
#define ENOENT 2
#define EIO 5
#define E2BIG 7
#define EAGAIN 11
#define ENOMEM 12
#define EFAULT 14
#define EBUSY 16
#define ENODEV 19
#define EINVAL 22
#define ENOSPC 28
#define EROFS 30
#define EPROTO 71
#define EOPNOTSUPP 95
#define ETIMEDOUT 110

#endif
