/* read, write and close on socket descriptors: the C library's read, write
 * and close (lib/posix_file.c) hand descriptors from VFS_FD_END up to these. */
#include <errno.h>
#include <unistd.h>
#include "lwip/sockets.h"
#include "net.h"
#include "vfs.h"

_Static_assert(LWIP_SOCKET_OFFSET >= VFS_FD_END, "socket descriptors must not overlap the VFS's");

static int not_a_socket(int fd) { return fd < LWIP_SOCKET_OFFSET; }

int net_fd_close(int fd)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return closesocket(fd);
}

ssize_t net_fd_read(int fd, void *buf, size_t len)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return recv(fd, buf, len, 0);
}

ssize_t net_fd_write(int fd, const void *buf, size_t len)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return send(fd, buf, len, 0);
}
