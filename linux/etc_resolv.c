/* /etc/resolv.conf for the program's C library: the name server the
 * kernel's network configuration has (--nameserver, else DHCP's), written
 * by a kernel thread once an interface is configured, so that a program
 * that never resolves a name does not wait for DHCP. A resolv.conf the
 * image brings wins; so does one the program wrote first (O_EXCL). glibc
 * rereads the file when it changes, so a lookup made before the lease
 * still sees it afterwards. */
#include <stdio.h>
#include <string.h>
#include "abi.h"
#include "cmdline.h"
#include "log.h"
#include "net.h"
#include "net_config.h"
#include "netdev.h"
#include "sched.h"
#include "vfs.h"

#define RESOLV_PATH "/etc/resolv.conf"
#define RESOLV_WAIT_NS (60ull * 1000000000) /* DHCP's own retries end well before */

static void write_resolv(uint32_t ns)
{
    char addr[16], text[96];
    int len = snprintf(text, sizeof(text), "# from Kestrel's network configuration\nnameserver %s\n",
                       net_format_ipv4(ns, addr));
    struct vfs_stat st;
    if (vfs_stat("/etc", &st) < 0 && vfs_mkdir("/etc", 0755) < 0)
        return;
    int fd = vfs_open(RESOLV_PATH, VFS_O_WRONLY | VFS_O_CREAT | VFS_O_EXCL, 0644);
    if (fd < 0) {
        pr_debug("linux: %s not written: error %d\n", RESOLV_PATH, -fd);
        return;
    }
    long n = vfs_write(fd, text, (size_t)len);
    vfs_close(fd);
    if (n == len)
        pr_debug("linux: %s: nameserver %s\n", RESOLV_PATH, addr);
}

static void *resolv_thread(void *arg)
{
    (void)arg;
    if (net_wait_configured(RESOLV_WAIT_NS) == 0) {
        uint32_t ns = net_dns_server();
        if (ns)
            write_resolv(ns);
    }
    return NULL;
}

void linux_resolv_start(const struct kernel_options *o)
{
    struct vfs_stat st;
    if (o->nonet || netdev_count() == 0 || vfs_stat(RESOLV_PATH, &st) == 0)
        return;
    struct thread *t = thread_create("resolv.conf", resolv_thread, NULL, THREAD_STACK_DEFAULT);
    if (t)
        thread_detach(t);
    else
        pr_warn("linux: no thread to write %s: name lookups use the C library's default server\n", RESOLV_PATH);
}
