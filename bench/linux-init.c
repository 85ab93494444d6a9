/* The Linux guest's whole userland for bench/boot: print one line on the
 * console and power off, with raw system calls (no libc to start up). */

static long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static long sys4(long n, long a, long b, long c, long d)
{
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}

#define SYS_write 1
#define SYS_open 2
#define SYS_reboot 169
#define LINUX_REBOOT_MAGIC1 0xfee1dead
#define LINUX_REBOOT_MAGIC2 672274793
#define LINUX_REBOOT_CMD_POWER_OFF 0x4321fedc

void _start(void)
{
    static const char msg[] = "Hello from Linux init\n";
    long fd = sys3(SYS_open, (long)"/dev/console", 1 /* O_WRONLY */, 0);
    sys3(SYS_write, fd < 0 ? 1 : fd, (long)msg, sizeof(msg) - 1);
    sys4(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_POWER_OFF, 0);
    for (;;)
        ;
}
