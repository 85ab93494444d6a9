/* read, write and close on socket descriptors. Files (fs/) will own these
 * names and hand socket descriptors (LWIP_SOCKET_OFFSET and up) on to
 * lwIP; until then they are weak and know only sockets. */
#include <errno.h>
#include <unistd.h>
#include "lwip/sockets.h"

static int not_a_socket(int fd) { return fd < LWIP_SOCKET_OFFSET; }

__attribute__((weak)) int close(int fd)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return closesocket(fd);
}

__attribute__((weak)) ssize_t read(int fd, void *buf, size_t len)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return recv(fd, buf, len, 0);
}

__attribute__((weak)) ssize_t write(int fd, const void *buf, size_t len)
{
    if (not_a_socket(fd)) {
        errno = EBADF;
        return -1;
    }
    return send(fd, buf, len, 0);
}
