/* tests/linux/hello.c: the smallest Linux program (bench/syscall times its
 * boot, QEMU start to exit, against bench/boot's null guest). */
#include <unistd.h>

int main(void)
{
    static const char msg[] = "hello from a static Linux program\n";
    return write(1, msg, sizeof(msg) - 1) == sizeof(msg) - 1 ? 0 : 1;
}
