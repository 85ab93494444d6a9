/* Linux's x86-64 constants for the file, time and information calls
 * (uapi values: open flags, fcntl commands, AT_* flags, ioctls, clocks). */
#ifndef KESTREL_LINUX_CONSTS_H
#define KESTREL_LINUX_CONSTS_H

#define LX_O_RDONLY 0
#define LX_O_WRONLY 1
#define LX_O_RDWR 2
#define LX_O_ACCMODE 3
#define LX_O_CREAT 0100
#define LX_O_EXCL 0200
#define LX_O_NOCTTY 0400
#define LX_O_TRUNC 01000
#define LX_O_APPEND 02000
#define LX_O_NONBLOCK 04000
#define LX_O_DSYNC 010000
#define LX_O_FASYNC 020000
#define LX_O_DIRECT 040000
#define LX_O_LARGEFILE 0100000
#define LX_O_DIRECTORY 0200000
#define LX_O_NOFOLLOW 0400000
#define LX_O_NOATIME 01000000
#define LX_O_CLOEXEC 02000000
#define LX_O_SYNC 04010000
#define LX_O_PATH 010000000
#define LX_O_TMPFILE 020200000

#define LX_SEEK_SET 0
#define LX_SEEK_CUR 1
#define LX_SEEK_END 2
#define LX_SEEK_DATA 3
#define LX_SEEK_HOLE 4

#define LX_AT_FDCWD (-100)
#define LX_AT_SYMLINK_NOFOLLOW 0x100
#define LX_AT_REMOVEDIR 0x200
#define LX_AT_EACCESS 0x200
#define LX_AT_SYMLINK_FOLLOW 0x400
#define LX_AT_NO_AUTOMOUNT 0x800
#define LX_AT_EMPTY_PATH 0x1000
#define LX_AT_STATX_SYNC_TYPE 0x6000

#define LX_F_OK 0
#define LX_X_OK 1
#define LX_W_OK 2
#define LX_R_OK 4

#define LX_F_DUPFD 0
#define LX_F_GETFD 1
#define LX_F_SETFD 2
#define LX_F_GETFL 3
#define LX_F_SETFL 4
#define LX_F_GETLK 5
#define LX_F_SETLK 6
#define LX_F_SETLKW 7
#define LX_F_SETOWN 8
#define LX_F_GETOWN 9
#define LX_F_OFD_GETLK 36
#define LX_F_OFD_SETLK 37
#define LX_F_OFD_SETLKW 38
#define LX_F_DUPFD_CLOEXEC 1030
#define LX_F_SETPIPE_SZ 1031
#define LX_F_GETPIPE_SZ 1032
#define LX_FD_CLOEXEC 1
#define LX_F_UNLCK 2

#define LX_TCGETS 0x5401
#define LX_TIOCGWINSZ 0x5413
#define LX_FIONREAD 0x541b
#define LX_FIONBIO 0x5421
#define LX_FIONCLEX 0x5450
#define LX_FIOCLEX 0x5451

#define LX_RENAME_NOREPLACE 1
#define LX_RENAME_EXCHANGE 2

/* Device numbers (Linux's encoding, major << 8 | minor). */
#define LX_DEV_NULL 0x103
#define LX_DEV_ZERO 0x105
#define LX_DEV_FULL 0x107
#define LX_DEV_RANDOM 0x108
#define LX_DEV_URANDOM 0x109
#define LX_DEV_TTY 0x500
#define LX_DEV_CONSOLE 0x501

#define LX_CLOCK_REALTIME 0
#define LX_CLOCK_MONOTONIC 1
#define LX_CLOCK_PROCESS_CPUTIME_ID 2
#define LX_CLOCK_THREAD_CPUTIME_ID 3
#define LX_CLOCK_MONOTONIC_RAW 4
#define LX_CLOCK_REALTIME_COARSE 5
#define LX_CLOCK_MONOTONIC_COARSE 6
#define LX_CLOCK_BOOTTIME 7
#define LX_CLOCK_REALTIME_ALARM 8
#define LX_CLOCK_BOOTTIME_ALARM 9
#define LX_CLOCK_TAI 11
#define LX_TIMER_ABSTIME 1

#define LX_GRND_NONBLOCK 1
#define LX_GRND_RANDOM 2
#define LX_GRND_INSECURE 4

#define LX_SIGPIPE 13

/* Readiness bits (poll's POLL* share the low values). */
#define LX_EPOLLIN 0x001u
#define LX_EPOLLPRI 0x002u
#define LX_EPOLLOUT 0x004u
#define LX_EPOLLERR 0x008u
#define LX_EPOLLHUP 0x010u
#define LX_EPOLLRDNORM 0x040u
#define LX_EPOLLWRNORM 0x100u
#define LX_EPOLLRDHUP 0x2000u
#define LX_POLLRDBAND 0x080u
#define LX_POLLWRBAND 0x200u
#define LX_POLLNVAL 0x020u
#define LX_POLLFREE 0x4000u /* kernel-internal: the file is going away */
#define LX_EPOLLEXCLUSIVE (1u << 28)
#define LX_EPOLLWAKEUP (1u << 29)
#define LX_EPOLLONESHOT (1u << 30)
#define LX_EPOLLET (1u << 31)

#endif
