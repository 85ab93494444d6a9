/* drivers/misc/: small devices with no bus of their own (16550 UART,
 * isa-debug-exit, later pvpanic). This is the COM1 console. */
#include "arch/x86.h"
#include "console.h"

#define COM1 0x3f8

static void uart_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n') {
            while (!(inb(COM1 + 5) & 0x20))
                cpu_relax();
            outb(COM1, '\r');
        }
        while (!(inb(COM1 + 5) & 0x20))
            cpu_relax();
        outb(COM1, (uint8_t)s[i]);
    }
}

static const struct console_dev uart_console = { "serial", uart_write };

void uart16550_init(void)
{
    outb(COM1 + 1, 0x00); /* no interrupts: output is polled */
    outb(COM1 + 3, 0x80); /* DLAB */
    outb(COM1 + 0, 0x01); /* 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03); /* 8N1 */
    outb(COM1 + 2, 0xc7); /* FIFO on, cleared */
    outb(COM1 + 4, 0x03); /* DTR, RTS */
    console_register(&uart_console);
}
