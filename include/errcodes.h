/* Named error codes (Linux numbering), for code that returns -ECODE. Each is
 * guarded so host tests that also see the C library's errno.h agree. */
#ifndef KESTREL_ERRCODES_H
#define KESTREL_ERRCODES_H
#ifndef ENOENT
#define ENOENT 2
#endif
#ifndef EIO
#define EIO 5
#endif
#ifndef E2BIG
#define E2BIG 7
#endif
#ifndef EAGAIN
#define EAGAIN 11
#endif
#ifndef ENOMEM
#define ENOMEM 12
#endif
#ifndef EBUSY
#define EBUSY 16
#endif
#ifndef ENODEV
#define ENODEV 19
#endif
#ifndef EINVAL
#define EINVAL 22
#endif
#ifndef EROFS
#define EROFS 30
#endif
#ifndef EPROTO
#define EPROTO 71
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT 110
#endif
#endif
